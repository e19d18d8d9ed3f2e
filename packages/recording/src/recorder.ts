/**
 * Records a machine run into a recording directory: input ports wrapped by the
 * recorder, events into one log segment per slice, a snapshot at the start of
 * every slice, the manifest rewritten as each slice closes.
 *
 * Snapshots are taken off the machine's thread: the pause copies what changed
 * since the last snapshot (BackgroundWriter), and a worker thread hashes,
 * compresses and appends the objects to the recording's pack while the
 * machine runs on. The slice that a snapshot ends is added to the manifest
 * when its root comes back. Nor does the machine wait for files: a closed
 * segment is fsynced and renamed, the next one created (its first events
 * held until it exists) and recording.json rewritten while it runs; the run
 * loop lets the host in every HOST_YIELD_EVERY_MS so that this work goes on.
 *
 * Crash safety: a slice appears in recording.json only after its segment is
 * closed (renamed from .partial, fsynced) and the snapshot that ends it is in
 * the object store, durably; recording.json says "recording" until the run
 * ends. A pack that a kill cut short is read up to the cut. So a
 * recorder killed at any moment leaves closed slices that verify, and an open
 * slice that readers see as incomplete. While it writes, the recorder holds
 * recording.lock, so gc and merge leave its open slice alone.
 */
import { mkdirSync, readdirSync, existsSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createDeviceRegistry, type ConsoleOutputSink, type LoadedDevicePlugin } from '@prnr/devices';
import { Channel, PortRecorder, SegmentWriter, encodeUvarint, type RecordedInputs } from '@prnr/eventlog';
import { VirtMachine, type BoardConfig, type MachineImages } from '@prnr/machine';
import { BackgroundWriter, dirtyRamBytes, type MachineParts } from '@prnr/snapshot';
import { encodeCheckpoint } from './checkpoint.js';
import { RECORDING_FORMAT_VERSION, RecordingError, manifestWrite, segmentName, type RecordingManifest } from './manifest.js';
import { HOST_YIELD_EVERY_MS, hostYields, runLoop, type LoopEnd } from './run-loop.js';
import { atSliceBoundary } from './slice-boundary.js';
import { CODE_CACHE_FILE, CodeCacheWriter, saveCodeCache } from './code-cache-file.js';
import { acquireRecordingLock } from './recording-lock.js';
import { recordPluginPorts } from './plugin-channels.js';
import { threadCpuNs } from './thread-cpu.js';
import { ManifestPublisher } from './manifest-publisher.js';

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

/**
 * Host seconds of recording after which a slice is cut early. A boot costs
 * the hart many times more per instruction than a warm shell loop (cold code
 * is translated first), so slices cut by steps alone are very uneven in
 * replay cost; cutting by time as well keeps every slice within about this
 * much replay work, which lets the planner balance workers. Where a slice
 * ends is recorded, so replay stays exact whatever the host's speed was.
 * 0.25 s (was 0.5): the demo workload then gives about 10 slices rather
 * than 6, enough for two replay lanes to end within a short slice of each
 * other; recording it cost no measurable extra CPU (issue 14).
 */
export const DEFAULT_SLICE_SECONDS = 0.25;

/**
 * Wall seconds, idle waits included, after which a realtime recording cuts a slice at the guest's
 * next idle. Busy time alone (sliceSeconds) and steps hardly move while a guest waits for its user
 * or its network, so such a session stayed one open slice, and a crash lost all of it.
 */
export const IDLE_SLICE_SECONDS = 5;

export interface RecordOptions {
  /** The recording directory: created; must not exist or be empty. */
  dir: string;
  config: BoardConfig;
  /** Not to be changed while recording (the machine reads its disks' base images from them, and they are stored from them). */
  images: MachineImages;
  /** The real world. */
  inputs: RecordedInputs;
  /** Device modules whose kinds the board config uses (their host ports are recorded too). */
  plugins?: readonly LoadedDevicePlugin[];
  output: ConsoleOutputSink;
  /** Pace idle time to the wall clock (an interactive user); otherwise idle jumps straight to the next timer. */
  realtime: boolean;
  checkpointInterval?: number;
  /** The guest profile (guest/images/profile.json), kept in the recording for diagnosis. */
  profile?: unknown;
  /** Cut a slice (snapshot + new segment) every this many steps. Default DEFAULT_SLICE_STEPS. */
  sliceSteps?: number;
  /**
   * Also cut a slice once the recorder has spent this much host time on it
   * (idle waits left out), at the next chunk of the run loop. Default:
   * DEFAULT_SLICE_SECONDS when sliceSteps is not given either, else 0 (an
   * explicit step count alone decides).
   */
  sliceSeconds?: number;
  /**
   * With `realtime`: also cut a slice once this many wall seconds (idle waits included) have passed
   * in it, at the guest's next idle. Default IDLE_SLICE_SECONDS; 0: never.
   */
  idleSliceSeconds?: number;
  /** How objects are stored: in a pack (the default: a recording is a few files), or one file each, as recordings made before packs (every prnr reads both). */
  objectLayout?: 'packs' | 'loose';
  /** Stop after this many steps. */
  maxSteps?: number;
  /** Polled before every chunk and idle round: true ends the recording there. */
  shouldStop?: () => boolean;
  onProgress?: (p: RecordProgress) => void;
  /** Told, in one line, what went wrong that leaves the recording whole (its code cache not written: replays then translate afresh). */
  onWarning?: (line: string) => void;
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

type LogEvent = Parameters<SegmentWriter['append']>[0];

/** A slice's segment: its file is created while the machine runs, and the events logged before that wait here. */
interface OpenSegment {
  writer: SegmentWriter | undefined;
  waiting: LogEvent[];
  ready: Promise<SegmentWriter>;
}
/**
 * Slices whose manifest writes may wait behind the machine before it waits for them: a bound for a
 * disk slower than the machine. On a local disk the chain trails by ~0.5 s (a slice's entry waits
 * for its segment's close and its root, a write for the pack's fsync and its own two fsyncs, each
 * step a turn of the event loop, which a recorder gives one per 100 ms): 3-5 slices of the smoke
 * workload at the default slicing, up to ~8 at a snapshot every 20M instructions. At 4 the machine
 * waited for the chain every few slices at 20M (~60 ms per recording).
 */
const MAX_PUBLISHING = 16;
/**
 * How long start() waits for the snapshot worker to have touched enough of
 * its ring for the boot's pages (it starts before the machine is built, so
 * usually it has). Copying them into untouched memory instead pays ~1,300
 * page faults in the first pause (35-40 ms measured), so waiting up to about
 * that long costs start() nothing extra. In a process whose machines build
 * fast (the second recording on, ~20-30 ms) the worker's own start can take
 * longer than 40 ms: with that bound the power-on pause was 18-24 ms
 * (BENCHMARKS.md §4b). Nothing runs while start() waits, before the guest's
 * first instruction, so it waits longer rather than copy into faulting memory.
 */
const FIRST_CAPTURE_RING_WAIT_MS = 100;
/**
 * What the puts at start (base disk images, device modules, the guest
 * profile) leave free in the worker's ring for the snapshots taken while
 * they are stored: the boot's second snapshot copies up to ~1,350 pages
 * (5.5 MB measured on the smoke workload). They wait for it (the machine
 * runs meanwhile; the first manifest write waits for them anyway), up to
 * PUT_ROOM_WAIT_MS.
 */
const PUT_LEAVES_ROOM = 8 << 20;
const PUT_ROOM_WAIT_MS = 2_000;
/**
 * A slice cut by time waits, up to this many times sliceSeconds, until the
 * worker's ring has room for the pages its snapshot copies: a copy that
 * does not fit goes to fresh memory and pays its page faults in the pause
 * (measured: ~1,200 boot pages behind two captures and a disk image still
 * being stored, 109 ms). Where the slice ends is recorded, so replay does
 * not depend on it. Cuts by steps are never moved.
 */
const CUT_WAITS_FOR_RING = 4;

/** Records a whole run: start a RecordSession, run it to its end, finish it. */
export async function record(o: RecordOptions): Promise<RecordResult> {
  const session = await RecordSession.start(o);
  let result: RecordResult;
  try {
    result = await session.finish(await session.run());
  } catch (e) {
    // As `prnr record` does: the slices closed before the failure stay in recording.json, and the
    // worker has stopped before the error goes on (a caller may then remove the directory).
    await session.settle();
    await session.release();
    throw e;
  }
  void session.release();
  return result;
}

/**
 * One machine being recorded, in the shape of ReplaySession: start() boots it
 * and takes the first snapshot, run() runs it to its end cutting a slice every
 * `sliceSteps`, finish() closes the last slice and marks the recording
 * complete. The recording directory is locked from start() to release().
 */
export class RecordSession {
  readonly machine: VirtMachine;
  private readonly manifest: RecordingManifest;
  private readonly interval: number;
  private readonly sliceSteps: number;
  private readonly sliceNs: bigint;
  private readonly maxSteps: number;
  private readonly wallStart = process.hrtime.bigint();
  /** The open slice's segment. */
  private segment!: OpenSegment;
  /** Slices closed (their manifest entries may still wait for their roots). */
  private closed = 0;
  /** Events in the open slice, and in the closed ones. */
  private events = 0;
  private totalEvents = 0;
  private logBytes = 0;
  private consoleBytes: number[] = [];
  private sliceStart = 0;
  private sliceStartMtime = 0;
  /** The root of the snapshot the open slice starts from, once the worker has it. */
  private sliceRoot: Promise<string> = Promise.resolve('');
  /** What the open slice has cost the host so far, for the replay planner: wall time less idle waits. */
  private sliceWallStart = process.hrtime.bigint();
  /** The machine thread's CPU time at the slice's start (null: the host does not say; busySeconds is then wall time). */
  private sliceCpuStart = threadCpuNs();
  private idleWait = 0n;
  /** Wall time after which a realtime slice ends at the next idle (0n: never). */
  private readonly idleSliceNs: bigint;
  /** The slice ends before the next chunk (time is up: see run() and idle()). */
  private cutNow = false;
  /** icount of the last idle jump (-1: none yet). */
  private lastIdleAt = -1;
  /** Lets the host in between chunks (HOST_YIELD_EVERY_MS). */
  private readonly yieldToHost: () => Promise<void> | undefined;
  /**
   * publish(update, last) runs `update` (it completes the manifest once the
   * roots it needs are back from the worker), then rewrites recording.json
   * once every object posted so far is on stable storage (segments are
   * fsynced when they close). All of it runs while the machine goes on;
   * manifests are written in order (manifest-publisher.ts says when a write
   * is left to a later one), and a failure surfaces at the next slice's
   * close. `last`: the store is closed instead of synced (the pack gets its
   * index before the manifest that says "complete" is written).
   */
  private readonly publisher = new ManifestPublisher({
    // The snapshot worker writes it, after its own fsyncs: none of the file's system calls, and
    // one reply instead of a turn of the event loop for each fsync, on the machine's thread.
    write: async (last) => {
      const manifest = manifestWrite(this.o.dir, this.manifest);
      await (last ? this.store.close(manifest) : this.store.sync(manifest));
    },
  });
  /** The last snapshot's manifest entry (entries are added in the order the snapshots were taken). */
  private snapshotsDone: Promise<void> = Promise.resolve();
  /** code-cache.bin, written a piece per slice (undefined: written whole at the end, or not at all). */
  private codeCache: CodeCacheWriter | undefined;

  private constructor(
    private readonly o: RecordOptions,
    private readonly store: BackgroundWriter,
    private readonly recorder: PortRecorder,
    machine: VirtMachine,
    manifest: RecordingManifest,
    /** Stops the snapshot worker and the code cache's writes and unlocks; resolves once they have stopped. */
    readonly release: () => Promise<void>,
  ) {
    this.machine = machine;
    this.manifest = manifest;
    this.interval = o.checkpointInterval ?? DEFAULT_CHECKPOINT_INTERVAL;
    this.sliceSteps = o.sliceSteps ?? DEFAULT_SLICE_STEPS;
    this.sliceNs = BigInt(Math.round((o.sliceSeconds ?? (o.sliceSteps === undefined ? DEFAULT_SLICE_SECONDS : 0)) * 1e9));
    this.maxSteps = o.maxSteps ?? Number.MAX_SAFE_INTEGER;
    this.idleSliceNs = o.realtime ? BigInt(Math.round((o.idleSliceSeconds ?? IDLE_SLICE_SECONDS) * 1e9)) : 0n;
    this.yieldToHost = hostYields(o.realtime ? HOST_YIELD_EVERY_MS.realtime : HOST_YIELD_EVERY_MS.scripted);
  }

  /** Creates the recording directory (locked until release()), boots the machine, takes the first snapshot. */
  static async start(o: RecordOptions): Promise<RecordSession> {
    const dirSynced = prepareDir(o.dir);
    const unlock = acquireRecordingLock(o.dir);
    let store: BackgroundWriter | undefined;
    let firstSegment: OpenSegment | undefined;
    let codeCache: CodeCacheWriter | undefined;
    // A session that fails or is dropped stops its worker (objects not yet synced are lost, as in a crash).
    const release = async () => {
      const stopped = Promise.allSettled([store?.abort(), codeCache?.abort()]);
      unlock();
      await stopped;
    };
    try {
      // Started before the machine is built, so that both are ready when it has booted: the worker
      // (its start, its ring touched: the first capture copies into it) and the first segment's file.
      // The first capture gives the worker the machine's shape.
      store = new BackgroundWriter(o.dir, undefined, { packs: o.objectLayout !== 'loose' });
      firstSegment = createSegment(o.dir, 0, 0);
      // Assigned once the machine it wraps is built; the ports' callbacks run only after that.
      // eslint-disable-next-line prefer-const
      let session!: RecordSession;
      const recorder = new PortRecorder({ append: (ev) => session.append(ev) }, () => session.machine.hart.icount);
      const inputs = recorder.wrap(o.inputs);
      const registry = createDeviceRegistry((o.plugins ?? []).map((p) => p.plugin));
      const devicePorts = recordPluginPorts(o.config, registry, recorder);
      const machine = new VirtMachine(o.config, o.images, { ...inputs, devicePorts, consoleOutput: { write: (b) => { session.consoleBytes.push(b); o.output.write(b); } } }, registry);
      machine.boot();
      // The machine was just built: its first snapshot copies only the pages the boot loaded (they carry dirty marks).
      const ringHolds = store.ringHolds(dirtyRamBytes(partsOf(machine, null)), AbortSignal.timeout(FIRST_CAPTURE_RING_WAIT_MS));
      // The base disk images go into the store: a recording replays without the image directory.
      // Not awaited: the worker hashes and stores them while the machine runs; the first manifest
      // write waits for them (publish). They are copied once the worker's shared ring is ready (into
      // memory it touched, instead of ~8 MiB of page faults here), and once they leave room there for
      // the next snapshots (putLeavingRoom): the machine never writes a disk's base image, so it is
      // the same bytes then.
      const ringReady = store.whenReady();
      const putLater = (bytes: Uint8Array) => ringReady.then(() => store!.putLeavingRoom(bytes, PUT_LEAVES_ROOM, AbortSignal.timeout(PUT_ROOM_WAIT_MS)));
      const disks: Record<string, string> = {};
      const puts: Array<Promise<unknown>> = Object.entries(o.images.disks ?? {}).map(([id, bytes]) => putLater(bytes).then((h) => (disks[id] = h)));
      puts.push(dirSynced);
      const manifest: RecordingManifest = {
        format: 'prnr-recording',
        version: o.objectLayout === 'loose' ? 1 : RECORDING_FORMAT_VERSION, // loose objects: the layout an older prnr reads
        status: 'recording',
        createdAt: new Date().toISOString(),
        board: o.config,
        ...(o.plugins?.length ? { devicePlugins: o.plugins.map((p) => p.ref) } : {}),
        deviceVersions: machine.devices.map((d) => ({ kind: d.kind, version: d.version })),
        disks,
        // Filled in before the first manifest write (below).
        ...(o.profile !== undefined ? { guestProfile: '' } : {}),
        checkpointInterval: o.checkpointInterval ?? DEFAULT_CHECKPOINT_INTERVAL,
        slices: [],
        snapshots: [],
      };
      // A copy of each device module's file, for workers on other hosts (the hash is in before the first manifest write).
      o.plugins?.forEach((p, i) => puts.push(putLater(p.bytes).then((h) => (manifest.devicePlugins![i] = { ...p.ref, object: h }))));
      if (o.profile !== undefined) {
        const profile = new TextEncoder().encode(JSON.stringify(o.profile));
        puts.push(putLater(profile).then((h) => (manifest.guestProfile = h)));
      }
      session = new RecordSession(o, store, recorder, machine, manifest, release);
      // Pieces as the recording goes; recordings for older readers ('loose') get the file they read, at the end.
      if (machine.hart.engine === 'wasm' && o.objectLayout !== 'loose') session.codeCache = codeCache = new CodeCacheWriter(o.dir);
      await ringHolds; // false (not touched in time): the capture pays the rest of the page faults itself
      session.sliceRoot = session.snapshot();
      atSliceBoundary(machine);
      for (const p of puts) p.catch(() => {}); // a failure surfaces through the first manifest write
      session.publisher.publish(async () => {
        await Promise.all(puts);
      });
      session.segment = firstSegment;
      session.sliceWallStart = process.hrtime.bigint();
      session.sliceCpuStart = threadCpuNs();
      await session.segment.ready; // the first segment's file exists before start() returns
      return session;
    } catch (e) {
      // Stopped, not only told to stop, before the error goes on: a caller may remove the directory then
      // (a worker still closing would write into it again).
      const stopped = [store?.abort(), codeCache?.abort(), firstSegment?.ready.then((w) => w.abort())]; // the segment left as a crash leaves it: .partial
      await Promise.all(stopped.map((p) => Promise.resolve(p).catch(() => {})));
      unlock();
      throw e;
    }
  }

  /** Runs the machine until it halts, hangs, is stopped or reaches maxSteps, closing a slice every sliceSteps (or sliceSeconds). */
  async run(): Promise<LoopEnd> {
    const { machine, o } = this;
    for (;;) {
      const until = Math.min(this.maxSteps, this.sliceStart + this.sliceSteps);
      this.cutNow = false;
      let userStop = false; // the user's answer when the loop stopped: a stop, not a slice cut by time
      const end = await runLoop(machine, until, this.interval, {
        idle: (wakeAt) => this.idle(wakeAt),
        checkpoint: () => this.recorder.log(Channel.checkpoint, encodeCheckpoint(machine.hart.state())),
        // A slice ends by time only after a chunk that ran to its limit, or right after the first idle
        // jump at an icount (idle()): where a replay running to its end stops in the same state.
        shouldStop: () => (userStop = !!o.shouldStop?.()) || this.cutNow,
        between: () => {
          const busy = this.sliceNs > 0n ? process.hrtime.bigint() - this.sliceWallStart - this.idleWait : 0n;
          this.cutNow = this.sliceNs > 0n && busy >= this.sliceNs && (busy >= this.sliceNs * BigInt(CUT_WAITS_FOR_RING) || this.store.holdsNow(dirtyRamBytes(partsOf(machine, null))));
          o.onProgress?.({ icount: machine.hart.icount, slices: this.closed, events: this.totalEvents + this.events });
          // Let host input in, and the background work on (file writes, fsyncs and the snapshot
          // worker's replies complete as host events): the machine never waits for it.
          return this.yieldToHost();
        },
      });
      // A stop the user asked for wins over a slice's time running out in the same chunk.
      const cut = end.reason === 'until' || (end.reason === 'stopped' && !userStop);
      if (!cut) return end;
      if (machine.hart.icount >= this.maxSteps) return { reason: 'until' };
      await this.closeSlice();
      this.openSegment();
      this.codeCache?.append(); // the code this slice translated: off the pause, compressed and written off this thread
    }
  }

  /**
   * After run() or finish() failed (a device module that threw, say), before release(): waits for
   * what was under way, never throwing. The slices closed by then get their manifest entries once
   * their snapshots and segments are on disk, and the open slice's start snapshot is settled. The
   * recording stays marked "recording"; release() stops the snapshot worker at once, as a crash
   * would, so without this wait closed slices not yet in recording.json were lost.
   */
  async settle(): Promise<void> {
    await Promise.allSettled([this.publisher.done(), this.sliceRoot]);
    // The open slice's segment is closed as a crash would leave it (its .partial), not left open.
    await this.segment?.ready.then((w) => w.abort(), () => {}).catch(() => {});
  }

  /** Closes the last slice and marks the recording complete, with how and where it ended. */
  async finish(end: LoopEnd): Promise<RecordResult> {
    const { machine, manifest } = this;
    // A stop that came while a slice was being cut leaves an open slice in which nothing happened
    // (no step, no event): it is dropped, not recorded as a slice of zero steps.
    if (this.closed > 0 && machine.hart.icount === this.sliceStart && this.events === 0 && this.consoleBytes.length === 0) await this.dropOpenSlice();
    else await this.closeSlice();
    const ended: RecordingManifest['end'] = {
      icount: machine.hart.icount,
      reason: end.reason === 'halt' ? end.power.action : end.reason === 'until' ? 'max-steps' : end.reason === 'stopped' ? 'user' : 'hung',
      ...(end.reason === 'halt' && end.power.action === 'fail' ? { exitCode: end.power.code } : {}),
    };
    const wallSeconds = Number(process.hrtime.bigint() - this.wallStart) / 1e9;
    const steps = machine.hart.icount;
    const events = this.totalEvents;
    // The code translated while recording goes with the recording: its replays start hot. Its last
    // piece is compressed off this thread while the worker stores the last snapshot.
    // Only a hint (readers check it, and ignore a damaged one): a failure to write it leaves the recording complete.
    const codeCache = (this.codeCache ? this.codeCache.close() : machine.hart.engine === 'wasm' ? saveCodeCache(this.o.dir) : Promise.resolve())
      .catch((e: Error) => this.o.onWarning?.(`${join(this.o.dir, CODE_CACHE_FILE)} was not written (${e.message}): replays translate code afresh`));
    // Complete once the last slice is in (its update is queued before this one, and adds its log bytes).
    this.publisher.publish(async () => {
      manifest.status = 'complete';
      manifest.end = ended;
      manifest.stats = { wallSeconds, steps, events, logBytes: this.logBytes };
    }, true);
    await Promise.all([this.publisher.done(), codeCache]);
    return { manifest, end };
  }

  private append(ev: LogEvent): void {
    const s = this.segment;
    if (s.writer) s.writer.append(ev);
    else s.waiting.push({ ...ev, payload: ev.payload.slice() }); // its file is still being created
    this.events++;
  }

  /** The idle hook: how far virtual time jumps is an input, so it is logged. */
  private async idle(wakeAt: bigint | null): Promise<bigint | null> {
    const machine = this.machine;
    const now = machine.clock.mtime();
    let target: bigint;
    if (!this.o.realtime) {
      if (wakeAt === null) return null;
      target = wakeAt;
    } else {
      // Interactive: idle time follows the wall clock. Sleep up to 20 ms (less when the guest's
      // next timer is due sooner), then let virtual time catch up, never past that timer.
      const wallTicks = () => (process.hrtime.bigint() - this.wallStart) / TICK_NS;
      const dueMs = wakeAt === null ? 20 : Number((wakeAt - wallTicks()) / 10_000n);
      const slept = process.hrtime.bigint();
      await sleep(Math.max(0, Math.min(20, dueMs)));
      this.idleWait += process.hrtime.bigint() - slept;
      const wall = wallTicks();
      target = wakeAt !== null && wakeAt < wall ? wakeAt : wall;
    }
    const ticks = target > now ? target - now : 0n;
    this.recorder.idle(ticks, encodeUvarint);
    // A long slice of a waiting guest ends right after this jump (runLoop stops before its next
    // chunk), but only at the first jump at this icount: a replay running to this icount stops
    // after the first (its WFI brings it there; then the limit is met), and it checks a checkpoint
    // at a multiple of the interval, which this stop would not have logged.
    const at = machine.hart.icount;
    if (this.idleSliceNs > 0n && at !== this.lastIdleAt && at % this.interval !== 0 && process.hrtime.bigint() - this.sliceWallStart >= this.idleSliceNs) this.cutNow = true;
    this.lastIdleAt = at;
    return ticks;
  }

  /**
   * The pause: copies what changed since the last snapshot and hands it to
   * the worker. Resolves to the root once the worker has stored it; its
   * manifest entry is added then, in order.
   */
  private snapshot(): Promise<string> {
    const { machine } = this;
    const t = process.hrtime.bigint();
    const c = this.store.capture(partsOf(machine, machine.saveMeta()));
    const pauseMs = Number(process.hrtime.bigint() - t) / 1e6;
    const icount = machine.hart.icount;
    const logicalBytes = stateBytes(machine);
    const entry = this.snapshotsDone.then(() => c.done).then(({ root, stats: st }) => {
      this.manifest.snapshots.push({ root, icount, objectsAdded: st.objectsAdded, storedBytes: st.bytesAdded, uniqueBytes: st.logicalBytes, logicalBytes, pauseMs });
      return root;
    });
    this.snapshotsDone = entry.then(() => {}, () => {});
    return entry;
  }

  /** Starts the open slice's segment; the machine runs on while its file is created (its events wait until then). */
  private openSegment(): void {
    this.segment = createSegment(this.o.dir, this.closed, this.sliceStart);
  }

  /** Removes the open slice's segment file, never named by the manifest (a file that could not be made is not needed either). */
  private async dropOpenSlice(): Promise<void> {
    await this.segment.ready.then((w) => w.abort({ remove: true }), () => {});
  }

  /** Closes the open slice: its segment, the snapshot that ends it, its console; then recording.json names it. */
  private async closeSlice(): Promise<void> {
    const { machine, manifest } = this;
    // The machine does not wait for the manifest writes queued before (a failure of one is thrown
    // here), unless they fall behind by more than MAX_PUBLISHING slices.
    if (this.publisher.backlog > MAX_PUBLISHING) await this.publisher.done().catch(() => {});
    this.publisher.check();
    const busyUntil = process.hrtime.bigint();
    const cpuUntil = threadCpuNs();
    // The end block is written once the segment's file exists (now, usually); its fsync and rename go
    // on while the machine runs, and the slice enters the manifest only once they are done.
    const endIcount = BigInt(machine.hart.icount);
    const closing = this.segment.ready.then(async (w) => {
      await w.close(endIcount);
      return w.bytesWritten;
    });
    closing.catch(() => {}); // thrown through the manifest update below
    const endRoot = this.snapshot();
    const consoleHash = this.store.put(Uint8Array.from(this.consoleBytes));
    this.consoleBytes = [];
    const startRoot = this.sliceRoot;
    const slice = {
      index: this.closed,
      startIcount: this.sliceStart,
      endIcount: machine.hart.icount,
      log: segmentName(this.closed),
      events: this.events,
      startMtime: this.sliceStartMtime,
      endMtime: Number(machine.clock.mtime()),
      busySeconds: Number(cpuUntil !== null && this.sliceCpuStart !== null ? cpuUntil - this.sliceCpuStart : busyUntil - this.sliceWallStart - this.idleWait) / 1e9,
    };
    this.closed++;
    this.publisher.publish(async () => {
      const logBytes = await closing;
      const [snapshot, endState, console] = await Promise.all([startRoot, endRoot, consoleHash]);
      manifest.slices.push({ ...slice, logBytes, snapshot, endState, console });
      this.logBytes += logBytes;
    });
    this.totalEvents += this.events;
    this.events = 0;
    this.sliceStart = machine.hart.icount;
    this.sliceStartMtime = Number(machine.clock.mtime());
    this.sliceRoot = endRoot;
    atSliceBoundary(machine);
    this.sliceWallStart = process.hrtime.bigint();
    this.sliceCpuStart = threadCpuNs();
    this.idleWait = 0n;
  }
}

/** The machine as the snapshot package sees it; `meta` null where it is not read. */
function partsOf(machine: VirtMachine, meta: unknown): MachineParts {
  return { meta, ram: machine.ram, disks: machine.disks };
}

/** Bytes of state a snapshot describes: RAM, disk overlay blocks. */
function stateBytes(machine: VirtMachine): number {
  let n = machine.ram.size;
  for (const d of machine.disks) n += d.overlayBlockCount * d.blockSize;
  return n;
}

/** Starts segment `index`'s file; events logged before it exists wait in the returned segment. */
function createSegment(dir: string, index: number, startIcount: number): OpenSegment {
  const s: OpenSegment = { writer: undefined, waiting: [], ready: undefined as unknown as Promise<SegmentWriter> };
  s.ready = SegmentWriter.create(join(dir, segmentName(index)), { segmentIndex: index, startIcount: BigInt(startIcount) }).then((w) => {
    for (const ev of s.waiting) w.append(ev);
    s.waiting = [];
    s.writer = w;
    return w;
  });
  s.ready.catch(() => {}); // thrown through the slice's manifest update
  return s;
}

/**
 * `mkdir -p`, a level at a time down from the nearest directory that exists. Node 20's
 * `mkdirSync(path, { recursive: true })` spins for ever where a level can be neither made nor found
 * (any path under /proc): each level answers ENOENT, which it takes for a missing parent.
 */
function makeDirs(path: string): void {
  const missing: string[] = [];
  for (let p = resolve(path); !existsSync(p); p = dirname(p)) missing.unshift(p);
  for (const p of missing) mkdirSync(p);
}

/** Creates the directory and its log/ and objects/; resolves once their names are durable (on the thread pool: the first manifest write waits for it). */
function prepareDir(dir: string): Promise<void> {
  if (existsSync(dir) && readdirSync(dir).length > 0) throw new RecordingError(`${dir} already exists and is not empty: choose a new directory for the recording`);
  for (const sub of ['log', 'objects']) {
    try {
      makeDirs(join(dir, sub));
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      throw new RecordingError(`cannot create the recording directory ${dir}: ${err.code ?? err.message} at ${err.path ?? join(dir, sub)}`);
    }
  }
  const synced = (async () => {
    const d = await open(dir, 'r');
    try {
      await d.sync();
    } catch {
      // Some platforms and filesystems refuse fsync on a directory (as eventlog's syncDirectory allows).
    } finally {
      await d.close();
    }
  })();
  synced.catch(() => {}); // thrown through the first manifest write
  return synced;
}
