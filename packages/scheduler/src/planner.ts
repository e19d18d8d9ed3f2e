/**
 * Plans a replay: which passes over the slices, with which analyses.
 *
 * How it decides: every analysis kind declares a weight. Light analyses (they
 * only listen to rare events: traps, console bytes) cost next to nothing, so
 * they are fused into one pass, pass 0, which also verifies every slice.
 * Each heavy analysis (it slows the hart, e.g. by watching stores) gets a
 * pass of its own, so it never slows the others: pass 0 finishes as fast as a
 * plain verification, and the heavy passes run beside it on other workers.
 * Tasks are ordered slice-major (pass 0 of every slice first), so a worker
 * pool starts verifying everything before the heavy work.
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
  analyses: AnalysisRequest[];
  registry: AnalysisRegistry;
  modules?: string[];
  profile?: unknown;
}): ReplayPlan {
  const light = o.analyses.filter((a) => o.registry.get(a.kind).weight === 'light');
  const heavy = o.analyses.filter((a) => o.registry.get(a.kind).weight === 'heavy');
  const passes = [light, ...heavy.map((a) => [a])];
  const tasks: ReplayTask[] = [];
  passes.forEach((analyses, pass) => {
    for (const slice of o.slices) {
      tasks.push({ version: TASK_VERSION, recording: o.recording, slice, pass, analyses, modules: o.modules ?? [], profile: o.profile });
    }
  });
  return { passes, tasks };
}
