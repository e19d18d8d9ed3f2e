/**
 * Replays a recording, one slice at a time, from the slice's own snapshot and
 * log segment alone, and checks that it ends in the recorded state.
 */
import { join } from 'node:path';
import type { ConsoleOutputSink } from '@prnr/devices';
import { Channel, DivergenceError, PortReplayer, decodeUvarint, readSegmentBytes, type LogEvent } from '@prnr/eventlog';
import { VirtMachine } from '@prnr/machine';
import { FsObjectStore, type ObjectReader } from '@prnr/snapshot';
import { readFile } from 'node:fs/promises';
import { compareCheckpoint } from './checkpoint.js';
import { readManifest, RecordingError, type RecordingManifest, type SliceEntry } from './manifest.js';
import { MachineSnapshots } from './machine-snapshots.js';
import { runLoop, type LoopHooks } from './run-loop.js';

/** A recording as replay needs it: its manifest, its objects, its log segments; local or remote. */
export interface RecordingSource {
  /** Where it is (a directory or a URL), for messages. */
  location: string;
  manifest: RecordingManifest;
  store: ObjectReader;
  /** A file of the recording by its path inside it (e.g. "log/000003.seg"). */
  readFile(path: string): Promise<Uint8Array>;
}

/** A recording in a local directory: also what gc and merge work on. */
export interface Recording extends RecordingSource {
  dir: string;
  store: FsObjectStore;
}

/** Opens a recording for replay; says clearly when it is not one, is from another format version, or was cut short. */
export function openRecording(dir: string): Recording {
  const manifest = readManifest(dir);
  return {
    dir,
    location: dir,
    manifest,
    store: new FsObjectStore(dir),
    readFile: async (path) => {
      try {
        return await readFile(join(dir, path));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new RecordingError(`${join(dir, path)} is missing (recording.json names it)`);
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

/** Where a replay stopped following the recording: the checkpoint window and what differs. */
export interface Divergence {
  slice: number;
  /** The replay matched at `from` (the last good checkpoint or the slice start) and no longer at `to`. */
  from: number;
  to: number;
  message: string;
  pc?: bigint;
  differs?: string[];
}

export interface SliceReplayResult {
  slice: number;
  startIcount: number;
  endIcount: number;
  /** Root of the replayed end state, null when the replay diverged before the end. */
  endState: string | null;
  /** endState equals the recorded end state. */
  verified: boolean;
  divergence: Divergence | null;
  checkpoints: number;
  wallSeconds: number;
}

export interface ReplayOptions {
  output?: ConsoleOutputSink;
  /** Between chunks of the replay; a returned promise is awaited (a queue worker yields to its event loop there). */
  onProgress?: (icount: number) => void | Promise<void>;
  /** Called with the restored machine before it runs: analyses attach their hooks here. */
  attach?: (machine: VirtMachine) => void;
}

export async function replaySlice(rec: RecordingSource, index: number, o: ReplayOptions = {}): Promise<SliceReplayResult> {
  const [r] = await replayConsecutive(rec, index, index, o);
  return r;
}

/**
 * Classic sequential replay of slices `first`..`last`: one machine, restored
 * once from the first slice's snapshot, runs straight through; at each slice
 * end its state root is checked against the recording. Stops at the first
 * slice that does not verify. Results in slice order, one per slice replayed.
 */
export async function replayConsecutive(rec: RecordingSource, first: number, last: number, o: ReplayOptions = {}, onSlice?: (r: SliceReplayResult) => void): Promise<SliceReplayResult[]> {
  const slices = rec.manifest.slices.slice(first, last + 1);
  if (slices.length === 0 || slices[0].index !== first || slices.at(-1)!.index !== last) {
    throw new RecordingError(`${rec.location}: there are no slices ${first}..${last} (the recording has ${rec.manifest.slices.length})`);
  }
  let started = process.hrtime.bigint();
  const events = (await Promise.all(slices.map((s) => loadEvents(rec, s)))).flat();
  const machine = await restoreMachine(rec, slices[0], events, o.output);
  const { replayer } = machine;
  o.attach?.(machine.machine);
  const m = machine.machine;
  const results: SliceReplayResult[] = [];
  for (const slice of slices) {
    let lastGood = slice.startIcount;
    let checkpoints = 0;
    const result = (divergence: Divergence | null, endState: string | null): SliceReplayResult => {
      const r = {
        slice: slice.index,
        startIcount: slice.startIcount,
        endIcount: slice.endIcount,
        endState,
        verified: divergence === null && endState === slice.endState,
        divergence,
        checkpoints,
        wallSeconds: Number(process.hrtime.bigint() - started) / 1e9,
      };
      results.push(r);
      onSlice?.(r);
      started = process.hrtime.bigint();
      return r;
    };
    try {
      const end = await runLoop(m, slice.endIcount, rec.manifest.checkpointInterval, replayHooks(m, replayer, {
        onCheckpoint: () => {
          lastGood = m.hart.icount;
          checkpoints++;
        },
        onProgress: o.onProgress,
      }));
      if (end.reason === 'halt' && m.hart.icount !== slice.endIcount) {
        throw replayer.diverged(`the guest powered off (${end.power.action}) before the slice's end at icount ${slice.endIcount}`);
      }
      if (end.reason === 'hung') throw replayer.diverged('the guest idles with no timer');
      if (slice === slices.at(-1) && replayer.remaining > 0) {
        throw replayer.diverged(`the slice ended with ${replayer.remaining} recorded events never consumed`);
      }
    } catch (e) {
      if (!(e instanceof DivergenceError)) throw e;
      const mismatch = (e as DivergenceError & { mismatch?: { differs: string[] } }).mismatch;
      result({ slice: slice.index, from: lastGood, to: Number(e.icount), message: e.message, pc: m.hart.pc, differs: mismatch?.differs }, null);
      break;
    }
    const root = machine.snapshots.root();
    const divergence = root === slice.endState ? null : {
      slice: slice.index,
      from: lastGood,
      to: slice.endIcount,
      message: `the state at icount ${slice.endIcount} hashes to ${root}, the recording says ${slice.endState}`,
    };
    if (!result(divergence, root).verified) break;
  }
  return results;
}

/**
 * Arbitrary replay: restores the last snapshot at or before `icount` and
 * replays forward to exactly `icount`. Returns the machine stopped there.
 * Its cost is bounded by one slice.
 */
export async function replayTo(rec: RecordingSource, icount: number, o: ReplayOptions = {}): Promise<{ machine: VirtMachine; slice: SliceEntry }> {
  const slices = rec.manifest.slices;
  const slice = slices.find((s) => s.startIcount <= icount && icount < s.endIcount) ?? (slices.at(-1)?.endIcount === icount ? slices.at(-1) : undefined);
  if (!slice) {
    const last = slices.at(-1)?.endIcount ?? 0;
    throw new RecordingError(`icount ${icount} is outside the recording (0..${last})`);
  }
  const events = await loadEvents(rec, slice);
  const { machine, replayer } = await restoreMachine(rec, slice, events, o.output);
  o.attach?.(machine);
  const end = await runLoop(machine, icount, rec.manifest.checkpointInterval, replayHooks(machine, replayer, { onProgress: o.onProgress }));
  if (machine.hart.icount !== icount) throw replayer.diverged(`the replay stopped (${end.reason}) at icount ${machine.hart.icount} before reaching ${icount}`);
  return { machine, slice };
}

/** The run loop's replay side: idle jumps come from the log, checkpoints are compared with it. */
function replayHooks(m: VirtMachine, replayer: PortReplayer, o: { onCheckpoint?: () => void; onProgress?: ReplayOptions['onProgress'] }): LoopHooks {
  return {
    idle: () => {
      const ev = replayer.takeIf(Channel.idle);
      if (!ev) throw replayer.diverged('the guest idled');
      return decodeUvarint(ev.payload, `idle event at icount ${ev.icount}`);
    },
    checkpoint: () => {
      const ev = replayer.takeIf(Channel.checkpoint);
      if (!ev) throw replayer.diverged('a checkpoint is due');
      const mismatch = compareCheckpoint(ev.payload, m.hart.state());
      if (mismatch) {
        const at = m.hart.icount;
        const message = `state differs from the recording at icount ${at}: ${mismatch.differs.join(', ')} (pc 0x${mismatch.replayedPc.toString(16)}, recorded 0x${mismatch.recordedPc.toString(16)})`;
        throw Object.assign(new DivergenceError(BigInt(at), message), { mismatch });
      }
      o.onCheckpoint?.();
    },
    between: () => o.onProgress?.(m.hart.icount),
  };
}

export async function loadEvents(rec: RecordingSource, slice: SliceEntry): Promise<LogEvent[]> {
  const name = `${rec.location}/${slice.log}`;
  const seg = readSegmentBytes(await rec.readFile(slice.log), name);
  if (!seg.complete) throw new RecordingError(`${name}: the segment is incomplete`);
  if (Number(seg.startIcount) !== slice.startIcount || Number(seg.endIcount) !== slice.endIcount) {
    throw new RecordingError(`${name}: covers icount ${seg.startIcount}..${seg.endIcount}, but recording.json says slice ${slice.index} is ${slice.startIcount}..${slice.endIcount}`);
  }
  return seg.events;
}

/** A machine built from the recording's board config, restored to the slice's snapshot, its input ports serving the slice's log. */
export async function restoreMachine(rec: RecordingSource, slice: SliceEntry, events: readonly LogEvent[], output?: ConsoleOutputSink) {
  const disks: Record<string, Uint8Array> = {};
  for (const [id, h] of Object.entries(rec.manifest.disks)) disks[id] = await rec.store.get(h);
  let machine!: VirtMachine;
  const replayer = new PortReplayer(events, () => machine.hart.icount);
  machine = new VirtMachine(
    rec.manifest.board,
    { firmware: new Uint8Array(0), kernel: new Uint8Array(0), disks },
    { ...replayer.ports(), consoleOutput: output ?? { write: () => {} } },
  );
  const versions = machine.devices.map((d) => `${d.kind}@${d.version}`).join(' ');
  const recorded = rec.manifest.deviceVersions.map((d) => `${d.kind}@${d.version}`).join(' ');
  if (versions !== recorded) throw new RecordingError(`${rec.location}: recorded with devices [${recorded}], this prnr builds [${versions}]`);
  const snapshots = await MachineSnapshots.restore(machine, rec.store, slice.snapshot);
  return { machine, replayer, snapshots };
}
