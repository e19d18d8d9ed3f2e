/**
 * The snapshot worker thread itself (capture-worker.ts), with the ring it
 * touches, started ahead of its recording when a caller knows one is coming.
 *
 * A worker is not bound to a store when it starts: its BackgroundWriter
 * opens one with its first request. So `prnr record` can start the thread
 * from its first lines (prestartSnapshotWorker), and the thread's start, its
 * modules and the ~4,000 page faults of its ring overlap the command line's
 * own loading and the guest images' decoding. The recorder's power-on
 * capture then finds the ring ready instead of waiting for it (60-140 ms
 * of a recording's start, measured in a process whose machines build fast).
 *
 * Imports nothing heavy: the command line loads it before anything else.
 */
import { Worker } from 'node:worker_threads';
import { READY_ID, type Reply, type WorkerInit } from './background-protocol.js';
import { WORKER_NICE } from './thread-priority.js';

export { HELPER_NICE, niceOtherThreads } from './thread-priority.js';

// src/ and dist/ both sit one level below the package root; the worker runs built.
const WORKER = new URL('../dist/capture-worker.js', import.meta.url);

/**
 * The shared ring's size: room for an 8 MiB base disk image, the boot's
 * first captures (~1,100-1,300 pages each in the first 20M instructions)
 * and the captures of a running guest (median ~30 pages); a capture that
 * does not fit in its free part copies into fresh memory, paying its page
 * faults in the pause. The worker touches all of it once (~8,000 page
 * faults, on its thread). 32 MiB since 2026-12-07: with 16, a boot's second
 * or third snapshot copied into fresh memory in 5 of 14 smoke recordings on
 * an AMD EPYC host, pausing the guest 18-24 ms; with 32, at most 6 ms in
 * 14, at the same record/plain ratio (BENCHMARKS.md §4b, twenty-first pass).
 */
export const DEFAULT_RING_BYTES = 32 << 20;

export interface SnapshotThreadOptions {
  /** Bytes of the shared ring (default DEFAULT_RING_BYTES). */
  ringBytes?: number;
  /**
   * The worker thread's nice value (Linux; elsewhere ignored), default
   * WORKER_NICE: it gives way to the machine's thread (and, where they
   * are at normal priority, to V8's compiler threads). null: the process's
   * priority.
   */
  workerNice?: number | null;
}

/** A started worker: its ring, and `ready` once it has touched all of it (rejects if it fails first). */
export interface SnapshotThread {
  readonly worker: Worker;
  readonly ring: SharedArrayBuffer;
  /** Int32 words shared with the worker (background-protocol.ts RING_TOUCHED). */
  readonly control: SharedArrayBuffer;
  readonly ready: Promise<void>;
}

let spare: { thread: SnapshotThread; nice: number | null; forget: () => void } | undefined;

/**
 * Starts a snapshot worker for the next BackgroundWriter made in this
 * process with the same options (a recorder's), unless one is waiting
 * already; returns the waiting thread's id, and `ready` once its ring is
 * touched (rejected if it fails). Once ready, a thread that no writer has
 * taken does not keep the process alive (until then it does: awaiting
 * `ready` alone keeps a process running, and that takes ~0.1 s). One that
 * fails meanwhile is forgotten (the writer starts its own).
 */
export function prestartSnapshotWorker(options: SnapshotThreadOptions = {}): { threadId: number; ready: Promise<void> } {
  if (spare) return { threadId: spare.thread.worker.threadId, ready: spare.thread.ready };
  const thread = startThread(options);
  void thread.ready.then(() => {
    if (spare?.thread === thread) thread.worker.unref();
  }, () => {});
  const forget = () => {
    if (spare?.thread === thread) spare = undefined;
  };
  thread.worker.once('error', forget);
  thread.worker.once('exit', forget);
  spare = { thread, nice: niceOf(options), forget };
  return { threadId: thread.worker.threadId, ready: thread.ready };
}

/** @internal BackgroundWriter's thread: the prestarted one when it was started with these options (it is taken), else a new one. */
export function snapshotThread(options: SnapshotThreadOptions): SnapshotThread {
  const s = spare;
  if (s && s.thread.ring.byteLength === (options.ringBytes ?? DEFAULT_RING_BYTES) && s.nice === niceOf(options)) {
    spare = undefined;
    s.thread.worker.off('error', s.forget).off('exit', s.forget);
    s.thread.worker.ref();
    return s.thread;
  }
  return startThread(options);
}

const niceOf = (o: SnapshotThreadOptions): number | null => (o.workerNice === null ? null : o.workerNice ?? WORKER_NICE);

function startThread(options: SnapshotThreadOptions): SnapshotThread {
  // Not touched here: the worker does that (page faults on its thread), and says how far through control.
  const ring = new SharedArrayBuffer(options.ringBytes ?? DEFAULT_RING_BYTES);
  const control = new SharedArrayBuffer(4);
  const nice = niceOf(options);
  const init: WorkerInit = { ring, control, ...(nice === null ? {} : { nice }) };
  const worker = new Worker(WORKER, { workerData: init });
  const ready = new Promise<void>((resolve, reject) => {
    worker.on('message', (r: Reply) => {
      if (r.id === READY_ID) resolve();
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the snapshot worker thread exited (code ${code})`)));
  });
  ready.catch(() => {}); // a failure also rejects the requests, where callers see it
  return { worker, ring, control, ready };
}
