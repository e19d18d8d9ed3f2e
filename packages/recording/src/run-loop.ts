/**
 * The one loop that drives a machine while recording and while replaying.
 * Sharing it is what makes the two agree: the machine is called with the same
 * sequence of positions in both modes, and what differs (where idle time comes
 * from, what a checkpoint does) is a hook.
 */
import { setImmediate as yieldToHost } from 'node:timers/promises';
import type { PowerRequest } from '@prnr/devices';
import type { VirtMachine } from '@prnr/machine';

export interface LoopHooks {
  /**
   * The hart idles at the current position with its next timer at `wakeAt`
   * (mtime, null: none). Return how many ticks virtual time jumps, or null to
   * stop the run (nothing can wake the guest).
   */
  idle(wakeAt: bigint | null): bigint | null | Promise<bigint | null>;
  /** At every multiple of the checkpoint interval the run passes (not at its start). */
  checkpoint(): void;
  /** Polled between chunks: return true to stop now (e.g. the user quit). */
  shouldStop?(): boolean;
  /** Between chunks: report progress, let the host breathe. */
  between?(): void | Promise<void>;
}

export type LoopEnd =
  | { reason: 'until' }
  | { reason: 'halt'; power: PowerRequest }
  | { reason: 'hung' }
  | { reason: 'stopped' };

/** Steps per chunk between host hooks: small enough for a responsive console, large enough to cost nothing. */
const CHUNK = 4_000_000;

/**
 * How often a busy machine lets the host in (console and network input, signals, the completions
 * of background file writes and worker replies), with someone at the console (realtime) or not.
 * A turn of the event loop cost the machine's thread ~0.1 ms in a plain run and ~0.4 ms in a
 * recording (its background work's completions run in it, about half of that), and a chunk takes
 * 10-20 ms. Turning after every chunk, the smoke workload's recording spent a median 226 ms outside
 * the machine's run; paced, 199 ms (BENCHMARKS.md §4b, twelfth pass). setTimeout(0), used before in
 * realtime runs and `prnr run`, waits at least 1 ms: ~0.46 s per 1.6G busy instructions (~9%).
 * 20 ms keeps console echo, network replies and Ctrl-C prompt; a script only has signals and the
 * background completions waiting.
 */
export const HOST_YIELD_EVERY_MS = { realtime: 20, scripted: 100 } as const;

/**
 * A function to call between chunks: it returns a promise that lets the host in (setImmediate:
 * I/O is polled first) once `everyMs` have passed since it last did, else undefined.
 */
export function hostYields(everyMs: number): () => Promise<void> | undefined {
  const every = BigInt(Math.round(everyMs * 1e6));
  let last = process.hrtime.bigint();
  return () => {
    const now = process.hrtime.bigint();
    if (now - last < every) return undefined;
    last = now;
    return yieldToHost();
  };
}

export async function runLoop(machine: VirtMachine, until: number, checkpointInterval: number, hooks: LoopHooks): Promise<LoopEnd> {
  const hart = machine.hart;
  let nextCheckpoint = (Math.floor(hart.icount / checkpointInterval) + 1) * checkpointInterval;
  for (;;) {
    if (hooks.shouldStop?.()) return { reason: 'stopped' };
    const target = Math.min(until, nextCheckpoint, hart.icount + CHUNK);
    const r = machine.run(target);
    if (r.reason === 'halt') return { reason: 'halt', power: r.power };
    if (r.reason === 'idle') {
      const ticks = await hooks.idle(r.wakeAt);
      if (ticks === null) return { reason: 'hung' };
      machine.advanceIdle(machine.clock.mtime() + ticks);
      continue;
    }
    if (hart.icount === nextCheckpoint) {
      hooks.checkpoint();
      nextCheckpoint += checkpointInterval;
    }
    if (hart.icount >= until) return { reason: 'until' };
    await hooks.between?.();
  }
}
