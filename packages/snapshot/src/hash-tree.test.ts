import { beforeAll, describe, expect, it } from 'vitest';
import { blake3Bin, blake3Ready, toHex } from './hash.js';
import { DenseLeaves, HashTree, levelCounts, SparseLeaves } from './hash-tree.js';
import { NULL_HASH } from './schema.js';
import { prng } from './test-support.js';

beforeAll(() => blake3Ready());

function leafHash(v: number): Uint8Array {
  return blake3Bin(new Uint8Array([v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, 1]));
}

describe('HashTree', () => {
  it('has the smallest height whose fan-out covers the leaves', () => {
    expect(levelCounts(1)).toEqual([1, 1]);
    expect(levelCounts(256)).toEqual([256, 1]);
    expect(levelCounts(257)).toEqual([257, 2, 1]);
    expect(levelCounts(65536)).toEqual([65536, 256, 1]);
    expect(levelCounts(65537)).toEqual([65537, 257, 2, 1]);
    expect(levelCounts(0)).toEqual([0]);
  });

  it('incremental updates give the same root as building from scratch (3 levels)', () => {
    const n = 70_000;
    const rand = prng(3);
    const inc = new HashTree(n, new DenseLeaves(n));
    const values = Array.from({ length: n }, (_, i) => i);
    const set = (t: HashTree<DenseLeaves>, i: number) => t.leaves.hashes.set(leafHash(values[i]), i * 32);
    for (let i = 0; i < n; i++) set(inc, i);
    inc.update(inc.allLeaves());
    const first = inc.root();
    for (let round = 0; round < 5; round++) {
      const changed = new Set<number>();
      for (let k = 0; k < 300; k++) changed.add(rand() % n);
      changed.add(n - 1); // the short last node of every level
      for (const i of changed) {
        values[i] = rand();
        set(inc, i);
      }
      inc.update([...changed].sort((a, b) => a - b));
      const fresh = new HashTree(n, new DenseLeaves(n));
      for (let i = 0; i < n; i++) set(fresh, i);
      fresh.update(fresh.allLeaves());
      expect(inc.root()).toBe(fresh.root());
      expect(inc.root()).not.toBe(first);
    }
  });

  it('uniform() builds the same tree as hashing every node, short last nodes included', () => {
    const leaf = leafHash(42);
    for (const n of [1, 255, 256, 257, 65_536, 65_537, 70_000]) {
      const u = HashTree.uniform(n, leaf);
      const full = new HashTree(n, new DenseLeaves(n));
      for (let i = 0; i < n; i++) full.leaves.hashes.set(leaf, i * 32);
      full.update(full.allLeaves());
      expect(u.root(), `${n} leaves`).toBe(full.root());
      expect(u.levels.map((l) => Buffer.from(l).toString('hex'))).toEqual(full.levels.map((l) => Buffer.from(l).toString('hex')));
      expect(Buffer.from(u.leaves.hashes).equals(Buffer.from(full.leaves.hashes))).toBe(true);
      expect(u.unstored.every((s) => s.size === 0)).toBe(true);
    }
  });

  it('a node over only NULL leaves is NULL and unstored; an empty tree is NULL', () => {
    const t = new HashTree(1000, new SparseLeaves());
    expect(t.root()).toBe(NULL_HASH);
    t.leaves.hashes.set(600, leafHash(1));
    t.update([600]);
    expect(t.root()).not.toBe(NULL_HASH);
    expect([...t.unstored[0]]).toEqual([2]); // only the level-1 node over leaf 600
    expect(t.nodeBytes(1, 0)).toBeNull();
    t.leaves.hashes.delete(600);
    t.update([600]);
    expect(t.root()).toBe(NULL_HASH);
    expect(t.unstored.every((u) => u.size === 0)).toBe(true);
    expect(new HashTree(0, new SparseLeaves()).root()).toBe(NULL_HASH);
  });

  it('the root is the hash of the top node, which lists its children', () => {
    const t = new HashTree(3, new DenseLeaves(3));
    for (let i = 0; i < 3; i++) t.leaves.hashes.set(leafHash(i), i * 32);
    t.update([0, 1, 2]);
    const bytes = t.nodeBytes(1, 0)!;
    expect(bytes.length).toBe(8 + 3 * 32);
    expect(Buffer.from(bytes.subarray(0, 8)).toString('hex')).toBe('7072544e' + '01' + '01' + '0300');
    expect(toHex(bytes, 8 + 32)).toBe(toHex(leafHash(1)));
    expect(t.root()).toBe(toHex(blake3Bin(bytes)));
  });
});
