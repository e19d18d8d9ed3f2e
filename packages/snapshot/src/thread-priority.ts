/**
 * Lowers the scheduling priority of the calling thread alone. The snapshot
 * worker runs it first thing: on a host with few cores its hashing,
 * compression and I/O then give way to the machine's thread and to V8's
 * compiler threads (whose compiles the machine's thread waits for), and
 * take the cores they leave idle.
 *
 * Linux only: there a thread is a task with its own id, read from
 * /proc/thread-self ("<pid>/task/<tid>"), and setpriority() on that id
 * applies to that thread only (os.setPriority on a pid would renice the
 * main thread). Elsewhere, or if anything fails, it does nothing.
 */
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

/** The nice value the snapshot worker runs at (0 normal, 19 lowest). */
export const WORKER_NICE = 10;

/** Sets this thread's nice value; returns its thread id, or undefined where nothing was changed. */
export function niceThisThread(nice: number): number | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(tid) || tid <= 0) return undefined;
    setPriority(tid, nice);
    return tid;
  } catch {
    return undefined; // no /proc, or not permitted: the worker runs at the process's priority
  }
}
