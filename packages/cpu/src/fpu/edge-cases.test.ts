/**
 * Hand-checked edge cases; each comment shows the arithmetic.
 * Rounding modes: 0 RNE, 1 RTZ, 2 RDN, 3 RUP, 4 RMM.
 */
import { describe, expect, it } from 'vitest';
import * as fp from './index.js';
import type { RoundingMode } from './index.js';

const { FLAG_NX: NX, FLAG_UF: UF, FLAG_OF: OF, FLAG_DZ: DZ, FLAG_NV: NV } = fp;
const RNE = 0, RTZ = 1, RDN = 2, RUP = 3, RMM = 4;

const cv = new DataView(new ArrayBuffer(8));
/** binary32 pattern of a double that is exactly a binary32 value. */
const s = (x: number) => (cv.setFloat32(0, x), cv.getUint32(0));
/** binary64 pattern. */
const d = (x: number) => (cv.setFloat64(0, x), cv.getBigUint64(0));

const F32_QNAN_PAYLOAD = 0x7fc12345, F32_SNAN = 0x7f800001, F32_INF = 0x7f800000, F32_MAX = 0x7f7fffff;
const F64_SNAN = 0x7ff0000000000001n, F64_INF = 0x7ff0000000000000n;

/** Runs op with a fresh env and returns [result, flags]. */
function run<T>(op: (env: fp.FpEnv) => T): [T, number] {
  const env = { flags: 0 };
  const r = op(env);
  return [r, env.flags];
}

describe('NaNs', () => {
  it('every NaN result is the canonical NaN', () => {
    expect(run((e) => fp.f32Add(F32_QNAN_PAYLOAD, s(1), RNE, e))).toEqual([0x7fc00000, 0]);
    expect(run((e) => fp.f32Add(F32_SNAN, s(1), RNE, e))).toEqual([0x7fc00000, NV]);
    expect(run((e) => fp.f64Mul(0xfff8000000000abcn, d(2), RNE, e))).toEqual([fp.F64_CANONICAL_NAN, 0]);
    expect(run((e) => fp.f32ToF64(F32_SNAN, e))).toEqual([fp.F64_CANONICAL_NAN, NV]);
    expect(run((e) => fp.f64ToF32(F64_SNAN, RNE, e))).toEqual([fp.F32_CANONICAL_NAN, NV]);
  });

  it('invalid operations', () => {
    expect(run((e) => fp.f32Sub(F32_INF, F32_INF, RNE, e))).toEqual([0x7fc00000, NV]); // inf - inf
    expect(run((e) => fp.f32Mul(0, F32_INF, RNE, e))).toEqual([0x7fc00000, NV]); // 0 * inf
    expect(run((e) => fp.f64Div(0n, 0n, RNE, e))).toEqual([fp.F64_CANONICAL_NAN, NV]); // 0 / 0
    expect(run((e) => fp.f64Div(F64_INF, F64_INF, RNE, e))).toEqual([fp.F64_CANONICAL_NAN, NV]); // inf / inf
    expect(run((e) => fp.f32Sqrt(s(-1), RNE, e))).toEqual([0x7fc00000, NV]);
    expect(run((e) => fp.f64Sqrt(d(-Infinity), RNE, e))).toEqual([fp.F64_CANONICAL_NAN, NV]);
    expect(run((e) => fp.f64Sqrt(d(-0), RNE, e))).toEqual([d(-0), 0]); // sqrt(-0) = -0
  });

  it('fused 0 * inf is invalid even with a quiet NaN addend', () => {
    expect(run((e) => fp.f32MulAdd(0, F32_INF, 0x7fc00000, RNE, e))).toEqual([0x7fc00000, NV]);
    expect(run((e) => fp.f64MulAdd(F64_INF, 0n, fp.F64_CANONICAL_NAN, RNE, e))).toEqual([fp.F64_CANONICAL_NAN, NV]);
    // inf * 1 - inf: inf - inf
    expect(run((e) => fp.f64MulSub(F64_INF, d(1), F64_INF, RNE, e))).toEqual([fp.F64_CANONICAL_NAN, NV]);
    // a quiet NaN alone raises nothing
    expect(run((e) => fp.f64MulAdd(d(1), d(2), fp.F64_CANONICAL_NAN, RNE, e))).toEqual([fp.F64_CANONICAL_NAN, 0]);
  });
});

describe('division by zero and signed zeros', () => {
  it('finite / 0 raises DZ', () => {
    expect(run((e) => fp.f32Div(s(1), 0, RNE, e))).toEqual([F32_INF, DZ]);
    expect(run((e) => fp.f64Div(d(-1), 0n, RNE, e))).toEqual([d(-Infinity), DZ]);
    expect(run((e) => fp.f64Div(d(1), d(-0), RNE, e))).toEqual([d(-Infinity), DZ]);
  });

  it('x + -x is +0, except -0 when rounding down', () => {
    expect(run((e) => fp.f64Add(d(1.5), d(-1.5), RNE, e))).toEqual([0n, 0]);
    expect(run((e) => fp.f64Add(d(1.5), d(-1.5), RDN, e))).toEqual([d(-0), 0]);
    expect(run((e) => fp.f32Sub(s(3), s(3), RDN, e))).toEqual([0x80000000, 0]);
    expect(run((e) => fp.f32Add(0x80000000, 0, RNE, e))).toEqual([0, 0]); // -0 + +0
    expect(run((e) => fp.f32Add(0x80000000, 0x80000000, RUP, e))).toEqual([0x80000000, 0]); // -0 + -0
    expect(run((e) => fp.f32Add(0, 0, RDN, e))).toEqual([0, 0]); // +0 + +0
    // fused: 1*1 - 1 = 0 exactly -> +0 (RNE), -0 (RDN)
    expect(run((e) => fp.f64MulSub(d(1), d(1), d(1), RNE, e))).toEqual([0n, 0]);
    expect(run((e) => fp.f64MulSub(d(1), d(1), d(1), RDN, e))).toEqual([d(-0), 0]);
    // (0 * -1) + -0 = -0 + -0 = -0 in every mode
    for (const rm of [RNE, RTZ, RDN, RUP, RMM] as RoundingMode[]) {
      expect(run((e) => fp.f32MulAdd(0, s(-1), 0x80000000, rm, e))).toEqual([0x80000000, 0]);
    }
  });
});

describe('overflow and underflow', () => {
  it('overflow goes to inf or MAX depending on the mode', () => {
    // MAX * 2 = 2^129 > MAX
    const pos: [RoundingMode, number][] = [[RNE, F32_INF], [RTZ, F32_MAX], [RDN, F32_MAX], [RUP, F32_INF], [RMM, F32_INF]];
    for (const [rm, want] of pos) expect(run((e) => fp.f32Mul(F32_MAX, s(2), rm, e))).toEqual([want, OF | NX]);
    const MAXN = (F32_MAX | 0x80000000) >>> 0, INFN = (F32_INF | 0x80000000) >>> 0;
    const neg: [RoundingMode, number][] = [[RNE, INFN], [RTZ, MAXN], [RDN, INFN], [RUP, MAXN], [RMM, INFN]];
    for (const [rm, want] of neg) expect(run((e) => fp.f32Mul(MAXN, s(2), rm, e))).toEqual([want, OF | NX]);
    // 1e300 does not fit binary32
    expect(run((e) => fp.f64ToF32(d(1e300), RNE, e))).toEqual([F32_INF, OF | NX]);
    expect(run((e) => fp.f64ToF32(d(1e300), RTZ, e))).toEqual([F32_MAX, OF | NX]);
  });

  it('tininess is detected after rounding', () => {
    // x = 2^-126 - 2^-151: with 24 bits and an unbounded exponent it is the
    // midpoint of 2^-126 - 2^-150 (odd) and 2^-126 (even) -> 2^-126: not
    // tiny. Subnormal rounding also gives 2^-126 (0x00800000): NX only.
    expect(run((e) => fp.f64ToF32(d(2 ** -126 - 2 ** -151), RNE, e))).toEqual([0x00800000, NX]);
    // x = 2^-126 - 2^-150 is exact with an unbounded exponent, so tiny; as
    // a subnormal it is the midpoint of 0x007fffff (odd) and 0x00800000: UF.
    expect(run((e) => fp.f64ToF32(d(2 ** -126 - 2 ** -150), RNE, e))).toEqual([0x00800000, UF | NX]);
    // The same via multiplication: (1 - 2^-24) * 2^-126.
    expect(run((e) => fp.f32Mul(s(1 - 2 ** -24), 0x00800000, RNE, e))).toEqual([0x00800000, UF | NX]);
    // RTZ: 2^-126 - 2^-151 truncates to 2^-126 - 2^-150 unbounded: tiny.
    expect(run((e) => fp.f64ToF32(d(2 ** -126 - 2 ** -151), RTZ, e))).toEqual([0x007fffff, UF | NX]);
    // binary64: 2^-1022 * (1 - 2^-53) via fma (1 - 2^-53) * 2^-1022 + 0
    expect(run((e) => fp.f64MulAdd(d(1 - 2 ** -53), d(2 ** -1022), 0n, RNE, e))).toEqual([d(2 ** -1022), UF | NX]);
  });

  it('an exact tiny result raises nothing', () => {
    // 2^-148 * 0.5 = 2^-149, the smallest subnormal, exactly
    expect(run((e) => fp.f32Mul(2, s(0.5), RNE, e))).toEqual([1, 0]);
    // 2^-1074 * 1
    expect(run((e) => fp.f64Mul(1n, d(1), RUP, e))).toEqual([1n, 0]);
    // 2^-149 / 2 = 2^-150: inexact and tiny; RNE tie to even gives 0
    expect(run((e) => fp.f32Div(1, s(2), RNE, e))).toEqual([0, UF | NX]);
  });
});

describe('rounding', () => {
  it('RMM rounds ties away from zero, RNE to even', () => {
    // 1 + 2^-24 is the midpoint of 1 (even) and 1 + 2^-23
    expect(run((e) => fp.f32Add(s(1), s(2 ** -24), RNE, e))).toEqual([0x3f800000, NX]);
    expect(run((e) => fp.f32Add(s(1), s(2 ** -24), RMM, e))).toEqual([0x3f800001, NX]);
    expect(run((e) => fp.f32Sub(s(-1), s(2 ** -24), RMM, e))).toEqual([0xbf800001, NX]);
    expect(run((e) => fp.f64Add(d(1), d(2 ** -53), RMM, e))).toEqual([d(1 + 2 ** -52), NX]);
    // 1 + 3 * 2^-24 is the midpoint of 1 + 2^-23 (odd) and 1 + 2^-22: both go up
    expect(run((e) => fp.f32Add(s(1), s(3 * 2 ** -24), RNE, e))).toEqual([0x3f800002, NX]);
    expect(run((e) => fp.f32Add(s(1), s(3 * 2 ** -24), RMM, e))).toEqual([0x3f800002, NX]);
    // 2.5 -> 2 (RNE), 3 (RMM); -2.5 -> -2, -3
    expect(run((e) => fp.f64ToI64(d(2.5), RNE, e))).toEqual([2n, NX]);
    expect(run((e) => fp.f64ToI64(d(2.5), RMM, e))).toEqual([3n, NX]);
    expect(run((e) => fp.f32ToI32(s(-2.5), RMM, e))).toEqual([-3, NX]);
    expect(run((e) => fp.f32ToI32(s(-2.5), RNE, e))).toEqual([-2, NX]);
    // -0.49999999999999994 + 1 rounds to 0.5 in binary64, but it is no tie
    expect(run((e) => fp.f64ToI32(d(-0.49999999999999994), RMM, e))).toEqual([0, NX]);
  });

  it('directed modes', () => {
    // 1/3 = 0x3eaaaaaa.aaa...: RTZ/RDN truncate, RUP/RNE/RMM go up
    const want: [RoundingMode, number][] = [[RNE, 0x3eaaaaab], [RTZ, 0x3eaaaaaa], [RDN, 0x3eaaaaaa], [RUP, 0x3eaaaaab], [RMM, 0x3eaaaaab]];
    for (const [rm, w] of want) expect(run((e) => fp.f32Div(s(1), s(3), rm, e))).toEqual([w, NX]);
    // -1/3: RDN goes away from zero
    expect(run((e) => fp.f32Div(s(-1), s(3), RDN, e))).toEqual([0xbeaaaaab, NX]);
    expect(run((e) => fp.f64Div(d(-1), d(3), RUP, e))).toEqual([0xbfd5555555555555n, NX]);
    expect(run((e) => fp.f64Div(d(-1), d(3), RDN, e))).toEqual([0xbfd5555555555556n, NX]);
    // sqrt(2) = 1.0110101000001001111001...: 0x3fb504f3 rounded to nearest, 0x3fb504f3 truncated
    expect(run((e) => fp.f32Sqrt(s(2), RUP, e))).toEqual([0x3fb504f4, NX]);
    expect(run((e) => fp.f32Sqrt(s(2), RTZ, e))).toEqual([0x3fb504f3, NX]);
  });

  it('the fused multiply-add rounds once', () => {
    // (1 + 2^-52)(1 - 2^-52) - 1 = -2^-104 exactly; unfused it would be 0
    expect(run((e) => fp.f64MulSub(d(1 + 2 ** -52), d(1 - 2 ** -52), d(1), RNE, e))).toEqual([d(-(2 ** -104)), 0]);
    // a*b = 2^-53 (1 + 2^-78) with a = 1 + 2^-26, b = 2^-53 (1 - 2^-26 + 2^-52):
    // 1 + a*b lies just above the midpoint 1 + 2^-53, so it rounds up to
    // 1 + 2^-52; rounding a*b first would give the tie and then 1.
    expect(run((e) => fp.f64MulAdd(d(1 + 2 ** -26), d(2 ** -53 * (1 - 2 ** -26 + 2 ** -52)), d(1), RNE, e))).toEqual([d(1 + 2 ** -52), NX]);
    // binary32 analogue: a*b = 2^-24 (1 + 2^-36): 1 + a*b rounds up to 1 + 2^-23
    expect(run((e) => fp.f32MulAdd(s(1 + 2 ** -12), s(2 ** -24 * (1 - 2 ** -12 + 2 ** -24)), s(1), RNE, e))).toEqual([0x3f800001, NX]);
  });

  it('integer to float rounds once', () => {
    // 2^60 + 2^36 + 1: binary32 spacing there is 2^37, so this is just above
    // the midpoint 2^60 + 2^36 -> 2^60 + 2^37 (binary64 would first give the tie)
    expect(run((e) => fp.i64ToF32((1n << 60n) + (1n << 36n) + 1n, RNE, e))).toEqual([s(2 ** 60 + 2 ** 37), NX]);
    // 2^64 - 1 -> 2^64 (RNE), 2^64 - 2048 (RTZ)
    expect(run((e) => fp.u64ToF64((1n << 64n) - 1n, RNE, e))).toEqual([d(2 ** 64), NX]);
    expect(run((e) => fp.u64ToF64((1n << 64n) - 1n, RTZ, e))).toEqual([d(2 ** 64 - 2048), NX]);
    expect(run((e) => fp.i32ToF32(-16777217, RNE, e))).toEqual([s(-16777216), NX]); // -(2^24 + 1): tie to even
    expect(run((e) => fp.u32ToF32(0xffffffff, RMM, e))).toEqual([s(2 ** 32), NX]);
    expect(run((e) => fp.i32ToF64(-5, RNE, e))).toEqual([d(-5), 0]);
  });
});

describe('float to integer conversions saturate', () => {
  it('NaN and infinities', () => {
    expect(run((e) => fp.f32ToI32(0x7fc00000, RNE, e))).toEqual([0x7fffffff, NV]);
    expect(run((e) => fp.f32ToI32(0xff800000, RNE, e))).toEqual([-0x80000000, NV]);
    expect(run((e) => fp.f64ToU32(fp.F64_CANONICAL_NAN, RNE, e))).toEqual([-1, NV]); // 0xffffffff sign-extended
    expect(run((e) => fp.f64ToI64(d(-Infinity), RNE, e))).toEqual([-(1n << 63n), NV]);
    expect(run((e) => fp.f32ToU64(0xffc00000, RNE, e))).toEqual([-1n, NV]); // 2^64 - 1 as signed
  });

  it('out of range', () => {
    // 2^63 does not fit i64
    expect(run((e) => fp.f64ToI64(d(2 ** 63), RNE, e))).toEqual([(1n << 63n) - 1n, NV]);
    // -2147483648.9: RTZ gives -2^31 (fits, inexact); RDN gives -2^31 - 1: NV
    expect(run((e) => fp.f64ToI32(d(-2147483648.9), RTZ, e))).toEqual([-2147483648, NX]);
    expect(run((e) => fp.f64ToI32(d(-2147483648.9), RDN, e))).toEqual([-2147483648, NV]);
    // 2147483647.5 rounds to 2^31 (RNE): out of range
    expect(run((e) => fp.f64ToI32(d(2147483647.5), RNE, e))).toEqual([2147483647, NV]);
    expect(run((e) => fp.f64ToI32(d(2147483647.5), RTZ, e))).toEqual([2147483647, NX]);
  });

  it('unsigned: negatives give 0 with NV unless they round to 0', () => {
    expect(run((e) => fp.f32ToU32(s(-1), RNE, e))).toEqual([0, NV]);
    expect(run((e) => fp.f32ToU32(s(-0.5), RNE, e))).toEqual([0, NX]); // rounds to -0
    expect(run((e) => fp.f32ToU32(s(-0.5), RDN, e))).toEqual([0, NV]); // rounds to -1
    expect(run((e) => fp.f64ToU64(d(-0.75), RTZ, e))).toEqual([0n, NX]);
    expect(run((e) => fp.f64ToU64(d(-0), RNE, e))).toEqual([0n, 0]);
  });

  it('unsigned results are returned sign-extended', () => {
    expect(run((e) => fp.f32ToU32(s(3e9), RNE, e))).toEqual([3000000000 | 0, 0]);
    // largest double below 2^64 = 2^64 - 2048: pattern 0xfffffffffffff800
    expect(run((e) => fp.f64ToU64(d(2 ** 64 - 2048), RNE, e))).toEqual([-2048n, 0]);
    expect(run((e) => fp.f64ToU64(d(2 ** 64), RNE, e))).toEqual([-1n, NV]);
  });
});

describe('min, max, compare, classify', () => {
  it('fmin/fmax', () => {
    expect(run((e) => fp.f32Min(0, 0x80000000, e))).toEqual([0x80000000, 0]); // -0 < +0
    expect(run((e) => fp.f32Max(0x80000000, 0, e))).toEqual([0, 0]);
    expect(run((e) => fp.f64Min(d(-0), 0n, e))).toEqual([d(-0), 0]);
    expect(run((e) => fp.f64Max(0n, d(-0), e))).toEqual([0n, 0]);
    expect(run((e) => fp.f32Min(0x7fc00000, s(1), e))).toEqual([s(1), 0]); // one NaN: the other
    expect(run((e) => fp.f32Max(F32_SNAN, s(1), e))).toEqual([s(1), NV]); // sNaN: NV too
    expect(run((e) => fp.f64Max(F64_SNAN, 0xfff8000000000001n, e))).toEqual([fp.F64_CANONICAL_NAN, NV]);
    expect(run((e) => fp.f64Min(d(-3), d(2), e))).toEqual([d(-3), 0]);
  });

  it('feq is quiet, flt/fle signal', () => {
    expect(run((e) => fp.f32Eq(0x7fc00000, 0x7fc00000, e))).toEqual([false, 0]);
    expect(run((e) => fp.f32Eq(F32_SNAN, s(1), e))).toEqual([false, NV]);
    expect(run((e) => fp.f32Lt(0x7fc00000, s(1), e))).toEqual([false, NV]);
    expect(run((e) => fp.f64Le(d(1), fp.F64_CANONICAL_NAN, e))).toEqual([false, NV]);
    expect(run((e) => fp.f64Eq(0n, d(-0), e))).toEqual([true, 0]);
    expect(run((e) => fp.f64Lt(d(-0), 0n, e))).toEqual([false, 0]);
    expect(run((e) => fp.f64Le(d(-0), 0n, e))).toEqual([true, 0]);
  });

  it('fclass', () => {
    const cases: [number, number][] = [
      [0xff800000, 0], [s(-1), 1], [0x80000001, 2], [0x80000000, 3], [0, 4], [1, 5], [s(1), 6], [F32_INF, 7], [F32_SNAN, 8], [0x7fc00000, 9],
    ];
    for (const [x, bit] of cases) {
      expect(fp.f32Classify(x)).toBe(1 << bit);
      // widened: binary32 subnormals are binary64 normals, NaNs become the canonical quiet NaN
      const wide = bit === 2 ? 1 : bit === 5 ? 6 : bit === 8 ? 9 : bit;
      expect(fp.f64Classify(fp.f32ToF64(x, { flags: 0 }))).toBe(1 << wide);
    }
    expect(fp.f64Classify(1n)).toBe(1 << 5);
    expect(fp.f64Classify(F64_SNAN)).toBe(1 << 8);
  });
});
