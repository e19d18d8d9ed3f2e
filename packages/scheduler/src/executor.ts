import type { RecordingLocation, ReplayTask, TaskProgress, TaskResult } from './task.js';

/** Runs replay tasks somewhere: here, on worker threads, or on queue workers. */
export interface Executor {
  /** How many tasks it runs at once. */
  readonly concurrency: number;
  run(task: ReplayTask, progress?: (p: TaskProgress) => void): Promise<TaskResult>;
  /**
   * A hint that tasks of this recording follow: workers that can get ready
   * ahead (open it, build their machine) start now. Returns at once.
   */
  warm?(recording: RecordingLocation, modules?: string[]): void;
  close(): Promise<void>;
}
