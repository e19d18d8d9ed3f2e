/**
 * Captures machine state into an object store, incrementally: the writer
 * keeps every page's and block's hash and the tree above them, so a capture
 * hashes only what the dirty bitmaps say was written and stores only what
 * changed. Every root is nevertheless a complete tree (unchanged subtrees
 * are shared by hash), so restoring one never replays a chain.
 *
 * The contract (one owner of the dirty bitmaps): a machine has one writer;
 * the writer's capture() and stateRoot() clear ram.dirty and call
 * disk.clearDirty(); nobody else clears them, and every change to RAM or a
 * disk overlay sets its dirty mark (the hart, DMA and loaders do: Ram.write,
 * CowDisk.write). A dirty mark on an unchanged page only costs a hash; a
 * change without a mark is missed. Parts must not change while capture()
 * runs. A writer seeded from a restore (fromRestored) assumes the machine
 * holds exactly what was restored.
 *
 * The same knowledge makes restores cheap: jumpTo() moves the machine to
 * another snapshot by comparing that snapshot's tree with the writer's and
 * writing only the pages and blocks that differ, or were written since the
 * writer last hashed them (their dirty marks say which).
 */
import { encodeCanonical } from './canonical.js';
import type { CaptureDelta } from './capture-delta.js';
import { forEachLimit } from './concurrency.js';
import { blake3Bin, blake3Ready, hashEquals, toHex, zeroHashBin } from './hash.js';
import { DenseLeaves, HashTree, SparseLeaves } from './hash-tree.js';
import type { DiskPart, MachineParts } from './machine-parts.js';
import type { ObjectReader, ObjectStore, PutOutcome } from './object-store.js';
import { restoreOnto, zeroTrees, type ReadOptions, type RestoredSnapshot } from './restore-onto.js';
import { HASH_BYTES, PAGE_SIZE, SNAPSHOT_KIND, SNAPSHOT_VERSION, type Hash, type SnapshotRoot } from './schema.js';
import { encodeRoot } from './snapshot-root.js';

export interface CaptureStats {
  /** Pages and disk blocks hashed by this call (dirty ones; all of them on a writer's first call). */
  pagesHashed: number;
  /** Objects written to the store (already present ones are not counted). */
  objectsAdded: number;
  /** Bytes those objects take in the store (compressed, with headers). */
  bytesAdded: number;
  /** Bytes those objects hold (uncompressed). */
  logicalBytes: number;
}

export interface CaptureResult {
  /** The machine-state hash. */
  root: Hash;
  stats: CaptureStats;
}

export interface SnapshotWriterOptions {
  /** Puts in flight at once during capture (default 32). */
  concurrency?: number;
}

/** The trees a writer keeps; restore() produces them too. Internal to the package. */
export interface WriterTrees {
  ram: HashTree<DenseLeaves>;
  disks: Array<{ size: number; blockSize: number; tree: HashTree<SparseLeaves>; unstoredLeaves: Set<number> }>;
}

interface Synced {
  root: Hash;
  rootBytes: Uint8Array;
  meta: Hash;
  metaBytes: Uint8Array;
  hashed: number;
}

export class SnapshotWriter {
  private trees: WriterTrees | undefined;
  /** RAM pages whose hash changed since they were last stored (one byte per page). */
  private unstoredPages: Uint8Array | undefined;
  private readonly concurrency: number;

  private constructor(trees: WriterTrees | undefined, options: SnapshotWriterOptions) {
    this.trees = trees;
    this.unstoredPages = trees ? new Uint8Array(trees.ram.leafCount) : undefined;
    this.concurrency = options.concurrency ?? 32;
  }

  /** A writer that has seen nothing: its first capture hashes everything. */
  static async create(options: SnapshotWriterOptions = {}): Promise<SnapshotWriter> {
    await blake3Ready();
    return new SnapshotWriter(undefined, options);
  }

  /**
   * A writer that continues from a restore: it knows every hash of the
   * restored state, so its next capture hashes only pages dirtied since.
   */
  static async fromRestored(restored: RestoredSnapshot, options: SnapshotWriterOptions = {}): Promise<SnapshotWriter> {
    await blake3Ready();
    return new SnapshotWriter(restored.trees, options);
  }

  /**
   * A writer for a machine just built: RAM all zero and no disk overlay
   * blocks, except pages and blocks marked dirty (a boot's loads, say). It
   * knows every hash without reading RAM, so a jumpTo() from it is a cold
   * restore that neither writes zero pages nor reads the tree over them.
   * Wrong for a machine whose RAM was written without dirty marks (e.g. by
   * a restore).
   */
  static async forNewMachine(parts: MachineParts, options: SnapshotWriterOptions = {}): Promise<SnapshotWriter> {
    await blake3Ready();
    checkParts(parts);
    const trees = zeroTrees(parts);
    // A capture from here must store the nodes over the zero RAM too (a jumpTo finds them in its store).
    trees.ram.unstored.forEach((set, l) => {
      for (let j = 0; j < trees.ram.counts[l + 1]; j++) set.add(j);
    });
    return new SnapshotWriter(trees, options);
  }

  /** See the function fullStateRoot(). */
  static async fullStateRoot(parts: MachineParts): Promise<Hash> {
    const w = await SnapshotWriter.create();
    return w.sync(parts, false).root;
  }

  /**
   * The machine-state hash, storing nothing: identical to what capture()
   * would return now. Incremental like capture(); consumes the dirty marks
   * (what it hashed but did not store, a later capture stores).
   */
  stateRoot(parts: MachineParts): Hash {
    return this.sync(parts, true).root;
  }

  /**
   * Moves the machine (`parts`: its RAM and disks; meta is not read) to
   * snapshot `root`: reads the target's tree where it differs from this
   * writer's, writes the RAM pages that differ or were written since the
   * writer last hashed them, and returns meta and the complete disk overlays
   * for the caller to load (CowDisk.restore; it must not set dirty marks).
   * Clears the dirty marks; the writer then continues from the target, as
   * fromRestored would. The result is the state a cold restore of `root`
   * gives, byte for byte.
   *
   * A writer that knows nothing yet (create(), or after forget()) zeroes the
   * RAM and restores everything. If the jump fails (a missing or corrupt
   * object) the machine is half-way: the writer forgets what it knew, and a
   * later jumpTo() restores everything again.
   */
  async jumpTo(root: Hash, store: ObjectReader, parts: MachineParts, options: ReadOptions = {}): Promise<RestoredSnapshot> {
    if (this.trees) checkShape(this.trees, parts);
    try {
      const restored = await restoreOnto(root, store, { ram: parts.ram.u8, ramDirty: parts.ram.dirty, disks: parts.disks }, this.trees ?? 'anything', options);
      this.trees = restored.trees;
      this.unstoredPages = new Uint8Array(restored.trees.ram.leafCount);
      parts.ram.dirty.fill(0);
      for (const d of parts.disks) d.clearDirty();
      return restored;
    } catch (e) {
      this.forget();
      throw e;
    }
  }

  /**
   * Drops every hash this writer knows: its next capture or stateRoot hashes
   * the whole machine, its next jumpTo writes every page. For a machine
   * changed behind the writer's back.
   */
  forget(): void {
    this.trees = undefined;
    this.unstoredPages = undefined;
  }

  /** Hashes what changed, stores every new object (the root last), clears the dirty marks. */
  async capture(parts: MachineParts, store: ObjectStore): Promise<CaptureResult> {
    const s = this.sync(parts, true);
    const trees = this.trees!;
    const stats: CaptureStats = { pagesHashed: s.hashed, objectsAdded: 0, bytesAdded: 0, logicalBytes: 0 };
    const put = async (h: Hash, bytes: Uint8Array) => {
      const out = await putOne(store, h, bytes);
      if (out.added) {
        stats.objectsAdded++;
        stats.bytesAdded += out.storedBytes;
        stats.logicalBytes += bytes.length;
      }
    };

    // Leaves first, then nodes bottom-up, then meta, the root last: a root in the store means its whole tree is there.
    // Each distinct leaf once (equal pages are common).
    const jobs: Array<() => Promise<void>> = [];
    const queued = new Set<Hash>();
    const ram = parts.ram;
    const pages = this.unstoredPages!;
    const ramLeaves = trees.ram.leaves.hashes;
    for (let p = 0; p < pages.length; p++) {
      if (pages[p] === 0) continue;
      const h = toHex(ramLeaves, p * HASH_BYTES);
      if (queued.has(h)) continue;
      queued.add(h);
      jobs.push(() => put(h, ram.u8.subarray(p * PAGE_SIZE, (p + 1) * PAGE_SIZE)));
    }
    trees.disks.forEach((d, i) => {
      const disk = parts.disks[i];
      for (const b of d.unstoredLeaves) {
        const h = toHex(d.tree.leaves.hashes.get(b)!);
        if (queued.has(h)) continue;
        queued.add(h);
        const data = disk.block(b);
        if (!data) throw new Error(`SnapshotWriter: disk ${i} block ${b} left the overlay without a dirty mark (was the disk restored behind the writer's back?)`);
        jobs.push(() => put(h, data));
      }
    });
    await forEachLimit(jobs, this.concurrency, (job) => job());
    await this.storeNodes(queued, (items) => forEachLimit(items, this.concurrency, ([h, b]) => put(h, b)));
    await put(s.meta, s.metaBytes);
    await put(s.root, s.rootBytes);

    pages.fill(0);
    for (const d of trees.disks) d.unstoredLeaves.clear();
    return { root: s.root, stats };
  }

  /**
   * A writer for deltas (captureDelta) of a machine just built: RAM all
   * zero, no disk overlay, except what its first delta carries. Needs only
   * the machine's shape, so it can live on another thread than the machine.
   */
  static async forNewShape(shape: { ram: { size: number }; disks: ReadonlyArray<{ size: number; blockSize: number }> }, options: SnapshotWriterOptions = {}): Promise<SnapshotWriter> {
    const pages = shape.ram.size / PAGE_SIZE;
    if (!Number.isInteger(pages) || pages <= 0) throw new RangeError(`RAM size ${shape.ram.size} is not a positive multiple of ${PAGE_SIZE}`);
    return SnapshotWriter.forNewMachine({ meta: null, ram: { size: shape.ram.size, u8: new Uint8Array(0), dirty: new Uint8Array(0) }, disks: shape.disks.map((d) => ({ ...d, block: () => undefined, dirtyBlocks: () => [], clearDirty: () => {} })) }, options);
  }

  /**
   * capture() from a delta (capture-delta.ts: the pages and blocks written
   * since the last capture, copied out of the machine, and the meta)
   * instead of the machine itself, so it can run on another thread while
   * the machine goes on. The writer must have seen every change through
   * deltas since it was made (forNewShape, or a first delta with `all`).
   * Returns the root capture() would have returned at the pause.
   */
  async captureDelta(delta: CaptureDelta, store: ObjectStore): Promise<CaptureResult> {
    const trees = (this.trees ??= newTrees({ meta: null, ram: { size: delta.ram.size, u8: new Uint8Array(0), dirty: new Uint8Array(0) }, disks: delta.disks.map((d) => ({ ...d, block: () => undefined, dirtyBlocks: () => [], clearDirty: () => {} })) }));
    if (delta.ram.size !== trees.ram.leafCount * PAGE_SIZE || delta.disks.length !== trees.disks.length) throw new Error(`SnapshotWriter: a delta of another machine shape (RAM ${delta.ram.size} bytes, ${delta.disks.length} disks)`);
    const stats: CaptureStats = { pagesHashed: 0, objectsAdded: 0, bytesAdded: 0, logicalBytes: 0 };
    const leaves: Array<[Hash, Uint8Array]> = [];
    const queued = new Set<Hash>();
    const want = (h: Hash, bytes: Uint8Array) => {
      if (queued.has(h)) return;
      queued.add(h);
      leaves.push([h, bytes]);
    };

    // RAM: hash each copied page (zero pages get the constant without hashing), as syncRam does.
    {
      const tree = trees.ram;
      const table = tree.leaves.hashes;
      const zero = zeroHashBin(PAGE_SIZE);
      const { pages, data } = delta.ram;
      const i32 = wordsOf(data);
      const changed: number[] = [];
      for (let k = 0; k < pages.length; k++) {
        const p = pages[k];
        const page = data.subarray(k * PAGE_SIZE, (k + 1) * PAGE_SIZE);
        stats.pagesHashed++;
        const h = zeroPage(data, i32, k * PAGE_SIZE) ? zero : blake3Bin(page);
        const at = p * HASH_BYTES;
        if (hashEquals(h, 0, table, at)) continue;
        table.set(h, at);
        changed.push(p);
        if (h !== zero) want(toHex(h), page);
      }
      tree.update(changed);
    }
    delta.disks.forEach((dd, i) => {
      const d = trees.disks[i];
      if (dd.size !== d.size || dd.blockSize !== d.blockSize) throw new Error(`SnapshotWriter: a delta's disk ${i} is ${dd.size} bytes in ${dd.blockSize}-byte blocks, this writer's has ${d.size} in ${d.blockSize}`);
      const table = d.tree.leaves.hashes;
      const zero = zeroHashBin(d.blockSize);
      const changed: number[] = [];
      let k = 0;
      for (let j = 0; j < dd.blocks.length; j++) {
        const b = dd.blocks[j];
        if (b >= d.tree.leafCount) throw new RangeError(`disk block ${b} is outside the ${d.tree.leafCount}-block disk`);
        const old = table.get(b);
        if (dd.present[j] === 0) {
          if (old === undefined) continue;
          table.delete(b);
          changed.push(b);
          continue;
        }
        const bytes = dd.data.subarray(k * d.blockSize, (k + 1) * d.blockSize);
        k++;
        stats.pagesHashed++;
        const h = isZero(bytes) ? zero : blake3Bin(bytes);
        if (old && hashEquals(h, 0, old, 0)) continue;
        table.set(b, h);
        changed.push(b);
        if (h !== zero) want(toHex(h), bytes);
      }
      d.tree.update(changed);
    });

    const putAll = async (items: ReadonlyArray<readonly [Hash, Uint8Array]>) => {
      const now = store.putHashedNow;
      // A pack store appends at once: a plain loop, no promise per object (thousands per capture at boot).
      if (now) for (const [h, b] of items) countPut(stats, now.call(store, h, b), b.length);
      else await forEachLimit(items, this.concurrency, async ([h, b]) => countPut(stats, await putOne(store, h, b), b.length));
    };
    await putAll(leaves);
    await this.storeNodes(queued, putAll);
    const metaHash = toHex(blake3Bin(delta.metaBytes));
    const rootBytes = encodeRoot({
      kind: SNAPSHOT_KIND,
      version: SNAPSHOT_VERSION,
      meta: metaHash,
      ram: { size: delta.ram.size, pageSize: PAGE_SIZE, tree: trees.ram.root() },
      disks: trees.disks.map((d) => ({ size: d.size, blockSize: d.blockSize, tree: d.tree.root() })),
    });
    const root = toHex(blake3Bin(rootBytes));
    await putAll([[metaHash, delta.metaBytes]]);
    await putAll([[root, rootBytes]]);
    return { root, stats };
  }

  /** Stores every node marked unstored, bottom-up (a level at a time through `putAll`), and clears the marks. */
  private async storeNodes(queued: Set<Hash>, putAll: (items: ReadonlyArray<readonly [Hash, Uint8Array]>) => Promise<void>): Promise<void> {
    const trees = this.trees!;
    for (const tree of [trees.ram, ...trees.disks.map((d) => d.tree)]) {
      for (let level = 1; level <= tree.height; level++) {
        const nodes: Array<[Hash, Uint8Array]> = [];
        for (const j of tree.unstored[level - 1]) {
          const h = toHex(tree.levels[level - 1], j * HASH_BYTES);
          if (queued.has(h)) continue;
          queued.add(h);
          nodes.push([h, tree.nodeBytes(level, j)!]);
        }
        await putAll(nodes);
      }
    }
    for (const tree of [trees.ram, ...trees.disks.map((d) => d.tree)]) for (const u of tree.unstored) u.clear();
  }

  /** Brings the trees up to date with `parts`; `consume`: clear the dirty marks. */
  private sync(parts: MachineParts, consume: boolean): Synced {
    const full = this.trees === undefined;
    const trees = (this.trees ??= newTrees(parts));
    this.unstoredPages ??= new Uint8Array(trees.ram.leafCount);
    checkShape(trees, parts);
    let hashed = this.syncRam(parts, full);
    parts.disks.forEach((disk, i) => (hashed += syncDisk(trees.disks[i], disk, full)));
    if (consume) {
      parts.ram.dirty.fill(0);
      for (const d of parts.disks) d.clearDirty();
    }
    const metaBytes = encodeCanonical(parts.meta);
    const meta = toHex(blake3Bin(metaBytes));
    const record: SnapshotRoot = {
      kind: SNAPSHOT_KIND,
      version: SNAPSHOT_VERSION,
      meta,
      ram: { size: parts.ram.size, pageSize: PAGE_SIZE, tree: trees.ram.root() },
      disks: trees.disks.map((d) => ({ size: d.size, blockSize: d.blockSize, tree: d.tree.root() })),
    };
    const rootBytes = encodeRoot(record);
    return { root: toHex(blake3Bin(rootBytes)), rootBytes, meta, metaBytes, hashed };
  }

  /**
   * The hot path: hash every dirty page (all on a full pass) straight into
   * the dense leaf table. Zero pages are found with an Int32 OR scan (8 words
   * a step) and get the constant zero hash without hashing; a page whose new
   * hash equals its old one changes nothing above it.
   *
   * The dirty pages are listed first, in a loop of their own: V8 optimizes a
   * long scan on the fly (on-stack replacement) with the feedback it has, and
   * when the scan and the hashing shared one loop, a scan optimized over clean
   * pages met its first dirty page without feedback for the hashing, fell back
   * to the interpreter for the rest of the 65,536 pages, and did so at every
   * slice end of a replay (41 deopts on the smoke recording).
   */
  private syncRam(parts: MachineParts, full: boolean): number {
    const tree = this.trees!.ram;
    const unstored = this.unstoredPages!;
    const leaves = tree.leaves.hashes;
    const { u8, dirty } = parts.ram;
    const zero = zeroHashBin(PAGE_SIZE);
    const i32 = wordsOf(u8);
    const changed: number[] = [];
    const list = dirtyPages(dirty, tree.leafCount, full);
    for (let k = 0; k < list.length; k++) {
      const p = list[k];
      const h = zeroPage(u8, i32, p * PAGE_SIZE) ? zero : blake3Bin(u8.subarray(p * PAGE_SIZE, (p + 1) * PAGE_SIZE));
      const at = p * HASH_BYTES;
      if (hashEquals(h, 0, leaves, at)) continue;
      leaves.set(h, at);
      unstored[p] = h === zero ? 0 : 1;
      changed.push(p);
    }
    tree.update(changed);
    return list.length;
  }
}

/** The pages marked dirty (every page on a full pass), in order. Hot loop. */
function dirtyPages(dirty: Uint8Array, pages: number, full: boolean): Int32Array {
  if (full) return Int32Array.from({ length: pages }, (_, p) => p);
  let n = 0;
  for (let p = 0; p < pages; p++) if (dirty[p] !== 0) n++;
  const list = new Int32Array(n);
  for (let p = 0, k = 0; k < n; p++) if (dirty[p] !== 0) list[k++] = p;
  return list;
}

/** Adds what one put stored to `stats`. */
function countPut(stats: CaptureStats, out: PutOutcome, logicalBytes: number): void {
  if (!out.added) return;
  stats.objectsAdded++;
  stats.bytesAdded += out.storedBytes;
  stats.logicalBytes += logicalBytes;
}

/** Stores `bytes` under `h` (hashed already when the store allows it). */
async function putOne(store: ObjectStore, h: Hash, bytes: Uint8Array): Promise<PutOutcome> {
  if (store.putHashed) return store.putHashed(h, bytes);
  if (await store.has(h)) return { added: false, storedBytes: 0 };
  await store.put(bytes);
  return { added: true, storedBytes: bytes.length };
}

function newTrees(parts: MachineParts): WriterTrees {
  checkParts(parts);
  const pages = parts.ram.size / PAGE_SIZE;
  return {
    ram: new HashTree(pages, new DenseLeaves(pages)),
    disks: parts.disks.map((d) => ({ size: d.size, blockSize: d.blockSize, tree: new HashTree(Math.ceil(d.size / d.blockSize), new SparseLeaves()), unstoredLeaves: new Set<number>() })),
  };
}

function checkParts(parts: MachineParts): void {
  const pages = parts.ram.size / PAGE_SIZE;
  if (!Number.isInteger(pages) || pages <= 0) throw new RangeError(`RAM size ${parts.ram.size} is not a positive multiple of ${PAGE_SIZE}`);
  for (const d of parts.disks) if (!Number.isInteger(d.blockSize) || d.blockSize <= 0) throw new RangeError(`disk block size ${d.blockSize} is not a positive integer`);
}

function checkShape(trees: WriterTrees, parts: MachineParts): void {
  const r = parts.ram;
  if (r.size !== trees.ram.leafCount * PAGE_SIZE) throw new Error(`SnapshotWriter: RAM is ${r.size} bytes, this writer's machine has ${trees.ram.leafCount * PAGE_SIZE}`);
  if (r.u8.length !== r.size) throw new Error(`SnapshotWriter: ram.u8 is ${r.u8.length} bytes, ram.size says ${r.size}`);
  if (r.dirty.length !== trees.ram.leafCount) throw new Error(`SnapshotWriter: ram.dirty has ${r.dirty.length} entries for ${trees.ram.leafCount} pages`);
  if (parts.disks.length !== trees.disks.length) throw new Error(`SnapshotWriter: ${parts.disks.length} disks, this writer's machine has ${trees.disks.length}`);
  parts.disks.forEach((d, i) => {
    const t = trees.disks[i];
    if (d.size !== t.size || d.blockSize !== t.blockSize) throw new Error(`SnapshotWriter: disk ${i} is ${d.size} bytes in ${d.blockSize}-byte blocks, this writer's has ${t.size} in ${t.blockSize}`);
  });
}

/** Hashes a disk's dirty overlay blocks (every block on a full pass). */
function syncDisk(d: WriterTrees['disks'][number], disk: DiskPart, full: boolean): number {
  const leaves = d.tree.leaves.hashes;
  const indices = full ? d.tree.allLeaves() : [...disk.dirtyBlocks()].sort((a, b) => a - b);
  const zero = zeroHashBin(d.blockSize);
  const changed: number[] = [];
  let hashed = 0;
  let prev = -1;
  for (const i of indices) {
    if (i === prev) continue;
    prev = i;
    if (!Number.isInteger(i) || i < 0 || i >= d.tree.leafCount) throw new RangeError(`disk block ${i} is outside the ${d.tree.leafCount}-block disk`);
    const data = disk.block(i);
    const old = leaves.get(i);
    if (data === undefined) {
      if (old === undefined) continue;
      leaves.delete(i);
      d.unstoredLeaves.delete(i);
      changed.push(i);
      continue;
    }
    if (data.length !== d.blockSize) throw new RangeError(`disk block ${i} is ${data.length} bytes, the block size is ${d.blockSize}`);
    hashed++;
    const h = isZero(data) ? zero : blake3Bin(data);
    if (old && hashEquals(h, 0, old, 0)) continue;
    leaves.set(i, h);
    if (h === zero) d.unstoredLeaves.delete(i);
    else d.unstoredLeaves.add(i);
    changed.push(i);
  }
  d.tree.update(changed);
  return hashed;
}

function isZero(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

/** `b` as 32-bit words, when it is aligned for them (zeroPage's fast scan). */
function wordsOf(b: Uint8Array): Int32Array | undefined {
  return b.byteOffset % 4 === 0 ? new Int32Array(b.buffer, b.byteOffset, b.byteLength >>> 2) : undefined;
}

/**
 * Hot (every dirty page of every snapshot): whether the page at byte `at` of `b` is all zero,
 * scanned 8 words a step through `words` (wordsOf(b)) when given.
 */
function zeroPage(b: Uint8Array, words: Int32Array | undefined, at: number): boolean {
  if (words === undefined) return isZero(b.subarray(at, at + PAGE_SIZE));
  for (let w = at >>> 2, end = (at + PAGE_SIZE) >>> 2; w < end; w += 8) {
    if ((words[w] | words[w + 1] | words[w + 2] | words[w + 3] | words[w + 4] | words[w + 5] | words[w + 6] | words[w + 7]) !== 0) return false;
  }
  return true;
}

/**
 * The machine-state hash of `parts` computed from scratch, touching no dirty
 * mark: for a check or a tool that does not own the machine's bitmaps.
 */
export async function fullStateRoot(parts: MachineParts): Promise<Hash> {
  return SnapshotWriter.fullStateRoot(parts);
}
