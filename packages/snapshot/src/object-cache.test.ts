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
});
