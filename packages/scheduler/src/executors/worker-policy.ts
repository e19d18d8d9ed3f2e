/**
 * What a queue worker (`prnr worker`) runs of the tasks it takes. A task names the analysis
 * modules to import and whether a recording's own copies of its device modules may run: both
 * are code. Without a policy, whoever can write to the queue's Redis makes every worker run
 * JavaScript of their choosing; with one, a worker runs only what its own operator allowed.
 */
import type { ReplayTask } from '../task.js';

export interface WorkerPolicy {
  /**
   * Run a recording's copies of its device modules where a task asks for them (its location's
   * `recordedModules`). Default false: such a task runs without them, so a module that is gone or
   * changed is refused as in a replay without `--use-recorded-modules`.
   */
  recordedModules?: boolean;
  /** The analysis module URLs a task may name; a task naming any other is refused whole. Default: any. */
  analysisModules?: readonly string[];
}

/** A task this worker runs none of, and why. */
export class TaskRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TaskRefusedError';
  }
}

/** The task as a worker with this policy runs it; throws TaskRefusedError (nothing imported yet) for one it must not run. */
export function taskUnderPolicy(task: ReplayTask, policy: WorkerPolicy): ReplayTask {
  const allowed = policy.analysisModules;
  const other = allowed && task.modules.find((m) => !allowed.includes(m));
  if (allowed && other !== undefined) {
    throw new TaskRefusedError(`the task names analysis module ${other}, which this worker does not load (it loads ${allowed.length > 0 ? allowed.join(', ') : 'none but the built-in analyses'})`);
  }
  if (task.recording.recordedModules !== true || policy.recordedModules === true) return task;
  const { recordedModules: _, ...recording } = task.recording;
  return { ...task, recording };
}
