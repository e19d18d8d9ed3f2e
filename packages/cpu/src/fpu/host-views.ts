/**
 * Bit-level views between JS numbers and IEEE patterns, shared by the fast
 * paths. JS numbers are IEEE binary64 and V8 evaluates +, -, *, /, Math.sqrt
 * and Math.fround with correct rounding to nearest-even on every host, so
 * the fast paths are deterministic. The views are module-level scratch: no
 * allocation per call.
 */

const buf = new ArrayBuffer(8);
/** Scratch binary64 view. */
export const F64 = new Float64Array(buf);
/** The same 8 bytes as a 64-bit pattern. */
export const B64 = new BigUint64Array(buf);
/** The same 8 bytes as two 32-bit words (index LO, HI). */
export const U32 = new Uint32Array(buf);
/** Scratch binary32 view over the first 4 bytes of the same buffer. */
export const F32 = new Float32Array(buf, 0, 1);
/** The binary32 pattern (word 0, whatever the host byte order). */
export const W32 = new Uint32Array(buf, 0, 1);

const littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
export const LO = littleEndian ? 0 : 1;
export const HI = littleEndian ? 1 : 0;

/** binary32 pattern -> exact double. */
export function f32Value(bits: number): number {
  W32[0] = bits;
  return F32[0];
}

/** Double that is exactly a binary32 value (or any double: RNE) -> pattern. */
export function f32Bits(x: number): number {
  F32[0] = x;
  return W32[0];
}

/** binary64 pattern -> double. */
export function f64Value(bits: bigint): number {
  B64[0] = bits;
  return F64[0];
}

/** Double -> binary64 pattern (allocates the bigint the API returns). */
export function f64Bits(x: number): bigint {
  F64[0] = x;
  return B64[0];
}

/**
 * The double adjacent to finite nonzero x whose magnitude is one unit in
 * the last place larger (away) or smaller (toward zero).
 */
export function f64Step(x: number, away: boolean): number {
  F64[0] = x;
  let lo = U32[LO];
  if (away) {
    lo = (lo + 1) >>> 0;
    U32[LO] = lo;
    if (lo === 0) U32[HI] = U32[HI] + 1;
  } else {
    if (lo === 0) U32[HI] = U32[HI] - 1;
    U32[LO] = (lo - 1) >>> 0;
  }
  return F64[0];
}
