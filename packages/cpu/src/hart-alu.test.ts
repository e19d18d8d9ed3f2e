/**
 * Integer instructions against a reference model written directly from the
 * spec's definitions in BigInt arithmetic (RISC-V unprivileged spec, chapters
 * 2, 5 and 7), over special values and seeded pseudo-random operands.
 */
import { describe, expect, it } from 'vitest';
import { I, R } from './testing/encode.js';
import { testHart } from './testing/machine.js';

const M64 = (1n << 64n) - 1n;
const u64 = (v: bigint) => v & M64;
const s64 = (v: bigint) => BigInt.asIntN(64, v);
const sx32 = (v: bigint) => u64(BigInt.asIntN(32, v));
const u32 = (v: bigint) => v & 0xffffffffn;
const s32 = (v: bigint) => BigInt.asIntN(32, v);

function divTrunc(a: bigint, b: bigint): bigint { return a / b; } // BigInt division truncates toward zero

const REG_OPS: Record<string, { enc: [number, number, number]; ref: (a: bigint, b: bigint) => bigint }> = {
  add: { enc: [0, 0, 0x33], ref: (a, b) => u64(a + b) },
  sub: { enc: [0x20, 0, 0x33], ref: (a, b) => u64(a - b) },
  sll: { enc: [0, 1, 0x33], ref: (a, b) => u64(a << (b & 63n)) },
  slt: { enc: [0, 2, 0x33], ref: (a, b) => (s64(a) < s64(b) ? 1n : 0n) },
  sltu: { enc: [0, 3, 0x33], ref: (a, b) => (a < b ? 1n : 0n) },
  xor: { enc: [0, 4, 0x33], ref: (a, b) => a ^ b },
  srl: { enc: [0, 5, 0x33], ref: (a, b) => a >> (b & 63n) },
  sra: { enc: [0x20, 5, 0x33], ref: (a, b) => u64(s64(a) >> (b & 63n)) },
  or: { enc: [0, 6, 0x33], ref: (a, b) => a | b },
  and: { enc: [0, 7, 0x33], ref: (a, b) => a & b },
  mul: { enc: [1, 0, 0x33], ref: (a, b) => u64(a * b) },
  mulh: { enc: [1, 1, 0x33], ref: (a, b) => u64((s64(a) * s64(b)) >> 64n) },
  mulhsu: { enc: [1, 2, 0x33], ref: (a, b) => u64((s64(a) * b) >> 64n) },
  mulhu: { enc: [1, 3, 0x33], ref: (a, b) => u64((a * b) >> 64n) },
  div: { enc: [1, 4, 0x33], ref: (a, b) => (b === 0n ? M64 : s64(a) === -(1n << 63n) && s64(b) === -1n ? a : u64(divTrunc(s64(a), s64(b)))) },
  divu: { enc: [1, 5, 0x33], ref: (a, b) => (b === 0n ? M64 : a / b) },
  rem: { enc: [1, 6, 0x33], ref: (a, b) => (b === 0n ? a : s64(a) === -(1n << 63n) && s64(b) === -1n ? 0n : u64(s64(a) % s64(b))) },
  remu: { enc: [1, 7, 0x33], ref: (a, b) => (b === 0n ? a : a % b) },
  addw: { enc: [0, 0, 0x3b], ref: (a, b) => sx32(a + b) },
  subw: { enc: [0x20, 0, 0x3b], ref: (a, b) => sx32(a - b) },
  sllw: { enc: [0, 1, 0x3b], ref: (a, b) => sx32(a << (b & 31n)) },
  srlw: { enc: [0, 5, 0x3b], ref: (a, b) => sx32(u32(a) >> (b & 31n)) },
  sraw: { enc: [0x20, 5, 0x3b], ref: (a, b) => sx32(s32(a) >> (b & 31n)) },
  mulw: { enc: [1, 0, 0x3b], ref: (a, b) => sx32(a * b) },
  divw: { enc: [1, 4, 0x3b], ref: (a, b) => (s32(b) === 0n ? M64 : s32(a) === -(1n << 31n) && s32(b) === -1n ? sx32(a) : sx32(divTrunc(s32(a), s32(b)))) },
  divuw: { enc: [1, 5, 0x3b], ref: (a, b) => (u32(b) === 0n ? M64 : sx32(u32(a) / u32(b))) },
  remw: { enc: [1, 6, 0x3b], ref: (a, b) => (s32(b) === 0n ? sx32(a) : s32(a) === -(1n << 31n) && s32(b) === -1n ? 0n : sx32(s32(a) % s32(b))) },
  remuw: { enc: [1, 7, 0x3b], ref: (a, b) => (u32(b) === 0n ? sx32(a) : sx32(u32(a) % u32(b))) },
};

const SPECIAL = [0n, 1n, 2n, 31n, 32n, 63n, 64n, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n,
  (1n << 63n) - 1n, 1n << 63n, M64, M64 - 1n, 0xffffffff80000000n, 0x00000000ffffffffn, 0x123456789abcdef0n];

/** xorshift64*: deterministic pseudo-random 64-bit values. */
function rng(seed: bigint) {
  let s = seed;
  return () => {
    s ^= s >> 12n; s ^= u64(s << 25n); s ^= s >> 27n;
    return u64(s * 0x2545f4914f6cdd1dn);
  };
}

function operands(n: number): Array<[bigint, bigint]> {
  const r = rng(0x9e3779b97f4a7c15n);
  const out: Array<[bigint, bigint]> = [];
  for (const a of SPECIAL) for (const b of SPECIAL) out.push([a, b]);
  for (let i = 0; i < n; i++) {
    const a = r(), b = r();
    // Mix in small and 32-bit-range values, where the fast paths live.
    out.push([a, b], [a & 0xffffn, b & 0x3fn], [sx32(a), sx32(b)], [u32(a), u32(b)]);
  }
  return out;
}

describe('register-register integer instructions match the spec', () => {
  const pairs = operands(150);
  for (const [name, { enc, ref }] of Object.entries(REG_OPS)) {
    it(name, () => {
      const { hart } = testHart([R(enc[0], 2, 1, enc[1], 3, enc[2])]);
      for (const [a, b] of pairs) {
        hart.pc = 0x80000000n;
        hart.setX(1, a); hart.setX(2, b);
        hart.run(hart.icount + 1);
        const got = hart.getX(3);
        if (got !== ref(a, b)) expect.fail(`${name} 0x${a.toString(16)}, 0x${b.toString(16)}: got 0x${got.toString(16)}, want 0x${ref(a, b).toString(16)}`);
      }
    });
  }
});

const IMM_OPS: Record<string, { f3: number; op: number; hi?: number; shamt?: 5 | 6; ref: (a: bigint, imm: bigint) => bigint }> = {
  addi: { f3: 0, op: 0x13, ref: (a, i) => u64(a + i) },
  slti: { f3: 2, op: 0x13, ref: (a, i) => (s64(a) < i ? 1n : 0n) },
  sltiu: { f3: 3, op: 0x13, ref: (a, i) => (a < u64(i) ? 1n : 0n) },
  xori: { f3: 4, op: 0x13, ref: (a, i) => a ^ u64(i) },
  ori: { f3: 6, op: 0x13, ref: (a, i) => a | u64(i) },
  andi: { f3: 7, op: 0x13, ref: (a, i) => a & u64(i) },
  slli: { f3: 1, op: 0x13, shamt: 6, ref: (a, i) => u64(a << i) },
  srli: { f3: 5, op: 0x13, shamt: 6, ref: (a, i) => a >> i },
  srai: { f3: 5, op: 0x13, shamt: 6, hi: 0x400, ref: (a, i) => u64(s64(a) >> i) },
  addiw: { f3: 0, op: 0x1b, ref: (a, i) => sx32(a + i) },
  slliw: { f3: 1, op: 0x1b, shamt: 5, ref: (a, i) => sx32(a << i) },
  srliw: { f3: 5, op: 0x1b, shamt: 5, ref: (a, i) => sx32(u32(a) >> i) },
  sraiw: { f3: 5, op: 0x1b, shamt: 5, hi: 0x400, ref: (a, i) => sx32(s32(a) >> i) },
};

describe('register-immediate integer instructions match the spec', () => {
  const values = operands(40).map(([a]) => a);
  for (const [name, d] of Object.entries(IMM_OPS)) {
    it(name, () => {
      const imms = d.shamt ? Array.from({ length: 1 << d.shamt }, (_, i) => i) : [0, 1, -1, 2047, -2048, 0x7ff, 0x555, -0x555, 100, -100];
      for (const imm of imms) {
        const { hart } = testHart([I((d.hi ?? 0) | (imm & 0xfff), 1, d.f3, 3, d.op)]);
        for (const a of values) {
          hart.pc = 0x80000000n;
          hart.setX(1, a);
          hart.run(hart.icount + 1);
          const want = d.ref(a, BigInt(imm));
          if (hart.getX(3) !== want) expect.fail(`${name} 0x${a.toString(16)}, ${imm}: got 0x${hart.getX(3).toString(16)}, want 0x${want.toString(16)}`);
        }
      }
    });
  }
  it('x0 stays zero', () => {
    const { hart } = testHart([I(5, 0, 0, 0, 0x13), R(0, 1, 1, 0, 0, 0x33)]);
    hart.setX(1, 7n);
    hart.run(2);
    expect(hart.getX(0)).toBe(0n);
  });
  it('a reserved shift encoding (slli with imm[11:6] != 0) is illegal', () => {
    const { hart } = testHart([I(0x801, 1, 1, 3, 0x13)]);
    hart.run(1);
    expect(hart.mcause).toBe(2n);
    expect(hart.mtval).toBe(BigInt(I(0x801, 1, 1, 3, 0x13)));
  });
});
