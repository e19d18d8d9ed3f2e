/**
 * Thread priorities. The snapshot worker lowers its own first thing
 * (niceThisThread): on a host with few cores its hashing, compression and
 * I/O then give way to the machine's thread, and take the cores it leaves
 * idle. A process that runs one machine (`prnr record`, `prnr run`) lowers
 * V8's helper threads too (niceOtherThreads), for the same reason.
 *
 * Linux only: there a thread is a task with its own id, read from
 * /proc/thread-self ("<pid>/task/<tid>"), and setpriority() on that id
 * applies to that thread only (os.setPriority on a pid would renice the
 * main thread). Elsewhere, or if anything fails, it does nothing.
 */
import { readdirSync, readlinkSync } from 'node:fs';
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

/** The nice value of the helper threads of a process that runs one machine (niceOtherThreads). */
export const HELPER_NICE = 10;

/**
 * Sets the nice value of every thread of this process but the calling one;
 * returns how many it changed (0 where it changed nothing: not Linux, no
 * /proc, not permitted).
 *
 * For a process whose calling thread runs the only machine, called before it
 * starts any thread of its own that must keep its priority (replay lanes):
 * then the others are V8's compiler and GC threads (and the thread pool where
 * it has started). At normal priority they took the machine's core whenever
 * they woke: recording the smoke workload, its thread was preempted 160-220
 * times and waited 90-150 ms for a CPU while runnable; with them at nice 10,
 * 80-140 times and 40-60 ms (BENCHMARKS.md §4b, fourteenth pass). They still
 * get every core the machine leaves idle. Threads started later inherit the
 * priority of the thread that starts them.
 */
export function niceOtherThreads(nice: number): number {
  if (process.platform !== 'linux') return 0;
  try {
    const self = readlinkSync('/proc/thread-self').split('/').pop();
    let changed = 0;
    for (const tid of readdirSync('/proc/self/task')) {
      if (tid === self) continue;
      try {
        setPriority(Number(tid), nice);
        changed++;
      } catch {
        // the thread has ended, or this one may not: it keeps its priority
      }
    }
    return changed;
  } catch {
    return 0;
  }
}
