/**
 * Reverse-continue's search on replay threads: each thread keeps a machine for
 * the recording and searches one slice at a time; `threads` slices are
 * searched at once. Threads run the built entry (dist/search-worker.js), also
 * when this file runs from src/ in tests.
 */
import { replayThreads, type RecordingLocation } from '@prnr/scheduler';
import type { SliceSearcher } from './debug-session.js';
import type { SearchMessage } from './search-worker.js';
import type { SliceSearchResult } from './slice-search.js';

// src/search-pool.ts and dist/index.js both sit one level below the package root.
const WORKER = new URL('../dist/search-worker.js', import.meta.url);

export function threadSearcher(recording: RecordingLocation, threads: number): SliceSearcher {
  if (!(Number.isInteger(threads) && threads >= 1)) throw new RangeError(`search threads must be a whole number >= 1, got ${threads}`);
  const pool = replayThreads(threads, WORKER);
  return {
    width: threads,
    search: (search) => pool.run({ recording, search } satisfies SearchMessage) as Promise<SliceSearchResult>,
    close: () => pool.destroy(),
  };
}
