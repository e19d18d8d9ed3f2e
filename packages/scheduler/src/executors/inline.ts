/** Runs tasks in this thread, one at a time: the reference executor, sequential replay, and a single slice. */
import type { Executor, SharedTaskOptions } from '../executor.js';
import { runTask, type LocalTaskOptions, type ReplayTask, type TaskProgress, type TaskResult } from '../task.js';

export class InlineExecutor implements Executor {
  readonly concurrency = 1;
  readonly sharesMemory = true;

  /** `local`: what only a task run here can be given (e.g. the console as it is replayed). */
  constructor(private readonly local: LocalTaskOptions = {}) {}

  run(task: ReplayTask, progress?: (p: TaskProgress) => void, _lane?: number, shared: SharedTaskOptions = {}): Promise<TaskResult> {
    return runTask(task, progress, { ...this.local, ...shared });
  }

  async close(): Promise<void> {}
}
