import type { LocalTaskOptions, RecordingLocation, ReplayTask, TaskProgress, TaskResult } from './task.js';

/** What a coordinator in the same process can give a task beside the task itself (see LocalTaskOptions). */
export type SharedTaskOptions = Pick<LocalTaskOptions, 'claims' | 'onSliceReport'>;

/** Runs replay tasks somewhere: here, on worker threads, or on queue workers. */
export interface Executor {
  /** How many tasks it runs at once. */
  readonly concurrency: number;
  /**
   * It runs tasks in this process and honours `shared` in `run`: a running task's slices can be
   * taken from its back (claims), and each slice is reported as it ends. Otherwise `shared` is ignored.
   */
  readonly sharesMemory?: boolean;
  /**
   * `lane`: which of the caller's `concurrency` lanes asks. An executor that can
   * keep a lane on one worker does (its machine stands where the lane's last
   * task ended); others ignore it.
   */
  run(task: ReplayTask, progress?: (p: TaskProgress) => void, lane?: number, shared?: SharedTaskOptions): Promise<TaskResult>;
  /**
   * A hint that tasks of this recording follow: workers that can get ready
   * ahead (open it, build their machine) start now. Returns at once.
   */
  warm?(recording: RecordingLocation, modules?: string[]): void;
  close(): Promise<void>;
}
