/**
 * Distributed replay on BullMQ (Redis): the executor adds tasks to a queue;
 * `prnr worker --redis URL` processes them on any host that can read the
 * recording (a shared directory, or `prnr serve` over HTTP). A task whose
 * worker dies is taken over by another once its lock expires (BullMQ's
 * stalled-job check), so the merged result is still complete.
 *
 * A run never outlives its Redis or its submitter: Redis unreachable for
 * `lostAfterMs` mid-run, or back without this run's tasks, fails every task
 * still running with one line; closing removes the tasks no worker has
 * taken; and a worker skips a task whose submitter is no longer connected.
 */
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import type { Job, Queue, QueueEvents, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Executor } from '../executor.js';
import { readHttpRecordingsAs, type HttpReader } from '../http-recording.js';
import { runTask, type RecordingLocation, type ReplayTask, type TaskProgress, type TaskResult } from '../task.js';
import { TaskRefusedError, taskUnderPolicy, type WorkerPolicy } from './worker-policy.js';

export const DEFAULT_QUEUE = 'prnr-replay';

export interface QueueOptions {
  redis: string;
  queue?: string;
  /** How long a worker holds a task without renewing before it counts as dead (ms). Default 30 s. */
  lockDuration?: number;
  /**
   * How this process reads recordings given by URL: the token (`prnr serve --token`; default
   * $PRNR_TOKEN) and who it is in a refusal (default: "this worker" for a worker).
   */
  reader?: HttpReader;
}

/** A task as queued: the run it belongs to travels with it. */
type QueuedTask = ReplayTask & {
  /** The Redis client name of the executor that queued it, while that executor is connected. */
  submitter?: string;
};

/** Redis unreachable this long in the middle of a run fails the run. */
const LOST_AFTER_MS = 10_000;
/** No task of the run taken by a worker this long: the run says it is waiting for one. */
const NOTICE_AFTER_MS = 5_000;
/** How long close() spends removing untaken tasks and closing on a Redis that answers; then it disconnects. */
const CLOSE_WAIT_MS = 3_000;

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

function connection(url: string, name?: string): Redis {
  // BullMQ needs maxRetriesPerRequest null for its blocking commands.
  const c = new (queueLibs().ioredis.Redis)(url, { maxRetriesPerRequest: null, lazyConnect: false, ...(name ? { connectionName: name } : {}) });
  // ioredis retries on its own; without a listener each failed attempt is printed as an "unhandled error event".
  c.on('error', () => {});
  return c;
}

/** A Redis the coordinator cannot reach, or lost mid-run: said in one line. */
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

/**
 * Throws QueueUnreachableError unless `url` is what ioredis connects to as meant: redis:// or
 * rediss://, or a Unix socket path. Anything else it takes as a host name or path
 * (`http://h:8090` became the socket "//h:8090").
 */
export function checkRedisUrl(url: string): void {
  if (/^rediss?:\/\/./i.test(url) || (url.startsWith('/') && !url.startsWith('//'))) return;
  throw new QueueUnreachableError(`not a Redis URL: "${redisLabel(url).slice(0, 200)}" (expected redis://HOST:PORT, rediss://HOST:PORT or a Unix socket path)`);
}

/** How long the coordinator waits for Redis to answer before it gives up. */
const REACH_TIMEOUT_MS = 5000;

/** Resolves once `conn` is ready; rejects with QueueUnreachableError if it is not within REACH_TIMEOUT_MS. */
function reachable(conn: Redis, url: string): Promise<void> {
  if (conn.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    let last = 'no answer';
    const onError = (e: Error) => { last = e.message; };
    const done = () => { clearTimeout(timer); conn.off('error', onError); conn.off('ready', onReady); conn.off('end', onEnd); };
    const onReady = () => { done(); resolve(); };
    // Disconnected meanwhile (closed): no reason to hold the process for the rest of the wait.
    const onEnd = () => { done(); reject(new QueueUnreachableError(`closed before Redis at ${redisLabel(url)} answered`)); };
    const timer = setTimeout(() => { done(); reject(new QueueUnreachableError(`cannot reach Redis at ${redisLabel(url)} (${last}; waited ${REACH_TIMEOUT_MS / 1000} s)`)); }, REACH_TIMEOUT_MS);
    conn.on('error', onError);
    conn.once('ready', onReady);
    conn.once('end', onEnd);
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

interface Bull {
  queue: Queue;
  events: QueueEvents;
  progress: ProgressRoutes;
  connections: Redis[];
}

/** A run() under way: settled once, by its job's end, by a lost Redis, or by close(). */
interface Waiter {
  jobId?: string;
  settled: boolean;
  resolve(r: TaskResult): void;
  reject(e: Error): void;
}

export interface QueueExecutorOptions extends QueueOptions {
  /** Tasks submitted at once (default 64): how many run at once is up to the workers. */
  concurrency?: number;
  /** Told, in one line, when no worker has taken a task of this run NOTICE_AFTER_MS after the first was queued. */
  notify?: (line: string) => void;
  /** Redis unreachable this long mid-run fails the run (ms). Default 10 s. */
  lostAfterMs?: number;
}

export class QueueExecutor implements Executor {
  readonly concurrency: number;
  private readonly label: string;
  private readonly name: string;
  /** This executor's client name on Redis: a worker skips a task whose submitter is not connected. */
  private readonly submitter = `prnr-submitter:${randomUUID()}`;
  /** The first connection: the queue's, once Redis has answered on it. */
  private readonly probe: Redis;
  /** Its readiness: a Redis that never answers fails the first task within seconds, not never. */
  private readonly reached: Promise<void>;
  /** The queue and its events, made once Redis answers (BullMQ's own connections would retry, and its close wait, forever). */
  private bull: Promise<Bull> | undefined;
  /** The same, once made. */
  private opened: Bull | undefined;
  private readonly waiters = new Set<Waiter>();
  /** Per connection that is down: since when, and the last error it gave. */
  private readonly down = new Map<Redis, { since: number; why: string }>();
  /** Once set, every run under way and every later one fails with it. */
  private failure: Error | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private firstQueuedAt: number | undefined;
  /** A worker has taken a task of this run. */
  private taken = false;
  /** The run has said it waits for a worker (once is enough). */
  private noticed = false;
  private closing: Promise<void> | undefined;

  /** Throws QueueUnreachableError, in one line, for a URL that names no Redis (see checkRedisUrl). */
  static checkUrl(url: string): void {
    checkRedisUrl(url);
  }

  constructor(private readonly o: QueueExecutorOptions) {
    checkRedisUrl(o.redis);
    this.label = redisLabel(o.redis);
    this.name = o.queue ?? DEFAULT_QUEUE;
    this.probe = this.watch(connection(o.redis, this.submitter));
    this.reached = reachable(this.probe, o.redis);
    this.reached.catch(() => {}); // said by run()
    this.concurrency = o.concurrency ?? 64;
  }

  /** Notes when `c` goes down and comes back: the watchdog fails a run on a Redis down too long. */
  private watch(c: Redis): Redis {
    c.on('error', (e: Error) => {
      const d = this.down.get(c);
      if (d) d.why = e.message;
      else this.down.set(c, { since: Date.now(), why: e.message });
    });
    c.on('close', () => {
      if (!this.down.has(c)) this.down.set(c, { since: Date.now(), why: 'connection closed' });
    });
    c.on('ready', () => {
      // Back: if Redis restarted empty, this run's tasks are gone, and their end will never be told.
      if (this.down.delete(c) && this.down.size === 0) void this.recheck();
    });
    return c;
  }

  private open(): NonNullable<QueueExecutor['bull']> {
    this.bull ??= this.reached.then(() => {
      const connections = [this.probe, this.watch(connection(this.o.redis))];
      const { Queue, QueueEvents } = queueLibs().bullmq;
      const queue = new Queue(this.name, { connection: connections[0] });
      // Each job waited for (BullMQ's waitUntilFinished) listens for the queue's 'closing' meanwhile:
      // up to `concurrency` at once, past Node's warning at 10 listeners.
      queue.setMaxListeners(queue.getMaxListeners() + this.concurrency);
      const events = new QueueEvents(this.name, { connection: connections[1] });
      // Without a listener BullMQ prints each error with its stack, once per retry; the watchdog says it once.
      queue.on('error', () => {});
      events.on('error', () => {});
      events.on('active', ({ jobId }) => {
        if ([...this.waiters].some((w) => w.jobId === jobId)) this.taken = true;
      });
      this.watchdog = setInterval(() => this.tick(), 500);
      this.watchdog.unref();
      this.opened = { queue, events, progress: progressRoutes(events), connections };
      return this.opened;
    });
    return this.bull;
  }

  run(task: ReplayTask, progress?: (p: TaskProgress) => void): Promise<TaskResult> {
    return new Promise<TaskResult>((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      const w: Waiter = {
        settled: false,
        resolve: (r) => { if (!w.settled) { w.settled = true; this.waiters.delete(w); resolve(r); } },
        reject: (e) => { if (!w.settled) { w.settled = true; this.waiters.delete(w); reject(e); } },
      };
      this.waiters.add(w);
      this.submit(task, w, progress).then(w.resolve, w.reject);
    });
  }

  warm(recording: RecordingLocation): void {
    this.reads(recording);
  }

  /** The coordinator opens a recording given by URL too (replayRecording): with this executor's reader. */
  private reads(recording: RecordingLocation): void {
    if ('url' in recording && this.o.reader) readHttpRecordingsAs(recording.url, this.o.reader);
  }

  private async submit(task: ReplayTask, w: Waiter, progress?: (p: TaskProgress) => void): Promise<TaskResult> {
    this.reads(task.recording);
    const { queue, events, progress: routes } = await this.open();
    await events.waitUntilReady();
    if (this.failure) throw this.failure;
    // A worker runs in a directory of its own: a relative path would name another recording, or none.
    const recording = 'dir' in task.recording ? { ...task.recording, dir: resolve(task.recording.dir) } : task.recording;
    const data: QueuedTask = { ...task, recording, submitter: this.submitter };
    // Kept a while once ended (not removed at once): a run that missed the end while Redis was away reads it from the job.
    const job = await queue.add(`slices-${task.first}-${task.last}-pass-${task.pass}`, data, { attempts: 3, removeOnComplete: { age: 3600 }, removeOnFail: { age: 3600 } });
    const id = job.id!;
    w.jobId = id;
    this.firstQueuedAt ??= Date.now();
    const stop = progress ? routes.add(id, (p) => { this.taken = true; progress(p); }) : undefined;
    try {
      const r = (await job.waitUntilFinished(events)) as TaskResult;
      this.taken = true;
      return r;
    } finally {
      stop?.();
      // Read: nobody needs it any more.
      if (!this.closing) void queue.remove(id).catch(() => {});
    }
  }

  private tick(): void {
    if (this.failure || this.closing) return;
    const now = Date.now();
    if (this.down.size > 0) {
      const first = [...this.down.values()].reduce((a, b) => (b.since < a.since ? b : a));
      const lostAfter = this.o.lostAfterMs ?? LOST_AFTER_MS;
      if (this.waiters.size > 0 && now - first.since >= lostAfter) {
        this.fail(new QueueUnreachableError(`lost Redis at ${this.label} (${first.why}; no answer for ${Math.round((now - first.since) / 1000)} s)`));
      }
      return;
    }
    if (!this.taken && !this.noticed && this.o.notify && this.firstQueuedAt !== undefined && now - this.firstQueuedAt >= NOTICE_AFTER_MS) {
      this.noticed = true;
      this.o.notify(`waiting for a prnr worker on ${this.label} (queue ${this.name}): none has taken a task yet`);
    }
  }

  /** After Redis came back: a task of this run that no longer exists fails the run; one that ended meanwhile is read from its job. */
  private async recheck(): Promise<void> {
    const bull = await this.bull?.catch(() => undefined);
    if (!bull) return;
    for (const w of [...this.waiters]) {
      if (!w.jobId || this.failure || this.closing) continue;
      const state = await bull.queue.getJobState(w.jobId).catch(() => undefined);
      if (w.settled) continue; // ended (and removed) while we asked
      if (state === 'unknown') {
        this.fail(new QueueUnreachableError(`Redis at ${this.label} came back without this run's tasks (restarted without its data?)`));
        return;
      }
      if (state === 'completed' || state === 'failed') {
        const job = await queueLibs().bullmq.Job.fromId<ReplayTask, TaskResult>(bull.queue, w.jobId).catch(() => undefined);
        if (!job) continue;
        if (state === 'completed') w.resolve(job.returnvalue);
        else w.reject(new Error(job.failedReason));
      }
    }
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const w of [...this.waiters]) w.reject(this.failure);
  }

  /**
   * Ends the runs under way (they fail), removes this executor's tasks that no worker has taken
   * (a task a worker holds is left to end there) and disconnects. Never waits for a Redis that
   * does not answer: that tidy-up gets CLOSE_WAIT_MS, and none when Redis is down.
   */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    clearInterval(this.watchdog);
    const ids = [...this.waiters].map((w) => w.jobId).filter((id): id is string => id !== undefined);
    this.fail(new Error('the queue executor was closed'));
    const bull = this.opened;
    if (!bull) {
      // Not reached yet, or never used: the probe is all there is (and reaching it ends now).
      this.probe.disconnect();
      return;
    }
    const tidy = async () => {
      // remove() leaves a job a worker holds (locked): it answers 0 for it.
      await Promise.all(ids.map((id) => bull.queue.remove(id).catch(() => 0)));
      await bull.queue.close();
      await bull.events.close();
    };
    if (this.down.size === 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([tidy().catch(() => {}), new Promise<void>((r) => (timer = setTimeout(r, CLOSE_WAIT_MS)))]);
      clearTimeout(timer);
    } else {
      // Stops their loops (QueueEvents reads on until closed); not awaited, they would wait for Redis.
      void bull.queue.close().catch(() => {});
      void bull.events.close().catch(() => {});
    }
    for (const c of bull.connections) c.disconnect();
  }
}

/** Whether `conn`'s Redis has a client named `name` connected. True where Redis does not say (CLIENT LIST refused): the task runs. */
async function connected(conn: Redis, name: string): Promise<boolean> {
  try {
    const list = String(await conn.client('LIST'));
    return list.split('\n').some((line) => line.split(' ').includes(`name=${name}`));
  } catch {
    return true;
  }
}

/** How long a worker waits before it looks again for a submitter it did not find: a live one may be reconnecting. */
const SUBMITTER_RECHECK_MS = 3_000;

/** Whether a task's submitter is connected, looked for twice before it is taken for gone (ioredis names a connection again on reconnect). */
async function submitterConnected(conn: Redis, name: string): Promise<boolean> {
  if (await connected(conn, name)) return true;
  await new Promise((r) => setTimeout(r, SUBMITTER_RECHECK_MS));
  return connected(conn, name);
}

export interface QueueWorkerOptions extends QueueOptions, WorkerPolicy {
  /** A task begins here. */
  onStart?: (task: ReplayTask) => void;
  onTask?: (task: ReplayTask, result: TaskResult) => void;
  /** A task is not run: whoever queued it is gone (its result would reach nobody), or this worker's policy refuses it (WorkerPolicy). */
  onSkip?: (task: ReplayTask, why: string) => void;
}

/** Processes replay tasks from the queue until closed. One task at a time per worker: a replay uses a whole core. */
export function startQueueWorker(o: QueueWorkerOptions): { close(): Promise<void>; worker: Worker; retrying(e: Error): boolean } {
  checkRedisUrl(o.redis);
  const conn = connection(o.redis);
  const { Worker, UnrecoverableError, isNotConnectionError } = queueLibs().bullmq;
  const worker = new Worker(
    o.queue ?? DEFAULT_QUEUE,
    async (job: Job<QueuedTask>) => {
      const { submitter, ...task } = job.data;
      if (submitter !== undefined && !(await submitterConnected(conn, submitter))) {
        const why = 'whoever queued it is gone';
        o.onSkip?.(task, why);
        throw new UnrecoverableError(why); // not retried
      }
      let allowed: ReplayTask;
      try {
        allowed = taskUnderPolicy(task, o);
      } catch (e) {
        if (!(e instanceof TaskRefusedError)) throw e;
        o.onSkip?.(task, e.message);
        throw new UnrecoverableError(e.message); // not retried: no worker of this policy runs it
      }
      if ('url' in task.recording) readHttpRecordingsAs(task.recording.url, { who: 'this worker', ...o.reader });
      o.onStart?.(task);
      let lastReport = 0;
      const result = await runTask(allowed, async (p) => {
        // A replay is CPU-bound: give the event loop a turn so the lock on this job is renewed.
        await new Promise((r) => setImmediate(r));
        const now = Date.now();
        if (now - lastReport > 500) {
          lastReport = now;
          await job.updateProgress(p as unknown as object);
        }
      });
      o.onTask?.(task, result);
      return result;
    },
    { connection: conn, concurrency: 1, lockDuration: o.lockDuration ?? 30_000, stalledInterval: Math.min(30_000, o.lockDuration ?? 30_000), maxStalledCount: 3 },
  );
  return {
    worker,
    // BullMQ retries these by itself once Redis answers; any other error (a job gone from Redis) is not retried.
    retrying: (e) => !isNotConnectionError(e) || /^E[A-Z]+$/.test(String((e as NodeJS.ErrnoException).code ?? '')),
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
