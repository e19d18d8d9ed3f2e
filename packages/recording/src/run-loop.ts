/**
 * The one loop that drives a machine while recording and while replaying.
 * Sharing it is what makes the two agree: the machine is called with the same
 * sequence of positions in both modes, and what differs (where idle time comes
 * from, what a checkpoint does) is a hook.
 */
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
