/**
 * One step of the backward search: replay one slice from its snapshot up to a
 * position (its end, or where the debugger stands) and name the last
 * breakpoint or watchpoint hit before it. Costs one restore and at most one
 * slice's replay; a whole slice is checked against its recorded end state on
 * the way, as any replay is.
 */
import type { ReplaySession } from '@prnr/recording';
import { Probe, type DebugPoints, type Hit } from './probe.js';

export const SLICE_SEARCH_VERSION = 1;

/** A search task, as plain data (it crosses to search threads). */
export interface SliceSearch {
  version: typeof SLICE_SEARCH_VERSION;
  slice: number;
  /** Hits before this icount count (the slice's end, or the debugger's position inside it). */
  until: number;
  points: DebugPoints;
}

export interface SliceSearchResult {
  slice: number;
  /** The last hit before `until`, null if none. */
  hit: Hit | null;
  /** Wall time of the search, restore included. */
  seconds: number;
}

export async function searchSlice(session: ReplaySession, q: SliceSearch): Promise<SliceSearchResult> {
  if (q.version !== SLICE_SEARCH_VERSION) throw new Error(`slice search version ${q.version}, this prnr reads ${SLICE_SEARCH_VERSION}`);
  const started = process.hrtime.bigint();
  const slice = session.manifest.slices[q.slice];
  await session.restore(q.slice);
  const probe = new Probe(session.machine!, q.points);
  probe.attach();
  try {
    if (q.until >= slice.endIcount) {
      const r = await session.runSlice();
      if (!r.verified) throw new Error(`slice ${q.slice} did not replay to its recorded state: ${r.divergence?.message ?? 'different end state'}`);
    } else if (q.until > slice.startIcount) {
      await session.seek(q.until);
    }
  } finally {
    probe.detach();
  }
  return { slice: q.slice, hit: probe.hits.at(-1) ?? null, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}
