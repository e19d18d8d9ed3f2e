/**
 * The objects a set of roots reaches, for gc: the roots, their meta, every
 * tree node and every stored page and block (zero pages and absent blocks
 * have no object). Reads only roots and nodes, never pages; a subtree shared
 * by several roots is read once, so the cost is the distinct nodes, not the
 * number of snapshots.
 */
import { forEachLimit } from './concurrency.js';
import { SnapshotFormatError } from './errors.js';
import { assertHash, blake3Ready, isNullAt, toHex, zeroHash } from './hash.js';
import { checkNode, HashTree, type LeafTable } from './hash-tree.js';
import type { ObjectReader } from './object-store.js';
import { readObject } from './read-object.js';
import type { ReadOptions } from './restore-onto.js';
import { FANOUT, HASH_BYTES, NODE_HEADER_BYTES, NULL_HASH, type Hash } from './schema.js';
import { parseRoot } from './snapshot-root.js';

export async function reachableObjects(roots: Hash | readonly Hash[], store: ObjectReader, options: ReadOptions = {}): Promise<Set<Hash>> {
  await blake3Ready();
  const conc = options.concurrency ?? 32;
  const seen = new Set<Hash>();
  for (const root of typeof roots === 'string' ? [roots] : roots) {
    if (seen.has(root)) continue;
    assertHash(root);
    const r = parseRoot(root, await readObject(store, root, `snapshot ${root}: root`));
    seen.add(root);
    seen.add(r.meta);
    const ctx = `snapshot ${root}`;
    const trees: Array<{ hash: Hash; leafCount: number; leafSize: number; name: string }> = [
      { hash: r.ram.tree, leafCount: r.ram.size / r.ram.pageSize, leafSize: r.ram.pageSize, name: 'ram' },
      ...r.disks.map((d, i) => ({ hash: d.tree, leafCount: Math.ceil(d.size / d.blockSize), leafSize: d.blockSize, name: `disk ${i}` })),
    ];
    for (const t of trees) {
      const zero = zeroHash(t.leafSize);
      const tree = new HashTree(t.leafCount, NO_LEAVES);
      const addLeaves = (children: Uint8Array) => {
        for (let off = 0; off < children.length; off += HASH_BYTES) {
          if (isNullAt(children, off)) continue;
          const h = toHex(children, off);
          if (h !== zero) seen.add(h);
        }
      };
      await walkNew(store, t.hash, tree, addLeaves, `${ctx}: ${t.name} tree`, conc, seen);
    }
  }
  return seen;
}

const NO_LEAVES: LeafTable = { copyRange: () => {} };

/** Reads every node of tree `treeHash` not yet in `seen` (adding it), and hands each level-1 node's children to `onLeaves`. */
async function walkNew(store: ObjectReader, treeHash: Hash, tree: HashTree, onLeaves: (children: Uint8Array) => void, context: string, concurrency: number, seen: Set<Hash>): Promise<void> {
  if (tree.height === 0) {
    if (treeHash !== NULL_HASH) throw new SnapshotFormatError(`${context}: an empty tree must be NULL, is ${treeHash}`);
    return;
  }
  let frontier: Array<[Hash, number]> = treeHash === NULL_HASH ? [] : [[treeHash, 0]];
  for (let level = tree.height; level >= 1 && frontier.length > 0; level--) {
    const next: Array<[Hash, number]> = [];
    await forEachLimit(frontier, concurrency, async ([h, j]) => {
      if (seen.has(h)) return;
      seen.add(h);
      const where = `${context}: node ${h} (level ${level}, #${j})`;
      const node = await readObject(store, h, where);
      checkNode(node, level, tree.childCount(level, j), where);
      const children = node.subarray(NODE_HEADER_BYTES);
      if (level === 1) onLeaves(children);
      else for (let c = 0, off = 0; off < children.length; c++, off += HASH_BYTES) if (!isNullAt(children, off)) next.push([toHex(children, off), j * FANOUT + c]);
    });
    frontier = next;
  }
}
