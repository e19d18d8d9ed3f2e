/**
 * Loading device modules from files, by path and content hash: what a
 * recording names is the module's absolute path and its sha256, and a replay
 * loads that file only if it still has that hash (a changed model would
 * replay something else than what was recorded), or a copy of the same bytes
 * the recording keeps (loadDevicePluginCopy, for workers on other hosts).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { threadId } from 'node:worker_threads';
import { checkDevicePlugin, DevicePluginError, noteDevicePluginModule, type DevicePlugin } from '../device-plugin.js';
import { builtinDeviceKinds } from '../registry.js';

/** A device module as a recording names it. Plain JSON. */
export interface DeviceModuleRef {
  /** Absolute path of the module file. */
  readonly module: string;
  /** sha256 of the file's bytes, hex. */
  readonly sha256: string;
  readonly kind: string;
  readonly version: number;
}

export interface LoadedDevicePlugin {
  readonly ref: DeviceModuleRef;
  readonly plugin: DevicePlugin;
  /** The module file's bytes (their sha256 is `ref.sha256`): a recording keeps a copy for workers on other hosts. */
  readonly bytes: Uint8Array;
}

/**
 * Imports the module at `path` and checks its default export. With `expected`
 * (from a recording), refuses a module that is missing, has another hash, or
 * declares another kind@version, in one line naming the module and both hashes.
 */
export async function loadDevicePlugin(path: string, expected?: DeviceModuleRef): Promise<LoadedDevicePlugin> {
  const file = resolve(path);
  const { bytes, sha256 } = readModuleFile(file, expected);
  let ns: { default?: unknown };
  try {
    // The hash in the URL: a changed file is a new module, not the one cached under its path.
    ns = (await import(`${pathToFileURL(file).href}?sha256=${sha256}`)) as { default?: unknown };
  } catch (e) {
    throw new DevicePluginError(`device module ${file} does not load: ${(e as Error).message.split('\n')[0]}`);
  }
  const plugin = checkDevicePlugin(ns.default, `device module ${file}`);
  // Here rather than only when a registry is made (a recorder's start): refused while nothing has started.
  if (builtinDeviceKinds().includes(plugin.kind)) throw new DevicePluginError(`device module ${file}: kind '${plugin.kind}' is a built-in kind; a module must name a kind of its own`);
  noteDevicePluginModule(plugin, file);
  if (expected && (expected.kind !== plugin.kind || expected.version !== plugin.version)) {
    throw new DevicePluginError(`device module ${file} now makes ${plugin.kind}@${plugin.version}, the recording has ${expected.kind}@${expected.version} (sha256 ${sha256})`);
  }
  return { ref: { module: file, sha256, kind: plugin.kind, version: plugin.version }, plugin, bytes };
}

/**
 * The sha256 of the module file at `path`; with `expected`, refuses (DevicePluginError, one
 * line naming the module and both hashes) a file that is missing or has another hash.
 * Synchronous and cheap: a command checks a recording's modules before it starts workers.
 */
export function checkDeviceModuleFile(path: string, expected?: Pick<DeviceModuleRef, 'sha256'>): string {
  return readModuleFile(resolve(path), expected).sha256;
}

function readModuleFile(file: string, expected?: Pick<DeviceModuleRef, 'sha256'>): { bytes: Uint8Array; sha256: string } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'is missing' : `cannot be read (${(e as Error).message})`;
    throw new DevicePluginError(`device module ${file} ${why}${expected ? ` (recorded sha256 ${expected.sha256}, now none)` : ''}`);
  }
  const sha256 = sha256Hex(bytes);
  if (expected && expected.sha256 !== sha256) {
    throw new DevicePluginError(`device module ${file} has changed since it was recorded (recorded sha256 ${expected.sha256}, now ${sha256})`);
  }
  return { bytes, sha256 };
}

const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/**
 * Loads a recorded module from a copy of its bytes (a recording's own copy,
 * fetched by a worker on a host where the recorded path does not hold it):
 * refuses bytes whose sha256 is not the recorded one, writes them to
 * `cacheDir` (default: prnr-device-modules-UID in the OS temp directory, this user's only) under
 * their hash, and imports that file. The copy is one file: a module that
 * imports files beside it cannot load this way (the example imports only node: built-ins).
 */
export async function loadDevicePluginCopy(bytes: Uint8Array, expected: DeviceModuleRef, cacheDir = join(tmpdir(), `prnr-device-modules-${process.getuid?.() ?? 'user'}`)): Promise<LoadedDevicePlugin> {
  const sha256 = sha256Hex(bytes);
  if (sha256 !== expected.sha256) throw new DevicePluginError(`the recording's copy of device module ${expected.module} has sha256 ${sha256}, the recorded module ${expected.sha256}`);
  mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
  // Code is imported from here: a directory others can write to could swap the file between the hash check and the import.
  const st = statSync(cacheDir);
  if ((process.getuid && st.uid !== process.getuid()) || (st.mode & 0o022) !== 0) throw new DevicePluginError(`${cacheDir} is writable by others or not this user's: device modules are not loaded from it`);
  const file = join(cacheDir, `${sha256}.mjs`);
  // Written aside and renamed: another worker on this host may be importing the same file. The write
  // is synchronous, so the process and thread make the name unique.
  const part = `${file}.${process.pid}.${threadId}.part`;
  writeFileSync(part, bytes);
  renameSync(part, file);
  const loaded = await loadDevicePlugin(file, { ...expected, module: file });
  noteDevicePluginModule(loaded.plugin, expected.module); // messages name the module the recording names, not the cache's copy
  return { ...loaded, ref: expected };
}
