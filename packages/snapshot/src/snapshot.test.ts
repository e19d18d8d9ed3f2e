/**
 * Capture, restore, incremental capture and reachability on a small machine
 * made of the real Ram and CowDisk (test-support.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCanonical } from './canonical.js';
import { ObjectMissingError, SnapshotFormatError } from './errors.js';
import { FsObjectStore } from './fs-object-store.js';
import { blake3Ready, zeroHash } from './hash.js';
import { MemoryObjectStore } from './memory-object-store.js';
import type { ObjectStore } from './object-store.js';
import { reachableObjects } from './reachable.js';
import { restoreSnapshot } from './restore.js';
import { NULL_HASH, PAGE_SIZE } from './schema.js';
import { fullStateRoot, SnapshotWriter } from './snapshot-writer.js';
import { emptyMachine, livedInMachine, prng, RAM_BASE, randomBytes, type FakeMachine } from './test-support.js';

beforeAll(() => blake3Ready());

const tempDirs: string[] = [];
afterAll(() => {
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
});

/** A fresh machine of the same shape, restored from `root`, and the writer that continues from it. */
async function restoreInto(root: string, store: ObjectStore, like: FakeMachine) {
  const m = emptyMachine(like.ram.size, like.diskBase);
  m.ram.u8.fill(0xee); // garbage that the restore must overwrite, zero pages included
  const r = await restoreSnapshot(root, store, { ram: m.ram.u8 });
  m.meta = r.meta as Record<string, unknown>;
  m.disk.restore({ blockSize: r.disks[0].blockSize, size: r.disks[0].size, imageId: 'test-disk', blocks: r.disks[0].blocks });
  m.ram.clearDirty();
  return { m, r, writer: await SnapshotWriter.fromRestored(r) };
}

const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

async function count(store: ObjectStore): Promise<number> {
  let n = 0;
  for await (const _ of store.list()) n++;
  return n;
}

describe('capture and restore', () => {
  for (const kind of ['memory', 'fs'] as const) {
    it(`round-trips RAM, meta and the disk overlay (${kind} store)`, async () => {
      let store: ObjectStore = new MemoryObjectStore();
      if (kind === 'fs') {
        const dir = mkdtempSync(join(tmpdir(), 'prnr-snap-'));
        tempDirs.push(dir);
        store = new FsObjectStore(dir);
      }
      const a = livedInMachine(1);
      const writer = await SnapshotWriter.create();
      const { root, stats } = await writer.capture(a.parts(), store);
      expect(root).toMatch(/^[0-9a-f]{64}$/);
      expect(stats.pagesHashed).toBe(1024 + a.disk.overlayBlockCount); // every page and every overlay block, the first time
      expect(a.ram.dirty.every((d) => d === 0)).toBe(true);
      expect(a.disk.dirtyBlocks()).toEqual([]);

      const { m: b, r } = await restoreInto(root, store, a);
      expect(r.root).toBe(root);
      expect(same(b.ram.u8, a.ram.u8)).toBe(true);
      expect(b.meta).toEqual(a.meta);
      expect(r.disks[0].blocks).toEqual(a.disk.save().blocks);
      expect(b.disk.save().blocks).toEqual(a.disk.save().blocks);
      // the restored machine hashes to the root it came from
      expect(await fullStateRoot(b.parts())).toBe(root);
      expect(await fullStateRoot(a.parts())).toBe(root);
    });
  }

  it('zero pages cost nothing: an empty machine is a handful of tree objects', async () => {
    const store = new MemoryObjectStore();
    const m = emptyMachine(4 * 1024 * 1024, new Uint8Array(64 * 1024));
    const { root, stats } = await (await SnapshotWriter.create()).capture(m.parts(), store);
    // 4 identical level-1 nodes (one object), the level-2 node, meta, root; no page, an empty disk tree (NULL)
    expect(stats.objectsAdded).toBe(4);
    expect(await count(store)).toBe(4);
    const reach = await reachableObjects(root, store);
    expect(reach.has(zeroHash(PAGE_SIZE))).toBe(false);
    expect(reach.size).toBe(4);
    // a second machine full of zeros shares everything but nothing new
    const m2 = emptyMachine(4 * 1024 * 1024, new Uint8Array(64 * 1024));
    m2.ram.write(RAM_BASE + 5 * PAGE_SIZE, new Uint8Array(PAGE_SIZE)); // written, but with zeros
    const again = await (await SnapshotWriter.create()).capture(m2.parts(), store);
    expect(again.root).toBe(root);
    expect(again.stats.objectsAdded).toBe(0);
  });
});

describe('incremental capture', () => {
  it('one changed page: 1 page hashed, objects bounded by the path to the root, a new root', async () => {
    const store = new MemoryObjectStore();
    const m = livedInMachine(2);
    const writer = await SnapshotWriter.create();
    const first = await writer.capture(m.parts(), store);

    m.ram.write(RAM_BASE + 77 * PAGE_SIZE + 100, new Uint8Array([1, 2, 3, 4]));
    const second = await writer.capture(m.parts(), store);
    expect(second.stats.pagesHashed).toBe(1);
    // the page, the level-1 node, the level-2 (top) node, the root; meta is unchanged
    expect(second.stats.objectsAdded).toBe(4);
    expect(second.stats.logicalBytes).toBeGreaterThan(PAGE_SIZE);
    expect(second.stats.logicalBytes).toBeLessThan(PAGE_SIZE + 3 * 9000);
    expect(second.root).not.toBe(first.root);

    // nothing changed: same root, nothing hashed, nothing added
    const third = await writer.capture(m.parts(), store);
    expect(third.root).toBe(second.root);
    expect(third.stats).toEqual({ pagesHashed: 0, objectsAdded: 0, bytesAdded: 0, logicalBytes: 0 });

    // only meta changed: meta and root are new, nothing is hashed
    m.meta.idleTicks = 43n;
    const fourth = await writer.capture(m.parts(), store);
    expect(fourth.stats.pagesHashed).toBe(0);
    expect(fourth.stats.objectsAdded).toBe(2);
    expect(fourth.root).not.toBe(third.root);
    m.meta.idleTicks = 42n;
    expect((await writer.capture(m.parts(), store)).root).toBe(third.root);

    // both old and new roots restore to what they were
    const { m: back } = await restoreInto(first.root, store, m);
    expect(back.ram.u8[77 * PAGE_SIZE + 100]).not.toBe(1);
    const { m: now } = await restoreInto(second.root, store, m);
    expect(same(now.ram.u8, m.ram.u8)).toBe(true);
  });

  it('a page changed and then changed back gives the original root', async () => {
    const store = new MemoryObjectStore();
    const m = livedInMachine(3);
    const writer = await SnapshotWriter.create();
    const first = await writer.capture(m.parts(), store);
    const at = RAM_BASE + 900 * PAGE_SIZE;
    const old = m.ram.read(at, 16);
    m.ram.write(at, randomBytes(prng(9), 16));
    const changed = await writer.capture(m.parts(), store);
    expect(changed.root).not.toBe(first.root);
    m.ram.write(at, old);
    const back = await writer.capture(m.parts(), store);
    expect(back.stats.pagesHashed).toBe(1);
    expect(back.root).toBe(first.root);
    expect(back.stats.objectsAdded).toBe(0);
  });

  it('disk overlay changes are captured; a zero block has no object; an untouched dirty page changes nothing', async () => {
    const store = new MemoryObjectStore();
    const m = livedInMachine(4);
    const writer = await SnapshotWriter.create();
    const first = await writer.capture(m.parts(), store);
    m.disk.write(300 * 4096 + 8, new Uint8Array([9, 9, 9]));
    const second = await writer.capture(m.parts(), store);
    expect(second.stats.pagesHashed).toBe(1);
    expect(second.root).not.toBe(first.root);
    const before = await count(store);
    m.disk.write(301 * 4096, new Uint8Array(4096)); // a block of zeros enters the overlay
    m.ram.dirty[10] = 1; // marked, not changed
    const third = await writer.capture(m.parts(), store);
    expect(third.stats.pagesHashed).toBe(2);
    expect(await count(store)).toBe(before + third.stats.objectsAdded);
    const reach = await reachableObjects(third.root, store);
    expect(reach.has(zeroHash(4096))).toBe(false);
    const { r } = await restoreInto(third.root, store, m);
    const zeroBlock = r.disks[0].blocks.find((b) => b.index === 301)!;
    expect(zeroBlock.data).toEqual(new Uint8Array(4096));
    expect(r.disks[0].blocks).toEqual(m.disk.save().blocks);
  });
});

describe('stateRoot', () => {
  it('equals capture: what it hashed, a later capture still stores', async () => {
    const store = new MemoryObjectStore();
    const m = livedInMachine(5);
    const writer = await SnapshotWriter.create();
    const h0 = writer.stateRoot(m.parts()); // nothing stored yet
    expect(await count(store)).toBe(0);
    expect(m.ram.dirty.every((d) => d === 0)).toBe(true);
    const c0 = await writer.capture(m.parts(), store);
    expect(c0.root).toBe(h0);
    expect(c0.stats.pagesHashed).toBe(0); // already hashed by stateRoot

    m.ram.write(RAM_BASE + 3 * PAGE_SIZE, new Uint8Array([7]));
    m.ram.write(RAM_BASE + 700 * PAGE_SIZE, new Uint8Array([7]));
    m.disk.write(4096 * 20, new Uint8Array([5]));
    const h1 = writer.stateRoot(m.parts());
    expect(writer.stateRoot(m.parts())).toBe(h1); // idempotent, nothing left dirty
    expect(await fullStateRoot(m.parts())).toBe(h1);
    const c1 = await writer.capture(m.parts(), store);
    expect(c1.root).toBe(h1);
    expect(c1.stats.pagesHashed).toBe(0);
    expect(c1.stats.objectsAdded).toBeGreaterThanOrEqual(3 + 2); // 2 pages + 1 block, their nodes, root
    const { m: back } = await restoreInto(h1, store, m); // every object was stored after all
    expect(same(back.ram.u8, m.ram.u8)).toBe(true);
    expect(back.disk.save().blocks).toEqual(m.disk.save().blocks);
  });

  it('fullStateRoot leaves the dirty marks alone', async () => {
    const m = livedInMachine(6);
    const dirtyBefore = m.ram.dirty.slice();
    const blocksBefore = m.disk.dirtyBlocks();
    await fullStateRoot(m.parts());
    expect(m.ram.dirty).toEqual(dirtyBefore);
    expect(m.disk.dirtyBlocks()).toEqual(blocksBefore);
  });

  it('a writer seeded from a restore continues incrementally and agrees with the original', async () => {
    const store = new MemoryObjectStore();
    const a = livedInMachine(7);
    const wa = await SnapshotWriter.create();
    const { root } = await wa.capture(a.parts(), store);
    const { m: b, writer: wb } = await restoreInto(root, store, a);
    expect(wb.stateRoot(b.parts())).toBe(root);

    for (let step = 0; step < 5; step++) {
      for (const m of [a, b]) {
        const r2 = prng(100 + step); // the same writes on both machines
        for (let k = 0; k < 3; k++) m.ram.write(RAM_BASE + (r2() % 1024) * PAGE_SIZE + (r2() % 4000), randomBytes(r2, 8));
        m.disk.write((r2() % 512) * 4096, randomBytes(r2, 32));
        m.meta.idleTicks = BigInt(step);
      }
      const ca = await wa.capture(a.parts(), store);
      const cb = await wb.capture(b.parts(), store);
      expect(cb.root).toBe(ca.root);
      expect(cb.stats.pagesHashed).toBeLessThanOrEqual(4);
      expect(await fullStateRoot(b.parts())).toBe(cb.root);
    }
  });

  it('refuses parts of another shape than the writer has seen', async () => {
    const writer = await SnapshotWriter.create();
    writer.stateRoot(livedInMachine(8).parts());
    const other = emptyMachine(8 * 1024 * 1024, new Uint8Array(2 * 1024 * 1024));
    expect(() => writer.stateRoot(other.parts())).toThrow(/RAM is 8388608 bytes, this writer's machine has 4194304/);
    const noDisk = livedInMachine(8).parts();
    expect(() => writer.stateRoot({ ...noDisk, disks: [] })).toThrow(/0 disks/);
  });
});

describe('reachability and errors', () => {
  it('reachableObjects lists exactly what a root needs; gc keeps the latest root restorable', async () => {
    const store = new MemoryObjectStore();
    const m = livedInMachine(10);
    const writer = await SnapshotWriter.create();
    const roots: string[] = [];
    for (let i = 0; i < 4; i++) {
      m.ram.write(RAM_BASE + i * 50 * PAGE_SIZE, randomBytes(prng(i), 64));
      roots.push((await writer.capture(m.parts(), store)).root);
    }
    const all = await reachableObjects(roots, store);
    expect(all.size).toBe(await count(store)); // every object belongs to some root
    const latest = await reachableObjects(roots[3], store);
    expect(latest.size).toBeLessThan(all.size);
    for (const h of latest) expect(await store.has(h)).toBe(true);
    // gc: delete everything the latest root does not reach
    for await (const h of store.list()) if (!latest.has(h)) await store.delete(h);
    const { m: back } = await restoreInto(roots[3], store, m);
    expect(same(back.ram.u8, m.ram.u8)).toBe(true);
    const err = await restoreSnapshot(roots[0], store, { ram: new Uint8Array(m.ram.size) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ObjectMissingError);
    expect((err as Error).message).toBe(`snapshot ${roots[0]}: root: object ${roots[0]} is missing (not in the memory store)`);
  });

  it('a missing root, a missing node, a wrong version and a non-root object are refused clearly', async () => {
    const store = new MemoryObjectStore();
    const m = livedInMachine(11);
    const { root } = await (await SnapshotWriter.create()).capture(m.parts(), store);
    const ram = { ram: new Uint8Array(m.ram.size) };

    const nowhere = 'ab'.repeat(32);
    await expect(restoreSnapshot(nowhere, store, ram)).rejects.toThrow(`snapshot ${nowhere}: root: object ${nowhere} is missing`);
    await expect(reachableObjects(nowhere, store)).rejects.toThrow(ObjectMissingError);

    const page = await store.put(randomBytes(prng(1), 100));
    await expect(restoreSnapshot(page, store, ram)).rejects.toThrow(`object ${page} is not a snapshot root`);

    const v2 = await store.put(encodeCanonical({ kind: 'prnr-snapshot', version: 2, meta: NULL_HASH }));
    const err = await restoreSnapshot(v2, store, ram).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SnapshotFormatError);
    expect((err as Error).message).toBe(`snapshot ${v2} has version 2; this reader understands version 1`);

    await expect(restoreSnapshot(root, store, { ram: new Uint8Array(1024 * 1024) })).rejects.toThrow(/RAM is 4194304 bytes, the target RAM is 1048576/);

    // remove the top node of the RAM tree
    const reach = await reachableObjects(root, store);
    const record = (await import('./canonical.js')).decodeCanonical(await store.get(root)) as { ram: { tree: string } };
    expect(reach.has(record.ram.tree)).toBe(true);
    await store.delete(record.ram.tree);
    await expect(restoreSnapshot(root, store, ram)).rejects.toThrow(`snapshot ${root}: ram tree: node ${record.ram.tree} (level 2, #0): object ${record.ram.tree} is missing`);
  });

  it('a tree node of another version is refused', async () => {
    const store = new MemoryObjectStore();
    const m = livedInMachine(12);
    const { root } = await (await SnapshotWriter.create()).capture(m.parts(), store);
    const record = (await import('./canonical.js')).decodeCanonical(await store.get(root)) as Record<string, any>;
    const node = await store.get(record.ram.tree);
    node[4] = 9;
    const forged = await store.put(encodeCanonical({ ...record, ram: { ...record.ram, tree: await store.put(node) } }));
    await expect(restoreSnapshot(forged, store, { ram: new Uint8Array(m.ram.size) })).rejects.toThrow(/node [0-9a-f]{64} \(level 2, #0\): node version 9; this reader understands version 1/);
  });
});
