/**
 * Plans a replay: which passes over the slices, with which analyses, and how
 * the slices of each pass are cut into chunks for the workers.
 *
 * Passes: every analysis kind declares a weight. Light analyses (they only
 * listen to rare events: traps, console bytes) cost next to nothing, so they
 * are fused into one pass, pass 0, which also verifies every slice. Each
 * heavy analysis (it slows the hart, e.g. by watching stores) gets a pass of
 * its own, so it never slows the others.
 *
 * Chunks: a slice's fixed cost (a restore, a cold translation cache) is paid
 * once per chunk, not once per slice: a worker replays its chunk straight
 * through, checking each slice end on the way. So each pass is cut into as
 * many chunks of consecutive slices as there are workers, balanced by
 * instruction count, and never more chunks than slices. Tasks come pass by
 * pass, so a worker pool verifies everything before the heavy work.
 */
import type { AnalysisRequest, RecordingLocation, ReplayTask } from './task.js';
import { TASK_VERSION } from './task.js';
import type { AnalysisRegistry } from './analysis-registry.js';

export interface ReplayPlan {
  passes: AnalysisRequest[][];
  tasks: ReplayTask[];
}

export function planReplay(o: {
  recording: RecordingLocation;
  slices: number[];
  /** Steps of each slice (by index): what balances the chunks. */
  steps: (slice: number) => number;
  /** Workers that will run the tasks at once. */
  workers: number;
  analyses: AnalysisRequest[];
  registry: AnalysisRegistry;
  modules?: string[];
  profile?: unknown;
}): ReplayPlan {
  const light = o.analyses.filter((a) => o.registry.get(a.kind).weight === 'light');
  const heavy = o.analyses.filter((a) => o.registry.get(a.kind).weight === 'heavy');
  const passes = [light, ...heavy.map((a) => [a])];
  const chunks = chunkSlices(o.slices, o.steps, o.workers);
  const tasks: ReplayTask[] = [];
  passes.forEach((analyses, pass) => {
    for (const [first, last] of chunks) {
      tasks.push({ version: TASK_VERSION, recording: o.recording, first, last, pass, analyses, modules: o.modules ?? [], profile: o.profile });
    }
  });
  return { passes, tasks };
}

/**
 * Cuts `slices` (indices, any order) into about `workers` runs of consecutive
 * indices with near-equal total steps. Gaps in the indices always cut.
 */
export function chunkSlices(slices: number[], steps: (slice: number) => number, workers: number): Array<[number, number]> {
  const sorted = [...new Set(slices)].sort((a, b) => a - b);
  if (sorted.length === 0) return [];
  const total = sorted.reduce((a, s) => a + steps(s), 0);
  const want = Math.max(1, Math.min(workers, sorted.length));
  const chunks: Array<[number, number]> = [];
  let first = sorted[0];
  let acc = 0;
  let doneSteps = 0;
  for (let i = 0; i < sorted.length; i++) {
    const s = sorted[i];
    acc += steps(s);
    const next = sorted[i + 1];
    if (next === undefined) break;
    // Cut where the running total comes closest to the next ideal boundary, and early enough
    // that every chunk still to come gets a slice.
    const boundary = (total * (chunks.length + 1)) / want;
    const here = doneSteps + acc;
    const left = want - chunks.length - 1;
    const mustCut = left > 0 && sorted.length - i - 1 <= left;
    const cutNow = left > 0 && (mustCut || Math.abs(here - boundary) <= Math.abs(here + steps(next) - boundary));
    if (next !== s + 1 || cutNow) {
      chunks.push([first, s]);
      doneSteps += acc;
      acc = 0;
      first = next;
    }
  }
  chunks.push([first, sorted.at(-1)!]);
  return chunks;
}
