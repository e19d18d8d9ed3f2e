import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { CodeCache } from '@prnr/cpu';
import { CODE_CACHE_FILE, decodeCodeCacheFile, saveCodeCache } from './code-cache-file.js';

const dir = mkdtempSync(join(tmpdir(), 'prnr-cc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('code-cache.bin', () => {
  it('is written with its header and LZ4, reads back to the serialized cache; files of the older layout (raw deflate) still read', async () => {
    const cache = new CodeCache();
    const serialized = cache.serialize();
    await saveCodeCache(dir, cache);
    const file = readFileSync(join(dir, CODE_CACHE_FILE));
    expect([...file.subarray(0, 6)]).toEqual([0x70, 0x72, 0x43, 0x5a, 1, 1]);
    expect(decodeCodeCacheFile(file)).toEqual(Buffer.from(serialized));
    // The layout before the header: the serialized cache as raw deflate.
    const old = deflateRawSync(serialized, { level: 1 });
    expect(decodeCodeCacheFile(old)).toEqual(Buffer.from(serialized));
    expect(CodeCache.load(decodeCodeCacheFile(old)).stats).toEqual(cache.stats);
  });

  it('says what is wrong with a damaged header or block', async () => {
    await saveCodeCache(dir, new CodeCache());
    const good = readFileSync(join(dir, CODE_CACHE_FILE));
    const withByte = (at: number, v: number) => {
      const b = Buffer.from(good);
      b[at] = v;
      return b;
    };
    expect(() => decodeCodeCacheFile(withByte(4, 9))).toThrow(/code cache file version 9; this reader understands 1/);
    expect(() => decodeCodeCacheFile(withByte(5, 7))).toThrow(/unknown codec 7/);
    expect(() => decodeCodeCacheFile(withByte(12, good[12] ^ 0xff))).toThrow(/the LZ4 block says \d+ bytes, the header \d+/);
    expect(() => decodeCodeCacheFile(good.subarray(0, 8))).toThrow(/shorter than the 12-byte header/);
  });
});
