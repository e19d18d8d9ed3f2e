/**
 * Reading snapshots back: restore a root into RAM and disk overlay blocks,
 * and list the objects a root reaches (for gc). Both walk one full tree per
 * root, so their cost is bounded by the machine's size, never by how many
 * snapshots came before. Every object read is verified by the store.
 */
import { decodeCanonical, CanonicalDecodeError } from './canonical.js';
import { forEachLimit } from './concurrency.js';
import { ObjectMissingError, SnapshotFormatError } from './errors.js';
import { assertHash, blake3Ready, fromHex, hashEquals, isNullAt, toHex, zeroHash, zeroHashBin } from './hash.js';
import { DenseLeaves, HashTree, SparseLeaves, type LeafTable } from './hash-tree.js';
import type { ObjectReader } from './object-store.js';
import { FANOUT, HASH_BYTES, NODE_HEADER_BYTES, NODE_MAGIC, NODE_VERSION, NULL_HASH, PAGE_SIZE, type Hash, type SnapshotRoot } from './schema.js';
import { parseRoot } from './snapshot-root.js';
import type { WriterTrees } from './snapshot-writer.js';

export interface RestoreTarget {
  /** The machine's RAM, filled in place (zero pages zeroed); its length must be the snapshot's RAM size. */
  ram: Uint8Array;
}

export interface RestoredDisk {
  size: number;
  blockSize: number;
  /** The overlay, ascending by index (the shape of CowDiskState.blocks). */
  blocks: Array<{ index: number; data: Uint8Array }>;
}

export interface RestoredSnapshot {
  root: Hash;
  meta: unknown;
  ram: { size: number };
  disks: RestoredDisk[];
  /** Every hash learned while restoring: SnapshotWriter.fromRestored continues from them. */
  readonly trees: WriterTrees;
}

export interface ReadOptions {
  /** Gets in flight at once (default 32). */
  concurrency?: number;
}

async function fetch(store: ObjectReader, h: Hash, context: string): Promise<Uint8Array> {
  try {
    return await store.get(h);
  } catch (e) {
    if (e instanceof ObjectMissingError) throw e.withContext(context);
    throw e;
  }
}

async function readRoot(store: ObjectReader, root: Hash): Promise<SnapshotRoot> {
  assertHash(root);
  return parseRoot(root, await fetch(store, root, `snapshot ${root}: root`));
}

/**
 * Fetches every node of a tree (not its leaves) and fills a HashTree with
 * the node and leaf hashes. `known`: nodes already walked (gc) are skipped,
 * with their subtrees. `onNode` sees each node hash fetched.
 */
async function readTree<L extends LeafTable>(
  store: ObjectReader,
  treeHash: Hash,
  tree: HashTree<L>,
  setLeaves: (start: number, node: Uint8Array) => void,
  context: string,
  concurrency: number,
  skip?: (h: Hash) => boolean,
): Promise<void> {
  if (tree.height === 0) {
    if (treeHash !== NULL_HASH) throw new SnapshotFormatError(`${context}: an empty tree must be NULL, is ${treeHash}`);
    return;
  }
  if (treeHash === NULL_HASH) return; // all-NULL: the tree starts that way
  fromHex(treeHash, tree.levels[tree.height - 1], 0);
  let frontier = [0];
  for (let level = tree.height; level >= 1; level--) {
    const hashes = tree.levels[level - 1];
    const next: number[] = [];
    await forEachLimit(frontier, concurrency, async (j) => {
      const h = toHex(hashes, j * HASH_BYTES);
      if (skip?.(h)) return;
      const where = `${context}: node ${h} (level ${level}, #${j})`;
      const node = await fetch(store, h, where);
      const count = tree.childCount(level, j);
      checkNode(node, level, count, where);
      const children = node.subarray(NODE_HEADER_BYTES);
      const start = j * FANOUT;
      if (level === 1) setLeaves(start, children);
      else {
        tree.levels[level - 2].set(children, start * HASH_BYTES);
        for (let c = 0; c < count; c++) if (!isNullAt(children, c * HASH_BYTES)) next.push(start + c);
      }
    });
    frontier = next.sort((a, b) => a - b);
  }
}

function checkNode(node: Uint8Array, level: number, count: number, where: string): void {
  if (node.length < NODE_HEADER_BYTES || NODE_MAGIC.some((b, i) => node[i] !== b)) throw new SnapshotFormatError(`${where}: not a tree node`);
  if (node[4] !== NODE_VERSION) throw new SnapshotFormatError(`${where}: node version ${node[4]}; this reader understands version ${NODE_VERSION}`);
  const n = node[6] | (node[7] << 8);
  if (node[5] !== level || n !== count || node.length !== NODE_HEADER_BYTES + count * HASH_BYTES) {
    throw new SnapshotFormatError(`${where}: node says level ${node[5]} with ${n} children in ${node.length} bytes, the tree needs level ${level} with ${count}`);
  }
}

/**
 * Restores snapshot `root`: fills target.ram, returns meta and the disk
 * overlays, and the hashes a SnapshotWriter needs to continue from here.
 * The caller loads the disks (CowDisk.restore) and hands meta to its devices;
 * RAM dirty marks left set only cost the next capture a hash each.
 */
export async function restoreSnapshot(root: Hash, store: ObjectReader, target: RestoreTarget, options: ReadOptions = {}): Promise<RestoredSnapshot> {
  await blake3Ready();
  const conc = options.concurrency ?? 32;
  const r = await readRoot(store, root);
  const ctx = `snapshot ${root}`;
  if (r.ram.pageSize !== PAGE_SIZE) throw new SnapshotFormatError(`${ctx}: RAM pages of ${r.ram.pageSize} bytes; this reader restores ${PAGE_SIZE}-byte pages`);
  if (target.ram.length !== r.ram.size) throw new RangeError(`${ctx}: RAM is ${r.ram.size} bytes, the target RAM is ${target.ram.length}`);

  const metaBytes = await fetch(store, r.meta, `${ctx}: meta`);
  let meta: unknown;
  try {
    meta = decodeCanonical(metaBytes);
  } catch (e) {
    if (e instanceof CanonicalDecodeError) throw new SnapshotFormatError(`${ctx}: meta ${r.meta} does not decode (${e.message})`);
    throw e;
  }

  // RAM: the tree, then each distinct page once, copied to every place it occurs.
  const pages = r.ram.size / PAGE_SIZE;
  const ramTree = new HashTree(pages, new DenseLeaves(pages));
  await readTree(store, r.ram.tree, ramTree, (start, children) => ramTree.leaves.hashes.set(children, start * HASH_BYTES), `${ctx}: ram tree`, conc);
  // Zero pages are compared in binary and zeroed a run at a time; only the rest get a hex name.
  const zero = zeroHashBin(PAGE_SIZE);
  const byHash = new Map<Hash, number[]>();
  const leaves = ramTree.leaves.hashes;
  let zeroRun = -1;
  for (let p = 0; p <= pages; p++) {
    const at = p * HASH_BYTES;
    if (p < pages && hashEquals(leaves, at, zero, 0)) {
      if (zeroRun < 0) zeroRun = p;
      continue;
    }
    if (zeroRun >= 0) {
      target.ram.fill(0, zeroRun * PAGE_SIZE, p * PAGE_SIZE);
      zeroRun = -1;
    }
    if (p === pages) break;
    if (isNullAt(leaves, at)) throw new SnapshotFormatError(`${ctx}: ram page ${p} has no hash (a RAM tree has no empty leaves)`);
    const h = toHex(leaves, at);
    const list = byHash.get(h);
    if (list) list.push(p);
    else byHash.set(h, [p]);
  }
  await forEachLimit([...byHash], conc, async ([h, at]) => {
    const page = await fetch(store, h, `${ctx}: ram page ${at[0]}`);
    if (page.length !== PAGE_SIZE) throw new SnapshotFormatError(`${ctx}: ram page ${at[0]} (${h}) is ${page.length} bytes, not ${PAGE_SIZE}`);
    for (const p of at) target.ram.set(page, p * PAGE_SIZE);
  });

  // Disks: the tree, then every overlay block.
  const disks: RestoredDisk[] = [];
  const diskTrees: WriterTrees['disks'] = [];
  for (let i = 0; i < r.disks.length; i++) {
    const d = r.disks[i];
    const tree = new HashTree(Math.ceil(d.size / d.blockSize), new SparseLeaves());
    await readTree(store, d.tree, tree, (start, children) => setSparse(tree.leaves, start, children), `${ctx}: disk ${i} tree`, conc);
    const zeroBlock = zeroHash(d.blockSize);
    const indices = [...tree.leaves.hashes.keys()].sort((a, b) => a - b);
    const blocks: RestoredDisk['blocks'] = new Array(indices.length);
    await forEachLimit(indices, conc, async (index, k) => {
      const h = toHex(tree.leaves.hashes.get(index)!);
      let data: Uint8Array;
      if (h === zeroBlock) data = new Uint8Array(d.blockSize);
      else {
        data = await fetch(store, h, `${ctx}: disk ${i} block ${index}`);
        if (data.length !== d.blockSize) throw new SnapshotFormatError(`${ctx}: disk ${i} block ${index} (${h}) is ${data.length} bytes, not ${d.blockSize}`);
      }
      blocks[k] = { index, data };
    });
    disks.push({ size: d.size, blockSize: d.blockSize, blocks });
    diskTrees.push({ size: d.size, blockSize: d.blockSize, tree, unstoredLeaves: new Set() });
  }

  return { root, meta, ram: { size: r.ram.size }, disks, trees: { ram: ramTree, disks: diskTrees } };
}

function setSparse(leaves: SparseLeaves, start: number, children: Uint8Array): void {
  for (let c = 0; c * HASH_BYTES < children.length; c++) {
    if (!isNullAt(children, c * HASH_BYTES)) leaves.hashes.set(start + c, children.slice(c * HASH_BYTES, (c + 1) * HASH_BYTES));
  }
}

/**
 * Every object the given roots reach: the roots, their meta, every tree node
 * and every stored page and block (zero pages and absent blocks have no
 * object). Reads only roots and nodes, never pages; a subtree shared by
 * several roots is read once. For gc: what is not in the set may go.
 */
export async function reachableObjects(roots: Hash | readonly Hash[], store: ObjectReader, options: ReadOptions = {}): Promise<Set<Hash>> {
  await blake3Ready();
  const conc = options.concurrency ?? 32;
  const seen = new Set<Hash>();
  for (const root of typeof roots === 'string' ? [roots] : roots) {
    if (seen.has(root)) continue;
    const r = await readRoot(store, root);
    seen.add(root);
    seen.add(r.meta);
    const ctx = `snapshot ${root}`;
    const trees: Array<{ hash: Hash; leafCount: number; leafSize: number; name: string }> = [
      { hash: r.ram.tree, leafCount: r.ram.size / r.ram.pageSize, leafSize: r.ram.pageSize, name: 'ram' },
      ...r.disks.map((d, i) => ({ hash: d.tree, leafCount: Math.ceil(d.size / d.blockSize), leafSize: d.blockSize, name: `disk ${i}` })),
    ];
    for (const t of trees) {
      const zero = zeroHash(t.leafSize);
      const leafSink: LeafTable = { copyRange: () => {} };
      const tree = new HashTree(t.leafCount, leafSink);
      const addLeaves = (_start: number, children: Uint8Array) => {
        for (let c = 0; c * HASH_BYTES < children.length; c++) {
          if (isNullAt(children, c * HASH_BYTES)) continue;
          const h = toHex(children, c * HASH_BYTES);
          if (h !== zero) seen.add(h);
        }
      };
      await readTree(store, t.hash, tree, addLeaves, `${ctx}: ${t.name} tree`, conc, (h) => {
        if (seen.has(h)) return true;
        seen.add(h);
        return false;
      });
    }
  }
  return seen;
}
