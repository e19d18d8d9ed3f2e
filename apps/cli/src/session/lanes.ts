/**
 * How many replay lanes a command starts for a recording: at most what was
 * asked for (--parallel), fewer where the scheduler's cost model says more
 * would not pay for their start (@prnr/scheduler's chooseLanes). The CLI's
 * entry (early-threads.ts) and the commands take the same decision from the
 * same manifest. Imports nothing heavy.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { chooseLanes, type LaneDecision, type SliceSize } from '@prnr/scheduler/prestart';

/** `passes`: how many times the slices are replayed (1 + the heavy analyses, see the planner). */
export function decideLanes(slices: readonly SliceSize[], asked: number, passes = 1): LaneDecision {
  return chooseLanes({ slices, asked, cores: availableParallelism(), passes });
}

/** The decision from a recording's manifest read directly (before @prnr/recording is loaded); null when it cannot be read (the command says why). */
export function decideLanesFromDir(dir: string, asked: number): LaneDecision | null {
  try {
    const slices = (JSON.parse(readFileSync(join(dir, 'recording.json'), 'utf8')) as { slices?: unknown }).slices;
    if (!Array.isArray(slices) || slices.length === 0) return null;
    const ok = slices.every((s: SliceSize) => Number.isFinite(s?.startIcount) && Number.isFinite(s?.endIcount) && (s.busySeconds === undefined || Number.isFinite(s.busySeconds)));
    return ok ? decideLanes(slices as SliceSize[], asked) : null;
  } catch {
    return null;
  }
}
