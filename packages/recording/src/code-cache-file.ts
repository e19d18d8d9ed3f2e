/**
 * The translated code a recording was made with, kept beside it
 * (code-cache.bin) so that every replay of it, in any thread or on any host,
 * starts hot. It is a hint, never trusted: recording.json does not name it,
 * the cpu checks every cached block against the guest bytes before using it,
 * and a damaged file is ignored with one warning.
 */
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { deflateRaw, inflateRawSync } from 'node:zlib';
import { CodeCache, type CodeCacheSnapshot } from '@prnr/cpu';
import type { RecordingSource } from './replay-session.js';

export const CODE_CACHE_FILE = 'code-cache.bin';

const deflateRawAsync = promisify(deflateRaw);

/** Writes this thread's shared code cache into the recording directory (compressed on the thread pool; atomically). */
export async function saveCodeCache(dir: string, cache: CodeCache = CodeCache.shared): Promise<void> {
  const tmp = join(dir, `${CODE_CACHE_FILE}.partial`);
  await writeFile(tmp, await deflateRawAsync(cache.serialize(), { level: 1 }));
  await rename(tmp, join(dir, CODE_CACHE_FILE));
}

const loaded = new WeakMap<RecordingSource, Promise<void>>();

/**
 * Merges the recording's code cache into this thread's shared one, once per
 * recording per thread. A missing file is fine; anything wrong with it is
 * told to `onWarning` in one line and the file is ignored.
 */
export function loadCodeCache(source: RecordingSource, onWarning: (message: string) => void, cache: CodeCache = CodeCache.shared): Promise<void> {
  let p = loaded.get(source);
  if (!p) {
    p = (async () => {
      let packed: Uint8Array;
      try {
        packed = await source.readFile(CODE_CACHE_FILE);
      } catch {
        return; // none: the replay translates as it goes
      }
      const where = `${source.location}/${CODE_CACHE_FILE}`;
      let bytes: Uint8Array;
      try {
        bytes = inflateRawSync(packed);
      } catch (e) {
        onWarning(`${where} is damaged (${(e as Error).message}): ignored, the replay translates code afresh`);
        return;
      }
      cache.load(bytes, { onWarning: (m) => onWarning(`${where}: ${m}`) });
    })();
    loaded.set(source, p);
  }
  return p;
}

/**
 * Takes the recording's code from another thread of this process instead of
 * reading the file here: `snapshot` is that thread's CodeCache.snapshot() with
 * its modules compiled (@prnr/scheduler's shared-code.ts), so this thread
 * compiles none of them and runs the same machine code. Call it before the
 * recording's first session in this thread builds its machine (which waits
 * for it); where the snapshot does not come (null, or a failure) the file is
 * loaded as usual. Does nothing if the code cache is already loaded here.
 */
export function adoptCodeCache(source: RecordingSource, snapshot: Promise<CodeCacheSnapshot | null>, onWarning: (message: string) => void, cache: CodeCache = CodeCache.shared): void {
  if (loaded.has(source)) return;
  loaded.set(source, snapshot.then(
    (s) => (s ? void cache.merge(s, { onWarning: (m) => onWarning(`${source.location}: ${m}`) }) : fromFile()),
    () => fromFile(),
  ));
  function fromFile(): Promise<void> {
    loaded.delete(source);
    return loadCodeCache(source, onWarning, cache);
  }
}
