/**
 * Replay threads started before the code that uses them has loaded. A
 * command-line entry calls `prestartReplayThreads` first thing, before it
 * loads the rest of itself: a thread's start (a fresh V8, loading the replay
 * packages, opening the recording, building its machine) then overlaps the
 * caller's own loading, and `ThreadExecutor` takes these threads instead of
 * starting its own. This module loads nothing but the pool, so that calling
 * it costs the caller almost nothing.
 */
import type { Piscina } from 'piscina';
import type { ThreadMessage } from './thread-worker.js';
import { replayThreads } from './worker-pool.js';

export { setReplayThreadHartDefaults } from './worker-pool.js';

/**
 * A replay thread is handed its task while it still warms up: the warm-up and the task are two
 * messages at once. (A task waits in the pool otherwise, and the pool hands it over only when the
 * caller's thread, busy replaying lane 0, next turns its event loop.) The thread itself runs its
 * tasks one after another, each after the warm-up (thread-worker.ts, task.ts).
 */
export const THREAD_TASKS_AT_ONCE = 2;

const started: Piscina[] = [];

/**
 * Starts `threads` replay threads now, each getting ready for `recording`
 * (opening it, loading its code cache, building a machine) at once. Threads
 * nobody takes let the process exit once they are idle.
 */
export function prestartReplayThreads(threads: number, recording?: { dir: string } | { url: string }): void {
  for (let i = 0; i < threads; i++) {
    const pool = replayThreads(1, undefined, { tasksAtOnce: THREAD_TASKS_AT_ONCE });
    if (recording) pool.run({ warm: recording, modules: [] } satisfies ThreadMessage).catch(() => {});
    started.push(pool);
  }
}

/** A thread that prestartReplayThreads started and nobody has taken yet. */
export function takePrestartedThread(): Piscina | undefined {
  return started.shift();
}
