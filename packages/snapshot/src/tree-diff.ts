/**
 * Turns an in-memory HashTree into another tree of the store by reading only
 * the nodes where the two differ: a subtree whose hash the tree already has
 * is the same subtree, so it is skipped whole. Moving a machine between two
 * snapshots therefore reads the nodes above what changed, not the machine.
 *
 * Leaves written since the tree last hashed them ("stale") are the exception:
 * the tree's hashes above them say nothing about the machine, so every node
 * over a stale leaf is read even where the hashes agree.
 */
import { forEachLimit } from './concurrency.js';
import { SnapshotFormatError } from './errors.js';
import { fromHex, hashEquals, isNullAt, toHex } from './hash.js';
import { checkNode, type HashTree } from './hash-tree.js';
import type { ObjectReader } from './object-store.js';
import { readObject } from './read-object.js';
import { FANOUT, HASH_BYTES, NODE_HEADER_BYTES, NULL_HASH, type Hash } from './schema.js';

export interface TreeDiffHooks {
  /**
   * A level-1 node of the target was read: `children` (count * 32 bytes) are
   * the hashes of leaves start.. . The tree's old leaf hashes are still in
   * place; the hook compares and takes the new ones over.
   */
  leaves(start: number, children: Uint8Array): void;
  /** Leaves start..end-1 are NULL in the target (its subtree there is NULL). */
  nullLeaves(start: number, end: number): void;
}

/**
 * Makes `tree`'s inner levels those of tree `target` in `store`, calling
 * `hooks` for the leaves that may differ. Nodes of a level are read
 * `concurrency` at a time. Returns how many nodes it read. On an error the
 * tree is half-way and must be dropped.
 */
export async function readTreeDiff(
  store: ObjectReader,
  target: Hash,
  tree: HashTree,
  hooks: TreeDiffHooks,
  o: { stale: Iterable<number>; context: string; concurrency: number },
): Promise<number> {
  if (tree.height === 0) {
    if (target !== NULL_HASH) throw new SnapshotFormatError(`${o.context}: an empty tree must be NULL, is ${target}`);
    return 0;
  }
  const stale = staleNodes(tree, o.stale);
  const top = tree.levels[tree.height - 1];
  const want = fromHex(target);
  if (hashEquals(want, 0, top, 0) && !stale[tree.height].has(0)) return 0;
  top.set(want, 0);

  let read = 0;
  let frontier = [0];
  for (let level = tree.height; level >= 1; level--) {
    const hashes = tree.levels[level - 1];
    const toRead: number[] = [];
    for (const j of frontier) {
      if (isNullAt(hashes, j * HASH_BYTES)) clearSubtree(tree, level, j, hooks);
      else toRead.push(j);
    }
    const next: number[] = [];
    await forEachLimit(toRead, o.concurrency, async (j) => {
      const h = toHex(hashes, j * HASH_BYTES);
      const where = `${o.context}: node ${h} (level ${level}, #${j})`;
      const node = await readObject(store, h, where);
      read++;
      checkNode(node, level, tree.childCount(level, j), where);
      const children = node.subarray(NODE_HEADER_BYTES);
      const start = j * FANOUT;
      if (level === 1) {
        hooks.leaves(start, children);
        return;
      }
      const below = tree.levels[level - 2];
      const staleBelow = stale[level - 1];
      for (let c = 0, off = 0; off < children.length; c++, off += HASH_BYTES) {
        const k = start + c;
        if (hashEquals(children, off, below, k * HASH_BYTES) && !staleBelow.has(k)) continue;
        below.set(children.subarray(off, off + HASH_BYTES), k * HASH_BYTES);
        next.push(k);
      }
    });
    frontier = next.sort((a, b) => a - b);
  }
  return read;
}

/** stale[L]: the nodes of level L (1..height) above a stale leaf. */
function staleNodes(tree: HashTree, leaves: Iterable<number>): Set<number>[] {
  const stale = Array.from({ length: tree.height + 1 }, () => new Set<number>());
  for (const leaf of leaves) {
    let j = leaf;
    for (let level = 1; level <= tree.height; level++) {
      j = Math.floor(j / FANOUT);
      if (stale[level].has(j)) break; // and so are the nodes above it
      stale[level].add(j);
    }
  }
  return stale;
}

/** Node j of `level` is NULL in the target: so is everything under it. */
function clearSubtree(tree: HashTree, level: number, j: number, hooks: TreeDiffHooks): void {
  let span = 1;
  for (let l = level - 1; l >= 1; l--) {
    span *= FANOUT;
    const end = Math.min((j + 1) * span, tree.counts[l]);
    tree.levels[l - 1].fill(0, j * span * HASH_BYTES, end * HASH_BYTES);
  }
  span *= FANOUT;
  hooks.nullLeaves(j * span, Math.min((j + 1) * span, tree.leafCount));
}
