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
  const c = new (queueLibs().ioredis.Redis)(url, { maxRetriesPerRequest: null, lazyConnect: false });
  // ioredis retries on its own; without a listener each failed attempt is printed as an "unhandled error event".
  c.on('error', () => {});
  return c;
}

/** A Redis the coordinator cannot reach: said in one line, before any task is queued. */
export class QueueUnreachableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QueueUnreachableError';
  }
}

/** The Redis URL without its password, for messages. */
export function redisLabel(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString().replace(/\/$/, '');
  } catch {
    return url;
  }
}

/** How long the coordinator waits for Redis to answer before it gives up. */
const REACH_TIMEOUT_MS = 5000;

/** Resolves once `conn` is ready; rejects with QueueUnreachableError if it is not within REACH_TIMEOUT_MS. */
function reachable(conn: Redis, url: string): Promise<void> {
  if (conn.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    let last = 'no answer';
    const onError = (e: Error) => { last = e.message; };
    const done = () => { clearTimeout(timer); conn.off('error', onError); conn.off('ready', onReady); };
    const onReady = () => { done(); resolve(); };
    const timer = setTimeout(() => { done(); reject(new QueueUnreachableError(`cannot reach Redis at ${redisLabel(url)} (${last}; waited ${REACH_TIMEOUT_MS / 1000} s)`)); }, REACH_TIMEOUT_MS);
    conn.on('error', onError);
    conn.once('ready', onReady);
  });
}

/** Each running job's progress callback, by job id. */
export interface ProgressRoutes {
  /** Sends `jobId`'s progress to `fn` until the returned function is called. */
  add(jobId: string, fn: (p: TaskProgress) => void): () => void;
}

/**
 * One 'progress' listener on the queue's events for all of this executor's jobs, handing each event
 * to its job's callback: a listener per job would pass Node's limit of 10 with the 11th task at once
 * (MaxListenersExceededWarning), and each would see every other job's events.
 */
export function progressRoutes(events: { on(event: 'progress', listener: (args: { jobId: string; data: unknown }) => void): unknown }): ProgressRoutes {
  const routes = new Map<string, (p: TaskProgress) => void>();
  events.on('progress', ({ jobId, data }) => {
    if (typeof data === 'object' && data !== null) routes.get(jobId)?.(data as TaskProgress);
  });
  return {
    add(jobId, fn) {
      routes.set(jobId, fn);
      return () => routes.delete(jobId);
    },
  };
}

export class QueueExecutor implements Executor {
  readonly concurrency: number;
  /** The first connection: the queue's, once Redis has answered on it. */
  private readonly probe: Redis;
  /** Its readiness: a Redis that never answers fails the first task within seconds, not never. */
  private readonly reached: Promise<void>;
  /** The queue and its events, made once Redis answers (BullMQ's own connections would retry, and its close wait, forever). */
  private bull: Promise<{ queue: Queue; events: QueueEvents; progress: ProgressRoutes; connections: Redis[] }> | undefined;

  constructor(private readonly o: QueueOptions & { concurrency?: number }) {
    this.probe = connection(o.redis);
    this.reached = reachable(this.probe, o.redis);
    this.reached.catch(() => {}); // said by run()
    // Jobs wait in Redis for workers; how many run at once is up to the workers. Submit generously.
    this.concurrency = o.concurrency ?? 64;
  }

  private open(): NonNullable<QueueExecutor['bull']> {
    this.bull ??= this.reached.then(() => {
      const name = this.o.queue ?? DEFAULT_QUEUE;
      const connections = [this.probe, connection(this.o.redis)];
      const { Queue, QueueEvents } = queueLibs().bullmq;
      const queue = new Queue(name, { connection: connections[0] });
      // Each job waited for (BullMQ's waitUntilFinished) listens for the queue's 'closing' meanwhile:
      // up to `concurrency` at once, past Node's warning at 10 listeners.
      queue.setMaxListeners(queue.getMaxListeners() + this.concurrency);
      const events = new QueueEvents(name, { connection: connections[1] });
      return { queue, events, progress: progressRoutes(events), connections };
    });
    return this.bull;
  }

  async run(task: ReplayTask, progress?: (p: TaskProgress) => void): Promise<TaskResult> {
    const { queue, events, progress: routes } = await this.open();
    await events.waitUntilReady();
    const job = await queue.add(`slices-${task.first}-${task.last}-pass-${task.pass}`, task, { attempts: 3, removeOnComplete: true, removeOnFail: true });
    const stop = progress && job.id !== undefined ? routes.add(job.id, progress) : undefined;
    try {
      return (await job.waitUntilFinished(events)) as TaskResult;
    } finally {
      stop?.();
    }
  }

  async close(): Promise<void> {
    const bull = await this.bull?.catch(() => undefined);
    if (!bull) {
      this.probe.disconnect();
      return;
    }
    await bull.queue.close();
    await bull.events.close();
    for (const c of bull.connections) c.disconnect();
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
      // Never connected, or the connection lost: no task runs here, and BullMQ's close would wait for Redis.
      if (conn.status !== 'ready') {
        conn.disconnect();
        void worker.close(true).catch(() => {}); // it settles only once its own connection is up: not awaited
        return;
      }
      await worker.close();
      conn.disconnect();
    },
  };
}
