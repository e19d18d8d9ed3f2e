/**
 * Checks the library against vectors computed by the host x86-64 CPU
 * (packages/cpu/test-vectors/gen-fp-vectors.c; see there for the few RISC-V
 * rules applied by hand). Both the public API (fast paths plus fallback) and
 * the exact BigInt engine alone (soft-float.ts) must match every vector.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as fpu from './index.js';
import type { FpEnv, RoundingMode } from './index.js';
import { FMT32, FMT64, sfAdd, sfClassify, sfConvert, sfDiv, sfFma, sfFromInt, sfMul, sfSqrt, sfToInt } from './soft-float.js';

type Val = number | bigint;
type Op = (x: Val[], rm: RoundingMode, env: FpEnv) => Val | boolean;
type OutKind = 'f32' | 'f64' | 'bool' | 'class' | 'i32' | 'i64';
type InKind = 'f32' | 'f64' | 'i32' | 'u32' | 'i64' | 'u64';

interface OpSpec {
  inKind: InKind;
  outKind: OutKind;
  api: Op;
  soft?: Op;
}

interface Section {
  name: string;
  rm: RoundingMode;
  nIn: number;
  inBytes: number;
  outBytes: number;
  count: number;
  offset: number;
}

const n = (x: Val) => x as number;
const b = (x: Val) => x as bigint;
const big32 = (x: Val) => BigInt(n(x) >>> 0);

function buildSpecs(): Record<string, OpSpec> {
  const s: Record<string, OpSpec> = {};
  for (const w of [32, 64] as const) {
    const F = w === 32 ? FMT32 : FMT64;
    const fk: InKind = w === 32 ? 'f32' : 'f64';
    // Soft-engine operands are bigints; f32 results come back as numbers.
    const toB = w === 32 ? big32 : b;
    const fromB = (r: bigint): Val => (w === 32 ? Number(r) : r);
    const A = fpu as unknown as Record<string, (...args: unknown[]) => Val | boolean>;
    const p = `f${w}`;
    const bin = (name: string, soft?: (x: bigint, y: bigint, rm: RoundingMode, env: FpEnv) => bigint): OpSpec => ({
      inKind: fk,
      outKind: fk,
      api: (x, rm, env) => A[name](x[0], x[1], rm, env) as Val,
      soft: soft && ((x, rm, env) => fromB(soft(toB(x[0]), toB(x[1]), rm, env))),
    });
    s[`${p}_add`] = bin(`${p}Add`, (x, y, rm, env) => sfAdd(x, y, false, F, rm, env));
    s[`${p}_sub`] = bin(`${p}Sub`, (x, y, rm, env) => sfAdd(x, y, true, F, rm, env));
    s[`${p}_mul`] = bin(`${p}Mul`, (x, y, rm, env) => sfMul(x, y, F, rm, env));
    s[`${p}_div`] = bin(`${p}Div`, (x, y, rm, env) => sfDiv(x, y, F, rm, env));
    s[`${p}_sqrt`] = {
      inKind: fk,
      outKind: fk,
      api: (x, rm, env) => A[`${p}Sqrt`](x[0], rm, env) as Val,
      soft: (x, rm, env) => fromB(sfSqrt(toB(x[0]), F, rm, env)),
    };
    const fmas: [string, string, boolean, boolean][] = [
      ['madd', 'MulAdd', false, false],
      ['msub', 'MulSub', false, true],
      ['nmsub', 'NegMulSub', true, false],
      ['nmadd', 'NegMulAdd', true, true],
    ];
    for (const [tag, fn, negP, negC] of fmas) {
      s[`${p}_${tag}`] = {
        inKind: fk,
        outKind: fk,
        api: (x, rm, env) => A[`${p}${fn}`](x[0], x[1], x[2], rm, env) as Val,
        soft: (x, rm, env) => fromB(sfFma(toB(x[0]), toB(x[1]), toB(x[2]), negP, negC, F, rm, env)),
      };
    }
    s[`${p}_min`] = { inKind: fk, outKind: fk, api: (x, _rm, env) => A[`${p}Min`](x[0], x[1], env) as Val };
    s[`${p}_max`] = { inKind: fk, outKind: fk, api: (x, _rm, env) => A[`${p}Max`](x[0], x[1], env) as Val };
    for (const [tag, fn] of [['eq', 'Eq'], ['lt', 'Lt'], ['le', 'Le']]) {
      s[`${p}_${tag}`] = { inKind: fk, outKind: 'bool', api: (x, _rm, env) => A[`${p}${fn}`](x[0], x[1], env) };
    }
    s[`${p}_class`] = {
      inKind: fk,
      outKind: 'class',
      api: (x) => A[`${p}Classify`](x[0]) as Val,
      soft: (x) => sfClassify(toB(x[0]), F),
    };
    const toInt: [string, string, OutKind, bigint, bigint, (r: bigint) => Val][] = [
      ['to_i32', 'ToI32', 'i32', -(1n << 31n), (1n << 31n) - 1n, (r) => Number(r)],
      ['to_u32', 'ToU32', 'i32', 0n, (1n << 32n) - 1n, (r) => Number(BigInt.asIntN(32, r))],
      ['to_i64', 'ToI64', 'i64', -(1n << 63n), (1n << 63n) - 1n, (r) => r],
      ['to_u64', 'ToU64', 'i64', 0n, (1n << 64n) - 1n, (r) => BigInt.asIntN(64, r)],
    ];
    for (const [tag, fn, ok, lo, hi, conv] of toInt) {
      s[`${p}_${tag}`] = {
        inKind: fk,
        outKind: ok,
        api: (x, rm, env) => A[`${p}${fn}`](x[0], rm, env) as Val,
        soft: (x, rm, env) => conv(sfToInt(toB(x[0]), F, lo, hi, rm, env)),
      };
    }
    const fromInt: [string, InKind][] = [['i32', 'i32'], ['u32', 'u32'], ['i64', 'i64'], ['u64', 'u64']];
    for (const [tag, ik] of fromInt) {
      s[`${tag}_to${p}`] = {
        inKind: ik,
        outKind: fk,
        api: (x, rm, env) => A[`${tag}To${p.toUpperCase()}`](x[0], rm, env) as Val,
        soft: (x, rm, env) => fromB(sfFromInt(BigInt(x[0]), F, rm, env)),
      };
    }
  }
  s.f32_to_f64 = {
    inKind: 'f32',
    outKind: 'f64',
    api: (x, _rm, env) => fpu.f32ToF64(n(x[0]), env),
    soft: (x, rm, env) => sfConvert(big32(x[0]), FMT32, FMT64, rm, env),
  };
  s.f64_to_f32 = {
    inKind: 'f64',
    outKind: 'f32',
    api: (x, rm, env) => fpu.f64ToF32(b(x[0]), rm, env),
    soft: (x, rm, env) => Number(sfConvert(b(x[0]), FMT64, FMT32, rm, env)),
  };
  return s;
}

function readSections(buf: Buffer): Section[] {
  expect(buf.subarray(0, 8).toString('latin1')).toBe('PRNRFPV1');
  const out: Section[] = [];
  let o = 8;
  while (o < buf.length) {
    const len = buf[o++];
    const name = buf.subarray(o, o + len).toString('latin1');
    o += len;
    const rm = buf[o++] as RoundingMode, nIn = buf[o++], inBytes = buf[o++], outBytes = buf[o++];
    const count = buf.readUInt32LE(o);
    o += 4;
    out.push({ name, rm, nIn, inBytes, outBytes, count, offset: o });
    o += count * (nIn * inBytes + outBytes + 1);
  }
  return out;
}

function readIn(buf: Buffer, o: number, k: InKind): Val {
  switch (k) {
    case 'f32': case 'u32': return buf.readUInt32LE(o);
    case 'i32': return buf.readInt32LE(o);
    case 'f64': case 'u64': return buf.readBigUInt64LE(o);
    case 'i64': return buf.readBigInt64LE(o);
  }
}

const hex = (v: Val | boolean) => (typeof v === 'boolean' ? String(v) : `0x${v.toString(16)}`);
const isNaN32 = (x: number) => (x & 0x7fffffff) > 0x7f800000;
const isNaN64 = (x: bigint) => (x & 0x7fffffffffffffffn) > 0x7ff0000000000000n;

/** Whether result r matches the expected output e (raw bytes read as below). */
function matches(kind: OutKind, r: Val | boolean, e: Val): boolean {
  switch (kind) {
    case 'f32':
      if (isNaN32(n(e))) return r === fpu.F32_CANONICAL_NAN;
      return r === e;
    case 'f64':
      if (isNaN64(b(e))) return r === fpu.F64_CANONICAL_NAN;
      return r === e;
    case 'bool': return (r ? 1 : 0) === e;
    case 'class': return r === e;
    case 'i32': return typeof r === 'number' && r === (r | 0) && r >>> 0 === e;
    case 'i64': return typeof r === 'bigint' && r === BigInt.asIntN(64, r) && BigInt.asUintN(64, r) === e;
  }
}

function readOut(buf: Buffer, o: number, kind: OutKind, bytes: number): Val {
  if (kind === 'bool') return buf[o];
  if (kind === 'class') return buf.readUInt16LE(o);
  return bytes === 4 ? buf.readUInt32LE(o) : buf.readBigUInt64LE(o);
}

const FILE = fileURLToPath(new URL('../../test-vectors/fp-vectors.bin', import.meta.url));
const buf = readFileSync(FILE);
const sections = readSections(buf);
const specs = buildSpecs();

function runAll(which: 'api' | 'soft'): { total: number; failures: string[] } {
  const failures: string[] = [];
  let total = 0;
  for (const sec of sections) {
    const spec = specs[sec.name];
    if (!spec) throw new Error(`no spec for ${sec.name}`);
    const fn = which === 'api' ? spec.api : spec.soft;
    if (!fn) continue;
    let o = sec.offset;
    for (let i = 0; i < sec.count; i++) {
      const ins: Val[] = [];
      for (let k = 0; k < sec.nIn; k++, o += sec.inBytes) ins.push(readIn(buf, o, spec.inKind));
      const e = readOut(buf, o, spec.outKind, sec.outBytes);
      o += sec.outBytes;
      const ef = buf[o++];
      const env = { flags: 0 };
      const r = fn(ins, sec.rm, env);
      total++;
      if (!matches(spec.outKind, r, e) || env.flags !== ef) {
        if (failures.length < 25) {
          failures.push(`${sec.name} rm=${sec.rm} in=[${ins.map(hex).join(', ')}] got ${hex(r)} flags ${env.flags}, want ${hex(e)} flags ${ef}`);
        } else if (failures.length === 25) failures.push('...');
      }
    }
  }
  return { total, failures };
}

describe('x86-64 reference vectors', () => {
  it('has vectors for every operation', () => {
    const names = new Set(sections.map((s) => s.name));
    for (const name of Object.keys(specs)) expect(names.has(name), name).toBe(true);
    const total = sections.reduce((a, s) => a + s.count, 0);
    expect(total).toBeGreaterThan(50_000);
  });

  it('public API matches every vector', () => {
    const { total, failures } = runAll('api');
    expect(failures, failures.join('\n')).toEqual([]);
    expect(total).toBeGreaterThan(50_000);
  });

  it('exact BigInt engine alone matches every vector', () => {
    const { failures } = runAll('soft');
    expect(failures, failures.join('\n')).toEqual([]);
  });
});
