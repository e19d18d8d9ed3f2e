/**
 * Runs tasks on worker threads (piscina), one replay per thread; each thread
 * keeps its replay session (and its machine) between tasks, and each lane of
 * the caller has a thread of its own, so a lane's next chunk starts where its
 * machine stands. Progress comes back over a MessagePort handed to each task.
 *
 * With `callerRuns`, lane 0 runs in the calling thread instead (a command-line
 * replay, whose own thread would otherwise only wait): one thread fewer to
 * start, and that lane's packages are already loaded. A server must not.
 */
import { availableParallelism } from 'node:os';
import { MessageChannel } from 'node:worker_threads';
import type { Piscina } from 'piscina';
import { HOST_YIELD_EVERY_MS, hostYields } from '@prnr/recording';
import type { Executor, SharedTaskOptions } from '../executor.js';
import type { SliceReport } from '../task.js';
import { replayThreads } from '../worker-pool.js';
import { takePrestartedThread, THREAD_TASKS_AT_ONCE, warmKey } from '../prestart.js';
import { runTask, warmUp, type RecordingLocation, type ReplayTask, type TaskProgress, type TaskResult } from '../task.js';

export class ThreadExecutor implements Executor {
  readonly concurrency: number;
  readonly sharesMemory = true;
  /** One single-thread pool per lane (null: the lane that runs in the calling thread). */
  private readonly pools: Array<Piscina | null>;
  /** Per lane, the warm-ups its thread was sent (warmKey): each is sent once. */
  private readonly warmed: Array<Set<string>>;
  private next = 0;

  /**
   * `slices`: how many slices the caller will hand it, where it knows: no more lanes are made than
   * that (the planner never cuts a pass into more chunks than slices), a lane beyond them would only
   * start a thread, and a machine, to wait.
   */
  constructor(threads = availableParallelism(), o: { callerRuns?: boolean; slices?: number } = {}) {
    this.concurrency = Math.max(1, Math.min(threads, o.slices ?? threads));
    // Every thread starts now, while the caller opens the recording, unless it started earlier still
    // (prestart.ts): a thread's first start (loading the packages, V8 warming up) is then off the
    // replay's critical path.
    this.warmed = Array.from({ length: this.concurrency }, () => new Set<string>());
    this.pools = Array.from({ length: this.concurrency }, (_, i) => {
      if (i === 0 && o.callerRuns) return null;
      const early = takePrestartedThread();
      if (early?.warming) this.warmed[i].add(early.warming);
      return early?.pool ?? replayThreads(1, undefined, { tasksAtOnce: THREAD_TASKS_AT_ONCE });
    });
  }

  async run(task: ReplayTask, progress?: (p: TaskProgress) => void, lane?: number, shared: SharedTaskOptions = {}): Promise<TaskResult> {
    const pool = this.pools[(lane ?? this.next++) % this.pools.length];
    if (pool === null) return runTask(task, yielding(progress), shared);
    const { port1, port2 } = new MessageChannel();
    // The thread sends progress, and each slice's report as the slice ends ({ report }).
    port1.on('message', (m: TaskProgress | { report: SliceReport }) => {
      if ('report' in m) shared.onSliceReport?.(m.report);
      else progress?.(m);
    });
    try {
      // The claims' word is shared memory: the thread and this one see the same slices.
      return (await pool.run({ task, port: port2, claims: shared.claims?.word }, { transferList: [port2] })) as TaskResult;
    } finally {
      port1.close();
    }
  }

  /**
   * Every thread opens the recording and builds its machine while the caller gets ready. A thread
   * is sent each warm-up once (see warmKey): a repeated one would only hold up its first task.
   */
  warm(recording: RecordingLocation, modules: string[] = []): void {
    const key = warmKey(recording, modules);
    this.pools.forEach((pool, i) => {
      if (pool === null || this.warmed[i].has(key)) return;
      this.warmed[i].add(key);
      pool.run({ warm: recording, modules }).catch(() => {});
    });
    // The caller's lane gets ready too (in this thread, between its other work).
    if (this.pools[0] === null) void warmUp(recording, modules);
  }

  async close(): Promise<void> {
    await Promise.all(this.pools.map((p) => p?.destroy()));
  }
}

/**
 * Progress for the lane run in the calling thread: it also gives the event
 * loop a turn now and then (every HOST_YIELD_EVERY_MS.realtime, not after
 * every chunk: a turn costs ~0.1-0.4 ms), so the other lanes' messages
 * (progress, finished tasks) are taken while this one replays.
 */
function yielding(progress?: (p: TaskProgress) => void): (p: TaskProgress) => Promise<void> | undefined {
  const turn = hostYields(HOST_YIELD_EVERY_MS.realtime);
  return (p) => {
    progress?.(p);
    return turn();
  };
}
