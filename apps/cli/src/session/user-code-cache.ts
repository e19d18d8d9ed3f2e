/**
 * The per-user code cache: the translated code of earlier runs, so that `prnr run`,
 * `record` and `demo` start with it instead of translating a Linux boot again (a
 * recording's own code-cache.bin does this for its replays). One file,
 * code-cache.bin in the user's cache directory (userCacheDir; none with
 * PRNR_CACHE_DIR=off). A hint, never trusted: the cpu checks every cached block
 * against the guest's bytes before it runs it, and a damaged file is ignored with
 * one warning. Saved whole through a temporary file and a rename, so that two
 * prnr processes ending at once leave one of their files, never a mix.
 */
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { CodeCache, Hart } from '@prnr/cpu';
import { CODE_CACHE_FILE, loadCodeCacheFile, writeWholeCodeCacheFile } from '@prnr/recording';
import { NotRegularFileError, readRegularFileSync } from '@prnr/snapshot';
import { userCacheDir } from './default-images.js';

/**
 * Bound on what is saved (wasm bytes plus block sources, as CodeCache counts them), the most
 * recently used modules first: about two default-guest boots' code, ~8 MB on disk.
 */
export const USER_CODE_CACHE_MAX_BYTES = 32 << 20;

export function userCodeCacheFile(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dir = userCacheDir(env);
  return dir === undefined ? undefined : join(dir, CODE_CACHE_FILE);
}

/** Warnings of the user's code cache go to stderr, one line each. */
export const warnOnStderr = (line: string): void => void process.stderr.write(`prnr: warning: ${line}\n`);

/** What a save compares against: the cache's modules when it was loaded (CodeCache.modulesAdded). */
export interface LoadedUserCodeCache {
  readonly file: string | undefined;
  readonly modulesAtLoad: number;
  /** Modules the file brought (0: none there, or not used). */
  readonly modulesLoaded: number;
}

/**
 * Adds the user's code cache to this thread's shared one; a missing file is fine, anything wrong
 * with it is one line to `warn`. Its modules then compile on a worker thread while the machine
 * starts (CodeCache.precompile): this process runs one machine, with a core to spare.
 */
export async function loadUserCodeCache(warn: (line: string) => void, env: NodeJS.ProcessEnv = process.env): Promise<LoadedUserCodeCache> {
  const file = userCodeCacheFile(env);
  const before = CodeCache.shared.modulesAdded;
  if (file !== undefined) {
    try {
      await loadCodeCacheFile(readRegularFileSync(file), file, 'this run', warn);
      if (Hart.defaultEngine === 'wasm') CodeCache.shared.precompile();
    } catch (e) {
      // None yet (the first run) is no news; otherwise say why. This run translates as it goes.
      if (e instanceof NotRegularFileError) warn(`${e.message}: ignored`);
      else if ((e as NodeJS.ErrnoException).code !== 'ENOENT') warn(`${file}: cannot read (${(e as Error).message}): ignored`);
    }
  }
  return { file, modulesAtLoad: CodeCache.shared.modulesAdded, modulesLoaded: CodeCache.shared.modulesAdded - before };
}

/**
 * A save rewrites the whole file: for the smoke workload's cache (~650 modules, 15 MB) ~130 ms at
 * the end of `prnr run`, measured, where translating a module again costs a later run about a
 * millisecond. A run that added fewer modules than this share of what it loaded (a path that
 * follows the host's clock, say: most runs of the same workload add one or two) leaves the file
 * as it is.
 */
export const SAVE_WHEN_ADDED_SHARE = 1 / 32;

/**
 * Saves the shared cache as the user's, when this run translated enough to pay for the save
 * (SAVE_WHEN_ADDED_SHARE); a failure is one line to `warn`, never an error.
 */
export async function saveUserCodeCache(loaded: LoadedUserCodeCache, warn: (line: string) => void): Promise<void> {
  const { file } = loaded;
  const added = CodeCache.shared.modulesAdded - loaded.modulesAtLoad;
  if (file === undefined || added === 0 || added < loaded.modulesLoaded * SAVE_WHEN_ADDED_SHARE) return;
  const tmp = `${file}.${process.pid}.partial`;
  try {
    mkdirSync(dirname(file), { recursive: true });
    await writeWholeCodeCacheFile(file, tmp, CodeCache.shared.serialize(USER_CODE_CACHE_MAX_BYTES));
    removeOrphans(file);
  } catch (e) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // nothing was written there
    }
    warn(`the code cache was not saved to ${file}: ${(e as Error).message}`);
  }
}

/** Temporary files of saves whose process is gone (killed while it wrote): nothing else removes them. */
function removeOrphans(file: string): void {
  const prefix = `${basename(file)}.`;
  for (const name of readdirSync(dirname(file))) {
    const pid = name.startsWith(prefix) && name.endsWith('.partial') ? Number(name.slice(prefix.length, -'.partial'.length)) : NaN;
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || alive(pid)) continue;
    rmSync(join(dirname(file), name), { force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // there, but another user's
  }
}
