/**
 * Whether every snapshot a recording stores can be restored: each object a
 * slice's snapshot reaches (root, meta, tree nodes, pages, disk blocks), its
 * console, and what every restore needs (the base disks, the guest profile,
 * the device modules) is read from the store and checked against its hash.
 *
 * A replay straight through a chunk of slices restores only the chunk's first
 * snapshot and compares the later ones by their root hashes, computed in
 * memory. A missing or damaged object of a later snapshot would then go
 * unnoticed until someone restores that slice alone (seek, another lane
 * count), so verify checks them here and its answer does not depend on how
 * many lanes ran.
 */
import { Worker } from 'node:worker_threads';
import { reachableObjects, threadExecArgv, type Hash } from '@prnr/snapshot';
import type { SliceEntry } from './manifest.js';
import { consoleObjects, recordingObjects } from './named-objects.js';
import type { Recording } from './replayer.js';
import type { CheckRequest, CheckReply } from './check-snapshots-worker.js';

/** What the check reads: the manifest and the store. */
export type StoredRecording = Pick<Recording, 'manifest' | 'store'>;

/** What a slice whose stored snapshot cannot be read fails with, in front of what is wrong. */
export const UNRESTORABLE = 'its stored snapshot cannot be restored';

export interface StoredSliceProblem {
  slice: number;
  /** One line: which object of which snapshot, and what is wrong with it. */
  error: string;
}

/** Objects read per turn of the event loop: the check shares its thread with a replay lane and its workers' messages. */
const OBJECTS_PER_TURN = 256;

/**
 * Problems with the stored snapshots of `slices` (indices into the manifest), in slice order; empty
 * when every one reads back whole. Objects shared by several snapshots are read once.
 */
export async function checkStoredSnapshots(rec: StoredRecording, slices: readonly number[]): Promise<StoredSliceProblem[]> {
  const entries = slices.map((i) => rec.manifest.slices[i]);
  try {
    await readBack(rec, entries, recordingObjects(rec.manifest), new Set());
    return [];
  } catch {
    // Something is wrong: find which slices it touches, one at a time, skipping what read back whole.
  }
  const good = new Set<Hash>();
  try {
    await readBack(rec, [], recordingObjects(rec.manifest), good);
  } catch (e) {
    return entries.map((s) => ({ slice: s.index, error: `what every restore needs cannot be read: ${(e as Error).message}` }));
  }
  const problems: StoredSliceProblem[] = [];
  for (const s of entries) {
    try {
      await readBack(rec, [s], [], good);
    } catch (e) {
      problems.push({ slice: s.index, error: `${UNRESTORABLE}: ${(e as Error).message}` });
    }
  }
  return problems;
}

/**
 * Reads every object of the slices' snapshots (and of the recording's final state, with its last
 * slice), their consoles and `extra`, except those in `good`; adds what read back whole to `good`.
 */
async function readBack(rec: StoredRecording, entries: readonly SliceEntry[], extra: readonly Hash[], good: Set<Hash>): Promise<void> {
  const last = rec.manifest.slices.at(-1);
  // A slice's end state is the next one's snapshot, and the last slice's is stored too (seek to the end).
  const roots = entries.flatMap((s) => (s === last ? [s.snapshot, s.endState] : [s.snapshot]));
  const objects = roots.length > 0 ? await reachableObjects(roots, rec.store) : new Set<Hash>();
  for (const h of [...consoleObjects(entries), ...extra]) objects.add(h);
  const todo = [...objects].filter((h) => !good.has(h));
  for (let i = 0; i < todo.length; i += OBJECTS_PER_TURN) {
    if (i > 0) await new Promise((resolve) => setImmediate(resolve));
    const batch = todo.slice(i, i + OBJECTS_PER_TURN);
    // getEach verifies each object against its hash; the bytes themselves are not needed.
    await rec.store.getEach(batch, () => {});
    for (const h of batch) good.add(h);
  }
}

// src/ and dist/ both sit one level below the package root; the thread runs built.
const WORKER = new URL('../dist/check-snapshots-worker.js', import.meta.url);

/**
 * checkStoredSnapshots on a thread of its own, at a low priority: a replay's lane 0 runs on the
 * caller's thread (a command line's), and the ~0.1-0.2 s of reading and hashing was taken from it.
 * Where the thread cannot start or fails, the check runs here instead (`onFallback` is told why):
 * the answer is the same. The thread does not keep the process alive: a caller that gives up on
 * the answer (its replay failed first) is not held up by it.
 */
export function checkStoredSnapshotsInThread(rec: Recording, slices: readonly number[], o: { onFallback?: (why: string) => void } = {}): Promise<StoredSliceProblem[]> {
  return new Promise<StoredSliceProblem[]>((resolve) => {
    let answered = false;
    const here = (why: string) => {
      if (answered) return;
      answered = true;
      o.onFallback?.(why);
      resolve(checkStoredSnapshots(rec, slices));
    };
    let worker: Worker;
    try {
      worker = new Worker(WORKER, { ...threadExecArgv(process.execArgv), workerData: { dir: rec.dir, manifest: rec.manifest, slices: [...slices] } satisfies CheckRequest });
    } catch (e) {
      return here((e as Error).message);
    }
    worker.unref();
    worker.once('message', (r: CheckReply) => {
      if ('problems' in r && !answered) {
        answered = true;
        resolve(r.problems);
      } else if ('failed' in r) {
        here(r.failed);
      }
    });
    worker.once('error', (e) => here(e.message));
    worker.once('exit', (code) => here(`the read-back thread exited (code ${code}) without an answer`));
  });
}
