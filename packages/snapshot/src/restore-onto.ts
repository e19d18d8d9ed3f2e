/**
 * Restoring a snapshot onto a machine whose state is known: its trees (what
 * a SnapshotWriter holds, or those of an all-zero machine) plus the pages and
 * blocks written since they were hashed. Only what differs from the target is
 * read and written: tree nodes where the hashes differ, then the pages and
 * blocks whose leaf hashes differ or that were written. A cold restore is the
 * same walk from the all-zero machine, where every zero page is already right.
 *
 * Every object read is verified by the store (get() and getEach() check its hash).
 */
import { CanonicalDecodeError, decodeCanonical } from './canonical.js';
import { SnapshotFormatError } from './errors.js';
import { assertHash, blake3Ready, hashEquals, isNullAt, toHex, zeroHashBin } from './hash.js';
import { HashTree, SparseLeaves } from './hash-tree.js';
import type { DiskPart } from './machine-parts.js';
import type { ObjectReader } from './object-store.js';
import { readEach, readObject } from './read-object.js';
import { HASH_BYTES, PAGE_SIZE, type Hash, type SnapshotRoot } from './schema.js';
import { parseRoot } from './snapshot-root.js';
import type { WriterTrees } from './snapshot-writer.js';
import { readTreeDiff } from './tree-diff.js';
import { copyBytes } from './copy-bytes.js';

export interface RestoredDisk {
  size: number;
  blockSize: number;
  /** The whole overlay, ascending by index (the shape of CowDiskState.blocks). */
  blocks: Array<{ index: number; data: Uint8Array }>;
}

/** What a restore did; counts, for tests and measurements. */
export interface RestoreStats {
  /** Tree nodes read (the root record and meta not counted). */
  nodesRead: number;
  /** RAM pages written: from page objects, or zero-filled. */
  pagesWritten: number;
  /** Disk overlay blocks that came from the store or were zero-filled (the rest were kept). */
  blocksWritten: number;
  /** Page and block objects read (each distinct object once). */
  objectsRead: number;
}

export interface RestoredSnapshot {
  root: Hash;
  meta: unknown;
  ram: { size: number };
  disks: RestoredDisk[];
  /** Every hash of the restored state: SnapshotWriter.fromRestored continues from them. */
  readonly trees: WriterTrees;
  stats: RestoreStats;
}

export interface ReadOptions {
  /** Gets in flight at once (default 32). */
  concurrency?: number;
}

/** The machine a restore writes into. */
export interface RestoreMachine {
  /** Its RAM, written in place. */
  ram: Uint8Array;
  /** One byte per page, non-zero = written since `from` hashed it. Omitted: none. */
  ramDirty?: Uint8Array;
  /** Its disk overlays, where unchanged blocks are taken from (and dirtyBlocks() are stale). Omitted: no overlay blocks. */
  disks?: readonly DiskPart[];
}

/**
 * Where a restore starts from:
 * - WriterTrees: the machine is what these trees say, except the pages and
 *   blocks marked dirty. They are updated in place into the target's; after
 *   an error they are half-way and must be dropped.
 * - 'zeroed': RAM all zero except dirty pages, no overlay blocks except dirty ones (a machine just built).
 * - 'anything': RAM of unknown content: it is zeroed first, then as 'zeroed'.
 */
export type RestoreFrom = WriterTrees | 'zeroed' | 'anything';

/**
 * Restores snapshot `root` onto `machine`: writes the RAM pages that differ,
 * returns meta and the complete disk overlays for the caller to load (with
 * CowDisk.restore), and the target's trees. Dirty marks are left to the caller
 * (the writer that owns them).
 */
export async function restoreOnto(root: Hash, store: ObjectReader, machine: RestoreMachine, from: RestoreFrom, options: ReadOptions = {}): Promise<RestoredSnapshot> {
  await blake3Ready();
  assertHash(root);
  const ctx = `snapshot ${root}`;
  const conc = options.concurrency ?? 32;
  const r = parseRoot(root, await readObject(store, root, `${ctx}: root`));
  if (r.ram.pageSize !== PAGE_SIZE) throw new SnapshotFormatError(`${ctx}: RAM pages of ${r.ram.pageSize} bytes; this reader restores ${PAGE_SIZE}-byte pages`);
  if (machine.ram.length !== r.ram.size) throw new RangeError(`${ctx}: RAM is ${r.ram.size} bytes, the target RAM is ${machine.ram.length}`);
  if (machine.disks && machine.disks.length !== r.disks.length) throw new RangeError(`${ctx}: ${r.disks.length} disks, the machine has ${machine.disks.length}`);
  const trees = typeof from === 'string' ? zeroTrees(r) : from;
  checkShape(trees, r, ctx);

  const metaBytes = await readObject(store, r.meta, `${ctx}: meta`);
  let meta: unknown;
  try {
    meta = decodeCanonical(metaBytes);
  } catch (e) {
    if (e instanceof CanonicalDecodeError) throw new SnapshotFormatError(`${ctx}: meta ${r.meta} does not decode (${e.message})`);
    throw e;
  }

  if (from === 'anything') machine.ram.fill(0);
  const stats: RestoreStats = { nodesRead: 0, pagesWritten: 0, blocksWritten: 0, objectsRead: 0 };
  await restoreRam(r, store, machine.ram, from === 'anything' ? undefined : machine.ramDirty, trees.ram, stats, ctx, conc);
  const disks: RestoredDisk[] = [];
  for (let i = 0; i < r.disks.length; i++) disks.push(await restoreDisk(r, i, store, machine.disks?.[i], trees.disks[i], stats, ctx, conc));

  // The trees now describe a snapshot that is in the store: nothing is left to store.
  for (const tree of [trees.ram, ...trees.disks.map((d) => d.tree)]) for (const u of tree.unstored) u.clear();
  for (const d of trees.disks) d.unstoredLeaves.clear();
  return { root, meta, ram: { size: r.ram.size }, disks, trees, stats };
}

/** The trees of a machine with all-zero RAM and empty disk overlays, built without hashing RAM. */
export function zeroTrees(shape: { ram: { size: number }; disks: ReadonlyArray<{ size: number; blockSize: number }> }): WriterTrees {
  return {
    ram: HashTree.uniform(shape.ram.size / PAGE_SIZE, zeroHashBin(PAGE_SIZE)),
    disks: shape.disks.map((d) => ({ size: d.size, blockSize: d.blockSize, tree: new HashTree(Math.ceil(d.size / d.blockSize), new SparseLeaves()), unstoredLeaves: new Set<number>() })),
  };
}

function checkShape(trees: WriterTrees, r: SnapshotRoot, ctx: string): void {
  if (trees.ram.leafCount * PAGE_SIZE !== r.ram.size) throw new RangeError(`${ctx}: RAM is ${r.ram.size} bytes, the machine's is ${trees.ram.leafCount * PAGE_SIZE}`);
  if (trees.disks.length !== r.disks.length) throw new RangeError(`${ctx}: ${r.disks.length} disks, the machine has ${trees.disks.length}`);
  r.disks.forEach((d, i) => {
    const t = trees.disks[i];
    if (d.size !== t.size || d.blockSize !== t.blockSize) throw new RangeError(`${ctx}: disk ${i} is ${d.size} bytes in ${d.blockSize}-byte blocks, the machine's is ${t.size} in ${t.blockSize}`);
  });
}

async function restoreRam(
  r: SnapshotRoot,
  store: ObjectReader,
  ram: Uint8Array,
  dirty: Uint8Array | undefined,
  tree: WriterTrees['ram'],
  stats: RestoreStats,
  ctx: string,
  conc: number,
): Promise<void> {
  const leaves = tree.leaves.hashes;
  const stale: number[] = [];
  if (dirty) for (let p = 0; p < dirty.length; p++) if (dirty[p] !== 0) stale.push(p);
  const changed: number[] = [];
  stats.nodesRead += await readTreeDiff(
    store,
    r.ram.tree,
    tree,
    {
      leaves(start, children) {
        for (let c = 0, off = 0; off < children.length; c++, off += HASH_BYTES) {
          const p = start + c;
          if (isNullAt(children, off)) throw new SnapshotFormatError(`${ctx}: ram page ${p} has no hash (a RAM tree has no empty leaves)`);
          if ((dirty !== undefined && dirty[p] !== 0) || !hashEquals(children, off, leaves, p * HASH_BYTES)) changed.push(p);
        }
        leaves.set(children, start * HASH_BYTES);
      },
      nullLeaves(start) {
        throw new SnapshotFormatError(`${ctx}: ram page ${start} has no hash (a RAM tree has no empty leaves)`);
      },
    },
    { stale, context: `${ctx}: ram tree`, concurrency: conc },
  );

  // Zero pages are filled a run at a time; each distinct page object is read once and copied to every place it goes.
  const zero = zeroHashBin(PAGE_SIZE);
  const byHash = new Map<Hash, number[]>();
  changed.sort((a, b) => a - b);
  let runStart = -1;
  let runEnd = -1;
  for (const p of changed) {
    const at = p * HASH_BYTES;
    if (hashEquals(leaves, at, zero, 0)) {
      if (p !== runEnd) {
        if (runStart >= 0) ram.fill(0, runStart * PAGE_SIZE, runEnd * PAGE_SIZE);
        runStart = p;
      }
      runEnd = p + 1;
      continue;
    }
    const h = toHex(leaves, at);
    const list = byHash.get(h);
    if (list) list.push(p);
    else byHash.set(h, [p]);
  }
  if (runStart >= 0) ram.fill(0, runStart * PAGE_SIZE, runEnd * PAGE_SIZE);
  // All at once: a store reads them in file order, neighbours together, and lends each page only for the copy into RAM.
  await readEach(
    store,
    [...byHash.keys()],
    (h, page) => {
      const at = byHash.get(h)!;
      if (page.length !== PAGE_SIZE) throw new SnapshotFormatError(`${ctx}: ram page ${at[0]} (${h}) is ${page.length} bytes, not ${PAGE_SIZE}`);
      for (const p of at) ram.set(page, p * PAGE_SIZE);
    },
    { concurrency: conc, contextOf: (h) => `${ctx}: ram page ${byHash.get(h)![0]}` },
  );
  stats.pagesWritten += changed.length;
  stats.objectsRead += byHash.size;
}

async function restoreDisk(
  r: SnapshotRoot,
  i: number,
  store: ObjectReader,
  current: DiskPart | undefined,
  d: WriterTrees['disks'][number],
  stats: RestoreStats,
  ctx: string,
  conc: number,
): Promise<RestoredDisk> {
  const { size, blockSize } = r.disks[i];
  const leaves = d.tree.leaves.hashes;
  const stale = new Set(current?.dirtyBlocks() ?? []);
  const changed = new Set<number>();
  stats.nodesRead += await readTreeDiff(
    store,
    r.disks[i].tree,
    d.tree,
    {
      leaves(start, children) {
        for (let c = 0, off = 0; off < children.length; c++, off += HASH_BYTES) {
          const b = start + c;
          const old = leaves.get(b);
          if (isNullAt(children, off)) {
            leaves.delete(b);
            continue;
          }
          if (old && hashEquals(children, off, old, 0) && !stale.has(b)) continue;
          leaves.set(b, children.slice(off, off + HASH_BYTES));
          changed.add(b);
        }
      },
      nullLeaves(start, end) {
        if (end - start > leaves.size) {
          for (const b of [...leaves.keys()]) if (b >= start && b < end) leaves.delete(b);
        } else for (let b = start; b < end; b++) leaves.delete(b);
      },
    },
    { stale, context: `${ctx}: disk ${i} tree`, concurrency: conc },
  );

  // The whole overlay: changed blocks from the store (each distinct object read once; zero blocks made), the others kept from the machine.
  const zero = zeroHashBin(blockSize);
  const indices = [...leaves.keys()].sort((a, b) => a - b);
  const blocks: RestoredDisk['blocks'] = new Array(indices.length);
  const byHash = new Map<Hash, number[]>();
  indices.forEach((index, k) => {
    const h = leaves.get(index)!;
    if (changed.has(index)) {
      stats.blocksWritten++;
      if (hashEquals(h, 0, zero, 0)) blocks[k] = { index, data: new Uint8Array(blockSize) };
      else {
        const hex = toHex(h);
        const list = byHash.get(hex);
        if (list) list.push(k);
        else byHash.set(hex, [k]);
      }
      return;
    }
    const data = current?.block(index);
    if (!data) throw new Error(`${ctx}: disk ${i} block ${index} is not in the machine's overlay, but its trees say it is (was the disk changed without a dirty mark?)`);
    blocks[k] = { index, data };
  });
  const where = (ks: number[]) => `${ctx}: disk ${i} block ${indices[ks[0]]}`;
  await readEach(
    store,
    [...byHash.keys()],
    (h, data, fresh) => {
      const ks = byHash.get(h)!;
      if (data.length !== blockSize) throw new SnapshotFormatError(`${where(ks)} (${h}) is ${data.length} bytes, not ${blockSize}`);
      // The disk takes its blocks over (and writes them): a copy of bytes only lent.
      ks.forEach((k, n) => (blocks[k] = { index: indices[k], data: n === 0 && fresh ? data : copyBytes(data) }));
    },
    { concurrency: conc, contextOf: (h) => where(byHash.get(h)!) },
  );
  stats.objectsRead += byHash.size;
  return { size, blockSize, blocks };
}
