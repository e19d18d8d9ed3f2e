/**
 * A replay task: a chunk of consecutive slices of one recording, replayed
 * straight through by one ReplaySession (restored once, at the chunk's first
 * slice, unless the worker's session already stands there), with a set of
 * analyses attached afresh for every slice. Tasks and results are plain
 * versioned data: they travel to worker threads and, through the queue, to
 * other hosts. A worker reports the state root it reached at each slice end;
 * whether that matches the recording is decided by the coordinator.
 */
import { loadCodeCache, loadGuestProfile, openRecording, ReplaySession, type RecordingSource } from '@prnr/recording';
import type { AnalysisContext } from './analysis.js';
import { AnalysisRegistry } from './analysis-registry.js';
import { openHttpRecording } from './http-recording.js';
import { MachineReplayView, consoleFanout } from './replay-view.js';
import type { SliceClaims } from './slice-claims.js';
import { traceReplay } from './trace.js';

export const TASK_VERSION = 2;

/**
 * Where a recording is: a local directory, or a URL (`prnr serve`). `recordedModules`: its device
 * modules may come from the recording's own copies where the recorded path does not hold them
 * (@prnr/recording's openRecording option): code from the recording, so only when whoever hands out
 * the task allows it (`--use-recorded-modules`), and on a queue worker only where its own policy does
 * too (worker-policy.ts).
 */
export type RecordingLocation = { dir: string; recordedModules?: boolean } | { url: string; recordedModules?: boolean };

export interface AnalysisRequest {
  kind: string;
  options?: unknown;
}

export interface ReplayTask {
  version: typeof TASK_VERSION;
  recording: RecordingLocation;
  /** The chunk: slices first..last, replayed straight through. */
  first: number;
  last: number;
  /** Which pass of the plan this task belongs to (see planner.ts). */
  pass: number;
  analyses: AnalysisRequest[];
  /** URLs of modules exporting more `analysisKinds` (e.g. @prnr/diagnosis). */
  modules: string[];
  /** The guest profile, for analyses that attribute to processes (default: the one the recording carries). */
  profile?: unknown;
}

/** What a worker reports for one slice. It claims nothing: the coordinator compares `endState` with the recording. */
export interface SliceReport {
  slice: number;
  /** Root of the state the replay reached at the slice's end; null when it did not get there. */
  endState: string | null;
  /** Where the replay stopped following the log (a checkpoint or an event that did not match); null if it did not. */
  divergence: { from: number; to: number; message: string; differs?: string[] } | null;
  /** The slice could not run (a missing object, a damaged segment): what went wrong. */
  error?: string;
  steps: number;
  /** Hart checkpoints compared on the way. */
  checkpoints: number;
  /** Wall time of the slice, its restore included. */
  wallSeconds: number;
  /** Of which restoring a snapshot (0 when the worker ran into the slice from the one before). */
  restoreSeconds: number;
  /** Per analysis kind, its result for this slice. */
  analyses: Record<string, unknown>;
}

export interface TaskResult {
  version: typeof TASK_VERSION;
  first: number;
  last: number;
  pass: number;
  /** One per slice of the chunk, in order. */
  slices: SliceReport[];
  /** Setting up before the first slice could start (opening the recording, loading analyses and the code cache), seconds. */
  setupSeconds: number;
  wallSeconds: number;
}

export interface TaskProgress {
  slice: number;
  pass: number;
  /** Steps replayed so far in this slice, and the slice's length. */
  done: number;
  total: number;
}

const sources = new Map<string, Promise<RecordingSource>>();

function locationKey(loc: RecordingLocation): string {
  return `${loc.recordedModules ? '+recorded-modules:' : ''}${'dir' in loc ? `dir:${loc.dir}` : `url:${loc.url}`}`;
}

/** Recordings opened once per process (a worker runs many tasks of the same recording). */
export function openSource(loc: RecordingLocation): Promise<RecordingSource> {
  const key = locationKey(loc);
  let s = sources.get(key);
  if (!s) {
    s = 'dir' in loc ? Promise.resolve().then(() => openRecording(loc.dir, { recordedModules: loc.recordedModules })) : openHttpRecording(loc.url).then((r) => (loc.recordedModules ? { ...r, recordedModules: true } : r));
    sources.set(key, s);
    s.catch(() => sources.delete(key));
  }
  return s;
}

const profiles = new Map<RecordingSource, Promise<unknown>>();

/** The recording's guest profile, loaded once per process. */
export function profileOf(source: RecordingSource): Promise<unknown> {
  let p = profiles.get(source);
  if (!p) profiles.set(source, (p = loadGuestProfile(source)));
  return p;
}

const registries = new Map<string, Promise<AnalysisRegistry>>();

function registryFor(modules: string[]): Promise<AnalysisRegistry> {
  const key = modules.join('\n');
  let r = registries.get(key);
  if (!r) {
    r = (async () => {
      const reg = new AnalysisRegistry();
      for (const m of modules) await reg.load(m);
      return reg;
    })();
    registries.set(key, r);
  }
  return r;
}

/**
 * One session per recording per thread: a worker keeps its machine between
 * tasks, so a task that starts where the last one ended needs no restore.
 */
const sessions = new Map<string, ReplaySession>();

function sessionFor(loc: RecordingLocation, source: RecordingSource): ReplaySession {
  const key = locationKey(loc);
  let s = sessions.get(key);
  if (!s || s.source !== source) {
    s = new ReplaySession(source);
    sessions.set(key, s);
  }
  return s;
}

/** Per recording, the warm-ups begun in this thread: a task waits for them rather than building a second machine beside them. */
const warming = new Map<string, Promise<void>>();

/** What a warm-up prepares beyond the machine. */
export interface WarmUpOptions {
  /**
   * The slice this thread's first task will most likely start at (a planned lane's first): the
   * warm-up restores it once the machine is built, so that the task, when it comes, starts there
   * at once. A task that starts elsewhere simply restores its own slice.
   */
  firstSlice?: (source: RecordingSource) => number | undefined;
}

/**
 * Gets this thread ready for tasks of a recording before they come: opens it,
 * loads the analysis modules, builds the replay machine (which starts loading
 * the recording's code cache: every thread reads it itself and compiles a
 * module when it first runs it, see below), and restores the likely first
 * slice. Errors are left for the real task to report. A task that comes
 * meanwhile waits for it.
 *
 * No thread waits for another's code. V8 keeps one compiled copy of a wasm
 * module per process (its native module cache, keyed by the module's bytes),
 * so threads that compile the same module of the same file share its machine
 * code, lazily compiled functions and tier-ups included (measured with
 * --trace-wasm-compilation-times on the smoke recording, verify -j 2: 639
 * modules, 10663 Liftoff and 1647 TurboFan compiles, the same whether one
 * thread compiled every module and posted them to the other or each compiled
 * its own). Posting them bought nothing but made both lanes wait for the
 * whole cache to be parsed, compiled, cloned and merged again (BENCHMARKS.md §5).
 */
export function warmUp(loc: RecordingLocation, modules: string[] = [], o: WarmUpOptions = {}): Promise<void> {
  const key = locationKey(loc);
  const before = warming.get(key);
  const p = (async () => {
    try {
      await before;
      traceReplay('warm-start');
      const [source] = await Promise.all([openSource(loc), registryFor(modules)]);
      traceReplay('opened');
      const session = sessionFor(loc, source);
      await session.prepare();
      traceReplay('machine-ready');
      const first = o.firstSlice?.(source);
      if (first !== undefined && session.icount === null) { await session.restore(first); traceReplay(`warm-restored ${first}`); }
    } catch {
      // The task that follows meets the same problem and says what it is.
    }
  })();
  warming.set(key, p);
  return p;
}

/** Options of runTask that only a task run in this process can take. */
export interface LocalTaskOptions {
  /** The replayed console, byte by byte, as it happens (sequential replay streams it). */
  console?: (byte: number) => void;
  /**
   * Another lane may take slices from this task's back while it runs: each slice is run only once
   * claimed here, and the task ends at the first it cannot claim (its result then covers
   * first..that slice - 1).
   */
  claims?: SliceClaims;
  /** Each slice's report as soon as the slice is done, before the task's result. */
  onSliceReport?: (r: SliceReport) => void;
}

/** Runs one task here, in this thread. Never throws for a bad slice: its report says what went wrong. */
export async function runTask(task: ReplayTask, onProgress?: (p: TaskProgress) => void | Promise<void>, local: LocalTaskOptions = {}): Promise<TaskResult> {
  const started = process.hrtime.bigint();
  traceReplay(`task ${task.first}..${task.last} pass ${task.pass}`);
  const since = () => Number(process.hrtime.bigint() - started) / 1e9;
  const slices: SliceReport[] = [];
  const failed = (slice: number, error: string, wallSeconds = 0): SliceReport => ({ slice, endState: null, divergence: null, error, steps: 0, checkpoints: 0, wallSeconds, restoreSeconds: 0, analyses: {} });
  const done = (setupSeconds: number): TaskResult => ({ version: TASK_VERSION, first: task.first, last: task.last, pass: task.pass, slices, setupSeconds, wallSeconds: since() });
  let session: ReplaySession;
  let registry: AnalysisRegistry;
  let context: AnalysisContext;
  try {
    if (task.version !== TASK_VERSION) throw new Error(`task version ${task.version} is not supported (this worker runs version ${TASK_VERSION})`);
    await warming.get(locationKey(task.recording));
    const [source, reg] = await Promise.all([openSource(task.recording), registryFor(task.modules)]);
    const n = source.manifest.slices.length;
    if (!(Number.isInteger(task.first) && Number.isInteger(task.last) && task.first >= 0 && task.last >= task.first && task.last < n)) {
      throw new Error(`${source.location} has no slices ${task.first}..${task.last} (it has 0..${n - 1})`);
    }
    registry = reg;
    context = { profile: task.profile ?? (task.analyses.length ? await profileOf(source) : undefined) };
    session = sessionFor(task.recording, source);
    // The machine is built first: its build starts loading the code cache, whose pieces are decoded
    // on the thread pool meanwhile (the build never yields, so waiting for the code first ran the two
    // one after the other).
    await session.prepare();
    traceReplay('machine-ready');
    // The recording's code cache, loaded once per thread (the session's machine waits for the same
    // load): waited for here, so that it counts as this task's setup, not as its first slice's replay.
    await loadCodeCache(source, (m) => process.stderr.write(`prnr: warning: ${m}\n`)).catch((e: Error) => process.stderr.write(`prnr: warning: the code cache is not used: ${e.message}\n`));
    traceReplay('code-ready');
  } catch (e) {
    const msg = (e as Error).message;
    for (let i = task.first; i <= task.last && (local.claims?.claim(i) ?? true); i++) {
      slices.push(failed(i, msg));
      local.onSliceReport?.(slices.at(-1)!);
    }
    return done(since());
  }
  const setupSeconds = since();
  const manifest = session.manifest;
  const fan = consoleFanout();
  session.output = local.console ? { write: (b) => { local.console!(b); fan.sink.write(b); } } : fan.sink;
  for (let i = task.first; i <= task.last && (local.claims?.claim(i) ?? true); i++) {
    const slice = manifest.slices[i];
    const sliceStarted = process.hrtime.bigint();
    let restoreSeconds = 0;
    let view: MachineReplayView | undefined;
    try {
      traceReplay(`slice-start ${i}`);
      if (session.slice?.index !== i || session.icount !== slice.startIcount) { restoreSeconds = await session.restore(i); traceReplay(`restored ${i}`); }
      const analyses = task.analyses.map((a) => registry.get(a.kind).create(a.options, context));
      view = new MachineReplayView(session.machine!, { index: i, startIcount: slice.startIcount, endIcount: slice.endIcount, startMtime: slice.startMtime }, fan.listeners);
      for (const a of analyses) a.attach(view);
      const total = slice.endIcount - slice.startIcount;
      const r = await session.runSlice({ onProgress: onProgress ? (icount) => onProgress({ slice: i, pass: task.pass, done: icount - slice.startIcount, total }) : undefined });
      const results: Record<string, unknown> = {};
      analyses.forEach((a, k) => { results[task.analyses[k].kind] = a.finish(); });
      slices.push({
        slice: i,
        endState: r.endState,
        divergence: r.divergence ? { from: r.divergence.from, to: r.divergence.to, message: r.divergence.message, differs: r.divergence.differs } : null,
        steps: total,
        checkpoints: r.checkpoints,
        wallSeconds: Number(process.hrtime.bigint() - sliceStarted) / 1e9,
        restoreSeconds,
        analyses: results,
      });
    } catch (e) {
      slices.push(failed(i, (e as Error).message, Number(process.hrtime.bigint() - sliceStarted) / 1e9));
    } finally {
      view?.detach();
    }
    traceReplay(`slice-end ${i} restore ${(restoreSeconds * 1000).toFixed(0)} ms`);
    local.onSliceReport?.(slices.at(-1)!);
  }
  traceReplay(`task-end ${task.first}..${task.last}`);
  session.output = undefined;
  return done(setupSeconds);
}
