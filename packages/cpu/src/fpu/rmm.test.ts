/**
 * RMM (round to nearest, ties away from zero) has no x86 counterpart, so
 * besides the hardware-derived tie vectors it is checked by its definition:
 * RMM equals RNE except on exact ties, where RNE takes the even neighbour
 * and RMM the one farther from zero, with the same flags. Ties are found
 * with exact rational arithmetic here, independent of the library.
 */
import { describe, expect, it } from 'vitest';
import * as fp from './index.js';
import type { FpEnv, RoundingMode } from './index.js';
import { INFO32, INFO64, Rng, arithOperands, bexpOf, intOperand, make, frac } from './test-operands.js';
import type { FmtInfo } from './test-operands.js';

/** An exact rational num / den (den > 0). */
interface Q {
  num: bigint;
  den: bigint;
}

/** Exact value of a pattern; infinities count as +-2^(emax+1) (where overflow rounds to); NaN: null. */
function exact(f: FmtInfo, x: bigint): Q | null {
  const neg = (x >> BigInt(f.w - 1)) & 1n;
  const e = Number((x >> BigInt(f.fbits)) & BigInt(f.expMax));
  const m = x & ((1n << BigInt(f.fbits)) - 1n);
  let num: bigint, exp: number;
  if (e === f.expMax) {
    if (m !== 0n) return null;
    num = 1n;
    exp = f.bias + 1;
  } else if (e === 0) {
    num = m;
    exp = 1 - f.bias - f.fbits;
  } else {
    num = m | (1n << BigInt(f.fbits));
    exp = e - f.bias - f.fbits;
  }
  if (neg) num = -num;
  return exp >= 0 ? { num: num << BigInt(exp), den: 1n } : { num, den: 1n << BigInt(-exp) };
}

const add = (a: Q, b: Q): Q => ({ num: a.num * b.den + b.num * a.den, den: a.den * b.den });
const mul = (a: Q, b: Q): Q => ({ num: a.num * b.num, den: a.den * b.den });
const neg = (a: Q): Q => ({ num: -a.num, den: a.den });
const eq = (a: Q, b: Q) => a.num * b.den === b.num * a.den;
const abs = (a: Q): Q => ({ num: a.num < 0n ? -a.num : a.num, den: a.den });
const gt = (a: Q, b: Q) => a.num * b.den > b.num * a.den;

type Res = number | bigint;
interface Case {
  run: (rm: RoundingMode, env: FpEnv) => Res;
  /** Whether the exact result is exactly the midpoint q (a rational). */
  isTie: (mid: Q) => boolean;
  /** Destination format, or null for integer results. */
  dest: FmtInfo | null;
}

function checkCase(c: Case): boolean {
  const r = (rm: RoundingMode) => {
    const env = { flags: 0 };
    const v = c.run(rm, env);
    return { v: typeof v === 'number' && c.dest ? BigInt(v >>> 0) : BigInt(v), flags: env.flags };
  };
  const rne = r(0), rmm = r(4), dn = r(2), up = r(3);
  if (dn.v === up.v) {
    expect(rmm).toEqual(rne);
    return false;
  }
  let qd: Q | null, qu: Q | null;
  if (c.dest) {
    qd = exact(c.dest, dn.v);
    qu = exact(c.dest, up.v);
  } else {
    qd = { num: dn.v, den: 1n };
    qu = { num: up.v, den: 1n };
  }
  if (!qd || !qu) return false;
  if (qd.num === 0n && qu.num === 0n) {
    // -0 and +0: an exact zero, whose sign depends on the mode
    expect(rmm).toEqual(rne);
    return false;
  }
  const mid = { num: qd.num * qu.den + qu.num * qd.den, den: 2n * qd.den * qu.den };
  if (!c.isTie(mid)) {
    expect(rmm).toEqual(rne);
    return false;
  }
  const away = gt(abs(qu), abs(qd)) ? up : dn;
  const even = (dn.v & 1n) === 0n ? dn : up; // last significand bit, or integer parity
  expect(rmm.v).toBe(away.v);
  expect(rne.v).toBe(even.v);
  expect(rmm.flags).toBe(rne.flags);
  return true;
}

/** A value with at most `bits` significant bits. */
function short(r: Rng, f: FmtInfo, bexp: number, bits: number): bigint {
  return make(f, r.int(2), bexp, frac(r, f) & ~((1n << BigInt(f.fbits - bits + 1)) - 1n));
}

/** Operands whose exact result often has p + 1 significant bits (a tie). */
function tieRich(r: Rng, f: FmtInfo, kind: 'add' | 'mul' | 'div' | 'sqrt' | 'fma'): bigint[] {
  const mid = () => f.bias - 20 + r.int(41);
  const h = (f.p >> 1) + 1; // two h-bit significands multiply to p + 1 or p + 2 bits
  switch (kind) {
    case 'add': {
      // b around half an ulp of a (biased exponent E - p is exactly half an ulp)
      const E = mid();
      return [make(f, r.int(2), E, frac(r, f)), short(r, f, E - f.p + 1 - r.int(3), 1 + r.int(3))];
    }
    case 'mul': {
      // normal products, or products at the subnormal boundary (biased exponent ~ 1 - k)
      const ea = mid();
      const eb = r.int(2) ? mid() : 1 - r.int(f.p) + f.bias - ea;
      return [short(r, f, ea, h), short(r, f, eb, h)];
    }
    case 'sqrt': // a square root or a quotient of normal numbers is never a tie
    case 'div': return arithOperands(r, f, kind);
    default: return [short(r, f, mid(), h), short(r, f, mid(), h), short(r, f, mid() - r.int(f.p), 1 + r.int(f.p))];
  }
}

const fmts: [FmtInfo, string][] = [[INFO32, 'f32'], [INFO64, 'f64']];
const A = fp as unknown as Record<string, (...args: unknown[]) => Res>;

describe('RMM is RNE except on ties, which go away from zero', () => {
  for (const [f, P] of fmts) {
    const inA = (v: bigint): Res => (f.w === 32 ? Number(v) : v);
    it(`${P} arithmetic`, () => {
      const r = new Rng(f.w * 12345 + 1);
      let ties = 0;
      for (let i = 0; i < 6000; i++) {
        const kind = (['add', 'mul', 'div', 'sqrt', 'fma'] as const)[i % 5];
        const x = i % 10 < 5 ? tieRich(r, f, kind) : arithOperands(r, f, kind);
        const finite = x.every((v) => bexpOf(f, v) !== f.expMax);
        const q = x.map((v) => exact(f, v));
        let c: Case;
        switch (kind) {
          case 'add':
            c = { run: (rm, e) => A[`${P}Add`](inA(x[0]), inA(x[1]), rm, e), isTie: (m) => finite && eq(add(q[0]!, q[1]!), m), dest: f };
            break;
          case 'mul':
            c = { run: (rm, e) => A[`${P}Mul`](inA(x[0]), inA(x[1]), rm, e), isTie: (m) => finite && eq(mul(q[0]!, q[1]!), m), dest: f };
            break;
          case 'div':
            // x0 / x1 == m  <=>  x0 == m * x1 (x1 != 0)
            c = { run: (rm, e) => A[`${P}Div`](inA(x[0]), inA(x[1]), rm, e), isTie: (m) => finite && q[1]!.num !== 0n && eq(q[0]!, mul(m, q[1]!)), dest: f };
            break;
          case 'sqrt':
            // sqrt(x0) == m  <=>  x0 == m^2 and m >= 0
            c = { run: (rm, e) => A[`${P}Sqrt`](inA(x[0]), rm, e), isTie: (m) => finite && m.num >= 0n && eq(q[0]!, mul(m, m)), dest: f };
            break;
          default:
            c = {
              run: (rm, e) => A[`${P}MulSub`](inA(x[0]), inA(x[1]), inA(x[2]), rm, e),
              isTie: (m) => finite && eq(add(mul(q[0]!, q[1]!), neg(q[2]!)), m),
              dest: f,
            };
        }
        if (checkCase(c)) ties++;
      }
      expect(ties).toBeGreaterThan(100);
    });

    it(`${P} conversions`, () => {
      const r = new Rng(f.w * 777 + 3);
      let ties = 0;
      for (let i = 0; i < 4000; i++) {
        // float -> int: halves and random values around integers
        // (unsigned: nonnegative only, as a negative tie may saturate one way only)
        const name = (['ToI32', 'ToU32', 'ToI64', 'ToU64'] as const)[i % 4];
        const sign = name.includes('U') ? 0 : r.int(2);
        const x = i % 8 < 4 ? make(f, sign, f.bias - 1 + r.int(40), frac(r, f)) : make(f, sign, f.bias + r.int(30), 0n) + BigInt(r.int(3));
        const qx = exact(f, x)!;
        const tieInt = (m: Q) => eq(qx, m) && (m.num * 2n) % m.den === 0n && ((m.num * 2n) / m.den) % 2n !== 0n;
        const unsigned = (v: Res): Res => (name === 'ToU32' ? (v as number) >>> 0 : name === 'ToU64' ? BigInt.asUintN(64, v as bigint) : v);
        if (checkCase({ run: (rm, e) => unsigned(A[`${P}${name}`](inA(x), rm, e)), isTie: tieInt, dest: null })) ties++;
        // int -> float
        const bits = i % 2 ? 64 : 32;
        const signed = (i >> 1) % 2 === 0;
        const v = intOperand(r, bits, signed, f.p);
        const fn = `${signed ? 'i' : 'u'}${bits}To${P.toUpperCase()}`;
        if (checkCase({ run: (rm, e) => A[fn](bits === 32 ? Number(v) : v, rm, e), isTie: (m) => eq({ num: v, den: 1n }, m), dest: f })) ties++;
      }
      if (f.w === 64) {
        // binary64 -> binary32
        for (let i = 0; i < 4000; i++) {
          const x = make(INFO64, r.int(2), 1023 - 155 + r.int(290), frac(r, INFO64) & ~((1n << BigInt(r.int(29))) - 1n));
          const qx = exact(INFO64, x)!;
          if (checkCase({ run: (rm, e) => fp.f64ToF32(x, rm, e), isTie: (m) => eq(qx, m), dest: INFO32 })) ties++;
        }
      }
      expect(ties).toBeGreaterThan(100);
    });
  }
});
