/**
 * Distributed replay on BullMQ (Redis): the executor adds tasks to a queue;
 * `prnr worker --redis URL` processes them on any host that can read the
 * recording (a shared directory, or `prnr serve` over HTTP). A task whose
 * worker dies is taken over by another once its lock expires (BullMQ's
 * stalled-job check), so the merged result is still complete.
 */
import { createRequire } from 'node:module';
import type { Job, Queue, QueueEvents, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Executor } from '../executor.js';
import { runTask, type ReplayTask, type TaskProgress, type TaskResult } from '../task.js';

export const DEFAULT_QUEUE = 'prnr-replay';

export interface QueueOptions {
  redis: string;
  queue?: string;
  /** How long a worker holds a task without renewing before it counts as dead (ms). Default 30 s. */
  lockDuration?: number;
}

/**
 * BullMQ and ioredis, loaded on first use: loading them takes longer than
 * starting a local replay (0.3-0.7 s on a 2-core machine), and every command
 * that imports this package would pay it otherwise.
 */
let libs: { bullmq: typeof import('bullmq'); ioredis: typeof import('ioredis') } | undefined;
function queueLibs(): NonNullable<typeof libs> {
  if (!libs) {
    const require = createRequire(import.meta.url);
    libs = { bullmq: require('bullmq') as typeof import('bullmq'), ioredis: require('ioredis') as typeof import('ioredis') };
  }
  return libs;
}

function connection(url: string): Redis {
  // BullMQ needs maxRetriesPerRequest null for its blocking commands.
  return new (queueLibs().ioredis.Redis)(url, { maxRetriesPerRequest: null, lazyConnect: false });
}

export class QueueExecutor implements Executor {
  readonly concurrency: number;
  private readonly queue: Queue;
  private readonly events: QueueEvents;
  private readonly connections: Redis[];

  constructor(o: QueueOptions & { concurrency?: number }) {
    const name = o.queue ?? DEFAULT_QUEUE;
    this.connections = [connection(o.redis), connection(o.redis)];
    const { Queue, QueueEvents } = queueLibs().bullmq;
    this.queue = new Queue(name, { connection: this.connections[0] });
    this.events = new QueueEvents(name, { connection: this.connections[1] });
    // Jobs wait in Redis for workers; how many run at once is up to the workers. Submit generously.
    this.concurrency = o.concurrency ?? 64;
  }

  async run(task: ReplayTask, progress?: (p: TaskProgress) => void): Promise<TaskResult> {
    await this.events.waitUntilReady();
    const job = await this.queue.add(`slices-${task.first}-${task.last}-pass-${task.pass}`, task, { attempts: 3, removeOnComplete: true, removeOnFail: true });
    const onProgress = ({ jobId, data }: { jobId: string; data: unknown }) => {
      if (jobId === job.id && progress && typeof data === 'object' && data !== null) progress(data as TaskProgress);
    };
    this.events.on('progress', onProgress);
    try {
      return (await job.waitUntilFinished(this.events)) as TaskResult;
    } finally {
      this.events.off('progress', onProgress);
    }
  }

  async close(): Promise<void> {
    await this.queue.close();
    await this.events.close();
    for (const c of this.connections) c.disconnect();
  }
}

/** Processes replay tasks from the queue until closed. One task at a time per worker: a replay uses a whole core. */
export function startQueueWorker(o: QueueOptions & { onTask?: (task: ReplayTask, result: TaskResult) => void }): { close(): Promise<void>; worker: Worker } {
  const conn = connection(o.redis);
  const worker = new (queueLibs().bullmq.Worker)(
    o.queue ?? DEFAULT_QUEUE,
    async (job: Job<ReplayTask>) => {
      let lastReport = 0;
      const result = await runTask(job.data, async (p) => {
        // A replay is CPU-bound: give the event loop a turn so the lock on this job is renewed.
        await new Promise((r) => setImmediate(r));
        const now = Date.now();
        if (now - lastReport > 500) {
          lastReport = now;
          await job.updateProgress(p as unknown as object);
        }
      });
      o.onTask?.(job.data, result);
      return result;
    },
    { connection: conn, concurrency: 1, lockDuration: o.lockDuration ?? 30_000, stalledInterval: Math.min(30_000, o.lockDuration ?? 30_000), maxStalledCount: 3 },
  );
  return {
    worker,
    close: async () => {
      await worker.close();
      conn.disconnect();
    },
  };
}
