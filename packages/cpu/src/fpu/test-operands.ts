/**
 * Deterministic random operands for the property tests (test-only helper,
 * not exported from index.ts). Patterns are bigints for both formats.
 * The mix favours what breaks floating-point code: specials, subnormals,
 * the fast paths' range limits, cancellation and near-ties.
 */

export interface FmtInfo {
  w: 32 | 64;
  p: number;
  fbits: number;
  bias: number;
  expMax: number;
}

export const INFO32: FmtInfo = { w: 32, p: 24, fbits: 23, bias: 127, expMax: 255 };
export const INFO64: FmtInfo = { w: 64, p: 53, fbits: 52, bias: 1023, expMax: 2047 };

/** xorshift32-based generator with a fixed seed. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 1;
  }
  u32(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s;
  }
  int(n: number): number {
    return this.u32() % n;
  }
  u64(): bigint {
    return (BigInt(this.u32()) << 32n) | BigInt(this.u32());
  }
  bits(n: number): bigint {
    return n <= 0 ? 0n : this.u64() & ((1n << BigInt(n)) - 1n);
  }
}

export function make(f: FmtInfo, sign: number, bexp: number, frac: bigint): bigint {
  const e = Math.max(0, Math.min(f.expMax - 1, bexp));
  return (BigInt(sign) << BigInt(f.w - 1)) | (BigInt(e) << BigInt(f.fbits)) | (frac & ((1n << BigInt(f.fbits)) - 1n));
}

export function bexpOf(f: FmtInfo, x: bigint): number {
  return Number((x >> BigInt(f.fbits)) & BigInt(f.expMax));
}

export function frac(r: Rng, f: FmtInfo): bigint {
  const all = (1n << BigInt(f.fbits)) - 1n;
  switch (r.int(6)) {
    case 0: case 1: return r.bits(f.fbits);
    case 2: return all - BigInt(r.int(4));
    case 3: return BigInt(r.int(4));
    case 4: { const k = r.int(f.fbits + 1); return r.bits(k) << BigInt(f.fbits - k); } // short significand
    default: return (1n << BigInt(r.int(f.fbits))) | (1n << BigInt(r.int(f.fbits)));
  }
}

/** Biased exponents worth hitting, including the binary64 fast-path limits. */
function bexp(r: Rng, f: FmtInfo): number {
  const hot64 = [0, 1, 2, 54, 55, 56, 57, 1023 - 484, 2017, 2018, 2019, 2022, 2023, 2024, 2045, 2046];
  const hot32 = [0, 1, 2, 126, 127, 253, 254];
  switch (r.int(6)) {
    case 0: return r.int(f.expMax);
    case 1: { const h = f.w === 64 ? hot64 : hot32; return h[r.int(h.length)] + r.int(3) - 1; }
    default: return f.bias - 30 + r.int(61);
  }
}

export function special(r: Rng, f: FmtInfo): bigint {
  const sign = BigInt(r.int(2)) << BigInt(f.w - 1);
  const inf = BigInt(f.expMax) << BigInt(f.fbits);
  const quiet = 1n << BigInt(f.fbits - 1);
  const one = BigInt(f.bias) << BigInt(f.fbits);
  const list = [0n, 1n, quiet - 1n, 1n << BigInt(f.fbits), inf - 1n, one, inf, inf | quiet, inf | 1n, inf | quiet | 5n, one - 1n, one + 1n];
  return sign | list[r.int(list.length)];
}

export function structured(r: Rng, f: FmtInfo): bigint {
  return make(f, r.int(2), bexp(r, f), frac(r, f));
}

export function anyValue(r: Rng, f: FmtInfo): bigint {
  const k = r.int(10);
  if (k === 0) return special(r, f);
  if (k === 1) return r.bits(f.w);
  return structured(r, f);
}

/** Operands for a binary/ternary arithmetic op, with related values. */
export function arithOperands(r: Rng, f: FmtInfo, op: 'add' | 'mul' | 'div' | 'sqrt' | 'fma'): bigint[] {
  const a = anyValue(r, f), b = anyValue(r, f), c = anyValue(r, f);
  const sign = BigInt(1) << BigInt(f.w - 1);
  const k = r.int(6);
  switch (op) {
    case 'add':
      if (k === 0) return [a, make(f, r.int(2), bexpOf(f, a) - r.int(f.p + 8), frac(r, f))];
      if (k === 1) return [a, BigInt.asUintN(f.w, (a ^ sign) + BigInt(r.int(5)) - 2n)]; // cancellation
      return [a, b];
    case 'mul':
    case 'div': {
      if (k <= 1) {
        // result exponent near the limits
        const hot = f.w === 64 ? [-969, -968, -1022, -1075, 995, 1000, 1023] : [-126, -150, 127];
        const t = hot[r.int(hot.length)] + r.int(5) - 2;
        const ea = -f.bias + 1 + r.int(2 * f.bias);
        const eb = op === 'mul' ? t - ea : ea - t;
        return [make(f, r.int(2), ea + f.bias, frac(r, f)), make(f, r.int(2), eb + f.bias, frac(r, f))];
      }
      return [a, b];
    }
    case 'sqrt':
      return [k <= 3 ? a & ~sign : a];
    case 'fma': {
      if (k <= 1) {
        // c near -(a*b): needs a*b's magnitude; build from exponents only
        const ea = bexpOf(f, a), eb = bexpOf(f, b);
        const ep = ea + eb - f.bias;
        return [a, b, make(f, r.int(2), ep - r.int(3), frac(r, f))];
      }
      if (k === 2) {
        const ea = bexpOf(f, a), eb = bexpOf(f, b);
        return [a, b, make(f, r.int(2), ea + eb - f.bias - f.p - r.int(4) + 1, frac(r, f))];
      }
      if (k === 3) {
        // c = -(a*b rounded) give or take a few ulps: massive cancellation
        const p = toBits(f, fromBits(f, a) * fromBits(f, b));
        return [a, b, BigInt.asUintN(f.w, (p ^ sign) + BigInt(r.int(7)) - 3n)];
      }
      if (k === 4) {
        // a*b = h (1 + w) with h half an ulp of c and w tiny (either sign):
        // c + a*b lies just beside a midpoint. a = 1 + u, b = h (1 - u + v).
        const [u, v] = r.int(2) ? (f.w === 32 ? [2 ** -12, 2 ** -24] : [2 ** -26, 2 ** -52]) : f.w === 32 ? [2 ** -15, 0] : [2 ** -27, 0];
        const cv = (1 + r.int(1 << 20) / (1 << 20)) * 2 ** (r.int(41) - 20) * (r.int(2) ? -1 : 1);
        const cb = toBits(f, cv);
        const h = 2 ** (bexpOf(f, cb) - f.bias - f.p) * Math.sign(cv) * (r.int(4) ? 1 : -1);
        return [toBits(f, 1 + u), toBits(f, h * (1 - u + v)), cb];
      }
      return [a, b, c];
    }
  }
}

const cvt = new DataView(new ArrayBuffer(8));
/** Value of a pattern (binary32 values are exact doubles). */
export function fromBits(f: FmtInfo, x: bigint): number {
  if (f.w === 32) {
    cvt.setUint32(0, Number(x));
    return cvt.getFloat32(0);
  }
  cvt.setBigUint64(0, x);
  return cvt.getFloat64(0);
}
/** Pattern of a double, rounded to binary32 (RNE) for f.w = 32. */
export function toBits(f: FmtInfo, x: number): bigint {
  if (f.w === 32) {
    cvt.setFloat32(0, x);
    return BigInt(cvt.getUint32(0));
  }
  cvt.setFloat64(0, x);
  return cvt.getBigUint64(0);
}

/** Integers for conversions: mixed bit lengths, ties, limits; signed or unsigned. */
export function intOperand(r: Rng, bits: 32 | 64, signed: boolean, p: number): bigint {
  let x: bigint;
  switch (r.int(4)) {
    case 0: x = r.bits(r.int(bits + 1)); break;
    case 1: { // a tie or near tie at precision p
      const len = 1 + r.int(bits - 1);
      const top = Math.min(len, p + 1);
      x = (r.bits(top - 1) | (1n << BigInt(top - 1))) << BigInt(len - top);
      x += BigInt(r.int(3)) - 1n;
      break;
    }
    case 2: x = (1n << BigInt(r.int(bits))) + BigInt(r.int(5)) - 2n; break;
    default: x = r.bits(bits);
  }
  x = BigInt.asUintN(bits, x);
  return signed ? BigInt.asIntN(bits, r.int(2) ? -x : x) : x;
}
