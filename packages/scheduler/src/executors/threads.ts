/**
 * Runs tasks on a pool of worker threads (piscina), one replay per thread;
 * each thread keeps its replay session (and its machine) between tasks.
 * Progress comes back over a MessagePort handed to each task.
 */
import { availableParallelism } from 'node:os';
import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import type { Executor } from '../executor.js';
import type { RecordingLocation, ReplayTask, TaskProgress, TaskResult } from '../task.js';

/** The worker entry is always the built one (dist/thread-worker.js), also when this file runs from src/ in tests. */
const PACKAGE_ROOT = import.meta.url.includes('/src/') ? new URL('../../', import.meta.url) : new URL('../', import.meta.url);
const WORKER = new URL('dist/thread-worker.js', PACKAGE_ROOT);

export class ThreadExecutor implements Executor {
  readonly concurrency: number;
  private readonly pool: Piscina;

  constructor(threads = availableParallelism()) {
    this.concurrency = Math.max(1, threads);
    // Workers run the built code: drop resolution flags inherited from a test runner (e.g. --conditions=source).
    const execArgv = process.execArgv.filter((a, i, all) => !a.startsWith('--conditions') && !a.startsWith('-C') && all[i - 1] !== '--conditions' && all[i - 1] !== '-C');
    // Every thread starts now, while the caller opens the recording: a thread's first start (loading
    // the packages, V8 warming up) is then off the replay's critical path.
    this.pool = new Piscina({ filename: WORKER.href, minThreads: this.concurrency, maxThreads: this.concurrency, idleTimeout: 5000, execArgv });
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
