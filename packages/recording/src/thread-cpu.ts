/**
 * CPU time of the calling thread, for the recorder's per-slice `busySeconds`.
 *
 * The replay planner balances chunks by how long each slice took to record.
 * Wall time also counts the moments the machine's thread waited for a core
 * (another process, the snapshot worker, V8's compiler threads), so a
 * recording made on a busy host skews the plan; the thread's own CPU time
 * does not. Linux gives it in nanoseconds in /proc/thread-self/schedstat
 * (the first field); elsewhere this returns null and the caller uses wall
 * time. A measurement of the host, never machine state.
 */
import { closeSync, openSync, readSync } from 'node:fs';

let available = process.platform === 'linux';
/** Read into one small buffer: readFileSync sizes a /proc file (size 0) with a 64 KiB buffer per call, and new memory costs page faults. */
const buffer = Buffer.alloc(128);
/**
 * This thread's schedstat, opened once (module state is per thread: a worker gets its own). A read
 * at offset 0 gives the current figures; opening it each time (a /proc path lookup) cost a recorder
 * ~5 ms of its machine's thread per smoke recording, two calls per slice.
 */
let fd: number | undefined;

/** Nanoseconds this thread has run on a CPU, or null where the host does not say. */
export function threadCpuNs(): bigint | null {
  if (!available) return null;
  try {
    fd ??= openOwnSchedstat();
    const n = readSync(fd, buffer, 0, buffer.length, 0);
    const text = buffer.toString('latin1', 0, n);
    return BigInt(text.slice(0, text.indexOf(' ')));
  } catch {
    available = false;
    return null;
  }
}

function openOwnSchedstat(): number {
  const opened = openSync('/proc/thread-self/schedstat', 'r');
  // Closed with the thread (a worker's 'exit' is its own), not left open in the process.
  process.once('exit', () => closeSync(opened));
  return opened;
}
