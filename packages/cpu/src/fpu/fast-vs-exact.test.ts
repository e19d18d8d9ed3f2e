/**
 * Differential test: the public API (host-double fast paths with their
 * fallback) against the exact BigInt engine alone, on many random operands
 * aimed at the fast paths' range limits. The engine itself is checked
 * against the hardware in fp-vectors.test.ts.
 */
import { describe, expect, it } from 'vitest';
import * as fp from './index.js';
import type { FpEnv, RoundingMode } from './index.js';
import { FMT32, FMT64, sfAdd, sfConvert, sfDiv, sfFma, sfFromInt, sfMul, sfSqrt, sfToInt } from './soft-float.js';
import { INFO32, INFO64, Rng, anyValue, arithOperands, intOperand, make, frac } from './test-operands.js';
import type { FmtInfo } from './test-operands.js';

type Res = number | bigint | boolean;
const RMS: RoundingMode[] = [0, 1, 2, 3, 4];

function check(label: string, n: number, gen: (r: Rng) => bigint[], api: (x: bigint[], rm: RoundingMode, e: FpEnv) => Res, soft: (x: bigint[], rm: RoundingMode, e: FpEnv) => Res): void {
  const r = new Rng(0x9e3779b9 ^ label.length * 7919 ^ label.charCodeAt(label.length - 1));
  const bad: string[] = [];
  for (let i = 0; i < n; i++) {
    const x = gen(r);
    for (const rm of RMS) {
      const e1 = { flags: 0 }, e2 = { flags: 0 };
      const a = api(x, rm, e1), b = soft(x, rm, e2);
      if (a !== b || e1.flags !== e2.flags) {
        if (bad.length < 10) bad.push(`${label} rm=${rm} [${x.map((v) => v.toString(16)).join(', ')}]: api ${a.toString(16)}/${e1.flags} exact ${b.toString(16)}/${e2.flags}`);
      }
    }
  }
  expect(bad, bad.join('\n')).toEqual([]);
}

const N = 4000;

describe('fast paths agree with the exact engine', () => {
  for (const info of [INFO32, INFO64] as FmtInfo[]) {
    const F = info.w === 32 ? FMT32 : FMT64;
    const w = info.w;
    // API adapters: binary32 patterns are numbers.
    const inA = (v: bigint): number | bigint => (w === 32 ? Number(v) : v);
    const outS = (v: bigint): number | bigint => (w === 32 ? Number(v) : v);
    const A = fp as unknown as Record<string, (...args: unknown[]) => Res>;
    const P = `f${w}`;

    it(`${P} add/sub`, () => {
      check(`${P}add`, N, (r) => arithOperands(r, info, 'add'), (x, rm, e) => A[`${P}Add`](inA(x[0]), inA(x[1]), rm, e), (x, rm, e) => outS(sfAdd(x[0], x[1], false, F, rm, e)));
      check(`${P}sub`, N, (r) => arithOperands(r, info, 'add'), (x, rm, e) => A[`${P}Sub`](inA(x[0]), inA(x[1]), rm, e), (x, rm, e) => outS(sfAdd(x[0], x[1], true, F, rm, e)));
    });
    it(`${P} mul/div/sqrt`, () => {
      check(`${P}mul`, N, (r) => arithOperands(r, info, 'mul'), (x, rm, e) => A[`${P}Mul`](inA(x[0]), inA(x[1]), rm, e), (x, rm, e) => outS(sfMul(x[0], x[1], F, rm, e)));
      check(`${P}div`, N, (r) => arithOperands(r, info, 'div'), (x, rm, e) => A[`${P}Div`](inA(x[0]), inA(x[1]), rm, e), (x, rm, e) => outS(sfDiv(x[0], x[1], F, rm, e)));
      check(`${P}sqrt`, N, (r) => arithOperands(r, info, 'sqrt'), (x, rm, e) => A[`${P}Sqrt`](inA(x[0]), rm, e), (x, rm, e) => outS(sfSqrt(x[0], F, rm, e)));
    });
    it(`${P} fused multiply-add (4 forms)`, () => {
      const forms: [string, boolean, boolean][] = [['MulAdd', false, false], ['MulSub', false, true], ['NegMulSub', true, false], ['NegMulAdd', true, true]];
      for (const [name, np, nc] of forms) {
        check(`${P}${name}`, N / 2, (r) => arithOperands(r, info, 'fma'), (x, rm, e) => A[`${P}${name}`](inA(x[0]), inA(x[1]), inA(x[2]), rm, e), (x, rm, e) => outS(sfFma(x[0], x[1], x[2], np, nc, F, rm, e)));
      }
    });
    it(`${P} to integer`, () => {
      const gen = (r: Rng) => [r.int(2) ? anyValue(r, info) : make(info, r.int(2), info.bias - 2 + r.int(67), frac(r, info))];
      const kinds: [string, bigint, bigint, (v: bigint) => Res][] = [
        ['ToI32', -(1n << 31n), (1n << 31n) - 1n, (v) => Number(v)],
        ['ToU32', 0n, (1n << 32n) - 1n, (v) => Number(BigInt.asIntN(32, v))],
        ['ToI64', -(1n << 63n), (1n << 63n) - 1n, (v) => v],
        ['ToU64', 0n, (1n << 64n) - 1n, (v) => BigInt.asIntN(64, v)],
      ];
      for (const [name, lo, hi, conv] of kinds) {
        check(`${P}${name}`, N, gen, (x, rm, e) => A[`${P}${name}`](inA(x[0]), rm, e), (x, rm, e) => conv(sfToInt(x[0], F, lo, hi, rm, e)));
      }
    });
    it(`integers to ${P}`, () => {
      const kinds: [string, 32 | 64, boolean][] = [['i32', 32, true], ['u32', 32, false], ['i64', 64, true], ['u64', 64, false]];
      for (const [name, bits, signed] of kinds) {
        check(`${name}To${P}`, N, (r) => [intOperand(r, bits, signed, info.p)], (x, rm, e) => A[`${name}To${P.toUpperCase()}`](bits === 32 ? Number(x[0]) : x[0], rm, e), (x, rm, e) => outS(sfFromInt(x[0], F, rm, e)));
      }
    });
  }
  it('format conversions', () => {
    check('f64ToF32', 3 * N, (r) => [r.int(2) ? anyValue(r, INFO64) : make(INFO64, r.int(2), 1023 - 160 + r.int(300), frac(r, INFO64))], (x, rm, e) => fp.f64ToF32(x[0], rm, e), (x, rm, e) => Number(sfConvert(x[0], FMT64, FMT32, rm, e)));
    check('f32ToF64', N, (r) => [anyValue(r, INFO32)], (x, _rm, e) => fp.f32ToF64(Number(x[0]), e), (x, rm, e) => sfConvert(x[0], FMT32, FMT64, rm, e));
  });
});
