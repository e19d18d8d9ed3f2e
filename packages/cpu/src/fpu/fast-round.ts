/**
 * Rounding helpers for the fast paths: they take an exact value X described
 * with host doubles and produce the correctly rounded result in any RISC-V
 * rounding mode, or tell the caller to use the exact BigInt path.
 *
 * Notation: ulp, gap = distance between adjacent representable values;
 * RN64 = host double arithmetic (round to nearest even).
 */
import { FLAG_NX, RM_RDN, RM_RMM, RM_RTZ, RM_RUP } from './constants.js';
import type { FpEnv, RoundingMode } from './constants.js';
import { F32, F64, B64, W32, f64Step } from './host-views.js';

export const F32_MIN_NORMAL = 2 ** -126;
export const F32_MAX = (2 - 2 ** -23) * 2 ** 127;
export const F64_MAX = Number.MAX_VALUE;

/**
 * Rounds X to binary32. Preconditions: s = RN64(X); X = s + e exactly, or
 * at least sign(X - s) = sign(e) whenever s is a binary32 value or the
 * midpoint of two adjacent binary32 values (for division and square root
 * the caller only knows that sign, and only for such s, whose square or
 * product with a binary32 is exact).
 *
 * Returns the binary32 pattern, or -1 (no flag raised) when the result is
 * not a normal number strictly between the smallest normal and the largest
 * finite: only then are OF and UF impossible (a rounded result above 2^-126
 * comes from an X above 2^-126, one below MAX from an X that cannot round
 * past MAX in any mode), and the only flag is NX.
 *
 * Why it is exact: r = fround(s) is a binary32 neighbour of X (or X itself),
 * because rounding is monotone and binary32 values are doubles. The side of
 * X relative to any double y is the side of s when s != y (RN64 monotone, y
 * representable) and the sign of e when s == y. The neighbour n of r on X's
 * side and the midpoint m = (r + n) / 2 (25 bits, exact) are all we need.
 */
export function finish32(s: number, e: number, rm: RoundingMode, env: FpEnv): number {
  const r = Math.fround(s);
  const ar = Math.abs(r);
  if (!(ar > F32_MIN_NORMAL && ar < F32_MAX)) return -1;
  F32[0] = r;
  const bits = W32[0];
  const c = s > r ? 1 : s < r ? -1 : e > 0 ? 1 : e < 0 ? -1 : 0; // sign(X - r)
  if (c === 0) return bits;
  env.flags |= FLAG_NX;
  const neg = r < 0;
  const away = c > 0 !== neg; // X is farther from zero than r
  switch (rm) {
    case RM_RTZ: return away ? bits : bits - 1;
    case RM_RDN: return c > 0 ? bits : neg ? bits + 1 : bits - 1;
    case RM_RUP: return c < 0 ? bits : neg ? bits - 1 : bits + 1;
    default: {
      // RNE, RMM: compare X with the midpoint between r and its neighbour n.
      const nbits = away ? bits + 1 : bits - 1;
      W32[0] = nbits;
      const m = (r + F32[0]) * 0.5;
      const cm = s > m ? 1 : s < m ? -1 : e > 0 ? 1 : e < 0 ? -1 : 0; // sign(X - m)
      if (cm === 0) {
        if (rm === RM_RMM) return away ? nbits : bits;
        return (bits & 1) === 0 ? bits : nbits;
      }
      return cm === c ? nbits : bits;
    }
  }
}

/**
 * Rounds X to binary64 in a mode other than plain RNE-with-no-tail.
 * Preconditions: X = z + e + t' exactly with z = RN64(z + e), sign(t') =
 * sign(t), and |t'| < |e| / 2 when e != 0 (t' only decides X's side of a
 * midpoint z + e); 2^-969 <= |z| < MAX, so no OF/UF and gaps halve exactly.
 * Raises NX when X != z.
 */
export function finish64(z: number, e: number, t: number, rm: RoundingMode, env: FpEnv): bigint {
  if (e === 0 && t === 0) {
    F64[0] = z;
    return B64[0];
  }
  env.flags |= FLAG_NX;
  const c = e > 0 ? 1 : e < 0 ? -1 : t > 0 ? 1 : -1; // sign(X - z)
  const neg = z < 0;
  const away = c > 0 !== neg;
  let res = z;
  switch (rm) {
    case RM_RTZ:
      if (!away) res = f64Step(z, false);
      break;
    case RM_RDN:
      if (c < 0) res = f64Step(z, neg); // down: larger magnitude iff negative
      break;
    case RM_RUP:
      if (c > 0) res = f64Step(z, !neg); // up: larger magnitude iff positive
      break;
    default: {
      // RNE, RMM. With e == 0, |X - z| = |t'| is far below half a gap.
      if (e !== 0) {
        const n = f64Step(z, away);
        if (e === (n - z) * 0.5) {
          // z + e is the midpoint: t' decides, or it is an exact tie
          // (z is then the even neighbour, as RN64 chose it).
          if (t === 0 ? rm === RM_RMM && away : t > 0 === c > 0) res = n;
        }
      }
    }
  }
  F64[0] = res;
  return B64[0];
}

/** Dekker's split constant 2^27 + 1. */
const SPLIT = 134217729;

/**
 * Error of the product p = RN64(x * y): returns x*y - p exactly (Dekker's
 * TwoProduct with Veltkamp splitting). Exact when |x|, |y| < 2^995 (no
 * overflow in the split) and |x*y| >= 2^-968 (the error is representable).
 */
export function productError(x: number, y: number, p: number): number {
  let t = SPLIT * x;
  const xh = t - (t - x), xl = x - xh;
  t = SPLIT * y;
  const yh = t - (t - y), yl = y - yh;
  return xh * yh - p + xh * yl + xl * yh + xl * yl;
}

/**
 * x rounded to an integer (as a double) in mode rm; NaN for NaN, +-inf for
 * +-inf. The signed fraction x - trunc(x) is exact for every finite double
 * (it is x itself when |x| < 1, and Sterbenz's lemma applies otherwise),
 * unlike x - floor(x) (-0.49999999999999994 + 1 rounds to 0.5).
 */
export function roundToInteger(x: number, rm: RoundingMode): number {
  switch (rm) {
    case RM_RTZ: return Math.trunc(x);
    case RM_RDN: return Math.floor(x);
    case RM_RUP: return Math.ceil(x);
    default: {
      const t = Math.trunc(x);
      const d = Math.abs(x - t);
      if (d < 0.5) return t;
      const away = x < 0 ? t - 1 : t + 1;
      if (d > 0.5 || rm === RM_RMM) return away;
      return t % 2 === 0 ? t : away; // RNE tie: the even neighbour
    }
  }
}
