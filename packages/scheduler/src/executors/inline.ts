/** Runs tasks in this thread, one at a time: the reference executor, and the one for a single slice or seek. */
import type { Executor } from '../executor.js';
import { runTask, type ReplayTask, type TaskProgress, type TaskResult } from '../task.js';

export class InlineExecutor implements Executor {
  readonly concurrency = 1;

  run(task: ReplayTask, progress?: (p: TaskProgress) => void): Promise<TaskResult> {
    return runTask(task, progress);
  }

  async close(): Promise<void> {}
}
