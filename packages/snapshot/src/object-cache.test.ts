import { beforeAll, describe, expect, it } from 'vitest';
import { ObjectCorruptError } from './errors.js';
import { blake3Hex, blake3Ready } from './hash.js';
import { MemoryObjectStore } from './memory-object-store.js';
import { CachedObjectReader, ObjectCache } from './object-cache.js';
import type { ObjectReader } from './object-store.js';
import { prng, randomBytes } from './test-support.js';

beforeAll(() => blake3Ready());

/** Counts the gets that reach the store. */
function counting(store: ObjectReader): ObjectReader & { gets: number } {
  const c = { gets: 0, get: (h: string) => (c.gets++, store.get(h)), has: (h: string) => store.has(h) };
  return c;
}

describe('ObjectCache', () => {
  it('serves a second get from memory, as a copy the caller owns', async () => {
    const store = new MemoryObjectStore();
    const bytes = randomBytes(prng(1), 4096);
    const h = await store.put(bytes);
    const inner = counting(store);
    const cache = new ObjectCache(1 << 20);
    const reader = new CachedObjectReader(inner, cache);
    const a = await reader.get(h);
    const b = await reader.get(h);
    expect(inner.gets).toBe(1);
    expect([cache.hits, cache.misses]).toEqual([1, 1]);
    a[0] ^= 1;
    b[1] ^= 1;
    expect(Buffer.from(await reader.get(h)).equals(Buffer.from(bytes))).toBe(true);
    expect(await reader.has(h)).toBe(true);
  });

  it('holds at most maxBytes, dropping the least recently used; never keeps an object over 1/16 of it', async () => {
    const store = new MemoryObjectStore();
    const cache = new ObjectCache(16 * 1024);
    const reader = new CachedObjectReader(counting(store), cache);
    const hs = await Promise.all([0, 1, 2, 3, 4].map((i) => store.put(randomBytes(prng(i), 1024))));
    for (const h of hs.slice(0, 4)) await reader.get(h);
    await reader.get(hs[0]); // now the most recent
    for (let i = 5; i < 20; i++) await reader.get(await store.put(randomBytes(prng(i), 1024))); // 15 KiB more
    expect(cache.bytes).toBeLessThanOrEqual(16 * 1024);
    // 19 KiB were read: the three least recently used went, hs[0] stayed (it was read again)
    expect(hs.slice(0, 4).map((h) => cache.has(h))).toEqual([true, false, false, false]);
    const big = await store.put(randomBytes(prng(99), 2048));
    await reader.get(big);
    expect(cache.has(big)).toBe(false);
  });

  it('keeps only what the store verified: a corrupt object is an error every time', async () => {
    const bytes = randomBytes(prng(2), 100);
    const h = blake3Hex(bytes);
    const bad: ObjectReader = { get: async () => Promise.reject(new ObjectCorruptError(h, 'test', 'bad bytes')), has: async () => true };
    const cache = new ObjectCache(1 << 20);
    const reader = new CachedObjectReader(bad, cache);
    await expect(reader.get(h)).rejects.toThrow(ObjectCorruptError);
    await expect(reader.get(h)).rejects.toThrow(ObjectCorruptError);
    expect(cache.bytes).toBe(0);
  });

  it('getEach lends cached objects as they are, asks the inner reader once for the rest, keeps a buffer made for it without a copy, and copies a lent one the second time it is read', async () => {
    const store = new MemoryObjectStore();
    const objs = [0, 1, 2, 3].map((i) => randomBytes(prng(10 + i), 512));
    const hs = await Promise.all(objs.map((o) => store.put(o)));
    // An inner reader with a bulk read that hands over fresh buffers for the first two, lends a reused one for the others.
    const lent = new Uint8Array(512);
    const asked: string[][] = [];
    const made = new Map<string, Uint8Array>();
    const inner: ObjectReader = {
      get: (h) => store.get(h),
      has: (h) => store.has(h),
      getEach: async (want, each) => {
        asked.push([...want]);
        for (const h of want) {
          const i = hs.indexOf(h);
          if (i < 2) {
            const b = await store.get(h);
            made.set(h, b);
            each(h, b, true);
          } else {
            lent.set(objs[i]);
            each(h, lent, false);
          }
        }
      },
    };
    const cache = new ObjectCache(1 << 20);
    const reader = new CachedObjectReader(inner, cache);
    await reader.get(hs[3]); // cached through get(): a copy
    const got = new Map<string, { bytes: Uint8Array; fresh: boolean }>();
    await reader.getEach(hs, (h, bytes, fresh) => got.set(h, { bytes: bytes.slice(), fresh }));
    expect(asked).toEqual([[hs[0], hs[1], hs[2]]]); // one bulk read, without what was cached
    hs.forEach((h, i) => expect(Buffer.from(got.get(h)!.bytes).equals(Buffer.from(objs[i]))).toBe(true));
    expect([...got.values()].every((g) => !g.fresh)).toBe(true); // the cache adopted the fresh ones: none is the caller's
    expect(cache.view(hs[0])).toBe(made.get(hs[0])); // adopted, not copied
    expect(cache.has(hs[2])).toBe(false); // lent, read once: not copied
    // Read again: the lent one is copied in now (the inner reader reuses its buffer meanwhile).
    await reader.getEach(hs, () => {});
    expect(asked).toEqual([[hs[0], hs[1], hs[2]], [hs[2]]]);
    lent.fill(0);
    expect(Buffer.from(cache.view(hs[2])!).equals(Buffer.from(objs[2]))).toBe(true);
    // A third getEach: all from the cache, as views (the same buffers), the inner reader not asked.
    const views: Uint8Array[] = [];
    await reader.getEach(hs, (_h, bytes) => views.push(bytes));
    expect(asked).toHaveLength(2);
    expect(views[0]).toBe(made.get(hs[0]));
    // get() still copies: writing its result changes nothing cached.
    (await reader.get(hs[0]))[0] ^= 0xff;
    expect(Buffer.from(cache.view(hs[0])!).equals(Buffer.from(objs[0]))).toBe(true);
  });

  it('getEach over a reader without one (an HTTP reader) gets each object, and the cache keeps those without a copy', async () => {
    const store = new MemoryObjectStore();
    const objs = [0, 1, 2].map((i) => randomBytes(prng(20 + i), 300));
    const hs = await Promise.all(objs.map((o) => store.put(o)));
    const inner = counting(store);
    const cache = new ObjectCache(1 << 20);
    const seen: string[] = [];
    await new CachedObjectReader(inner, cache).getEach(hs, (h, bytes) => {
      expect(Buffer.from(bytes).equals(Buffer.from(objs[hs.indexOf(h)]))).toBe(true);
      seen.push(h);
    });
    expect(new Set(seen)).toEqual(new Set(hs));
    expect(inner.gets).toBe(3);
    expect(hs.every((h) => cache.has(h))).toBe(true);
    expect(cache.bytes).toBe(900);
    // A corrupt object is an error through getEach too, and is not kept.
    const bad: ObjectReader = { get: async (h) => Promise.reject(new ObjectCorruptError(h, 'test', 'bad bytes')), has: async () => true };
    const c2 = new ObjectCache(1 << 20);
    await expect(new CachedObjectReader(bad, c2).getEach(hs, () => {})).rejects.toThrow(ObjectCorruptError);
    expect(c2.bytes).toBe(0);
  });
});
