/**
 * The device modules a replay needs, from what the recording names. Each
 * must be at its recorded path with its recorded sha256, or the replay is
 * refused, unless the recording was opened with `recordedModules` (in a
 * directory, or read over HTTP by a `prnr worker` on another host). Then the
 * file at the recorded path is taken where it has that hash, and otherwise the
 * recording's own copy (an object of its store, checked against the object
 * hash on arrival and against the module's sha256 before it is imported).
 * Never by default: the copy is JavaScript from the recording, and a recording
 * can come from anyone (a server's upload).
 */
import { loadDevicePlugin, loadDevicePluginCopy, DevicePluginError, type DeviceModuleRef, type LoadedDevicePlugin } from '@prnr/devices';
import type { RecordingManifest } from './manifest.js';
import type { RecordingSource } from './replay-session.js';

type RecordedModule = NonNullable<RecordingManifest['devicePlugins']>[number];

/** What a refusal adds where the recording keeps a copy of the module (the apps' option runs it). */
export const RECORDED_COPY_HINT = '; the recording keeps a copy of it, run only where recorded modules are allowed (--use-recorded-modules)';

/** Throws DevicePluginError, in one line naming the module and its hash, for a module that cannot be had. */
export async function loadRecordedModules(source: RecordingSource): Promise<LoadedDevicePlugin[]> {
  const out: LoadedDevicePlugin[] = [];
  for (const r of source.manifest.devicePlugins ?? []) {
    const ref: DeviceModuleRef = { module: r.module, sha256: r.sha256, kind: r.kind, version: r.version };
    out.push(source.recordedModules ? await loadOrCopy(source, r, ref) : await loadOwn(r, ref));
  }
  return out;
}

/** The module at its recorded path with its recorded hash, or a refusal that says whether the recording has a copy. */
async function loadOwn(r: RecordedModule, ref: DeviceModuleRef): Promise<LoadedDevicePlugin> {
  try {
    return await loadDevicePlugin(r.module, ref);
  } catch (e) {
    if (e instanceof DevicePluginError && r.object) throw new DevicePluginError(`${e.message}${RECORDED_COPY_HINT}`);
    throw e;
  }
}

/** The module at its recorded path where it has the recorded hash, else the recording's copy of it. */
async function loadOrCopy(source: RecordingSource, r: RecordedModule, ref: DeviceModuleRef): Promise<LoadedDevicePlugin> {
  try {
    return await loadDevicePlugin(r.module, ref);
  } catch (e) {
    if (!(e instanceof DevicePluginError)) throw e;
    if (!r.object) throw new DevicePluginError(`${e.message}; the recording has no copy of it (recorded before prnr kept one): put the module at that path on this host`);
  }
  let bytes: Uint8Array;
  try {
    bytes = await source.store.get(r.object);
  } catch (e) {
    throw new DevicePluginError(`device module ${r.module} (sha256 ${r.sha256}) is not on this host and its copy in the recording cannot be read: ${(e as Error).message.split('\n')[0]}`);
  }
  return loadDevicePluginCopy(bytes, ref);
}
