/**
 * Multi-slice, multi-dimension replay of a whole recording: plan the passes,
 * run every task on an executor (as many at once as it takes), merge each
 * analysis's slice results in slice order. A failed or diverging slice is
 * reported with its index; the others still run and are reported.
 */
import type { AnalysisContext } from './analysis.js';
import type { AnalysisRegistry } from './analysis-registry.js';
import type { Executor } from './executor.js';
import { planReplay } from './planner.js';
import { openSource, profileOf, type AnalysisRequest, type RecordingLocation, type TaskProgress, type TaskResult } from './task.js';

export interface SliceOutcome {
  slice: number;
  verified: boolean;
  endState: string | null;
  divergence: TaskResult['divergence'];
  error?: string;
  wallSeconds: number;
  steps: number;
  checkpoints: number;
}

export interface RecordingReplayResult {
  /** One per slice, in slice order (from pass 0, which verifies). */
  slices: SliceOutcome[];
  /** Every slice of every pass verified. */
  verified: boolean;
  /** Merged analysis results by kind (over the slices whose task ran; see `slices` for any that failed). */
  analyses: Record<string, unknown>;
  passes: number;
  tasks: number;
  wallSeconds: number;
}

export interface ReplayRecordingOptions {
  recording: RecordingLocation;
  /** Slice indices to replay (default: all). */
  slices: number[];
  analyses?: AnalysisRequest[];
  registry: AnalysisRegistry;
  modules?: string[];
  profile?: unknown;
  executor: Executor;
  onProgress?: (p: TaskProgress) => void;
  /** A task finished. */
  onTaskDone?: (r: TaskResult) => void;
}

export async function replayRecording(o: ReplayRecordingOptions): Promise<RecordingReplayResult> {
  const started = process.hrtime.bigint();
  const plan = planReplay({ recording: o.recording, slices: o.slices, analyses: o.analyses ?? [], registry: o.registry, modules: o.modules, profile: o.profile });
  const results: TaskResult[] = new Array(plan.tasks.length);
  let next = 0;
  const lane = async () => {
    while (next < plan.tasks.length) {
      const i = next++;
      results[i] = await o.executor.run(plan.tasks[i], o.onProgress);
      o.onTaskDone?.(results[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.executor.concurrency, plan.tasks.length) }, lane));

  const byPass = (pass: number) => results.filter((r) => r.pass === pass).sort((a, b) => a.slice - b.slice);
  const context: AnalysisContext = { profile: o.profile ?? (o.analyses?.length ? await profileOf(await openSource(o.recording)) : undefined) };
  const analyses: Record<string, unknown> = {};
  plan.passes.forEach((reqs, pass) => {
    const rs = byPass(pass);
    for (const a of reqs) {
      const parts = rs.filter((r) => !r.error && a.kind in r.analyses).map((r) => r.analyses[a.kind]);
      analyses[a.kind] = o.registry.get(a.kind).merge(parts, context);
    }
  });
  const slices = byPass(0).map((r) => ({ slice: r.slice, verified: r.verified, endState: r.endState, divergence: r.divergence, error: r.error, wallSeconds: r.wallSeconds, steps: r.steps, checkpoints: r.checkpoints }));
  return {
    slices,
    verified: results.every((r) => r.verified),
    analyses,
    passes: plan.passes.length,
    tasks: plan.tasks.length,
    wallSeconds: Number(process.hrtime.bigint() - started) / 1e9,
  };
}
