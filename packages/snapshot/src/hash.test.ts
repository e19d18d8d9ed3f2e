import { createRequire } from 'node:module';
import type { createBLAKE3 } from 'hash-wasm';
import { describe, expect, it } from 'vitest';
import { blake3Bin, blake3Hex, blake3Implementation, blake3Ready } from './hash.js';

const wasm = async () => (createRequire(import.meta.url)('hash-wasm/dist/blake3.umd.min.js') as { createBLAKE3: typeof createBLAKE3 }).createBLAKE3(256);

describe('BLAKE3', () => {
  it('the native binding is used where it ships prebuilt (here: Linux x64)', () => {
    if (process.env.PRNR_BLAKE3 !== 'wasm' && process.platform === 'linux' && process.arch === 'x64') expect(blake3Implementation).toBe('native');
  });

  it('gives the BLAKE3 test vector and what hash-wasm gives, for every length and kind of view', async () => {
    await blake3Ready();
    expect(blake3Hex(new Uint8Array(0))).toBe('af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262'); // BLAKE3's own vector
    const ref = await wasm();
    const hex = (b: Uint8Array) => { ref.init(); ref.update(b); return ref.digest('hex'); };
    // Lengths across BLAKE3's block (64) and chunk (1024) boundaries, a page, and more than one SIMD batch of chunks.
    const lengths = [1, 63, 64, 65, 1023, 1024, 1025, 2048, 4095, 4096, 4097, 16 * 1024 + 7, 1 << 20];
    const shared = new Uint8Array(new SharedArrayBuffer((1 << 20) + 64)); // the snapshot ring is shared memory
    for (let i = 0; i < shared.length; i++) shared[i] = (i * 2654435761) >>> 24;
    for (const n of lengths) {
      const plain = shared.slice(3, 3 + n);
      expect(blake3Hex(plain)).toBe(hex(plain));
      expect(blake3Hex(shared.subarray(5, 5 + n))).toBe(hex(shared.subarray(5, 5 + n)));
      expect(Buffer.from(blake3Bin(plain)).toString('hex')).toBe(hex(plain));
    }
  });
});
