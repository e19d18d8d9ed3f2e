/**
 * A fixed-fanout Merkle tree over N leaf hashes, kept in memory and updated
 * incrementally: changing k leaves recomputes only the nodes on their paths
 * to the root. Node layout and the NULL rules are in schema.ts.
 *
 * Nodes are encoded here (nodeBytes) and checked here when read back
 * (checkNode), so writer and readers cannot drift.
 *
 * Leaves are held by a LeafTable: dense (RAM: one 32-byte slot per page,
 * written directly by the writer's hashing loop) or sparse (disk overlays:
 * only the blocks that are in the overlay). Inner levels are dense.
 */
import { SnapshotFormatError } from './errors.js';
import { blake3Bin, hashEquals, isNullAt, toHex } from './hash.js';
import { FANOUT, HASH_BYTES, NODE_HEADER_BYTES, NODE_MAGIC, NODE_VERSION, NULL_HASH, type Hash } from './schema.js';

export interface LeafTable {
  /** Copies the hashes of leaves start..start+count-1 (NULL_HASH for none) into out at off. */
  copyRange(start: number, count: number, out: Uint8Array, off: number): void;
}

/** One 32-byte slot per leaf; all-zero slot = NULL_HASH. */
export class DenseLeaves implements LeafTable {
  readonly hashes: Uint8Array;
  constructor(readonly count: number) {
    this.hashes = new Uint8Array(count * HASH_BYTES);
  }
  copyRange(start: number, count: number, out: Uint8Array, off: number): void {
    out.set(this.hashes.subarray(start * HASH_BYTES, (start + count) * HASH_BYTES), off);
  }
}

/** Only non-NULL leaves, by index. */
export class SparseLeaves implements LeafTable {
  readonly hashes = new Map<number, Uint8Array>();
  copyRange(start: number, count: number, out: Uint8Array, off: number): void {
    for (let i = 0; i < count; i++) {
      const h = this.hashes.get(start + i);
      if (h) out.set(h, off + i * HASH_BYTES);
      else out.fill(0, off + i * HASH_BYTES, off + (i + 1) * HASH_BYTES);
    }
  }
}

/** Node counts per level: counts[0] = leaves, counts[H] = 1 (none for an empty tree). */
export function levelCounts(leafCount: number): number[] {
  const counts = [leafCount];
  if (leafCount === 0) return counts;
  do counts.push(Math.ceil(counts[counts.length - 1] / FANOUT));
  while (counts[counts.length - 1] > 1);
  return counts;
}

export class HashTree<L extends LeafTable = LeafTable> {
  /** counts[L]: nodes at level L (level 0 = leaves). */
  readonly counts: number[];
  /** Levels above the leaves: 1 (children are leaves) .. height (the root). 0 for an empty tree. */
  readonly height: number;
  /** levels[L - 1]: the 32-byte hashes of level L's nodes; all zero = NULL. Initially every node is NULL (correct for all-NULL leaves). */
  readonly levels: Uint8Array[];
  /**
   * Per level (index L - 1): nodes whose hash changed since they were last
   * stored. A writer stores them (rebuilding their bytes) and clears this.
   */
  readonly unstored: Set<number>[];

  /**
   * A tree whose `leafCount` leaves all equal `leaf`, built with at most
   * two hashes per level instead of one per node: the tree of an all-zero
   * RAM, without reading it. Marks nothing unstored.
   */
  static uniform(leafCount: number, leaf: Uint8Array): HashTree<DenseLeaves> {
    const tree = new HashTree(leafCount, new DenseLeaves(leafCount));
    const table = tree.leaves.hashes;
    if (leafCount > 0) {
      table.set(leaf.subarray(0, HASH_BYTES), 0);
      for (let filled = HASH_BYTES; filled < table.length; filled *= 2) table.copyWithin(filled, 0, Math.min(filled, table.length - filled));
    }
    // Nodes 0..n-2 of a level hold only non-last children of the level below, so they are equal; the last may differ.
    for (let level = 1; level <= tree.height; level++) {
      const n = tree.counts[level];
      const last = tree.nodeBytes(level, n - 1);
      if (last === null) break; // NULL leaves: every node stays NULL
      const hashes = tree.levels[level - 1];
      if (n > 1) {
        const h = blake3Bin(tree.nodeBytes(level, 0)!);
        for (let j = 0; j < n - 1; j++) hashes.set(h, j * HASH_BYTES);
      }
      hashes.set(blake3Bin(last), (n - 1) * HASH_BYTES);
    }
    return tree;
  }

  constructor(
    readonly leafCount: number,
    readonly leaves: L,
  ) {
    this.counts = levelCounts(leafCount);
    this.height = this.counts.length - 1;
    this.levels = this.counts.slice(1).map((n) => new Uint8Array(n * HASH_BYTES));
    this.unstored = this.counts.slice(1).map(() => new Set<number>());
  }

  /** The tree's hash: its root node's, or NULL_HASH for an empty or all-NULL tree. */
  root(): Hash {
    return this.height === 0 ? NULL_HASH : toHex(this.levels[this.height - 1], 0);
  }

  /** Children of node `index` at `level`. */
  childCount(level: number, index: number): number {
    return Math.min(FANOUT, this.counts[level - 1] - index * FANOUT);
  }

  /** The node's bytes from its current children, or null if they are all NULL (the node is then NULL and never stored). */
  nodeBytes(level: number, index: number): Uint8Array | null {
    const count = this.childCount(level, index);
    const out = new Uint8Array(NODE_HEADER_BYTES + count * HASH_BYTES);
    out.set(NODE_MAGIC, 0);
    out[4] = NODE_VERSION;
    out[5] = level;
    out[6] = count & 0xff;
    out[7] = count >>> 8;
    const start = index * FANOUT;
    if (level === 1) this.leaves.copyRange(start, count, out, NODE_HEADER_BYTES);
    else out.set(this.levels[level - 2].subarray(start * HASH_BYTES, (start + count) * HASH_BYTES), NODE_HEADER_BYTES);
    for (let off = NODE_HEADER_BYTES; off < out.length; off += HASH_BYTES) if (!isNullAt(out, off)) return out;
    return null;
  }

  /**
   * Recomputes every node above `changedLeaves` (leaf indices whose hash
   * changed, ascending). Nodes whose hash changes are marked unstored.
   */
  update(changedLeaves: readonly number[]): void {
    let changed = changedLeaves;
    for (let level = 1; level <= this.height && changed.length > 0; level++) {
      const hashes = this.levels[level - 1];
      const unstored = this.unstored[level - 1];
      const next: number[] = [];
      let last = -1;
      for (const child of changed) {
        const j = Math.floor(child / FANOUT);
        if (j === last) continue;
        last = j;
        const bytes = this.nodeBytes(level, j);
        const at = j * HASH_BYTES;
        if (bytes === null) {
          if (isNullAt(hashes, at)) continue;
          hashes.fill(0, at, at + HASH_BYTES);
          unstored.delete(j);
        } else {
          const h = blake3Bin(bytes);
          if (hashEquals(h, 0, hashes, at)) continue;
          hashes.set(h, at);
          unstored.add(j);
        }
        next.push(j);
      }
      changed = next;
    }
  }

  /** All leaf indices 0..leafCount-1 (for a first, full update). */
  allLeaves(): number[] {
    return Array.from({ length: this.leafCount }, (_, i) => i);
  }
}

/** Throws SnapshotFormatError unless `node` is a version-1 node of `level` with `count` children; `where` names it. */
export function checkNode(node: Uint8Array, level: number, count: number, where: string): void {
  if (node.length < NODE_HEADER_BYTES || NODE_MAGIC.some((b, i) => node[i] !== b)) throw new SnapshotFormatError(`${where}: not a tree node`);
  if (node[4] !== NODE_VERSION) throw new SnapshotFormatError(`${where}: node version ${node[4]}; this reader understands version ${NODE_VERSION}`);
  const n = node[6] | (node[7] << 8);
  if (node[5] !== level || n !== count || node.length !== NODE_HEADER_BYTES + count * HASH_BYTES) {
    throw new SnapshotFormatError(`${where}: node says level ${node[5]} with ${n} children in ${node.length} bytes, the tree needs level ${level} with ${count}`);
  }
}
