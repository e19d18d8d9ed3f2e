/**
 * binary64 operations (RISC-V D). Operands and results are unsigned 64-bit
 * patterns in bigints.
 *
 * Fast paths compute with host doubles (correctly rounded RNE) and recover
 * the exact rounding error with error-free transforms (Fast2Sum/TwoSum,
 * Dekker's TwoProduct); the error's sign and size decide the inexact flag,
 * directed roundings and RMM ties (see `finish64`). Each fast path states the
 * operand range in which its transforms are exact and no OF/UF can occur;
 * everything else (NaN, infinities, tiny or huge values) goes to the exact
 * path in soft-float.ts.
 */
import { FLAG_NV, FLAG_NX, F64_CANONICAL_NAN, RM_RDN, RM_RNE } from './constants.js';
import type { FpEnv, RoundingMode } from './constants.js';
import { B64, F64, HI, LO, U32, f64Bits, f64Value } from './host-views.js';
import { F64_MAX, finish32, finish64, productError, roundToInteger } from './fast-round.js';
import { FMT32, FMT64, sfAdd, sfConvert, sfDiv, sfFma, sfMul, sfSqrt, sfToInt } from './soft-float.js';

const SIGN = 0x8000000000000000n;
/** Below this a product's Dekker error may not be representable. */
const TINY = 2 ** -968;
/** Smallest |result| finish64 accepts (gaps are then >= 2^-1021). */
const SMALL = 2 ** -969;
/** Above this Dekker's split overflows. */
const HUGE = 2 ** 995;
const BIG = 2 ** 1000;

/** Exact zero from x + y (both finite): IEEE 6.3 sign rules. */
function zeroSum64(x: number, y: number, rm: RoundingMode): bigint {
  // In every mode but RDN the host's RNE sign is right (+0 unless both -0).
  if (rm !== RM_RDN) return f64Bits(x + y);
  return Object.is(x, 0) && Object.is(y, 0) ? 0n : SIGN;
}

function add64(a: bigint, b: bigint, negB: boolean, rm: RoundingMode, env: FpEnv): bigint {
  const x = f64Value(a);
  const y = negB ? -f64Value(b) : f64Value(b);
  const s = x + y;
  if (Math.abs(s) < F64_MAX) {
    // s finite (inputs finite) and below MAX, so X < MAX: no overflow in any
    // mode. Fast2Sum (|x| >= |y| first) gives the exact error e = x + y - s.
    // An inexact sum has |X| >= 2^-1021 (sums below are exact multiples of
    // 2^-1074 with < 53 bits), so no underflow and gaps halve exactly.
    const e = Math.abs(x) >= Math.abs(y) ? y - (s - x) : x - (s - y);
    if (rm === RM_RNE) {
      if (e !== 0) env.flags |= FLAG_NX;
      F64[0] = s;
      return B64[0];
    }
    if (s !== 0) return finish64(s, e, 0, rm, env);
    return zeroSum64(x, y, rm); // a zero sum is exact
  }
  return sfAdd(a, b, negB, FMT64, rm, env);
}

export function f64Add(a: bigint, b: bigint, rm: RoundingMode, env: FpEnv): bigint {
  return add64(a, b, false, rm, env);
}

export function f64Sub(a: bigint, b: bigint, rm: RoundingMode, env: FpEnv): bigint {
  return add64(a, b, true, rm, env);
}

export function f64Mul(a: bigint, b: bigint, rm: RoundingMode, env: FpEnv): bigint {
  const x = f64Value(a), y = f64Value(b);
  const p = x * y;
  const ap = Math.abs(p);
  if (ap >= TINY && ap < BIG && Math.abs(x) < HUGE && Math.abs(y) < HUGE) {
    // TwoProduct is exact here (split halves cannot overflow: their
    // products stay near |p| < 2^1000); no OF/UF possible.
    const e = productError(x, y, p);
    if (rm === RM_RNE) {
      if (e !== 0) env.flags |= FLAG_NX;
      F64[0] = p;
      return B64[0];
    }
    return finish64(p, e, 0, rm, env);
  }
  if (p === 0 && (x === 0 || y === 0)) return f64Bits(p); // exact signed zero (other operand finite)
  return sfMul(a, b, FMT64, rm, env);
}

export function f64Div(a: bigint, b: bigint, rm: RoundingMode, env: FpEnv): bigint {
  const x = f64Value(a), y = f64Value(b);
  const q = x / y;
  const aq = Math.abs(q);
  const ax = Math.abs(x);
  if (aq >= SMALL && aq < HUGE && Math.abs(y) < HUGE && ax >= TINY && ax < BIG) {
    // The remainder rho = x - q*y is exact: q*y = p + pe (TwoProduct, exact
    // as |q|, |y| < 2^995 and |q*y| ~ |x| in [2^-968, 2^1000): p cannot
    // overflow), x - p is exact
    // (Sterbenz: p within a factor 2 of x) and rho is representable. X - q
    // has the sign of rho * y. A quotient is never a midpoint at full
    // precision, so only the sign matters.
    const p = q * y;
    const rho = x - p - productError(q, y, p);
    if (rm === RM_RNE) {
      if (rho !== 0) env.flags |= FLAG_NX;
      F64[0] = q;
      return B64[0];
    }
    return finish64(q, 0, y > 0 ? rho : -rho, rm, env);
  }
  if (q === 0 && (x === 0 || Math.abs(y) === Infinity)) return f64Bits(q); // exact: 0 / y, x / inf
  return sfDiv(a, b, FMT64, rm, env);
}

export function f64Sqrt(a: bigint, rm: RoundingMode, env: FpEnv): bigint {
  const x = f64Value(a);
  if (x >= TINY && x < BIG) {
    // q = RN(sqrt(x)) in [2^-484, 2^500]; x - q*q is exact via TwoProduct and
    // has the sign of sqrt(x) - q. A square root is never a midpoint.
    const q = Math.sqrt(x);
    const p = q * q;
    const rho = x - p - productError(q, q, p);
    if (rm === RM_RNE) {
      if (rho !== 0) env.flags |= FLAG_NX;
      F64[0] = q;
      return B64[0];
    }
    return finish64(q, 0, rho, rm, env);
  }
  if (x === 0) return a; // sqrt(+-0) = +-0
  return sfSqrt(a, FMT64, rm, env);
}

/**
 * (+-a*b) + (+-c) with one rounding. Exact value X = ph + pl + z with
 * ph + pl = x*y (TwoProduct). TwoSum(ph, z) = sh + sl, TwoSum(sl, pl) =
 * th + tl, TwoSum(sh, th) = r + e, so X = r + e + tl exactly, r = RN(sh + th).
 * Either ph + z was exact (sl = 0, so th = pl, tl = 0), or there was no
 * massive cancellation (|sh| >= |ph| / 2), so |sl + pl| <= 1.5 ulp(sh),
 * |tl| <= ulp(th)/2 with ulp(th) far below ulp(r), and e is a multiple of
 * ulp(th): when e != 0, |e| >= 2 |tl|, and r + e is on the grid of ulp(th),
 * so tl can only matter when r + e is a midpoint (finish64's t argument).
 * Conditions: |x|, |y| < 2^995, 2^-968 <= |ph| < 2^1000, |z| < 2^1000 (no
 * overflow anywhere, TwoProduct exact) and 2^-969 <= |r| < MAX.
 */
function fma64(a: bigint, b: bigint, c: bigint, negP: boolean, negC: boolean, rm: RoundingMode, env: FpEnv): bigint {
  let x = f64Value(a);
  if (negP) x = -x;
  const y = f64Value(b);
  const z = negC ? -f64Value(c) : f64Value(c);
  const ph = x * y;
  const aph = Math.abs(ph);
  if (Math.abs(x) < HUGE && Math.abs(y) < HUGE && Math.abs(z) < BIG) {
    if (aph >= TINY && aph < BIG) {
      const pl = productError(x, y, ph);
      const sh = ph + z;
      let v = sh - ph;
      const sl = ph - (sh - v) + (z - v);
      const th = sl + pl;
      v = th - sl;
      const tl = sl - (th - v) + (pl - v);
      const r = sh + th;
      v = r - sh;
      const e = sh - (r - v) + (th - v);
      const ar = Math.abs(r);
      if (ar >= SMALL && ar < F64_MAX) {
        if (rm === RM_RNE && tl === 0) {
          // X = r + e exactly and r = RN(X).
          if (e !== 0) env.flags |= FLAG_NX;
          F64[0] = r;
          return B64[0];
        }
        return finish64(r, e, tl, rm, env);
      }
      // X = r + e + tl = 0 exactly: cancellation of a nonzero product.
      if (r === 0 && tl === 0) return rm === RM_RDN ? SIGN : 0n;
    } else if (ph === 0 && (x === 0 || y === 0) && z !== 0) {
      // Exact zero product plus a finite nonzero addend: the result is z.
      F64[0] = z;
      return B64[0];
    }
  }
  return sfFma(a, b, c, negP, negC, FMT64, rm, env);
}

/** (a * b) + c, one rounding (FMADD.D). */
export function f64MulAdd(a: bigint, b: bigint, c: bigint, rm: RoundingMode, env: FpEnv): bigint {
  return fma64(a, b, c, false, false, rm, env);
}
/** (a * b) - c (FMSUB.D). */
export function f64MulSub(a: bigint, b: bigint, c: bigint, rm: RoundingMode, env: FpEnv): bigint {
  return fma64(a, b, c, false, true, rm, env);
}
/** -(a * b) + c (FNMSUB.D). */
export function f64NegMulSub(a: bigint, b: bigint, c: bigint, rm: RoundingMode, env: FpEnv): bigint {
  return fma64(a, b, c, true, false, rm, env);
}
/** -(a * b) - c (FNMADD.D). */
export function f64NegMulAdd(a: bigint, b: bigint, c: bigint, rm: RoundingMode, env: FpEnv): bigint {
  return fma64(a, b, c, true, true, rm, env);
}

const EXP_QUIET = 0x7ff8000000000000n, EXP_ONLY = 0x7ff0000000000000n, FRAC = 0x000fffffffffffffn;
const isSNaN64 = (a: bigint) => (a & EXP_QUIET) === EXP_ONLY && (a & FRAC) !== 0n;
const isNaN64 = (a: bigint) => (a & EXP_ONLY) === EXP_ONLY && (a & FRAC) !== 0n;

/** fmin/fmax when at least one operand is a NaN (RISC-V 2.2 semantics). */
function minMaxNaN64(a: bigint, b: bigint, env: FpEnv): bigint {
  if (isSNaN64(a) || isSNaN64(b)) env.flags |= FLAG_NV;
  const na = isNaN64(a), nb = isNaN64(b);
  if (na && nb) return F64_CANONICAL_NAN;
  return na ? b : a;
}

/** FMIN.D: -0 < +0; one NaN gives the other operand; two give the canonical NaN; sNaN raises NV. */
export function f64Min(a: bigint, b: bigint, env: FpEnv): bigint {
  const x = f64Value(a), y = f64Value(b);
  if (x < y) return a;
  if (y < x) return b;
  if (x === y) return x !== 0 ? a : a | b; // same pattern, or +-0: the sign bit picks -0
  return minMaxNaN64(a, b, env);
}

/** FMAX.D. */
export function f64Max(a: bigint, b: bigint, env: FpEnv): bigint {
  const x = f64Value(a), y = f64Value(b);
  if (x > y) return a;
  if (y > x) return b;
  if (x === y) return x !== 0 ? a : a & b; // +-0: clearing the sign bit picks +0
  return minMaxNaN64(a, b, env);
}

/** FEQ.D: quiet comparison, NV only for signaling NaNs. */
export function f64Eq(a: bigint, b: bigint, env: FpEnv): boolean {
  const x = f64Value(a), y = f64Value(b);
  if (x === y) return true;
  if (isSNaN64(a) || isSNaN64(b)) env.flags |= FLAG_NV;
  return false;
}

/** FLT.D: signaling, NV for any NaN. */
export function f64Lt(a: bigint, b: bigint, env: FpEnv): boolean {
  const x = f64Value(a), y = f64Value(b);
  if (x !== x || y !== y) env.flags |= FLAG_NV;
  return x < y;
}

/** FLE.D: signaling, NV for any NaN. */
export function f64Le(a: bigint, b: bigint, env: FpEnv): boolean {
  const x = f64Value(a), y = f64Value(b);
  if (x !== x || y !== y) env.flags |= FLAG_NV;
  return x <= y;
}

/** FCLASS.D mask. */
export function f64Classify(a: bigint): number {
  B64[0] = a;
  const hi = U32[HI], lo = U32[LO];
  const neg = hi >>> 31 !== 0;
  const exp = (hi >>> 20) & 0x7ff;
  const fracZero = (hi & 0xfffff) === 0 && lo === 0;
  if (exp === 0x7ff) {
    if (fracZero) return neg ? 1 << 0 : 1 << 7;
    return (hi & 0x80000) !== 0 ? 1 << 9 : 1 << 8;
  }
  if (exp === 0) {
    if (fracZero) return neg ? 1 << 3 : 1 << 4;
    return neg ? 1 << 2 : 1 << 5;
  }
  return neg ? 1 << 1 : 1 << 6;
}

const I32_MIN = -(2 ** 31), I32_MAX = 2 ** 31 - 1, U32_MAX = 2 ** 32 - 1;
const TWO63 = 2 ** 63, TWO64 = 2 ** 64;

/** FCVT.W.D. */
export function f64ToI32(a: bigint, rm: RoundingMode, env: FpEnv): number {
  const x = f64Value(a);
  const r = roundToInteger(x, rm); // exact integer; NaN fails the range test
  if (r >= I32_MIN && r <= I32_MAX) {
    if (r !== x) env.flags |= FLAG_NX;
    return r | 0;
  }
  return Number(sfToInt(a, FMT64, -(1n << 31n), (1n << 31n) - 1n, rm, env));
}

/** FCVT.WU.D: the 32-bit result sign-extended, as RISC-V writes it. */
export function f64ToU32(a: bigint, rm: RoundingMode, env: FpEnv): number {
  const x = f64Value(a);
  const r = roundToInteger(x, rm);
  if (r >= 0 && r <= U32_MAX) {
    if (r !== x) env.flags |= FLAG_NX;
    return r | 0;
  }
  return Number(sfToInt(a, FMT64, 0n, (1n << 32n) - 1n, rm, env)) | 0;
}

/** FCVT.L.D. */
export function f64ToI64(a: bigint, rm: RoundingMode, env: FpEnv): bigint {
  const x = f64Value(a);
  const r = roundToInteger(x, rm);
  if (r >= -TWO63 && r < TWO63) {
    if (r !== x) env.flags |= FLAG_NX;
    return BigInt(r);
  }
  return sfToInt(a, FMT64, -(1n << 63n), (1n << 63n) - 1n, rm, env);
}

/** FCVT.LU.D: the 64-bit pattern as a signed bigint. */
export function f64ToU64(a: bigint, rm: RoundingMode, env: FpEnv): bigint {
  const x = f64Value(a);
  const r = roundToInteger(x, rm);
  if (r >= 0 && r < TWO64) {
    if (r !== x) env.flags |= FLAG_NX;
    return BigInt.asIntN(64, BigInt(r));
  }
  return BigInt.asIntN(64, sfToInt(a, FMT64, 0n, (1n << 64n) - 1n, rm, env));
}

/** FCVT.D.W: exact. */
export function i32ToF64(x: number, _rm: RoundingMode, _env: FpEnv): bigint {
  return f64Bits(x | 0);
}

/** FCVT.D.WU: exact. */
export function u32ToF64(x: number, _rm: RoundingMode, _env: FpEnv): bigint {
  return f64Bits(x >>> 0);
}

const TWO53N = 1n << 53n;

/** Integer v to binary64: s = Number(v) is RN(v) and v - s is exact and small. */
function bigIntToF64(v: bigint, rm: RoundingMode, env: FpEnv): bigint {
  if (v >= -TWO53N && v <= TWO53N) return f64Bits(Number(v)); // exact
  const s = Number(v);
  const e = Number(v - BigInt(s)); // |e| <= 2^10
  if (rm === RM_RNE) {
    if (e !== 0) env.flags |= FLAG_NX;
    return f64Bits(s);
  }
  return finish64(s, e, 0, rm, env); // |s| in [2^53, 2^64]
}

/** FCVT.D.L (x signed). */
export function i64ToF64(x: bigint, rm: RoundingMode, env: FpEnv): bigint {
  return bigIntToF64(x, rm, env);
}

/** FCVT.D.LU (x unsigned 0 .. 2^64-1). */
export function u64ToF64(x: bigint, rm: RoundingMode, env: FpEnv): bigint {
  return bigIntToF64(x, rm, env);
}

/** FCVT.S.D. */
export function f64ToF32(a: bigint, rm: RoundingMode, env: FpEnv): number {
  const x = f64Value(a);
  // X = x exactly: finish32(x, 0) applies.
  const r = finish32(x, 0, rm, env);
  if (r >= 0) return r;
  if (x === 0) return Object.is(x, -0) ? 0x80000000 : 0; // exact signed zero
  return Number(sfConvert(a, FMT64, FMT32, rm, env));
}
