/**
 * A replay session: one machine replaying one recording. It restores once,
 * runs forward to any icount, checks every slice end it crosses against the
 * recorded state root, and jumps to another slice's snapshot only when asked
 * to go somewhere it cannot run forward to. Sequential replay, worker tasks
 * (a chunk of consecutive slices each), seek and the server all drive this
 * one class; what differs is only where they start and how far they run.
 */
import { createDeviceRegistry, DevicePluginError, type ConsoleOutputSink } from '@prnr/devices';
import { loadRecordedModules } from './device-modules.js';
import { Channel, DivergenceError, PortReplayer, decodeUvarint, readSegmentBytes, type LogEvent } from '@prnr/eventlog';
import { primeHartFeedback } from '@prnr/cpu';
import { VirtMachine } from '@prnr/machine';
import { ObjectCorruptError, ObjectMissingError, type ObjectReader } from '@prnr/snapshot';
import { compareCheckpoint } from './checkpoint.js';
import { MANIFEST_FILE, RecordingError, type RecordingManifest, type SliceEntry } from './manifest.js';
import { MachineSnapshots } from './machine-snapshots.js';
import { UNRESTORABLE } from './check-snapshots.js';
import { runLoop, type LoopHooks } from './run-loop.js';
import { atSliceBoundary } from './slice-boundary.js';
import { loadCodeCache } from './code-cache-file.js';
import { replayPluginPorts } from './plugin-channels.js';

/** A recording as replay needs it: its manifest, its objects, its log segments; local or remote. */
export interface RecordingSource {
  /** Where it is (a directory or a URL), for messages. */
  location: string;
  manifest: RecordingManifest;
  store: ObjectReader;
  /** A file of the recording by its path inside it (e.g. "log/000003.seg"). */
  readFile(path: string): Promise<Uint8Array>;
  /** Its device modules may come from its own copies where their recorded paths do not hold them (openRecording's `recordedModules`): code from the recording, so never by default. */
  recordedModules?: boolean;
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
  /** Wall time of this slice's replay, its restore (if it needed one) included. */
  wallSeconds: number;
  /** Wall time spent restoring a snapshot for it (0 when the session ran into it from the slice before). */
  restoreSeconds: number;
}

export interface RunOptions {
  /** Between chunks of the replay; a returned promise is awaited (a queue worker yields to its event loop there). */
  onProgress?: (icount: number) => void | Promise<void>;
  /**
   * seek only, within the target's slice: asked whenever the machine stops early (a debugger's
   * breakpoint, see Hart.watchFetches) and between chunks; true ends the seek where it stands.
   */
  shouldStop?: () => boolean;
}

/** What a session has spent, for benchmarks and the fixed-cost report. */
export interface SessionStats {
  restores: number;
  restoreSeconds: number;
  /** Restores that built a new machine (the rest moved the machine it had). */
  coldRestores: number;
}

/** What a restore costs, counted in steps replayed: about the time the hart replays this many. */
const RESTORE_STEPS = 2_000_000;

export class ReplaySession {
  readonly stats: SessionStats = { restores: 0, restoreSeconds: 0, coldRestores: 0 };
  /** Where the console goes; may be changed between runs. */
  output: ConsoleOutputSink | undefined;
  private m: VirtMachine | null = null;
  private snapshots: MachineSnapshots | null = null;
  private replayer: PortReplayer | null = null;
  /** The slice the machine is in; -1: no machine state to run from. */
  private current = -1;
  /** The current slice's events are in the replayer (they are loaded when it starts to run). */
  private loaded = false;
  private readonly segments = new Map<number, Promise<LogEvent[]>>();
  /** The recording's code cache being loaded: needed before the machine runs, not to build or restore it. */
  private code: Promise<void> = Promise.resolve();

  /** Told each time the session stands at a slice's start: after a restore, and on running into the next slice. */
  onSliceStart: ((slice: SliceEntry) => void) | undefined;

  /** Told, in one line, of anything wrong that replay can do without (a damaged code cache file). */
  private readonly onWarning: (message: string) => void;

  constructor(readonly source: RecordingSource, o: { output?: ConsoleOutputSink; onSliceStart?: (slice: SliceEntry) => void; onWarning?: (message: string) => void } = {}) {
    this.output = o.output;
    this.onSliceStart = o.onSliceStart;
    this.onWarning = o.onWarning ?? ((m) => process.stderr.write(`prnr: warning: ${m}\n`));
  }

  get manifest(): RecordingManifest {
    return this.source.manifest;
  }

  /** The machine, for read-only views (analyses, seek); null before the first restore. */
  get machine(): VirtMachine | null {
    return this.current < 0 ? null : this.m;
  }

  /** The position (icount), or null when there is nothing to run from. */
  get icount(): number | null {
    return this.current < 0 || !this.m ? null : this.m.hart.icount;
  }

  /** The slice the session is in: its start <= icount < its end (the last slice also holds its end). */
  get slice(): SliceEntry | null {
    return this.current < 0 ? null : this.manifest.slices[this.current];
  }

  /** The slice that holds `icount` (a slice end belongs to the next slice; the recording's end to the last). */
  sliceAt(icount: number): SliceEntry {
    const slices = this.manifest.slices;
    const s = slices.find((x) => x.startIcount <= icount && icount < x.endIcount) ?? (slices.at(-1)?.endIcount === icount ? slices.at(-1) : undefined);
    if (!s) throw new RecordingError(`icount ${icount} is outside the recording (0..${slices.at(-1)?.endIcount ?? 0})`);
    return s;
  }

  /**
   * Builds the machine without restoring anything: what a worker does while
   * it waits for its first task, so the task's restore is all that is left.
   */
  async prepare(): Promise<void> {
    if (!this.m) await this.build();
  }

  /** Moves the machine to the start of slice `index` from its snapshot; returns the seconds it took. */
  async restore(index: number): Promise<number> {
    const slice = this.manifest.slices[index];
    if (!slice) throw new RecordingError(`${this.source.location}: there is no slice ${index} (the recording has ${this.manifest.slices.length})`);
    const started = process.hrtime.bigint();
    const events = this.events(slice);
    this.current = -1;
    this.loaded = false;
    if (!this.m) await this.build();
    if (!this.snapshots) {
      // The machine was just built: its RAM is all zero, so only non-zero pages are read and written.
      try {
        this.snapshots = await MachineSnapshots.restore(this.m!, this.source.store, slice.snapshot, { fresh: true });
      } catch (e) {
        this.m = null; // partly written: no longer a fresh machine
        throw unrestorable(e);
      }
      this.stats.coldRestores++;
    } else {
      // The machine moves: only what differs from where it stands is read and written.
      try {
        await this.snapshots.jumpTo(slice.snapshot);
      } catch (e) {
        this.current = -1;
        throw unrestorable(e);
      }
    }
    this.replayer!.load(await events);
    this.loaded = true;
    this.current = index;
    this.prefetch(index + 1);
    this.onSliceStart?.(slice);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    this.stats.restores++;
    this.stats.restoreSeconds += seconds;
    return seconds;
  }

  /**
   * Replays the rest of the current slice and checks its end state against the
   * recording. On success the session stands at the start of the next slice,
   * exactly as a restore of that slice's snapshot would leave it; on a
   * divergence it has no state to run from until restored.
   */
  async runSlice(o: RunOptions = {}): Promise<SliceReplayResult> {
    const slice = this.slice;
    if (!slice) throw new Error('the replay session has no state: restore a slice first');
    const m = this.m!;
    const replayer = this.replayer!;
    const started = process.hrtime.bigint();
    await this.code;
    await this.loadEvents();
    let lastGood = m.hart.icount;
    let checkpoints = 0;
    const result = (divergence: Divergence | null, endState: string | null): SliceReplayResult => ({
      slice: slice.index,
      startIcount: slice.startIcount,
      endIcount: slice.endIcount,
      endState,
      verified: divergence === null && endState === slice.endState,
      divergence,
      checkpoints,
      wallSeconds: Number(process.hrtime.bigint() - started) / 1e9,
      restoreSeconds: 0,
    });
    try {
      const end = await runLoop(m, slice.endIcount, this.manifest.checkpointInterval, this.hooks(() => { lastGood = m.hart.icount; checkpoints++; }, o.onProgress));
      if (end.reason === 'halt' && m.hart.icount !== slice.endIcount) {
        throw replayer.diverged(`the guest powered off (${end.power.action}) before the slice's end at icount ${slice.endIcount}`);
      }
      if (end.reason === 'hung' && !this.endsHung(m.hart.icount)) throw replayer.diverged('the guest idles with no timer');
      if (end.reason === 'until') this.idleRoundsAtEnd(slice.endIcount);
      if (replayer.remaining > 0) throw replayer.diverged(`the slice ended with ${replayer.remaining} recorded events never consumed`);
    } catch (e) {
      if (!(e instanceof DivergenceError)) {
        this.current = -1;
        throw e;
      }
      this.current = -1;
      const mismatch = (e as DivergenceError & { mismatch?: { differs: string[] } }).mismatch;
      return result({ slice: slice.index, from: lastGood, to: Number(e.icount), message: e.message, pc: m.hart.pc, differs: mismatch?.differs }, null);
    }
    const root = this.snapshots!.root();
    const divergence = root === slice.endState ? null : {
      slice: slice.index,
      from: lastGood,
      to: slice.endIcount,
      message: `the state at icount ${slice.endIcount} hashes to ${root}, the recording says ${slice.endState}`,
    };
    const r = result(divergence, root);
    if (!r.verified) {
      this.current = -1;
      return r;
    }
    const next = this.manifest.slices[slice.index + 1];
    if (next) {
      // Its events are loaded when it runs: a damaged segment is that slice's failure, not this one's.
      atSliceBoundary(m);
      this.current = next.index;
      this.loaded = false;
      this.prefetch(next.index + 1);
      this.onSliceStart?.(next);
    }
    return r;
  }

  /**
   * Runs forward to exactly `icount`, checking each slice end on the way;
   * restores the nearest snapshot first when `icount` lies behind the session
   * or more than a slice ahead of it. Returns the slice results it crossed
   * (empty for a run inside one slice); throws on a divergence.
   */
  async seek(icount: number, o: RunOptions = {}): Promise<SliceReplayResult[]> {
    const target = this.sliceAt(icount);
    const here = this.icount;
    // Run on from here when that replays less than a restore of the target's snapshot would.
    if (here === null || here > icount || icount - here > icount - target.startIcount + RESTORE_STEPS) await this.restore(target.index);
    const crossed: SliceReplayResult[] = [];
    while (this.current < target.index || (this.current === target.index && icount === target.endIcount && this.icount! < icount)) {
      const r = await this.runSlice(o);
      crossed.push(r);
      if (!r.verified) throw new RecordingError(`slice ${r.slice} did not replay to its recorded state: ${r.divergence?.message ?? 'different end state'}`);
      if (r.slice === this.manifest.slices.length - 1) break;
    }
    const m = this.m!;
    if (m.hart.icount < icount) {
      const slice = this.slice!;
      await this.code;
      await this.loadEvents();
      try {
        const end = await runLoop(m, icount, this.manifest.checkpointInterval, { ...this.hooks(() => {}, o.onProgress), shouldStop: o.shouldStop });
        if (end.reason === 'stopped') return crossed;
        if (m.hart.icount !== icount) throw this.replayer!.diverged(`the replay stopped (${end.reason}) at icount ${m.hart.icount} before reaching ${icount}`);
      } catch (e) {
        this.current = -1;
        if (e instanceof DivergenceError) throw new RecordingError(`slice ${slice.index}: ${e.message}`);
        throw e;
      }
    }
    return crossed;
  }

  /** The machine-state hash now (the recorded slice ends are such hashes). */
  root(): string {
    if (!this.snapshots || this.current < 0) throw new Error('the replay session has no state: restore a slice first');
    return this.snapshots.root();
  }

  /** Puts the current slice's events in the replayer if they are not there yet; a bad segment leaves no state to run from. */
  private async loadEvents(): Promise<void> {
    if (this.loaded) return;
    try {
      this.replayer!.load(await this.events(this.slice!));
      this.loaded = true;
    } catch (e) {
      this.current = -1;
      throw e;
    }
  }

  /**
   * A slice can end while the guest waits at its end icount after several idle rounds there: a
   * realtime recording stopped by its user during a wait (each round polled the devices, then
   * logged a jump). runLoop stops at the end icount after the first round; the others, whose
   * idle events come next in this slice's log, run here as the recorder ran them: the hart still
   * waits, so a run one step further only polls the devices and finds it idle again.
   */
  private idleRoundsAtEnd(end: number): void {
    const m = this.m!;
    const replayer = this.replayer!;
    for (let next = replayer.peek(); next?.channel === Channel.idle && next.icount === BigInt(end); next = replayer.peek()) {
      const r = m.run(end + 1);
      if (r.reason !== 'idle' || m.hart.icount !== end) throw replayer.diverged("the guest did not idle again at the slice's end");
      const ev = replayer.takeIf(Channel.idle)!;
      m.advanceIdle(m.clock.mtime() + decodeUvarint(ev.payload, `idle event at icount ${ev.icount}`));
    }
  }

  /** The recording ended here because the guest idled with nothing to wake it. */
  private endsHung(icount: number): boolean {
    const end = this.manifest.end;
    return end?.reason === 'hung' && end.icount === icount;
  }

  /** The run loop's replay side: idle jumps come from the log, checkpoints are compared with it. */
  private hooks(onCheckpoint: () => void, onProgress: RunOptions['onProgress']): LoopHooks {
    const m = this.m!;
    const replayer = this.replayer!;
    return {
      idle: (wakeAt) => {
        const ev = replayer.takeIf(Channel.idle);
        // Where the recording ended because the guest idled with no timer, the replay ends the same way.
        if (!ev && wakeAt === null && this.endsHung(m.hart.icount)) return null;
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
        onCheckpoint();
      },
      between: onProgress ? () => onProgress(m.hart.icount) : undefined,
    };
  }

  /** A machine built from the recording's board config, its input ports serving the log; the code it was recorded with at hand. */
  private async build(): Promise<void> {
    const manifest = this.manifest;
    // Not awaited here: a restore can go on meanwhile.
    this.code = loadCodeCache(this.source, this.onWarning).catch((e: Error) => this.onWarning(`the code cache is not used: ${e.message}`));
    const disks: Record<string, Uint8Array> = {};
    const reading = Promise.all(Object.entries(manifest.disks).map(async ([id, h]) => { disks[id] = await baseImage(this.source.store, h); }));
    // The hart's feedback primer (the first hart of a thread runs it, ~60-90 ms) runs while the
    // base images are decoded on the thread pool.
    primeHartFeedback();
    await reading;
    let machine!: VirtMachine;
    const replayer = new PortReplayer([], () => machine.hart.icount);
    const where = `${this.source.location}/${MANIFEST_FILE}`;
    let plugins;
    try {
      // The device modules the recording names, each only with the recorded hash (device-modules.ts).
      plugins = await loadRecordedModules(this.source);
    } catch (e) {
      if (e instanceof DevicePluginError) throw new RecordingError(`${where}: ${e.message}`);
      throw e;
    }
    try {
      const registry = createDeviceRegistry(plugins.map((p) => p.plugin));
      machine = new VirtMachine(
        manifest.board,
        { firmware: new Uint8Array(0), kernel: new Uint8Array(0), disks },
        { ...replayer.ports(), devicePorts: replayPluginPorts(manifest.board, registry, replayer), consoleOutput: { write: (b) => this.output?.write(b) } },
        registry,
      );
    } catch (e) {
      throw new RecordingError(`${where}: its board config builds no machine here: ${(e as Error).message}`);
    }
    const versions = machine.devices.map((d) => `${d.kind}@${d.version}`).join(' ');
    const recorded = manifest.deviceVersions.map((d) => `${d.kind}@${d.version}`).join(' ');
    if (versions !== recorded) throw new RecordingError(`${where}: recorded with devices [${recorded}], this prnr builds [${versions}]`);
    this.m = machine;
    this.replayer = replayer;
  }

  private events(slice: SliceEntry): Promise<LogEvent[]> {
    let p = this.segments.get(slice.index);
    if (!p) {
      p = loadEvents(this.source, slice);
      this.segments.set(slice.index, p);
      p.catch(() => this.segments.delete(slice.index));
    }
    return p;
  }

  /** Start reading the next segment while this slice replays. */
  private prefetch(index: number): void {
    const s = this.manifest.slices[index];
    if (s && !this.segments.has(index)) this.events(s).catch(() => {}); // its error surfaces when it is needed
    // Keep only the segments around the position: a long recording would otherwise stay in memory.
    for (const k of this.segments.keys()) if (k < index - 1 || k > index + 1) this.segments.delete(k);
  }
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

/**
 * Base disk images by hash, shared by every session of the process: a worker
 * restores many slices of the same recording, and the copy-on-write disk never
 * writes its base. A few images at most are kept.
 */
const baseImages = new Map<string, Promise<Uint8Array>>();
const BASE_IMAGES_KEPT = 4;

function baseImage(store: ObjectReader, hash: string): Promise<Uint8Array> {
  let p = baseImages.get(hash);
  if (!p) {
    p = store.get(hash);
    baseImages.set(hash, p);
    p.catch(() => baseImages.delete(hash));
    while (baseImages.size > BASE_IMAGES_KEPT) baseImages.delete(baseImages.keys().next().value!);
  }
  return p;
}

/**
 * A snapshot object that cannot be read, said as verify's read-back says it, so that a slice's
 * answer does not depend on whether its lane restored it or ran into it from the slice before.
 */
function unrestorable(e: unknown): unknown {
  return e instanceof ObjectMissingError || e instanceof ObjectCorruptError ? e.withContext(UNRESTORABLE) : e;
}
