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
 * recording made before that was measured. There are a few chunks per
 * worker: each worker starts with a run of consecutive chunks (replayed
 * straight through, as one), and one that finishes early takes the last
 * chunk of the busiest worker's run, at the cost of one restore (a cheap
 * jump, with its code already warm).
 */
import type { SliceEntry } from '@prnr/recording';
import type { AnalysisRequest, RecordingLocation, ReplayTask } from './task.js';
import { TASK_VERSION } from './task.js';
import type { AnalysisRegistry } from './analysis-registry.js';

export interface ReplayPlan {
  passes: AnalysisRequest[][];
  tasks: ReplayTask[];
  /** Per worker, the indices (into tasks) it starts with, in order; a worker that runs out takes from the busiest (see Lanes). */
  lanes: number[][];
}

/** Chunks per worker: enough that a worker done early can take work from a busy one. */
export const CHUNKS_PER_WORKER = 4;

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
  /** Chunks per worker and pass (default CHUNKS_PER_WORKER); 1 where workers take slices from each other's running chunks (slice-claims.ts). */
  chunksPerWorker?: number;
}): ReplayPlan {
  const light = o.analyses.filter((a) => o.registry.get(a.kind).weight === 'light');
  const heavy = o.analyses.filter((a) => o.registry.get(a.kind).weight === 'heavy');
  const passes = [light, ...heavy.map((a) => [a])];
  const workers = Math.max(1, o.workers);
  const chunks = chunkSlices(o.slices, o.cost, workers * Math.max(1, o.chunksPerWorker ?? CHUNKS_PER_WORKER));
  // Each worker starts with a run of consecutive chunks of every pass, pass 0 first: it restores once
  // per pass and replays its run straight through.
  const groups = chunkSlices(chunks.map((_, i) => i), (i) => rangeCost(chunks[i], o.cost), workers);
  const tasks: ReplayTask[] = [];
  const lanes: number[][] = groups.map(() => []);
  passes.forEach((analyses, pass) => {
    for (const [first, last] of chunks) {
      tasks.push({ version: TASK_VERSION, recording: o.recording, first, last, pass, analyses, modules: o.modules ?? [], profile: o.profile });
    }
    groups.forEach(([a, b], lane) => {
      for (let c = a; c <= b; c++) lanes[lane].push(pass * chunks.length + c);
    });
  });
  return { passes, tasks, lanes };
}

function rangeCost([first, last]: [number, number], cost: (slice: number) => number): number {
  let c = 0;
  for (let i = first; i <= last; i++) c += cost(i);
  return c;
}

/**
 * The workers' queues while a plan runs: a worker takes the next task of its
 * own lane; one whose lane is empty takes the LAST task of the lane with the
 * most cost left, so the busiest worker keeps the front of its run (its
 * machine stands there) and the idle one starts behind it.
 */
export class Lanes {
  private readonly queues: number[][];

  constructor(plan: ReplayPlan, private readonly cost: (task: number) => number) {
    this.queues = plan.lanes.map((l) => [...l]);
  }

  next(lane: number): number | undefined {
    const own = this.queues[lane];
    if (own && own.length > 0) return own.shift();
    let busiest = -1;
    let most = 0;
    this.queues.forEach((q, i) => {
      const left = q.reduce((a, t) => a + this.cost(t), 0);
      if (q.length > 0 && (busiest < 0 || left > most)) { busiest = i; most = left; }
    });
    return busiest < 0 ? undefined : this.queues[busiest].pop();
  }
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
