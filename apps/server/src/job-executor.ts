/**
 * The executor one job runs on: the configured one, made stoppable. Once
 * stopped (the job cancelled, the server closing) it starts no task, and the
 * work under way ends: worker threads are terminated (their executor
 * closed); a replay in this thread ends at its next progress report (the
 * job's progress callback throws) and the rest of its chunk is not run,
 * because here a chunk runs one slice at a time.
 *
 * Replays in this thread share one replay session per recording (@prnr/scheduler
 * keeps them per thread), so two jobs must never interleave inside a slice:
 * slices run here one at a time, whichever job they belong to.
 */
import { TASK_VERSION, runTask, type Executor, type RecordingLocation, type ReplayTask, type TaskProgress, type TaskResult } from '@prnr/scheduler';

/** Raised by a stopped executor (and by a job's progress callback once it is stopped): why it stopped. */
export class StoppedError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'StoppedError';
  }
}

let thisThread: Promise<unknown> = Promise.resolve();

/** Runs `fn` once every replay that this thread started before it has ended. */
function oneAtATime<T>(fn: () => Promise<T>): Promise<T> {
  const run = thisThread.then(fn, fn);
  thisThread = run.catch(() => {});
  return run;
}

export class JobExecutor implements Executor {
  readonly concurrency: number;
  private reason: string | null = null;

  /** `inner`: where tasks run; null: in this thread. */
  constructor(private readonly inner: Executor | null) {
    this.concurrency = inner?.concurrency ?? 1;
  }

  get stopped(): boolean {
    return this.reason !== null;
  }

  /** Throws StoppedError once the executor is stopped. */
  check(): void {
    if (this.reason !== null) throw new StoppedError(this.reason);
  }

  async run(task: ReplayTask, progress?: (p: TaskProgress) => void, lane?: number): Promise<TaskResult> {
    this.check();
    if (this.inner) {
      const r = await this.inner.run(task, progress, lane);
      this.check(); // what a worker finished after the stop is not reported
      return r;
    }
    const started = process.hrtime.bigint();
    const slices: TaskResult['slices'] = [];
    let setupSeconds = 0;
    for (let i = task.first; i <= task.last; i++) {
      const r = await oneAtATime(() => {
        this.check();
        return runTask({ ...task, first: i, last: i }, progress);
      });
      this.check(); // a slice cut short by the stop is not reported
      slices.push(...r.slices);
      setupSeconds += r.setupSeconds;
    }
    return { version: TASK_VERSION, first: task.first, last: task.last, pass: task.pass, slices, setupSeconds, wallSeconds: Number(process.hrtime.bigint() - started) / 1e9 };
  }

  warm(recording: RecordingLocation, modules?: string[]): void {
    this.inner?.warm?.(recording, modules);
  }

  /** Starts nothing more and ends what runs (its workers terminated). */
  async stop(reason: string): Promise<void> {
    this.reason ??= reason;
    await this.close();
  }

  async close(): Promise<void> {
    await this.inner?.close();
  }
}
