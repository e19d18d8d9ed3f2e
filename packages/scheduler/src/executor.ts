import type { ReplayTask, TaskProgress, TaskResult } from './task.js';

/** Runs replay tasks somewhere: here, on worker threads, or on queue workers. */
export interface Executor {
  /** How many tasks it runs at once. */
  readonly concurrency: number;
  run(task: ReplayTask, progress?: (p: TaskProgress) => void): Promise<TaskResult>;
  close(): Promise<void>;
}
