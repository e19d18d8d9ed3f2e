/**
 * Entry of a search thread (piscina): searches slices of a recording for the
 * last breakpoint or watchpoint hit, keeping one replay session per recording
 * so consecutive searches move a warm machine.
 */
import { ReplaySession } from '@prnr/recording';
import { applyReplayThreadHartDefaults, openSource, type RecordingLocation } from '@prnr/scheduler';
import { searchSlice, type SliceSearch, type SliceSearchResult } from './slice-search.js';

export interface SearchMessage {
  recording: RecordingLocation;
  search: SliceSearch;
}

applyReplayThreadHartDefaults();

const sessions = new Map<string, ReplaySession>();

export default async function (m: SearchMessage): Promise<SliceSearchResult> {
  const source = await openSource(m.recording);
  const key = JSON.stringify(m.recording);
  let s = sessions.get(key);
  if (!s || s.source !== source) {
    s = new ReplaySession(source);
    sessions.set(key, s);
  }
  return searchSlice(s, m.search);
}
