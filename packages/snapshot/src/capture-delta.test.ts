import { beforeAll, describe, expect, it } from 'vitest';
import { takeDelta } from './capture-delta.js';
import { blake3Ready } from './hash.js';
import { MemoryObjectStore } from './memory-object-store.js';
import { restoreSnapshot } from './restore.js';
import { SnapshotWriter, fullStateRoot } from './snapshot-writer.js';
import { livedInMachine, prng, randomBytes, RAM_BASE } from './test-support.js';

beforeAll(() => blake3Ready());

describe('captureDelta (a capture from the pages copied at the pause)', () => {
  it('gives the roots a from-scratch hash gives, step after step, and stores what a cold restore needs', async () => {
    // A machine "just built": every non-zero page was written through Ram.write, so it carries a dirty mark.
    const m = livedInMachine(5);
    const writer = await SnapshotWriter.forNewShape({ ram: { size: m.ram.size }, disks: [{ size: m.disk.size, blockSize: m.disk.blockSize }] });
    const store = new MemoryObjectStore();
    const rand = prng(9);
    const roots: string[] = [];
    for (let step = 0; step < 6; step++) {
      if (step > 0) {
        // Change some pages (one back to zero, some to equal content), write and drop disk blocks.
        for (let i = 0; i < 20; i++) m.ram.write(RAM_BASE + (rand() % (m.ram.size / 4096)) * 4096 + (rand() % 4000), randomBytes(rand, 64));
        m.ram.write(RAM_BASE + 7 * 4096, new Uint8Array(4096));
        m.disk.write((rand() % 512) * 4096, randomBytes(rand, 128));
        m.meta = { ...m.meta, step };
      }
      const expected = await fullStateRoot(m.parts());
      const delta = takeDelta(m.parts());
      expect(m.ram.dirty.every((b) => b === 0)).toBe(true);
      // The machine may change at once: the delta holds copies.
      const before = m.ram.u8.slice(0, 4096);
      m.ram.u8.fill(0xee, 0, 4096);
      const { root, stats } = await writer.captureDelta(delta, store);
      m.ram.u8.set(before, 0);
      m.ram.dirty[0] = 0; // written back as it was: no change to capture
      expect(root).toBe(expected);
      expect(stats.pagesHashed).toBe(delta.ram.pages.length + delta.disks[0].data.length / 4096);
      roots.push(root);
    }
    // Every root restores cold from the store alone.
    const last = await restoreSnapshot(roots[roots.length - 1], store, { ram: new Uint8Array(m.ram.size) });
    expect(last.root).toBe(roots[roots.length - 1]);
    expect(new Set(roots).size).toBe(roots.length);
  });

  it('a first delta with `all` serves a machine that is not fresh', async () => {
    const m = livedInMachine(8);
    m.ram.dirty.fill(0);
    m.disk.clearDirty();
    const writer = await SnapshotWriter.create();
    const { root } = await writer.captureDelta(takeDelta(m.parts(), true), new MemoryObjectStore());
    expect(root).toBe(await fullStateRoot(m.parts()));
  });

  it('finds every dirty mark, wherever the marks lie in their buffer and however many pages there are', () => {
    // The marks are read four at a time where aligned: try aligned and unaligned views, page counts not a multiple of 4.
    for (const [offset, pages] of [[0, 64], [1, 61], [4, 7], [3, 3]] as const) {
      const dirty = new Uint8Array(new ArrayBuffer(offset + pages), offset, pages);
      const u8 = new Uint8Array(pages * 4096);
      const marked = [0, 3, 4, 5, pages - 2, pages - 1].filter((p, i, a) => p >= 0 && p < pages && a.indexOf(p) === i).sort((a, b) => a - b);
      for (const p of marked) {
        dirty[p] = p % 2 === 0 ? 1 : 0x80; // any non-zero mark
        u8[p * 4096 + 17] = p + 1;
      }
      const d = takeDelta({ meta: null, ram: { size: u8.length, u8, dirty }, disks: [] });
      expect([...d.ram.pages]).toEqual(marked);
      marked.forEach((p, k) => expect(d.ram.data[k * 4096 + 17]).toBe(p + 1));
      expect(dirty.every((b) => b === 0)).toBe(true);
    }
  });
});
