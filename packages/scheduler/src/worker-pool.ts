/**
 * The pool of replay threads (piscina) that the thread executor and the seek
 * service run on. Threads run the built worker entry (dist/thread-worker.js),
 * also when this file runs from src/ in tests.
 */
import { Piscina } from 'piscina';

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

/**
 * The threads' Node options. Workers run the built code: resolution flags inherited from a test
 * runner (e.g. --conditions=source) are dropped. Otherwise none are given, so that the threads
 * inherit the process's own: a V8 flag (`node --max-old-space-size=4096 prnr verify`) is refused
 * when passed to a thread explicitly (ERR_WORKER_INVALID_EXEC_ARGV), and applies to the whole
 * process anyway.
 */
export function threadExecArgv(execArgv: readonly string[]): { execArgv?: string[] } {
  const condition = (a: string | undefined) => a === '--conditions' || a === '-C';
  const kept = execArgv.filter((a, i, all) => !condition(a) && !a.startsWith('--conditions=') && !(a.startsWith('-C') && a.length > 2) && !condition(all[i - 1]));
  if (kept.length === execArgv.length) return {};
  // Passed explicitly, so without V8 flags (Node refuses them there; they apply to every thread anyway).
  return { execArgv: kept.filter((a) => !(a.startsWith('--') && (!process.allowedNodeEnvironmentFlags.has(a.split('=')[0]) || V8_FLAGS_IN_NODE_OPTIONS.has(a.split('=')[0])))) };
}

/** V8 flags that Node also takes in NODE_OPTIONS (allowedNodeEnvironmentFlags lists them) but refuses for a thread. */
const V8_FLAGS_IN_NODE_OPTIONS = new Set(['--max-old-space-size', '--max-semi-space-size', '--stack-trace-limit', '--abort-on-uncaught-exception', '--disallow-code-generation-from-strings', '--huge-max-old-generation-size', '--interpreted-frames-native-stack', '--jitless', '--perf-basic-prof', '--perf-basic-prof-only-functions', '--perf-prof', '--perf-prof-unwinding-info']);
