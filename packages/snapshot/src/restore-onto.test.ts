/**
 * Restores onto a known machine: SnapshotWriter.jumpTo between snapshots and
 * cold restores from forNewMachine. The yardstick is always a cold restore
 * into a machine full of garbage: after any jump the machine must equal it
 * byte for byte, and hash to the root it jumped to.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeCanonical } from './canonical.js';
import { ObjectCorruptError, ObjectMissingError } from './errors.js';
import { FsObjectStore } from './fs-object-store.js';
import { blake3Ready, zeroHash } from './hash.js';
import { MemoryObjectStore } from './memory-object-store.js';
import { CachedObjectReader, ObjectCache } from './object-cache.js';
import type { ObjectReader, ObjectStore } from './object-store.js';
import { ENTRY_HEADER_BYTES } from './pack-format.js';
import { reachableObjects } from './reachable.js';
import { restoreSnapshot } from './restore.js';
import { PAGE_SIZE } from './schema.js';
import { fullStateRoot, SnapshotWriter } from './snapshot-writer.js';
import { emptyMachine, livedInMachine, prng, RAM_BASE, randomBytes, type FakeMachine } from './test-support.js';

beforeAll(() => blake3Ready());

const tempDirs: string[] = [];
afterAll(() => {
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
});
function fsStore(packs = false): FsObjectStore {
  const dir = mkdtempSync(join(tmpdir(), 'prnr-jump-'));
  tempDirs.push(dir);
  return new FsObjectStore(dir, { packs });
}

const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

/** Loads a restore's meta and overlay into a fake machine, as a VirtMachine's restoreMeta does. */
function load(m: FakeMachine, r: { meta: unknown; disks: Array<{ blocks: Array<{ index: number; data: Uint8Array }> }> }): void {
  m.meta = r.meta as Record<string, unknown>;
  m.disk.restore({ blockSize: 4096, size: m.disk.size, imageId: 'test-disk', blocks: r.disks[0].blocks });
}

/** The yardstick: a cold restore of `root` into a machine of garbage RAM. */
async function cold(root: string, store: ObjectStore, like: FakeMachine): Promise<FakeMachine> {
  const m = emptyMachine(like.ram.size, like.diskBase);
  m.ram.u8.fill(0xee);
  load(m, await restoreSnapshot(root, store, { ram: m.ram.u8 }));
  return m;
}

function expectSameMachine(a: FakeMachine, b: FakeMachine): void {
  expect(same(a.ram.u8, b.ram.u8)).toBe(true);
  expect(a.meta).toEqual(b.meta);
  expect(a.disk.save().blocks).toEqual(b.disk.save().blocks);
}

/** Random changes to RAM (some pages zeroed, some duplicated), disk overlay and meta. */
function churn(m: FakeMachine, seed: number): void {
  const r = prng(seed);
  const pages = m.ram.size / PAGE_SIZE;
  for (let k = 0; k < 20; k++) m.ram.write(RAM_BASE + (r() % pages) * PAGE_SIZE + (r() % 4000), randomBytes(r, 64));
  for (let k = 0; k < 5; k++) m.ram.write(RAM_BASE + (r() % pages) * PAGE_SIZE, new Uint8Array(PAGE_SIZE));
  m.ram.write(RAM_BASE + (r() % pages) * PAGE_SIZE, m.ram.read(RAM_BASE + (r() % pages) * PAGE_SIZE, PAGE_SIZE));
  for (let k = 0; k < 3; k++) m.disk.write((r() % 512) * 4096 + (r() % 4000), randomBytes(r, 32));
  m.meta = { ...m.meta, idleTicks: BigInt(seed) };
}

describe('SnapshotWriter.jumpTo', () => {
  // pack: bulk reads in file order (getEach); pack+cache: through an ObjectCache, which lends what it holds.
  for (const kind of ['memory', 'fs', 'pack', 'pack+cache'] as const) {
    it(`moves a machine between snapshots, forwards, backwards and at random, exactly as a cold restore (${kind} store)`, async () => {
      const store: FsObjectStore | MemoryObjectStore = kind === 'memory' ? new MemoryObjectStore() : fsStore(kind !== 'fs');
      const rec = livedInMachine(20);
      const w = await SnapshotWriter.create();
      const roots: string[] = [];
      for (let i = 0; i < 6; i++) {
        if (i > 0) churn(rec, 100 + i);
        roots.push((await w.capture(rec.parts(), store)).root);
      }
      expect(new Set(roots).size).toBe(6);
      let reader: ObjectReader = store;
      if (store instanceof FsObjectStore && kind !== 'fs') {
        await store.close(); // a replay reads a finished recording: packs with their index
        reader = new FsObjectStore(store.dir);
        if (kind === 'pack+cache') reader = new CachedObjectReader(reader, new ObjectCache(1 << 20));
      }

      const m = emptyMachine(rec.ram.size, rec.diskBase);
      const mw = await SnapshotWriter.forNewMachine(m.parts());
      let at = -1;
      for (const to of [0, 1, 2, 3, 4, 5, 4, 3, 2, 1, 0, 5, 0, 3, 1, 4, 4]) {
        const r = await mw.jumpTo(roots[to], reader, m.parts());
        load(m, r);
        expect(r.root).toBe(roots[to]);
        expectSameMachine(m, await cold(roots[to], store, rec));
        expect(mw.stateRoot(m.parts())).toBe(roots[to]);
        expect(await fullStateRoot(m.parts())).toBe(roots[to]);
        if (at === to) expect(r.stats).toEqual({ nodesRead: 0, pagesWritten: 0, blocksWritten: 0, objectsRead: 0 });
        // Adjacent snapshots differ by one churn: far fewer pages than the 1,024 a full restore writes.
        if (at >= 0 && Math.abs(at - to) === 1) expect(r.stats.pagesWritten).toBeLessThanOrEqual(27);
        at = to;
      }
    });
  }

  it('rewrites what was written since the last hash (dirty marks), RAM and disk', async () => {
    const store = new MemoryObjectStore();
    const m = livedInMachine(21);
    const w = await SnapshotWriter.create();
    const { root } = await w.capture(m.parts(), store);
    const before = m.ram.u8.slice();
    const blocksBefore = m.disk.save().blocks;

    m.ram.write(RAM_BASE + 5 * PAGE_SIZE, randomBytes(prng(1), 100)); // changed
    m.ram.write(RAM_BASE + 6 * PAGE_SIZE, m.ram.read(RAM_BASE + 6 * PAGE_SIZE, 10)); // marked, unchanged
    m.ram.u8[7 * PAGE_SIZE] ^= 0xff; // changed WITHOUT a mark: the writer cannot know (the contract)
    m.ram.u8[7 * PAGE_SIZE] ^= 0xff;
    const outside = [...Array(512).keys()].find((i) => !blocksBefore.some((b) => b.index === i))!;
    m.disk.write(outside * 4096, randomBytes(prng(2), 16)); // a block enters the overlay
    const inOverlay = blocksBefore[0].index;
    m.disk.write(inOverlay * 4096 + 1, new Uint8Array([1, 2, 3])); // an overlay block changes
    expect(m.disk.overlayBlockCount).toBe(blocksBefore.length + 1);

    const r = await w.jumpTo(root, store, m.parts());
    load(m, r);
    expect(r.stats.pagesWritten).toBe(2); // the two marked pages, nothing else
    expect(same(m.ram.u8, before)).toBe(true);
    expect(m.disk.save().blocks).toEqual(blocksBefore);
    expect(r.stats.blocksWritten).toBe(1); // the new block leaves, the changed one is read back
    expect(m.ram.dirty.every((d) => d === 0)).toBe(true);
    expect(m.disk.dirtyBlocks()).toEqual([]);
    expect(await fullStateRoot(m.parts())).toBe(root);
  });

  it('continues incrementally from the target: the next capture hashes only what changed after the jump', async () => {
    const store = new MemoryObjectStore();
    const a = livedInMachine(22);
    const wa = await SnapshotWriter.create();
    const r0 = (await wa.capture(a.parts(), store)).root;
    churn(a, 7);
    const r1 = (await wa.capture(a.parts(), store)).root;

    const b = emptyMachine(a.ram.size, a.diskBase);
    const wb = await SnapshotWriter.forNewMachine(b.parts());
    load(b, await wb.jumpTo(r1, store, b.parts()));
    load(b, await wb.jumpTo(r0, store, b.parts()));
    b.ram.write(RAM_BASE + 3 * PAGE_SIZE, new Uint8Array([9]));
    const other = new MemoryObjectStore();
    const c = await wb.capture(b.parts(), other);
    expect(c.stats.pagesHashed).toBe(1);
    // Its new objects are the page and the nodes over it: the rest of r0's tree is assumed stored (as after any restore).
    expect(c.stats.objectsAdded).toBeLessThanOrEqual(5);
    a.ram.u8.set(b.ram.u8);
    a.meta = b.meta;
    a.disk.restore(b.disk.save());
    expect(await fullStateRoot(a.parts())).toBe(c.root);
  });

  it('a jump that fails half-way makes the writer forget; the next jump restores everything exactly', async () => {
    const store = new MemoryObjectStore();
    const rec = livedInMachine(23);
    const w = await SnapshotWriter.create();
    const r0 = (await w.capture(rec.parts(), store)).root;
    rec.ram.write(RAM_BASE + 11 * PAGE_SIZE, randomBytes(prng(3), PAGE_SIZE));
    rec.ram.write(RAM_BASE + 12 * PAGE_SIZE, randomBytes(prng(4), PAGE_SIZE));
    const r1 = (await w.capture(rec.parts(), store)).root;

    const m = emptyMachine(rec.ram.size, rec.diskBase);
    const mw = await SnapshotWriter.forNewMachine(m.parts());
    load(m, await mw.jumpTo(r0, store, m.parts()));
    // Remove one of r1's new pages: the jump writes the other page, then fails.
    const leaves = await ramLeaves(r1, store);
    const missing = leaves[12];
    await store.delete(missing);
    const err = await mw.jumpTo(r1, store, m.parts()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ObjectMissingError);
    expect((err as Error).message).toBe(`snapshot ${r1}: ram page 12: object ${missing} is missing (not in the memory store)`);

    // Forgotten: the next jump rewrites everything, even a change the writer could not have seen (no dirty mark).
    m.ram.u8.fill(0x55, 0, PAGE_SIZE);
    const back = await mw.jumpTo(r0, store, m.parts());
    load(m, back);
    expect(back.stats.pagesWritten).toBe((await ramLeaves(r0, store)).filter((h) => h !== zeroHash(PAGE_SIZE)).length); // every non-zero page of r0 (the rest zeroed)
    expectSameMachine(m, await cold(r0, store, rec));
    expect(mw.stateRoot(m.parts())).toBe(r0);
    // forget() by hand: the next capture hashes the whole machine
    mw.forget();
    expect((await mw.capture(m.parts(), new MemoryObjectStore())).stats.pagesHashed).toBe(1024 + m.disk.overlayBlockCount);
  });

  it('refuses a snapshot of another machine shape and leaves the machine alone', async () => {
    const store = new MemoryObjectStore();
    const big = emptyMachine(8 * 1024 * 1024, new Uint8Array(2 * 1024 * 1024));
    const root = (await (await SnapshotWriter.create()).capture(big.parts(), store)).root;
    const m = livedInMachine(24);
    const w = await SnapshotWriter.create();
    await w.capture(m.parts(), store);
    const before = m.ram.u8.slice();
    await expect(w.jumpTo(root, store, m.parts())).rejects.toThrow(`snapshot ${root}: RAM is 8388608 bytes, the target RAM is 4194304`);
    expect(same(m.ram.u8, before)).toBe(true);
  });

  it('a corrupt page object fails with one line naming the page, the object and its file', async () => {
    const store = fsStore();
    const rec = livedInMachine(25);
    const root = (await (await SnapshotWriter.create()).capture(rec.parts(), store)).root;
    const leaves = await ramLeaves(root, store);
    const zero = zeroHash(PAGE_SIZE);
    const p = leaves.findIndex((h) => h !== zero);
    writeFileSync(store.pathOf(leaves[p]), new Uint8Array(40)); // not an object file at all
    const m = emptyMachine(rec.ram.size, rec.diskBase);
    const err = await (await SnapshotWriter.forNewMachine(m.parts())).jumpTo(root, store, m.parts()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ObjectCorruptError);
    const msg = (err as Error).message;
    expect(msg).not.toContain('\n');
    expect(msg).toMatch(new RegExp(`^snapshot ${root}: ram page \\d+: object ${leaves[p]} in ${store.pathOf(leaves[p])} is corrupt: bad magic`));
  });

  it('a corrupt page in a pack (read in bulk) fails with one line naming the page, the object, the pack and the offset', async () => {
    const store = fsStore(true);
    const rec = livedInMachine(26);
    const root = (await (await SnapshotWriter.create()).capture(rec.parts(), store)).root;
    await store.close();
    const leaves = await ramLeaves(root, store);
    const zero = zeroHash(PAGE_SIZE);
    const nonZero = leaves.filter((x) => x !== zero);
    const h = nonZero[nonZero.length >> 1]; // in the middle of what a restore reads
    const at = store.locate(h)!;
    const bytes = readFileSync(at.file);
    bytes[at.offset + 20] ^= 0x01;
    writeFileSync(at.file, bytes);
    const m = emptyMachine(rec.ram.size, rec.diskBase);
    const reader = new CachedObjectReader(new FsObjectStore(store.dir), new ObjectCache(1 << 20));
    const err = await (await SnapshotWriter.forNewMachine(m.parts())).jumpTo(root, reader, m.parts()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ObjectCorruptError);
    expect((err as Error).message).toBe(
      `snapshot ${root}: ram page ${leaves.indexOf(h)}: object ${h} in ${at.file} at offset ${at.offset - ENTRY_HEADER_BYTES} is corrupt: body checksum mismatch (bytes ${ENTRY_HEADER_BYTES}..${ENTRY_HEADER_BYTES + at.length} of the entry)`,
    );
  });
});

describe('cold restore of a machine just built', () => {
  it('writes no zero page and reads no node over zero RAM, with the same result as a restore into garbage', async () => {
    const store = new MemoryObjectStore();
    // 4 MiB of RAM with only 3 non-zero pages, all in the first 1 MiB (the first level-1 node).
    const rec = emptyMachine(4 * 1024 * 1024, new Uint8Array(2 * 1024 * 1024));
    for (const p of [1, 2, 200]) rec.ram.write(RAM_BASE + p * PAGE_SIZE, randomBytes(prng(p), 64));
    rec.disk.write(4096 * 3, randomBytes(prng(9), 100));
    rec.meta = { x: 1n };
    const root = (await (await SnapshotWriter.create()).capture(rec.parts(), store)).root;

    const m = emptyMachine(rec.ram.size, rec.diskBase);
    const w = await SnapshotWriter.forNewMachine(m.parts());
    const r = await w.jumpTo(root, store, m.parts());
    load(m, r);
    expect(r.stats).toEqual({ nodesRead: 4, pagesWritten: 3, blocksWritten: 1, objectsRead: 4 }); // RAM: top + 1 of 4 level-1 nodes; disk: top + 1 of 2
    expectSameMachine(m, await cold(root, store, rec));
    expect(w.stateRoot(m.parts())).toBe(root);

    const z = emptyMachine(rec.ram.size, rec.diskBase);
    const viaFunction = await restoreSnapshot(root, store, { ram: z.ram.u8, zeroed: true });
    expect(viaFunction.stats.pagesWritten).toBe(3);
    expect(same(z.ram.u8, rec.ram.u8)).toBe(true);
    // and from a restore into garbage, every page is right: zeros included
    expect((await restoreSnapshot(root, store, { ram: new Uint8Array(rec.ram.size).fill(1) })).stats.pagesWritten).toBe(3);
  });

  it('pages a new machine marked dirty (a boot\'s loads) are restored too', async () => {
    const store = new MemoryObjectStore();
    const rec = livedInMachine(26);
    const root = (await (await SnapshotWriter.create()).capture(rec.parts(), store)).root;
    const m = emptyMachine(rec.ram.size, rec.diskBase);
    m.ram.write(RAM_BASE, new Uint8Array(3 * PAGE_SIZE).fill(7)); // "firmware", with dirty marks
    m.disk.write(4096 * 77, new Uint8Array([1])); // and a disk write
    load(m, await (await SnapshotWriter.forNewMachine(m.parts())).jumpTo(root, store, m.parts()));
    expectSameMachine(m, await cold(root, store, rec));
  });

  it('a writer for a new machine that captures without a restore stores every node (the zero RAM\'s too)', async () => {
    const m = emptyMachine(4 * 1024 * 1024, new Uint8Array(64 * 1024));
    m.ram.write(RAM_BASE + 9 * PAGE_SIZE, randomBytes(prng(5), 50));
    const store = new MemoryObjectStore();
    const { root } = await (await SnapshotWriter.forNewMachine(m.parts())).capture(m.parts(), store);
    expect(root).toBe(await fullStateRoot(m.parts()));
    for (const h of await reachableObjects(root, store)) expect(await store.has(h)).toBe(true);
    const back = emptyMachine(m.ram.size, m.diskBase);
    await restoreSnapshot(root, store, { ram: back.ram.u8, zeroed: true });
    expect(same(back.ram.u8, m.ram.u8)).toBe(true);
  });
});

/** The RAM page hashes of snapshot `root`, from its tree. */
async function ramLeaves(root: string, store: ObjectStore): Promise<string[]> {
  const record = decodeCanonical(await store.get(root)) as { ram: { tree: string } };
  const top = await store.get(record.ram.tree);
  const out: string[] = [];
  for (let i = 8; i < top.length; i += 32) {
    const node = await store.get(Buffer.from(top.subarray(i, i + 32)).toString('hex'));
    for (let j = 8; j < node.length; j += 32) out.push(Buffer.from(node.subarray(j, j + 32)).toString('hex'));
  }
  return out;
}
