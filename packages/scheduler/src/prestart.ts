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
import { traceProcessStart, traceReplay } from './trace.js';
import type { RecordingLocation } from './task.js';

export { setReplayThreadHartDefaults } from './worker-pool.js';

/**
 * A replay thread is handed its task while it still warms up: the warm-up and the task are two
 * messages at once. (A task waits in the pool otherwise, and the pool hands it over only when the
 * caller's thread, busy replaying lane 0, next turns its event loop.) The thread itself runs its
 * tasks one after another, each after the warm-up (thread-worker.ts, task.ts).
 */
export const THREAD_TASKS_AT_ONCE = 3;

/** A prestarted thread, and the warm-up it was sent (ThreadExecutor does not send the same again). */
export interface PrestartedThread {
  pool: Piscina;
  /** What the thread is getting ready for (warmKey of the recording and analysis modules), if anything. */
  warming?: string;
}

/**
 * Names a warm-up (a recording and the analysis modules). A thread sent one warm-up need not be
 * sent the same again: each message takes one of the thread's THREAD_TASKS_AT_ONCE places until
 * the caller's thread, busy replaying its own lane, takes its answer, and a task queued behind
 * it would wait for that (measured: the worker idled up to 1.6 s, ready, before its first task).
 */
export function warmKey(recording: RecordingLocation, modules: readonly string[]): string {
  return JSON.stringify(['dir' in recording ? { dir: recording.dir } : { url: recording.url }, recording.recordedModules === true, modules]);
}

const started: PrestartedThread[] = [];

/**
 * Starts `threads` replay threads now, each getting ready for `recording`
 * (opening it, loading its code cache, building a machine, and restoring the
 * first slice of the lane it will most likely run when every slice is
 * replayed: `callerLane` says the caller runs lane 0 itself) at once. Each
 * lane loads the code cache itself and waits for no other (task.ts warmUp).
 * Threads nobody takes let the process exit once they are idle.
 */
export function prestartReplayThreads(threads: number, recording?: RecordingLocation, o: { callerLane?: boolean } = {}): void {
  // With the caller's lane (ThreadExecutor's callerRuns), these threads run lanes 1..threads of threads + 1.
  const lanes = threads + (o.callerLane ? 1 : 0);
  traceProcessStart();
  traceReplay(`prestart ${threads}`);
  for (let i = 0; i < threads; i++) {
    const pool = replayThreads(1, undefined, { tasksAtOnce: THREAD_TASKS_AT_ONCE });
    if (recording) {
      const lane = { index: i + (o.callerLane ? 1 : 0), of: lanes };
      pool.run({ warm: recording, modules: [], lane } satisfies ThreadMessage).catch(() => {});
    }
    started.push({ pool, warming: recording && warmKey(recording, []) });
  }
}

/** A thread that prestartReplayThreads started and nobody has taken yet. */
export function takePrestartedThread(): PrestartedThread | undefined {
  return started.shift();
}

// The lane decision, here too: the CLI's entry takes it before it loads the rest of itself (lane-costs.ts imports nothing).
export { chooseLanes, MEASURED_LANE_COSTS } from './lane-costs.js';
export type { LaneCosts, LaneDecision, SliceSize } from './lane-costs.js';
