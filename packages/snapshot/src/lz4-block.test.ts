/**
 * The LZ4 block decoder against the real encoder (lz4-napi, the one the
 * stores write with): every block it makes decodes to the input, and bad
 * blocks are errors that never write outside the output.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import type * as Lz4 from 'lz4-napi';
import { lz4DecodeBlock, Lz4BlockError } from './lz4-block.js';
import { prng, randomBytes } from './test-support.js';

const lz4 = createRequire(import.meta.url)('lz4-napi') as typeof Lz4;

/** lz4-napi's block for `bytes`, without its 4-byte length prefix. */
const block = (bytes: Uint8Array) => new Uint8Array(lz4.compressSync(Buffer.from(bytes)).subarray(4));

function inputs(): Uint8Array[] {
  const r = prng(5);
  const text = new TextEncoder().encode('the quick brown fox jumps over the lazy dog '.repeat(200));
  const page = randomBytes(r, 4096);
  page.fill(0, 1000, 3000); // a zero run inside random bytes
  const pattern = new Uint8Array(70_000);
  for (let i = 0; i < pattern.length; i++) pattern[i] = (i % 7) * 3 + (i % 1031 === 0 ? 1 : 0);
  const mixed = new Uint8Array(8192);
  for (let i = 0; i < mixed.length; i += 512) mixed.set(randomBytes(r, 64 + (i % 300)), i);
  // A chunk seen again further on: a match longer than short and not overlapping its source.
  const chunk = randomBytes(r, 1000);
  const repeat = new Uint8Array(2500);
  repeat.set(chunk, 0);
  repeat.set(randomBytes(r, 500), 1000);
  repeat.set(chunk, 1500);
  return [repeat, new Uint8Array(0), new Uint8Array([7]), new Uint8Array(4096), randomBytes(r, 4096), text, page, pattern, mixed, new Uint8Array(65_536).fill(0xab)];
}

describe('lz4DecodeBlock', () => {
  it('decodes what lz4-napi encodes, byte for byte, and says how many bytes it wrote', () => {
    for (const input of inputs()) {
      const b = block(input);
      const out = new Uint8Array(input.length + 100).fill(0x5a);
      const n = lz4DecodeBlock(b, 0, b.length, out.subarray(0, input.length));
      expect(n).toBe(input.length);
      expect(Buffer.from(out.subarray(0, n)).equals(Buffer.from(input))).toBe(true);
      expect(out.subarray(input.length).every((x) => x === 0x5a)).toBe(true); // nothing written past the output
      // The same from an offset inside a larger buffer (a pack entry's payload).
      const framed = new Uint8Array(b.length + 20);
      framed.set(b, 16);
      expect(lz4DecodeBlock(framed, 16, 16 + b.length, new Uint8Array(input.length))).toBe(input.length);
    }
  });

  it('a block that decodes to more than the output is an error, with nothing written past it', () => {
    const input = new Uint8Array(4096).fill(3);
    input.set(randomBytes(prng(1), 200), 100);
    const b = block(input);
    const out = new Uint8Array(5000).fill(0x5a);
    expect(() => lz4DecodeBlock(b, 0, b.length, out.subarray(0, 4000))).toThrow(Lz4BlockError);
    expect(out.subarray(4000).every((x) => x === 0x5a)).toBe(true);
  });

  it('cut, flipped or garbage blocks are Lz4BlockErrors or decode to other bytes, never past the output', () => {
    const r = prng(9);
    for (const input of inputs().filter((x) => x.length > 0)) {
      const b = block(input);
      const tries: Uint8Array[] = [b.subarray(0, b.length >> 1), b.subarray(0, b.length - 1), randomBytes(r, 64)];
      for (let k = 0; k < 20; k++) {
        const f = b.slice();
        f[r() % f.length] ^= 1 << (r() % 8);
        tries.push(f);
      }
      for (const t of tries) {
        const out = new Uint8Array(input.length + 64).fill(0x5a);
        let n = -1;
        try {
          n = lz4DecodeBlock(t, 0, t.length, out.subarray(0, input.length));
        } catch (e) {
          expect(e).toBeInstanceOf(Lz4BlockError);
        }
        if (n >= 0) expect(n).toBeLessThanOrEqual(input.length); // decoded to something: the hash check catches it
        expect(out.subarray(input.length).every((x) => x === 0x5a)).toBe(true);
      }
    }
    expect(() => lz4DecodeBlock(new Uint8Array(0), 0, 0, new Uint8Array(10))).toThrow(/cut short/);
    // A match that points before the start of the output.
    expect(() => lz4DecodeBlock(new Uint8Array([0x10, 0x41, 0x05, 0x00, 0x00]), 0, 5, new Uint8Array(100))).toThrow(/points before the start/);
  });
});
