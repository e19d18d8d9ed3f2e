/**
 * Loading device modules from files, by path and content hash: what a
 * recording names is the module's absolute path and its sha256, and a replay
 * loads that file only if it still has that hash (a changed model would
 * replay something else than what was recorded).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { checkDevicePlugin, DevicePluginError, type DevicePlugin } from '../device-plugin.js';

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
}

/**
 * Imports the module at `path` and checks its default export. With `expected`
 * (from a recording), refuses a module that is missing, has another hash, or
 * declares another kind@version, in one line naming the module and both hashes.
 */
export async function loadDevicePlugin(path: string, expected?: DeviceModuleRef): Promise<LoadedDevicePlugin> {
  const file = resolve(path);
  const sha256 = checkDeviceModuleFile(file, expected);
  let ns: { default?: unknown };
  try {
    // The hash in the URL: a changed file is a new module, not the one cached under its path.
    ns = (await import(`${pathToFileURL(file).href}?sha256=${sha256}`)) as { default?: unknown };
  } catch (e) {
    throw new DevicePluginError(`device module ${file} does not load: ${(e as Error).message.split('\n')[0]}`);
  }
  const plugin = checkDevicePlugin(ns.default, `device module ${file}`);
  if (expected && (expected.kind !== plugin.kind || expected.version !== plugin.version)) {
    throw new DevicePluginError(`device module ${file} now makes ${plugin.kind}@${plugin.version}, the recording has ${expected.kind}@${expected.version} (sha256 ${sha256})`);
  }
  return { ref: { module: file, sha256, kind: plugin.kind, version: plugin.version }, plugin };
}

/**
 * The sha256 of the module file at `path`; with `expected`, refuses (DevicePluginError, one
 * line naming the module and both hashes) a file that is missing or has another hash.
 * Synchronous and cheap: a command checks a recording's modules before it starts workers.
 */
export function checkDeviceModuleFile(path: string, expected?: Pick<DeviceModuleRef, 'sha256'>): string {
  const file = resolve(path);
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'is missing' : `cannot be read (${(e as Error).message})`;
    throw new DevicePluginError(`device module ${file} ${why}${expected ? ` (recorded sha256 ${expected.sha256}, now none)` : ''}`);
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (expected && expected.sha256 !== sha256) {
    throw new DevicePluginError(`device module ${file} has changed since it was recorded (recorded sha256 ${expected.sha256}, now ${sha256})`);
  }
  return sha256;
}

/** Loads every module a recording names (see loadDevicePlugin). */
export async function loadRecordedDevicePlugins(refs: readonly DeviceModuleRef[]): Promise<LoadedDevicePlugin[]> {
  const out: LoadedDevicePlugin[] = [];
  for (const r of refs) out.push(await loadDevicePlugin(r.module, r));
  return out;
}
