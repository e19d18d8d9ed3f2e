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
 * many chunks of consecutive slices as there are workers, never more chunks
 * than slices, balanced by what the slices cost to run: the host time the
 * recorder measured for each (a boot costs several times more per
 * instruction than a warm shell loop), or their instruction counts for a
 * recording made before that was measured. Tasks come pass by pass, so a
 * worker pool verifies everything before the heavy work.
 */
import type { SliceEntry } from '@prnr/recording';
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
  /** What each slice (by index) costs to replay, in any unit: what balances the chunks (see sliceCost). */
  cost: (slice: number) => number;
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
  const chunks = chunkSlices(o.slices, o.cost, o.workers);
  const tasks: ReplayTask[] = [];
  passes.forEach((analyses, pass) => {
    for (const [first, last] of chunks) {
      tasks.push({ version: TASK_VERSION, recording: o.recording, first, last, pass, analyses, modules: o.modules ?? [], profile: o.profile });
    }
  });
  return { passes, tasks };
}

/** The cost measure for a recording's slices: recorded busy seconds when every slice has them, else steps. */
export function sliceCost(slices: readonly SliceEntry[]): (slice: number) => number {
  const timed = slices.length > 0 && slices.every((s) => s.busySeconds !== undefined);
  return (i) => {
    const s = slices[i];
    if (!s) return 0;
    return timed ? s.busySeconds! : s.endIcount - s.startIcount;
  };
}

/**
 * Cuts `slices` (indices, any order) into about `workers` runs of consecutive
 * indices with near-equal total cost. Gaps in the indices always cut.
 */
export function chunkSlices(slices: number[], cost: (slice: number) => number, workers: number): Array<[number, number]> {
  const sorted = [...new Set(slices)].sort((a, b) => a - b);
  if (sorted.length === 0) return [];
  const total = sorted.reduce((a, s) => a + cost(s), 0);
  const want = Math.max(1, Math.min(workers, sorted.length));
  const chunks: Array<[number, number]> = [];
  let first = sorted[0];
  let acc = 0;
  let doneSteps = 0;
  for (let i = 0; i < sorted.length; i++) {
    const s = sorted[i];
    acc += cost(s);
    const next = sorted[i + 1];
    if (next === undefined) break;
    // Cut where the running total comes closest to the next ideal boundary, and early enough
    // that every chunk still to come gets a slice.
    const boundary = (total * (chunks.length + 1)) / want;
    const here = doneSteps + acc;
    const left = want - chunks.length - 1;
    const mustCut = left > 0 && sorted.length - i - 1 <= left;
    const cutNow = left > 0 && (mustCut || Math.abs(here - boundary) <= Math.abs(here + cost(next) - boundary));
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
