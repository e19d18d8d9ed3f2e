/**
 * Runs tasks on a pool of worker threads (piscina), one replay per thread;
 * each thread keeps its replay session (and its machine) between tasks.
 * Progress comes back over a MessagePort handed to each task.
 */
import { availableParallelism } from 'node:os';
import { MessageChannel } from 'node:worker_threads';
import type { Piscina } from 'piscina';
import type { Executor } from '../executor.js';
import { replayThreads } from '../worker-pool.js';
import type { RecordingLocation, ReplayTask, TaskProgress, TaskResult } from '../task.js';

export class ThreadExecutor implements Executor {
  readonly concurrency: number;
  private readonly pool: Piscina;

  constructor(threads = availableParallelism()) {
    this.concurrency = Math.max(1, threads);
    // Every thread starts now, while the caller opens the recording: a thread's first start (loading
    // the packages, V8 warming up) is then off the replay's critical path.
    this.pool = replayThreads(this.concurrency);
  }

  async run(task: ReplayTask, progress?: (p: TaskProgress) => void): Promise<TaskResult> {
    const { port1, port2 } = new MessageChannel();
    if (progress) port1.on('message', (p: TaskProgress) => progress(p));
    try {
      return (await this.pool.run({ task, port: port2 }, { transferList: [port2] })) as TaskResult;
    } finally {
      port1.close();
    }
  }

  /** One warm-up per thread: each opens the recording and builds its machine while the caller gets ready. */
  warm(recording: RecordingLocation, modules: string[] = []): void {
    for (let i = 0; i < this.concurrency; i++) this.pool.run({ warm: recording, modules }).catch(() => {});
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}
