/**
 * A replay task: one slice of one recording, replayed from its own snapshot,
 * verified against its recorded end state, with a set of analyses attached.
 * Tasks and results are plain versioned data: they travel to worker threads
 * and, through the queue, to other hosts.
 */
import { loadGuestProfile, openRecording, replaySlice, type RecordingSource } from '@prnr/recording';
import type { AnalysisContext } from './analysis.js';
import { AnalysisRegistry } from './analysis-registry.js';
import { openHttpRecording } from './http-recording.js';
import { MachineReplayView, consoleFanout } from './replay-view.js';

export const TASK_VERSION = 1;

export type RecordingLocation = { dir: string } | { url: string };

export interface AnalysisRequest {
  kind: string;
  options?: unknown;
}

export interface ReplayTask {
  version: typeof TASK_VERSION;
  recording: RecordingLocation;
  slice: number;
  /** Which pass of the plan this task belongs to (see planner.ts). */
  pass: number;
  analyses: AnalysisRequest[];
  /** URLs of modules exporting more `analysisKinds` (e.g. @prnr/diagnosis). */
  modules: string[];
  /** The guest profile, for analyses that attribute to processes (default: the one the recording carries). */
  profile?: unknown;
}

export interface TaskResult {
  version: typeof TASK_VERSION;
  slice: number;
  pass: number;
  verified: boolean;
  endState: string | null;
  /** Where the replay stopped following the recording; null if it did not. */
  divergence: { from: number; to: number; message: string; differs?: string[] } | null;
  steps: number;
  /** Hart checkpoints compared on the way. */
  checkpoints: number;
  wallSeconds: number;
  /** Per analysis kind, its result for this slice. */
  analyses: Record<string, unknown>;
  /** The task could not run (a missing object, a damaged segment): what went wrong. */
  error?: string;
}

export interface TaskProgress {
  slice: number;
  pass: number;
  /** Steps replayed so far in this slice, and the slice's length. */
  done: number;
  total: number;
}

const sources = new Map<string, Promise<RecordingSource>>();

/** Recordings opened once per process (a worker runs many tasks of the same recording). */
export function openSource(loc: RecordingLocation): Promise<RecordingSource> {
  const key = 'dir' in loc ? `dir:${loc.dir}` : `url:${loc.url}`;
  let s = sources.get(key);
  if (!s) {
    s = 'dir' in loc ? Promise.resolve(openRecording(loc.dir)) : openHttpRecording(loc.url);
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

/** Runs one task here, in this thread. Never throws for a bad slice: the result says what went wrong. */
export async function runTask(task: ReplayTask, onProgress?: (p: TaskProgress) => void | Promise<void>): Promise<TaskResult> {
  const started = process.hrtime.bigint();
  const base = { version: TASK_VERSION, slice: task.slice, pass: task.pass } as const;
  try {
    if (task.version !== TASK_VERSION) throw new Error(`task version ${task.version} is not supported (this worker runs version ${TASK_VERSION})`);
    const [source, registry] = await Promise.all([openSource(task.recording), registryFor(task.modules)]);
    const slice = source.manifest.slices[task.slice];
    if (!slice) throw new Error(`${source.location} has no slice ${task.slice}`);
    const context: AnalysisContext = { profile: task.profile ?? (task.analyses.length ? await profileOf(source) : undefined) };
    const analyses = task.analyses.map((a) => registry.get(a.kind).create(a.options, context));
    const fan = consoleFanout();
    const total = slice.endIcount - slice.startIcount;
    const r = await replaySlice(source, task.slice, {
      output: fan.sink,
      attach: (machine) => {
        const view = new MachineReplayView(machine, { index: slice.index, startIcount: slice.startIcount, endIcount: slice.endIcount, startMtime: slice.startMtime }, fan.listeners);
        for (const a of analyses) a.attach(view);
      },
      onProgress: onProgress ? (icount) => onProgress({ slice: task.slice, pass: task.pass, done: icount - slice.startIcount, total }) : undefined,
    });
    const results: Record<string, unknown> = {};
    analyses.forEach((a, i) => { results[task.analyses[i].kind] = a.finish(); });
    return {
      ...base,
      verified: r.verified,
      endState: r.endState,
      divergence: r.divergence ? { from: r.divergence.from, to: r.divergence.to, message: r.divergence.message, differs: r.divergence.differs } : null,
      steps: total,
      checkpoints: r.checkpoints,
      wallSeconds: r.wallSeconds,
      analyses: results,
    };
  } catch (e) {
    return {
      ...base,
      verified: false,
      endState: null,
      divergence: null,
      steps: 0,
      checkpoints: 0,
      wallSeconds: Number(process.hrtime.bigint() - started) / 1e9,
      analyses: {},
      error: (e as Error).message,
    };
  }
}
