/**
 * The pool of replay threads (piscina) that the thread executor and the seek
 * service run on. Threads run the built worker entry (dist/thread-worker.js),
 * also when this file runs from src/ in tests.
 */
import { Piscina } from 'piscina';
import { threadExecArgv } from '@prnr/snapshot';

// src/worker-pool.ts and dist/index.js both sit one level below the package root.
const WORKER = new URL('../dist/thread-worker.js', import.meta.url);

/** What replay threads run their harts with (plain data): their starter's settings, see thread-hart-defaults.ts. */
export interface ThreadHartDefaults { engine?: string; jitThreshold?: number }
let hartDefaults: ThreadHartDefaults = {};
/** Set the hart defaults of replay threads started from now on (an app, from its own settings, e.g. PRNR_ENGINE). */
export function setReplayThreadHartDefaults(d: ThreadHartDefaults): void {
  hartDefaults = { ...d };
}

/**
 * `threads` threads, all started now (their start-up then overlaps the caller's own), running
 * `worker` (default: the scheduler's own thread worker; other packages pass their built entry).
 * `tasksAtOnce` (default 1): messages a thread is handed before it has answered the earlier ones.
 */
export function replayThreads(threads: number, worker: URL = WORKER, o: { tasksAtOnce?: number } = {}): Piscina {
  return new Piscina({ filename: worker.href, minThreads: threads, maxThreads: threads, idleTimeout: 5000, ...threadExecArgv(process.execArgv), workerData: { hartDefaults }, ...(o.tasksAtOnce ? { concurrentTasksPerWorker: o.tasksAtOnce } : {}) });
}
