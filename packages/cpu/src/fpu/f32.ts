/**
 * binary32 operations (RISC-V F). Operands and results are unsigned 32-bit
 * patterns in JS numbers.
 *
 * Fast paths compute in host doubles. Every binary32 value is exactly a
 * double; the exact product of two binary32 values fits in a double (24 + 24
 * significand bits, exponents within [-298, 256]); a binary64 result of +,
 * -, *, /, sqrt on binary32 operands rounded again with Math.fround is the
 * correctly rounded RNE binary32 result (double rounding is innocuous when
 * 53 >= 2 * 24 + 2). Other modes, fused operations and the inexact flag use
 * `finish32`, whose preconditions each call documents. Anything outside the
 * safe normal range (zeros excepted where handled), NaNs and infinities go
 * to the exact path in soft-float.ts.
 */
import { FLAG_NV, FLAG_NX, F32_CANONICAL_NAN, RM_RDN, RM_RNE } from './constants.js';
import type { FpEnv, RoundingMode } from './constants.js';
import { f32Bits, f32Value, f64Bits } from './host-views.js';
import { F32_MAX, F32_MIN_NORMAL, finish32, roundToInteger } from './fast-round.js';
import { FMT32, FMT64, sfAdd, sfClassify, sfConvert, sfDiv, sfFma, sfFromInt, sfMul, sfSqrt, sfToInt } from './soft-float.js';

const big = (a: number): bigint => BigInt(a >>> 0);
const SIGN = 0x80000000;

/** Exact zero from x + y (both finite): IEEE 6.3 sign rules. */
function zeroSum32(x: number, y: number, rm: RoundingMode): number {
  // In every mode but RDN the host's RNE sign is right (+0 unless both -0).
  if (rm !== RM_RDN) return f32Bits(x + y);
  return Object.is(x, 0) && Object.is(y, 0) ? 0 : SIGN;
}

function add32(a: number, b: number, negB: boolean, rm: RoundingMode, env: FpEnv): number {
  const x = f32Value(a);
  const y = negB ? -f32Value(b) : f32Value(b);
  const s = x + y;
  if (rm === RM_RNE) {
    const r = Math.fround(s); // correctly rounded (double rounding innocuous for +)
    const ar = Math.abs(r);
    if (ar > F32_MIN_NORMAL && ar < F32_MAX) {
      // Inexact iff r != s, or s itself was inexact (Fast2Sum error != 0).
      if (r !== s || (Math.abs(x) >= Math.abs(y) ? y - (s - x) : x - (s - y)) !== 0) env.flags |= FLAG_NX;
      return f32Bits(r);
    }
  } else {
    // Fast2Sum: s + e = x + y exactly.
    const e = Math.abs(x) >= Math.abs(y) ? y - (s - x) : x - (s - y);
    const r = finish32(s, e, rm, env);
    if (r >= 0) return r;
  }
  if (s === 0) return zeroSum32(x, y, rm); // a zero double sum is exact
  return Number(sfAdd(big(a), big(b), negB, FMT32, rm, env));
}

export function f32Add(a: number, b: number, rm: RoundingMode, env: FpEnv): number {
  return add32(a, b, false, rm, env);
}

export function f32Sub(a: number, b: number, rm: RoundingMode, env: FpEnv): number {
  return add32(a, b, true, rm, env);
}

export function f32Mul(a: number, b: number, rm: RoundingMode, env: FpEnv): number {
  const x = f32Value(a), y = f32Value(b);
  const s = x * y; // exact
  if (rm === RM_RNE) {
    const r = Math.fround(s);
    const ar = Math.abs(r);
    if (ar > F32_MIN_NORMAL && ar < F32_MAX) {
      if (r !== s) env.flags |= FLAG_NX;
      return f32Bits(r);
    }
  } else {
    const r = finish32(s, 0, rm, env);
    if (r >= 0) return r;
  }
  if (s === 0) return f32Bits(s); // exact product of a zero: sign is the xor in every mode
  return Number(sfMul(big(a), big(b), FMT32, rm, env));
}

export function f32Div(a: number, b: number, rm: RoundingMode, env: FpEnv): number {
  const x = f32Value(a), y = f32Value(b);
  const s = x / y;
  if (rm === RM_RNE) {
    const r = Math.fround(s); // correctly rounded (double rounding innocuous for /)
    const ar = Math.abs(r);
    if (ar > F32_MIN_NORMAL && ar < F32_MAX) {
      // X == r iff x == r * y, and r * y is exact (48 bits, no under/overflow).
      if (r !== s || r * y !== x) env.flags |= FLAG_NX;
      return f32Bits(r);
    }
  } else {
    // sign(X - s) = sign((x - s*y) * y), exact when s has <= 25 significant
    // bits (s*y then fits in 49 bits): that is when finish32 uses it.
    const r = finish32(s, (x - s * y) * y, rm, env);
    if (r >= 0) return r;
  }
  // A zero quotient of binary32 operands is exact (0 / y or x / inf).
  if (s === 0) return f32Bits(s);
  return Number(sfDiv(big(a), big(b), FMT32, rm, env));
}

export function f32Sqrt(a: number, rm: RoundingMode, env: FpEnv): number {
  const x = f32Value(a);
  const s = Math.sqrt(x);
  if (rm === RM_RNE) {
    const r = Math.fround(s); // correctly rounded (double rounding innocuous for sqrt)
    const ar = Math.abs(r);
    if (ar > F32_MIN_NORMAL && ar < F32_MAX) {
      if (r !== s || r * r !== x) env.flags |= FLAG_NX; // r * r exact (48 bits)
      return f32Bits(r);
    }
  } else {
    // sign(X - s) = sign(x - s*s), exact when s has <= 25 significant bits.
    const r = finish32(s, x - s * s, rm, env);
    if (r >= 0) return r;
  }
  if (s === 0) return a >>> 0; // sqrt(+-0) = +-0
  return Number(sfSqrt(big(a), FMT32, rm, env));
}

function fma32(a: number, b: number, c: number, negP: boolean, negC: boolean, rm: RoundingMode, env: FpEnv): number {
  let x = f32Value(a);
  if (negP) x = -x;
  const y = f32Value(b);
  const z = negC ? -f32Value(c) : f32Value(c);
  const p = x * y; // exact
  const s = p + z;
  // Fast2Sum: s + e = p + z exactly, so finish32 gets X = s + e. Double
  // rounding is possible here (p has 48 bits): finish32 handles it.
  const e = Math.abs(p) >= Math.abs(z) ? z - (s - p) : p - (s - z);
  const r = finish32(s, e, rm, env);
  if (r >= 0) return r;
  if (s === 0) return zeroSum32(p, z, rm); // exact zero (p is exact, zero product signed right)
  return Number(sfFma(big(a), big(b), big(c), negP, negC, FMT32, rm, env));
}

/** (a * b) + c, one rounding (FMADD.S). */
export function f32MulAdd(a: number, b: number, c: number, rm: RoundingMode, env: FpEnv): number {
  return fma32(a, b, c, false, false, rm, env);
}
/** (a * b) - c (FMSUB.S). */
export function f32MulSub(a: number, b: number, c: number, rm: RoundingMode, env: FpEnv): number {
  return fma32(a, b, c, false, true, rm, env);
}
/** -(a * b) + c (FNMSUB.S). */
export function f32NegMulSub(a: number, b: number, c: number, rm: RoundingMode, env: FpEnv): number {
  return fma32(a, b, c, true, false, rm, env);
}
/** -(a * b) - c (FNMADD.S). */
export function f32NegMulAdd(a: number, b: number, c: number, rm: RoundingMode, env: FpEnv): number {
  return fma32(a, b, c, true, true, rm, env);
}

const isNaN32 = (a: number) => (a & 0x7fffffff) > 0x7f800000;
const isSNaN32 = (a: number) => isNaN32(a) && (a & 0x00400000) === 0;

/** fmin/fmax when at least one operand is a NaN (RISC-V 2.2 semantics). */
function minMaxNaN32(a: number, b: number, env: FpEnv): number {
  if (isSNaN32(a) || isSNaN32(b)) env.flags |= FLAG_NV;
  const na = isNaN32(a), nb = isNaN32(b);
  if (na && nb) return F32_CANONICAL_NAN;
  return na ? b >>> 0 : a >>> 0;
}

/** FMIN.S: -0 < +0; one NaN gives the other operand; two give the canonical NaN; sNaN raises NV. */
export function f32Min(a: number, b: number, env: FpEnv): number {
  const x = f32Value(a), y = f32Value(b);
  if (x < y) return a >>> 0;
  if (y < x) return b >>> 0;
  if (x === y) return (a | b) >>> 0; // same pattern, or +-0: the sign bit picks -0
  return minMaxNaN32(a, b, env);
}

/** FMAX.S. */
export function f32Max(a: number, b: number, env: FpEnv): number {
  const x = f32Value(a), y = f32Value(b);
  if (x > y) return a >>> 0;
  if (y > x) return b >>> 0;
  if (x === y) return (a & b) >>> 0; // +-0: clearing the sign bit picks +0
  return minMaxNaN32(a, b, env);
}

/** FEQ.S: quiet comparison, NV only for signaling NaNs. */
export function f32Eq(a: number, b: number, env: FpEnv): boolean {
  const x = f32Value(a), y = f32Value(b);
  if (x === y) return true;
  if (isSNaN32(a) || isSNaN32(b)) env.flags |= FLAG_NV;
  return false;
}

/** FLT.S: signaling, NV for any NaN. */
export function f32Lt(a: number, b: number, env: FpEnv): boolean {
  const x = f32Value(a), y = f32Value(b);
  if (x !== x || y !== y) env.flags |= FLAG_NV;
  return x < y;
}

/** FLE.S: signaling, NV for any NaN. */
export function f32Le(a: number, b: number, env: FpEnv): boolean {
  const x = f32Value(a), y = f32Value(b);
  if (x !== x || y !== y) env.flags |= FLAG_NV;
  return x <= y;
}

/** FCLASS.S mask. */
export function f32Classify(a: number): number {
  return sfClassify(big(a), FMT32);
}

const I32_MIN = -(2 ** 31), I32_MAX = 2 ** 31 - 1, U32_MAX = 2 ** 32 - 1;
const TWO63 = 2 ** 63, TWO64 = 2 ** 64;

/** FCVT.W.S. */
export function f32ToI32(a: number, rm: RoundingMode, env: FpEnv): number {
  const x = f32Value(a);
  const r = roundToInteger(x, rm); // exact integer; NaN fails the range test
  if (r >= I32_MIN && r <= I32_MAX) {
    if (r !== x) env.flags |= FLAG_NX;
    return r | 0;
  }
  return Number(sfToInt(big(a), FMT32, -(1n << 31n), (1n << 31n) - 1n, rm, env));
}

/** FCVT.WU.S: the 32-bit result sign-extended, as RISC-V writes it. */
export function f32ToU32(a: number, rm: RoundingMode, env: FpEnv): number {
  const x = f32Value(a);
  const r = roundToInteger(x, rm);
  if (r >= 0 && r <= U32_MAX) {
    if (r !== x) env.flags |= FLAG_NX;
    return r | 0;
  }
  return Number(sfToInt(big(a), FMT32, 0n, (1n << 32n) - 1n, rm, env)) | 0;
}

/** FCVT.L.S. */
export function f32ToI64(a: number, rm: RoundingMode, env: FpEnv): bigint {
  const x = f32Value(a);
  const r = roundToInteger(x, rm);
  if (r >= -TWO63 && r < TWO63) {
    if (r !== x) env.flags |= FLAG_NX;
    return BigInt(r);
  }
  return sfToInt(big(a), FMT32, -(1n << 63n), (1n << 63n) - 1n, rm, env);
}

/** FCVT.LU.S: the 64-bit pattern as a signed bigint. */
export function f32ToU64(a: number, rm: RoundingMode, env: FpEnv): bigint {
  const x = f32Value(a);
  const r = roundToInteger(x, rm);
  if (r >= 0 && r < TWO64) {
    if (r !== x) env.flags |= FLAG_NX;
    return BigInt.asIntN(64, BigInt(r));
  }
  return BigInt.asIntN(64, sfToInt(big(a), FMT32, 0n, (1n << 64n) - 1n, rm, env));
}

/** Integer v (|v| < 2^53, so exactly a double) to binary32. */
function smallIntToF32(v: number, rm: RoundingMode, env: FpEnv): number {
  if (rm === RM_RNE) {
    const r = Math.fround(v);
    if (r !== v) env.flags |= FLAG_NX;
    return f32Bits(r);
  }
  if (v === 0) return 0;
  return finish32(v, 0, rm, env); // 1 <= |v| < 2^53: always in the safe range
}

/** FCVT.S.W. */
export function i32ToF32(x: number, rm: RoundingMode, env: FpEnv): number {
  return smallIntToF32(x | 0, rm, env);
}

/** FCVT.S.WU. */
export function u32ToF32(x: number, rm: RoundingMode, env: FpEnv): number {
  return smallIntToF32(x >>> 0, rm, env);
}

const TWO53N = 1n << 53n;

/** Integer v (bigint) to binary32: s = Number(v) is RN64(v), v - s is exact. */
function bigIntToF32(v: bigint, rm: RoundingMode, env: FpEnv): number {
  if (v >= -TWO53N && v <= TWO53N) return smallIntToF32(Number(v), rm, env);
  const s = Number(v);
  const r = finish32(s, Number(v - BigInt(s)), rm, env); // |s| in [2^53, 2^64]: safe range
  return r >= 0 ? r : Number(sfFromInt(v, FMT32, rm, env));
}

/** FCVT.S.L (x signed). */
export function i64ToF32(x: bigint, rm: RoundingMode, env: FpEnv): number {
  return bigIntToF32(x, rm, env);
}

/** FCVT.S.LU (x unsigned 0 .. 2^64-1). */
export function u64ToF32(x: bigint, rm: RoundingMode, env: FpEnv): number {
  return bigIntToF32(x, rm, env);
}

/** FCVT.D.S: exact except NaN (canonical, NV for sNaN). */
export function f32ToF64(a: number, env: FpEnv): bigint {
  const x = f32Value(a);
  if (x === x) return f64Bits(x);
  return sfConvert(big(a), FMT32, FMT64, RM_RNE, env);
}
