/**
 * Exact IEEE 754-2019 binary arithmetic on bit patterns, with BigInt
 * significands, for any binary interchange format (here binary32 and binary64).
 *
 * This is the reference path: slow, but every operation computes the exact
 * result (or, for division and square root, enough quotient/root bits plus a
 * sticky bit) and rounds it once in `roundPack`, which also decides every
 * exception flag. The fast paths in f32.ts / f64.ts fall back to it whenever
 * they cannot prove their result and flags exact.
 *
 * RISC-V rules applied here: every NaN result is the canonical NaN; tininess
 * is detected after rounding; underflow is raised only with inexact;
 * 0 * inf in a fused multiply-add is invalid even when the addend is a quiet
 * NaN; float-to-integer conversions saturate and raise only NV when the
 * rounded value is out of range (NaN converts to the largest value).
 */
import { FLAG_DZ, FLAG_NV, FLAG_NX, FLAG_OF, FLAG_UF, RM_RDN, RM_RMM, RM_RNE, RM_RTZ, RM_RUP } from './constants.js';
import type { FpEnv, RoundingMode } from './constants.js';

/** Description of a binary interchange format. */
export interface Fmt {
  /** Precision in bits, hidden bit included (24, 53). */
  readonly p: number;
  /** Stored fraction bits (p - 1). */
  readonly fbits: number;
  /** Exponent field all ones (255, 2047). */
  readonly expMax: number;
  readonly bias: number;
  /** Exponent of the smallest normal number (1 - bias). */
  readonly emin: number;
  readonly signShift: bigint;
  readonly fracMask: bigint;
  readonly hidden: bigint;
  readonly quietBit: bigint;
  readonly inf: bigint;
  readonly maxFinite: bigint;
  readonly canonicalNaN: bigint;
}

function makeFmt(ebits: number, fbits: number): Fmt {
  const expMax = (1 << ebits) - 1;
  const bias = (1 << (ebits - 1)) - 1;
  const fb = BigInt(fbits);
  return {
    p: fbits + 1,
    fbits,
    expMax,
    bias,
    emin: 1 - bias,
    signShift: BigInt(ebits + fbits),
    fracMask: (1n << fb) - 1n,
    hidden: 1n << fb,
    quietBit: 1n << (fb - 1n),
    inf: BigInt(expMax) << fb,
    maxFinite: (BigInt(expMax) << fb) - 1n,
    canonicalNaN: (BigInt(expMax) << fb) | (1n << (fb - 1n)),
  };
}

export const FMT32: Fmt = makeFmt(8, 23);
export const FMT64: Fmt = makeFmt(11, 52);

/** Operand classes. */
const ZERO = 0, FINITE = 1, INF = 2, QNAN = 3, SNAN = 4;

/** An unpacked operand: finite values are (-1)^sign * sig * 2^exp exactly. */
interface Unpacked {
  sign: number;
  cls: number;
  sig: bigint;
  exp: number;
}

function unpack(bits: bigint, f: Fmt): Unpacked {
  const sign = Number(bits >> f.signShift) & 1;
  const e = Number((bits >> BigInt(f.fbits)) & BigInt(f.expMax));
  const frac = bits & f.fracMask;
  if (e === f.expMax) {
    if (frac === 0n) return { sign, cls: INF, sig: 0n, exp: 0 };
    return { sign, cls: (frac & f.quietBit) !== 0n ? QNAN : SNAN, sig: 0n, exp: 0 };
  }
  if (e === 0) {
    if (frac === 0n) return { sign, cls: ZERO, sig: 0n, exp: 0 };
    return { sign, cls: FINITE, sig: frac, exp: f.emin - f.fbits };
  }
  return { sign, cls: FINITE, sig: frac | f.hidden, exp: e - f.bias - f.fbits };
}

const isNaNCls = (u: Unpacked) => u.cls >= QNAN;

function signedZero(sign: number, f: Fmt): bigint {
  return sign ? 1n << f.signShift : 0n;
}
function signedInf(sign: number, f: Fmt): bigint {
  return sign ? (1n << f.signShift) | f.inf : f.inf;
}

/** Number of bits of a positive bigint. */
export function bitLength(x: bigint): number {
  let n = 0;
  while (x >= 0x100000000n) {
    x >>= 32n;
    n += 32;
  }
  return n + 32 - Math.clz32(Number(x));
}

/** Scratch result of roundShift: whether the discarded bits were nonzero. */
let lastInexact = false;

/**
 * `sig / 2^sh` (sh >= 1) rounded to an integer in mode rm for a value of
 * sign `sign`; sets lastInexact.
 */
function roundShift(sig: bigint, sh: number, sign: number, rm: RoundingMode): bigint {
  const s = BigInt(sh);
  const q = sig >> s;
  const rem = sig - (q << s);
  if (rem === 0n) {
    lastInexact = false;
    return q;
  }
  lastInexact = true;
  const half = 1n << (s - 1n);
  let inc: boolean;
  switch (rm) {
    case RM_RNE: inc = rem > half || (rem === half && (q & 1n) === 1n); break;
    case RM_RTZ: inc = false; break;
    case RM_RDN: inc = sign === 1; break;
    case RM_RUP: inc = sign === 0; break;
    default: inc = rem >= half; break; // RMM
  }
  return inc ? q + 1n : q;
}

/**
 * Rounds the exact value (-1)^sign * sig * 2^exp (sig > 0) to format f and
 * packs it, raising NX, UF (tiny after rounding and inexact) and OF.
 * Callers that only know a value approximately (division, square root) pass
 * sig with at least p + 2 bits whose last bit is a sticky bit (1 when the
 * true value is above sig * 2^exp): that makes every rounding decision, the
 * inexact flag and the tininess test the same as for the true value.
 */
export function roundPack(sign: number, sig: bigint, exp: number, f: Fmt, rm: RoundingMode, env: FpEnv): bigint {
  const len = bitLength(sig);
  const top = exp + len - 1; // the value lies in [2^top, 2^(top+1))
  let lsb = top - (f.p - 1);
  if (lsb < f.emin - (f.p - 1)) lsb = f.emin - (f.p - 1);
  let m: bigint;
  let inexact = false;
  if (lsb <= exp) {
    m = sig << BigInt(exp - lsb);
  } else {
    m = roundShift(sig, lsb - exp, sign, rm);
    inexact = lastInexact;
  }
  if (m >> BigInt(f.p) !== 0n) {
    // Rounded up to 2^p: renormalize (exact, m is a power of two).
    m >>= 1n;
    lsb += 1;
  }
  let flags = inexact ? FLAG_NX : 0;
  if (inexact && top < f.emin) {
    // Tininess after rounding: tiny unless rounding to p bits with an
    // unbounded exponent range carries the value up to 2^emin.
    let tiny = true;
    if (top === f.emin - 1) {
      const sh = top - (f.p - 1) - exp;
      if (sh > 0 && roundShift(sig, sh, sign, rm) === 1n << BigInt(f.p)) tiny = false;
    }
    if (tiny) flags |= FLAG_UF;
  }
  let biased: number;
  if (m >> BigInt(f.p - 1) !== 0n) {
    biased = lsb + (f.p - 1) + f.bias;
    if (biased >= f.expMax) {
      env.flags |= FLAG_OF | FLAG_NX;
      const toInf = rm === RM_RNE || rm === RM_RMM || (rm === RM_RDN && sign === 1) || (rm === RM_RUP && sign === 0);
      const mag = toInf ? f.inf : f.maxFinite;
      return sign ? (1n << f.signShift) | mag : mag;
    }
  } else {
    biased = 0; // subnormal or zero; lsb is emin - (p - 1) here
  }
  env.flags |= flags;
  const bits = (BigInt(biased) << BigInt(f.fbits)) | (m & f.fracMask);
  return sign ? (1n << f.signShift) | bits : bits;
}

/** Raises NV if any of the unpacked operands is a signaling NaN. */
function checkSNaN(env: FpEnv, a: Unpacked, b?: Unpacked, c?: Unpacked): void {
  if (a.cls === SNAN || b?.cls === SNAN || c?.cls === SNAN) env.flags |= FLAG_NV;
}

/** Exact sum of two finite values, rounded; sign rules of IEEE 6.3 for exact zeros. */
function addFinite(sa: number, ma: bigint, ea: number, sb: number, mb: bigint, eb: number, f: Fmt, rm: RoundingMode, env: FpEnv): bigint {
  const e = ea < eb ? ea : eb;
  let x = ma << BigInt(ea - e);
  let y = mb << BigInt(eb - e);
  if (sa) x = -x;
  if (sb) y = -y;
  const s = x + y;
  if (s === 0n) return signedZero(rm === RM_RDN ? 1 : 0, f);
  return s < 0n ? roundPack(1, -s, e, f, rm, env) : roundPack(0, s, e, f, rm, env);
}

/** a + b, or a - b when negB. */
export function sfAdd(a: bigint, b: bigint, negB: boolean, f: Fmt, rm: RoundingMode, env: FpEnv): bigint {
  const x = unpack(a, f), y = unpack(b, f);
  if (negB) y.sign ^= 1;
  if (isNaNCls(x) || isNaNCls(y)) {
    checkSNaN(env, x, y);
    return f.canonicalNaN;
  }
  if (x.cls === INF) {
    if (y.cls === INF && x.sign !== y.sign) {
      env.flags |= FLAG_NV; // inf - inf
      return f.canonicalNaN;
    }
    return signedInf(x.sign, f);
  }
  if (y.cls === INF) return signedInf(y.sign, f);
  if (x.cls === ZERO && y.cls === ZERO) return signedZero(x.sign === y.sign ? x.sign : rm === RM_RDN ? 1 : 0, f);
  if (x.cls === ZERO) return roundPack(y.sign, y.sig, y.exp, f, rm, env); // exact
  if (y.cls === ZERO) return roundPack(x.sign, x.sig, x.exp, f, rm, env); // exact
  return addFinite(x.sign, x.sig, x.exp, y.sign, y.sig, y.exp, f, rm, env);
}

export function sfMul(a: bigint, b: bigint, f: Fmt, rm: RoundingMode, env: FpEnv): bigint {
  const x = unpack(a, f), y = unpack(b, f);
  const sign = x.sign ^ y.sign;
  if (isNaNCls(x) || isNaNCls(y)) {
    checkSNaN(env, x, y);
    return f.canonicalNaN;
  }
  if ((x.cls === INF && y.cls === ZERO) || (x.cls === ZERO && y.cls === INF)) {
    env.flags |= FLAG_NV;
    return f.canonicalNaN;
  }
  if (x.cls === INF || y.cls === INF) return signedInf(sign, f);
  if (x.cls === ZERO || y.cls === ZERO) return signedZero(sign, f);
  return roundPack(sign, x.sig * y.sig, x.exp + y.exp, f, rm, env);
}

export function sfDiv(a: bigint, b: bigint, f: Fmt, rm: RoundingMode, env: FpEnv): bigint {
  const x = unpack(a, f), y = unpack(b, f);
  const sign = x.sign ^ y.sign;
  if (isNaNCls(x) || isNaNCls(y)) {
    checkSNaN(env, x, y);
    return f.canonicalNaN;
  }
  if (x.cls === INF) {
    if (y.cls === INF) {
      env.flags |= FLAG_NV;
      return f.canonicalNaN;
    }
    return signedInf(sign, f);
  }
  if (y.cls === INF) return signedZero(sign, f);
  if (y.cls === ZERO) {
    if (x.cls === ZERO) {
      env.flags |= FLAG_NV;
      return f.canonicalNaN;
    }
    env.flags |= FLAG_DZ;
    return signedInf(sign, f);
  }
  if (x.cls === ZERO) return signedZero(sign, f);
  // Quotient with at least p + 2 bits, then a sticky bit for the remainder.
  let k = f.p + 3 + bitLength(y.sig) - bitLength(x.sig);
  if (k < 0) k = 0;
  const num = x.sig << BigInt(k);
  const q = num / y.sig;
  const sticky = num - q * y.sig !== 0n ? 1n : 0n;
  return roundPack(sign, (q << 1n) | sticky, x.exp - y.exp - k - 1, f, rm, env);
}

/** floor(sqrt(n)) for n > 0 (Newton's iteration from above). */
function isqrt(n: bigint): bigint {
  let x = 1n << BigInt((bitLength(n) >> 1) + 1);
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

export function sfSqrt(a: bigint, f: Fmt, rm: RoundingMode, env: FpEnv): bigint {
  const x = unpack(a, f);
  if (isNaNCls(x)) {
    checkSNaN(env, x);
    return f.canonicalNaN;
  }
  if (x.cls === ZERO) return a; // sqrt(+-0) = +-0
  if (x.sign) {
    env.flags |= FLAG_NV; // negative nonzero, -inf included
    return f.canonicalNaN;
  }
  if (x.cls === INF) return a;
  // Scale so the integer root has at least p + 2 bits and the exponent is even.
  let k = 2 * (f.p + 3) - bitLength(x.sig);
  if (k < 0) k = 0;
  if (((x.exp - k) & 1) !== 0) k++;
  const n = x.sig << BigInt(k);
  const r = isqrt(n);
  const sticky = n - r * r !== 0n ? 1n : 0n;
  return roundPack(0, (r << 1n) | sticky, (x.exp - k) / 2 - 1, f, rm, env);
}

/**
 * Fused (+-a*b) + (+-c) with one rounding: negProd negates the product,
 * negC the addend (RISC-V FMADD, FMSUB, FNMSUB, FNMADD).
 */
export function sfFma(a: bigint, b: bigint, c: bigint, negProd: boolean, negC: boolean, f: Fmt, rm: RoundingMode, env: FpEnv): bigint {
  const x = unpack(a, f), y = unpack(b, f), z = unpack(c, f);
  const ps = x.sign ^ y.sign ^ (negProd ? 1 : 0);
  const cs = z.sign ^ (negC ? 1 : 0);
  checkSNaN(env, x, y, z);
  if ((x.cls === INF && y.cls === ZERO) || (x.cls === ZERO && y.cls === INF)) {
    env.flags |= FLAG_NV; // 0 * inf is invalid whatever the addend, quiet NaN included
    return f.canonicalNaN;
  }
  if (isNaNCls(x) || isNaNCls(y) || isNaNCls(z)) return f.canonicalNaN;
  if (x.cls === INF || y.cls === INF) {
    if (z.cls === INF && cs !== ps) {
      env.flags |= FLAG_NV; // inf - inf
      return f.canonicalNaN;
    }
    return signedInf(ps, f);
  }
  if (z.cls === INF) return signedInf(cs, f);
  if (x.cls === ZERO || y.cls === ZERO) {
    if (z.cls === ZERO) return signedZero(ps === cs ? ps : rm === RM_RDN ? 1 : 0, f);
    return roundPack(cs, z.sig, z.exp, f, rm, env); // exact
  }
  const ms = x.sig * y.sig, me = x.exp + y.exp;
  if (z.cls === ZERO) return roundPack(ps, ms, me, f, rm, env);
  return addFinite(ps, ms, me, cs, z.sig, z.exp, f, rm, env);
}

/**
 * Conversion to an integer in [lo, hi] (FCVT.W/WU/L/LU): the exact rounded
 * integer, or the saturated bound with NV when out of range (NaN gives hi).
 */
export function sfToInt(a: bigint, f: Fmt, lo: bigint, hi: bigint, rm: RoundingMode, env: FpEnv): bigint {
  const x = unpack(a, f);
  if (isNaNCls(x)) {
    env.flags |= FLAG_NV;
    return hi;
  }
  if (x.cls === INF) {
    env.flags |= FLAG_NV;
    return x.sign ? lo : hi;
  }
  if (x.cls === ZERO) return 0n;
  let mag: bigint;
  let inexact = false;
  if (x.exp >= 0) {
    if (x.exp > 64) {
      env.flags |= FLAG_NV; // |x| >= 2^65: out of every range
      return x.sign ? lo : hi;
    }
    mag = x.sig << BigInt(x.exp);
  } else {
    mag = roundShift(x.sig, -x.exp, x.sign, rm);
    inexact = lastInexact;
  }
  const r = x.sign ? -mag : mag;
  if (r < lo) {
    env.flags |= FLAG_NV;
    return lo;
  }
  if (r > hi) {
    env.flags |= FLAG_NV;
    return hi;
  }
  if (inexact) env.flags |= FLAG_NX;
  return r;
}

/** Conversion of an integer (any size) to format f. */
export function sfFromInt(v: bigint, f: Fmt, rm: RoundingMode, env: FpEnv): bigint {
  if (v === 0n) return 0n;
  return v < 0n ? roundPack(1, -v, 0, f, rm, env) : roundPack(0, v, 0, f, rm, env);
}

/** Conversion between formats (FCVT.S.D, FCVT.D.S). */
export function sfConvert(a: bigint, from: Fmt, to: Fmt, rm: RoundingMode, env: FpEnv): bigint {
  const x = unpack(a, from);
  if (isNaNCls(x)) {
    checkSNaN(env, x);
    return to.canonicalNaN;
  }
  if (x.cls === INF) return signedInf(x.sign, to);
  if (x.cls === ZERO) return signedZero(x.sign, to);
  return roundPack(x.sign, x.sig, x.exp, to, rm, env);
}

/** FCLASS mask of a pattern of format f. */
export function sfClassify(a: bigint, f: Fmt): number {
  const x = unpack(a, f);
  switch (x.cls) {
    case INF: return x.sign ? 1 << 0 : 1 << 7;
    case ZERO: return x.sign ? 1 << 3 : 1 << 4;
    case SNAN: return 1 << 8;
    case QNAN: return 1 << 9;
    default: {
      const subnormal = (a >> BigInt(f.fbits)) & BigInt(f.expMax) ? false : true;
      if (subnormal) return x.sign ? 1 << 2 : 1 << 5;
      return x.sign ? 1 << 1 : 1 << 6;
    }
  }
}
