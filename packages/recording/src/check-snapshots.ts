/**
 * Whether every snapshot a recording stores can be restored: each object a
 * slice's snapshot reaches (root, meta, tree nodes, pages, disk blocks), and
 * its console, is read from the store and checked against its hash.
 *
 * A replay straight through a chunk of slices restores only the chunk's first
 * snapshot and compares the later ones by their root hashes, computed in
 * memory. A missing or damaged object of a later snapshot would then go
 * unnoticed until someone restores that slice alone (seek, another lane
 * count), so verify checks them here and its answer does not depend on how
 * many lanes ran.
 */
import { reachableObjects } from '@prnr/snapshot';
import type { SliceEntry } from './manifest.js';
import type { Recording } from './replayer.js';

export interface StoredSliceProblem {
  slice: number;
  /** One line: which object of which snapshot, and what is wrong with it. */
  error: string;
}

/**
 * Problems with the stored snapshots of `slices` (indices into the manifest), in slice order; empty
 * when every one reads back whole. Objects shared by several snapshots are read once, so the cost is
 * the store's distinct objects, not the number of slices.
 */
export async function checkStoredSnapshots(rec: Recording, slices: readonly number[]): Promise<StoredSliceProblem[]> {
  const entries = slices.map((i) => rec.manifest.slices[i]);
  try {
    await readAll(rec, entries);
    return [];
  } catch {
    // Something is wrong: find which slices it touches, one slice at a time (slower, and only now).
  }
  const problems: StoredSliceProblem[] = [];
  for (const s of entries) {
    try {
      await readAll(rec, [s]);
    } catch (e) {
      problems.push({ slice: s.index, error: `its stored snapshot cannot be restored: ${(e as Error).message}` });
    }
  }
  return problems;
}

/** Reads every object of the slices' snapshots (and of the recording's final state, with its last slice) and their consoles. */
async function readAll(rec: Recording, entries: readonly SliceEntry[]): Promise<void> {
  const last = rec.manifest.slices.at(-1);
  // A slice's end state is the next one's snapshot, and the last slice's is stored too (seek to the end).
  const roots = entries.flatMap((s) => (s === last ? [s.snapshot, s.endState] : [s.snapshot]));
  const objects = await reachableObjects(roots, rec.store);
  for (const s of entries) if (s.console) objects.add(s.console);
  // getEach verifies each object against its hash; the bytes themselves are not needed.
  await rec.store.getEach([...objects], () => {});
}
