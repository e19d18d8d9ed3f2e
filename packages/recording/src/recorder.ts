/**
 * Records a machine run into a recording directory: input ports wrapped by the
 * recorder, events into one log segment per slice, a snapshot at the start of
 * every slice, the manifest rewritten as each slice closes.
 *
 * Crash safety: a slice appears in recording.json only after its segment is
 * closed (renamed from .partial, fsynced) and the snapshot that ends it is in
 * the object store; recording.json says "recording" until the run ends. So a
 * recorder killed at any moment leaves closed slices that verify, and an open
 * slice that readers see as incomplete. While it writes, the recorder holds
 * recording.lock, so gc and merge leave its open slice alone.
 */
import { mkdirSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ConsoleOutputSink } from '@prnr/devices';
import { Channel, PortRecorder, SegmentWriter, encodeUvarint, type RecordedInputs } from '@prnr/eventlog';
import { VirtMachine, type BoardConfig, type MachineImages } from '@prnr/machine';
import { FsObjectStore } from '@prnr/snapshot';
import { encodeCheckpoint } from './checkpoint.js';
import { RECORDING_FORMAT_VERSION, RecordingError, segmentName, syncDir, writeManifest, type RecordingManifest } from './manifest.js';
import { MachineSnapshots } from './machine-snapshots.js';
import { runLoop, type LoopEnd } from './run-loop.js';
import { atSliceBoundary } from './slice-boundary.js';
import { acquireRecordingLock } from './recording-lock.js';

export const DEFAULT_CHECKPOINT_INTERVAL = 32_000_000;
/**
 * Steps per slice. Chosen for replay (BENCHMARKS.md, replay suite): a seek
 * replays half a slice on average, so at about 200 MIPS this keeps a seek's
 * replay near 0.1 s; the 1.6G-instruction smoke workload gives 32 slices,
 * enough to balance chunks over many workers. Measured on the smoke
 * workload, recording with 50M slices took as long as with 200M (14.7 s
 * against 14.6 s): a snapshot stores only the pages written since the last.
 */
export const DEFAULT_SLICE_STEPS = 50_000_000;

export interface RecordOptions {
  /** The recording directory: created; must not exist or be empty. */
  dir: string;
  config: BoardConfig;
  images: MachineImages;
  /** The real world. */
  inputs: RecordedInputs;
  output: ConsoleOutputSink;
  /** Pace idle time to the wall clock (an interactive user); otherwise idle jumps straight to the next timer. */
  realtime: boolean;
  checkpointInterval?: number;
  /** The guest profile (guest/images/profile.json), kept in the recording for diagnosis. */
  profile?: unknown;
  /** Cut a slice (snapshot + new segment) every this many steps. Default DEFAULT_SLICE_STEPS. */
  sliceSteps?: number;
  /** Stop after this many steps. */
  maxSteps?: number;
  shouldStop?: () => boolean;
  onProgress?: (p: RecordProgress) => void;
}

export interface RecordProgress {
  icount: number;
  slices: number;
  events: number;
}

export interface RecordResult {
  manifest: RecordingManifest;
  end: LoopEnd;
}

const TICK_NS = 100n; // 10 MHz timebase

export async function record(o: RecordOptions): Promise<RecordResult> {
  prepareDir(o.dir);
  const release = acquireRecordingLock(o.dir);
  try {
    return await recordInto(o);
  } finally {
    release();
  }
}

async function recordInto(o: RecordOptions): Promise<RecordResult> {
  const store = new FsObjectStore(o.dir);
  const interval = o.checkpointInterval ?? DEFAULT_CHECKPOINT_INTERVAL;
  const sliceSteps = o.sliceSteps ?? DEFAULT_SLICE_STEPS;
  const maxSteps = o.maxSteps ?? Number.MAX_SAFE_INTEGER;
  const wallStart = process.hrtime.bigint();

  // The base disk images go into the store: a recording replays without the image directory.
  const disks: Record<string, string> = {};
  for (const [id, bytes] of Object.entries(o.images.disks ?? {})) disks[id] = await store.put(bytes);

  let segment: SegmentWriter | undefined;
  let events = 0;
  const sink = {
    append: (ev: Parameters<SegmentWriter['append']>[0]) => {
      segment!.append(ev);
      events++;
    },
  };
  let machine!: VirtMachine;
  const recorder = new PortRecorder(sink, () => machine.hart.icount);
  const inputs = recorder.wrap(o.inputs);
  let consoleBytes: number[] = [];
  machine = new VirtMachine(o.config, o.images, { ...inputs, consoleOutput: { write: (b) => { consoleBytes.push(b); o.output.write(b); } } });
  machine.boot();

  const manifest: RecordingManifest = {
    format: 'prnr-recording',
    version: RECORDING_FORMAT_VERSION,
    status: 'recording',
    createdAt: new Date().toISOString(),
    board: o.config,
    deviceVersions: machine.devices.map((d) => ({ kind: d.kind, version: d.version })),
    disks,
    ...(o.profile !== undefined ? { guestProfile: await store.put(new TextEncoder().encode(JSON.stringify(o.profile))) } : {}),
    checkpointInterval: interval,
    slices: [],
    snapshots: [],
  };
  const snapshots = await MachineSnapshots.create(machine, store);
  const snapshot = async () => {
    const t = process.hrtime.bigint();
    const root = await snapshots.capture();
    const pauseMs = Number(process.hrtime.bigint() - t) / 1e6;
    const st = snapshots.lastStats!;
    manifest.snapshots.push({ root, icount: machine.hart.icount, objectsAdded: st.objectsAdded, storedBytes: st.bytesAdded, uniqueBytes: st.logicalBytes, logicalBytes: snapshots.logicalBytes(), pauseMs });
    return root;
  };
  let sliceStart = 0;
  let sliceStartMtime = 0;
  let sliceRoot = await snapshot();
  atSliceBoundary(machine);
  let logBytes = 0;
  writeManifest(o.dir, manifest);

  const openSegment = async () => {
    segment = await SegmentWriter.create(join(o.dir, segmentName(manifest.slices.length)), { segmentIndex: manifest.slices.length, startIcount: BigInt(sliceStart) });
  };
  const closeSlice = async () => {
    const segEvents = events;
    const busyUntil = process.hrtime.bigint();
    await segment!.close(BigInt(machine.hart.icount));
    const bytes = segment!.bytesWritten;
    const endRoot = await snapshot();
    const consoleHash = await store.put(Uint8Array.from(consoleBytes));
    consoleBytes = [];
    manifest.slices.push({
      index: manifest.slices.length,
      startIcount: sliceStart,
      endIcount: machine.hart.icount,
      snapshot: sliceRoot,
      log: segmentName(manifest.slices.length),
      endState: endRoot,
      events: segEvents,
      logBytes: bytes,
      console: consoleHash,
      startMtime: sliceStartMtime,
      endMtime: Number(machine.clock.mtime()),
      busySeconds: Number(busyUntil - sliceWallStart - idleWait) / 1e9,
    });
    logBytes += bytes;
    events = 0;
    writeManifest(o.dir, manifest);
    sliceStart = machine.hart.icount;
    sliceStartMtime = Number(machine.clock.mtime());
    sliceRoot = endRoot;
    atSliceBoundary(machine);
    sliceWallStart = process.hrtime.bigint();
    idleWait = 0n;
  };

  const wallTicks = () => (process.hrtime.bigint() - wallStart) / TICK_NS;
  // What the slice cost the host to run, for the replay planner: wall time less idle waits.
  let sliceWallStart = process.hrtime.bigint();
  let idleWait = 0n;
  let totalEvents = 0;
  await openSegment();
  let end: LoopEnd;
  for (;;) {
    const until = Math.min(maxSteps, sliceStart + sliceSteps);
    end = await runLoop(machine, until, interval, {
      idle: async (wakeAt) => {
        const now = machine.clock.mtime();
        let target: bigint;
        if (!o.realtime) {
          if (wakeAt === null) return null;
          target = wakeAt;
        } else {
          // Interactive: idle time follows the wall clock. Sleep up to 20 ms (less when the guest's
          // next timer is due sooner), then let virtual time catch up, never past that timer.
          const dueMs = wakeAt === null ? 20 : Number((wakeAt - wallTicks()) / 10_000n);
          const slept = process.hrtime.bigint();
          await sleep(Math.max(0, Math.min(20, dueMs)));
          idleWait += process.hrtime.bigint() - slept;
          const wall = wallTicks();
          target = wakeAt !== null && wakeAt < wall ? wakeAt : wall;
        }
        const ticks = target > now ? target - now : 0n;
        recorder.idle(ticks, encodeUvarint);
        return ticks;
      },
      checkpoint: () => recorder.log(Channel.checkpoint, encodeCheckpoint(machine.hart.state())),
      shouldStop: o.shouldStop,
      between: async () => {
        o.onProgress?.({ icount: machine.hart.icount, slices: manifest.slices.length, events: totalEvents + events });
        if (o.realtime) await sleep(0); // let host input in
      },
    });
    if (end.reason !== 'until' || machine.hart.icount >= maxSteps) break;
    totalEvents += events;
    await closeSlice();
    await openSegment();
  }
  totalEvents += events;
  await closeSlice();
  manifest.status = 'complete';
  manifest.end = {
    icount: machine.hart.icount,
    reason: end.reason === 'halt' ? end.power.action : end.reason === 'until' ? 'max-steps' : end.reason === 'stopped' ? 'user' : 'hung',
    ...(end.reason === 'halt' && end.power.action === 'fail' ? { exitCode: end.power.code } : {}),
  };
  manifest.stats = {
    wallSeconds: Number(process.hrtime.bigint() - wallStart) / 1e9,
    steps: machine.hart.icount,
    events: totalEvents,
    logBytes,
  };
  writeManifest(o.dir, manifest);
  return { manifest, end };
}

function prepareDir(dir: string): void {
  if (existsSync(dir) && readdirSync(dir).length > 0) throw new RecordingError(`${dir} already exists and is not empty: choose a new directory for the recording`);
  mkdirSync(join(dir, 'log'), { recursive: true });
  mkdirSync(join(dir, 'objects'), { recursive: true });
  syncDir(dir);
}
