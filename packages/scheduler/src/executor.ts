import type { RecordingLocation, ReplayTask, TaskProgress, TaskResult } from './task.js';

/** Runs replay tasks somewhere: here, on worker threads, or on queue workers. */
export interface Executor {
  /** How many tasks it runs at once. */
  readonly concurrency: number;
  /**
   * `lane`: which of the caller's `concurrency` lanes asks. An executor that can
   * keep a lane on one worker does (its machine stands where the lane's last
   * task ended); others ignore it.
   */
  run(task: ReplayTask, progress?: (p: TaskProgress) => void, lane?: number): Promise<TaskResult>;
  /**
   * A hint that tasks of this recording follow: workers that can get ready
   * ahead (open it, build their machine) start now. Returns at once.
   */
  warm?(recording: RecordingLocation, modules?: string[]): void;
  close(): Promise<void>;
}
