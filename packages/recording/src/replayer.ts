/**
 * Opening a recording directory, and the common replays as short uses of a
 * ReplaySession: one slice, consecutive slices, the machine at one icount.
 */
import { join } from 'node:path';
import { checkDeviceModuleFile, DevicePluginError, type ConsoleOutputSink } from '@prnr/devices';
import type { VirtMachine } from '@prnr/machine';
import { FsObjectStore, NotRegularFileError, readRegularFile } from '@prnr/snapshot';
import { MANIFEST_FILE, readManifest, RecordingError, type SliceEntry } from './manifest.js';
import { RECORDED_COPY_HINT } from './device-modules.js';
import { ReplaySession, type RecordingSource, type RunOptions, type SliceReplayResult } from './replay-session.js';

/** A recording in a local directory: also what gc and merge work on. */
export interface Recording extends RecordingSource {
  dir: string;
  store: FsObjectStore;
}

export interface OpenRecordingOptions {
  /**
   * The recording will be replayed (default true): its device modules must
   * then be at their recorded paths with their recorded hashes, and are
   * checked here, before any worker starts. Commands that only read its files
   * (slices, gc) pass false: they work without the modules.
   */
  replay?: boolean;
  /**
   * Device modules that are not at their recorded paths with their recorded
   * hashes are taken from the recording's own copies (checked against the
   * recorded sha256 before they are imported) instead of refused. That runs
   * JavaScript the recording holds: only for a recording one trusts.
   */
  recordedModules?: boolean;
}

/** Opens a recording; says clearly when it is not one, is from another format version, or was cut short. */
export function openRecording(dir: string, options: OpenRecordingOptions = {}): Recording {
  const manifest = readManifest(dir);
  // A device module that is gone or changed: refused here, before any worker starts.
  if (options.replay ?? true) {
    for (const ref of manifest.devicePlugins ?? []) {
      try {
        checkDeviceModuleFile(ref.module, ref);
      } catch (e) {
        if (!(e instanceof DevicePluginError)) throw e;
        if (ref.object && options.recordedModules) continue; // the replay loads the recording's copy (device-modules.ts)
        throw new RecordingError(`${join(dir, MANIFEST_FILE)}: ${e.message}${ref.object ? RECORDED_COPY_HINT : ''}`);
      }
    }
  }
  return {
    dir,
    location: dir,
    manifest,
    ...(options.recordedModules ? { recordedModules: true } : {}),
    // Reads packs and loose objects alike; what merge adds goes into a pack.
    store: new FsObjectStore(dir, { packs: true }),
    // Only a regular file is read: a FIFO under the name would block the thread, a directory says EISDIR without the path.
    readFile: async (path) => {
      const file = join(dir, path);
      try {
        return await readRegularFile(file);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new RecordingError(`${file} is missing (recording.json names it)`);
        if (e instanceof NotRegularFileError) throw new RecordingError(e.message);
        throw e;
      }
    },
  };
}

/** The guest profile the recording carries, if any. */
export async function loadGuestProfile(rec: RecordingSource): Promise<unknown> {
  const h = rec.manifest.guestProfile;
  return h ? JSON.parse(new TextDecoder().decode(await rec.store.get(h))) : undefined;
}

export interface ReplayOptions extends RunOptions {
  output?: ConsoleOutputSink;
  /** Called with the restored machine before it runs: analyses attach their hooks here. */
  attach?: (machine: VirtMachine) => void;
}

/** One slice from its own snapshot (a ReplaySession of one slice). */
export async function replaySlice(rec: RecordingSource, index: number, o: ReplayOptions = {}): Promise<SliceReplayResult> {
  const [r] = await replayConsecutive(rec, index, index, o);
  return r;
}

/**
 * Sequential replay of slices `first`..`last`: one session, restored once
 * from the first slice's snapshot, runs straight through; each slice end is
 * checked against the recording. Stops at the first slice that does not
 * verify. Results in slice order, one per slice replayed.
 */
export async function replayConsecutive(rec: RecordingSource, first: number, last: number, o: ReplayOptions = {}, onSlice?: (r: SliceReplayResult) => void): Promise<SliceReplayResult[]> {
  if (!(first >= 0 && last >= first && last < rec.manifest.slices.length)) {
    throw new RecordingError(`${rec.location}: there are no slices ${first}..${last} (the recording has ${rec.manifest.slices.length})`);
  }
  const session = new ReplaySession(rec, { output: o.output });
  const restoreSeconds = await session.restore(first);
  o.attach?.(session.machine!);
  const results: SliceReplayResult[] = [];
  for (let i = first; i <= last; i++) {
    const r = await session.runSlice(o);
    if (i === first) {
      r.restoreSeconds = restoreSeconds;
      r.wallSeconds += restoreSeconds;
    }
    results.push(r);
    onSlice?.(r);
    if (!r.verified) break;
  }
  return results;
}

/**
 * Arbitrary replay: restores the last snapshot at or before `icount` and
 * replays forward to exactly `icount`. Returns the machine stopped there.
 * Its cost is bounded by one slice.
 */
export async function replayTo(rec: RecordingSource, icount: number, o: ReplayOptions = {}): Promise<{ machine: VirtMachine; slice: SliceEntry }> {
  const session = new ReplaySession(rec, { output: o.output });
  const slice = session.sliceAt(icount);
  await session.restore(slice.index);
  o.attach?.(session.machine!);
  await session.seek(icount, o);
  return { machine: session.machine!, slice: session.slice! };
}
