/**
 * How many replay lanes a command starts for a recording: at most what was
 * asked for (--parallel), fewer where the scheduler's cost model says more
 * would not pay for their start (@prnr/scheduler's chooseLanes). The CLI's
 * entry (early-threads.ts) and the commands take the same decision from the
 * same manifest. Imports nothing heavy.
 */
import { readFileSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { chooseLanes, type LaneDecision, type SliceSize } from '@prnr/scheduler/prestart';

/**
 * The most lanes --parallel may ask for (the server's `parallel` takes as many): each lane is a
 * thread with a machine, and its RAM, of its own. Here, where the CLI's entry can read it too.
 */
export const MAX_PARALLEL = 256;

/** `passes`: how many times the slices are replayed (1 + the heavy analyses, see the planner). */
export function decideLanes(slices: readonly SliceSize[], asked: number, passes = 1): LaneDecision {
  return chooseLanes({ slices, asked, cores: availableParallelism(), passes });
}

/** The decision from a recording's manifest read directly (before @prnr/recording is loaded); null when it cannot be read (the command says why). */
export function decideLanesFromDir(dir: string, asked: number): LaneDecision | null {
  const slices = slicesFromDir(dir);
  return slices && decideLanes(slices, asked);
}

/** The slices of a recording's manifest read directly, or null when it cannot be read or is not as expected (the command says why). */
export function slicesFromDir(dir: string): SliceSize[] | null {
  try {
    const file = join(dir, 'recording.json');
    if (!statSync(file).isFile()) return null; // a FIFO would block this thread
    const slices = (JSON.parse(readFileSync(file, 'utf8')) as { slices?: unknown }).slices;
    if (!Array.isArray(slices) || slices.length === 0) return null;
    const ok = slices.every((s: SliceSize) => Number.isFinite(s?.startIcount) && Number.isFinite(s?.endIcount) && (s.busySeconds === undefined || Number.isFinite(s.busySeconds)));
    return ok ? (slices as SliceSize[]) : null;
  } catch {
    return null;
  }
}
