import { describe, expect, it } from 'vitest';
import { CanonicalDecodeError, decodeCanonical, encodeCanonical } from './canonical.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('canonical encoding', () => {
  it('gives the same bytes for the same value whatever the key insertion order', () => {
    const a = { pc: 1n, csr: { satp: 2n, mstatus: 3 }, name: 'hart', list: [1, { z: 1, a: 2 }] };
    const b = { list: [1, { a: 2, z: 1 }], name: 'hart', csr: { mstatus: 3, satp: 2n }, pc: 1n };
    expect(hex(encodeCanonical(a))).toBe(hex(encodeCanonical(b)));
    // and different values give different bytes
    expect(hex(encodeCanonical({ ...a, name: 'hart2' }))).not.toBe(hex(encodeCanonical(a)));
  });

  it('distinguishes bigint from number, and keeps each type on decode', () => {
    expect(hex(encodeCanonical(1))).not.toBe(hex(encodeCanonical(1n)));
    expect(hex(encodeCanonical(0))).not.toBe(hex(encodeCanonical(0n)));
    expect(hex(encodeCanonical([1n]))).not.toBe(hex(encodeCanonical([1])));
    expect(decodeCanonical(encodeCanonical(1n))).toBe(1n);
    expect(decodeCanonical(encodeCanonical(1))).toBe(1);
    expect(hex(encodeCanonical(-0))).not.toBe(hex(encodeCanonical(0)));
    expect(hex(encodeCanonical(null))).not.toBe(hex(encodeCanonical(undefined)));
    expect(hex(encodeCanonical('1'))).not.toBe(hex(encodeCanonical(new Uint8Array([0x31]))));
  });

  it('writes strings and keys as their UTF-8 bytes (against Node\'s own encoder), the same the second time', () => {
    const utf8 = (t: string) => Buffer.from(t, 'utf8');
    for (const t of ['', 'ascii', 'ünïcødé ✓ 𝄞', 'x'.repeat(200)]) {
      const b = utf8(t);
      // tag 0x07, varint length (one or two bytes here), the bytes
      const len = b.length < 0x80 ? [b.length] : [(b.length & 0x7f) | 0x80, b.length >> 7];
      expect(hex(encodeCanonical(t))).toBe(hex(Buffer.concat([Buffer.from([0x07, ...len]), b])));
      // as the only key of an object: tag 0x0a, count 1, key length, key, then the value (null)
      const obj = Buffer.concat([Buffer.from([0x0a, 1, ...len]), b, Buffer.from([0x01])]);
      expect(hex(encodeCanonical({ [t]: null }))).toBe(hex(obj));
      expect(hex(encodeCanonical({ [t]: null }))).toBe(hex(obj));
    }
  });

  it('each result is its own: later encodings (small and large) leave earlier ones as they were', () => {
    const a = encodeCanonical({ k: 'first', n: 1n });
    const before = hex(a);
    const big = encodeCanonical({ blob: new Uint8Array(100_000).fill(7) });
    encodeCanonical({ k: 'second', n: 2n });
    expect(hex(a)).toBe(before);
    expect(big.length).toBeGreaterThan(100_000);
    expect(big.every((x, i) => i < big.length - 100_000 || x === 7)).toBe(true);
  });

  it('round-trips plain data exactly', () => {
    const value = {
      x: [0n, 1n, 0xffff_ffff_ffff_ffffn, -1n, -(2n ** 70n), 255n, 256n],
      f: [0, -0, 1.5, -1e300, Number.MAX_SAFE_INTEGER, Infinity, -Infinity, NaN],
      s: ['', 'ascii', 'ünïcødé ✓ 𝄞'],
      b: [new Uint8Array(0), new Uint8Array([0, 1, 254, 255]), new Uint8Array(300).fill(7)],
      nested: { deep: [[[{ t: true, f: false, n: null, u: undefined }]]] },
      ['__proto__']: 'a key, not a prototype',
      empty: {},
      holes: [1, , 3], // eslint-disable-line no-sparse-arrays
    };
    const bytes = encodeCanonical(value);
    const back = decodeCanonical(bytes) as typeof value;
    expect(back).toEqual({ ...value, holes: [1, undefined, 3] });
    expect(Object.is((back.f as number[])[1], -0)).toBe(true);
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(Object.keys(back)).toContain('__proto__');
    // decoding then encoding gives the same bytes
    expect(hex(encodeCanonical(back))).toBe(hex(bytes));
    // Uint8Arrays come back as copies of plain Uint8Array
    expect(back.b[1]).toBeInstanceOf(Uint8Array);
  });

  it('encodes every NaN the same way', () => {
    const other = new Float64Array(new BigUint64Array([0x7ff0_0000_0000_0001n]).buffer)[0];
    expect(Number.isNaN(other)).toBe(true);
    expect(hex(encodeCanonical(other))).toBe(hex(encodeCanonical(NaN)));
  });

  it('refuses what is not plain data, naming the path', () => {
    expect(() => encodeCanonical({ a: [1, new Map()] })).toThrow(/value\.a\[1\] is a Map/);
    expect(() => encodeCanonical({ regs: new Uint32Array(2) })).toThrow(/value\.regs is a Uint32Array \(only Uint8Array/);
    expect(() => encodeCanonical({ when: new Date(0) })).toThrow(/value\.when is a Date/);
    expect(() => encodeCanonical({ f: () => 1 })).toThrow(/value\.f is a function/);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => encodeCanonical(cyclic)).toThrow(/value\.self is a cycle/);
    // a shared (not cyclic) object is fine
    const shared = { v: 1n };
    expect(decodeCanonical(encodeCanonical([shared, shared]))).toEqual([shared, shared]);
  });

  it('refuses bytes that are not one canonical value', () => {
    const ok = encodeCanonical({ a: 1, b: 2 });
    expect(() => decodeCanonical(new Uint8Array([...ok, 0]))).toThrow(CanonicalDecodeError);
    expect(() => decodeCanonical(ok.subarray(0, ok.length - 1))).toThrow(/truncated/);
    // keys out of order: swap the two single-letter keys of {a: 1, b: 2}
    const swapped = ok.slice();
    const ia = swapped.indexOf(0x61);
    const ib = swapped.indexOf(0x62);
    swapped[ia] = 0x62;
    swapped[ib] = 0x61;
    expect(() => decodeCanonical(swapped)).toThrow(/out of order/);
    expect(() => decodeCanonical(new Uint8Array([0x05, 0x01, 0x00]))).toThrow(/non-minimal bigint/);
    expect(() => decodeCanonical(new Uint8Array([0x42]))).toThrow(/unknown tag 0x42/);
  });
});
