/**
 * Translated floating point (fp-compiler.ts) against the interpreter and its
 * software FPU: a seeded differential fuzz of every OP-FP instruction the
 * translator handles, in every rounding mode (static and dynamic, so the
 * fallbacks are crossed too), with mstatus.FS Dirty, Clean and Off. Results,
 * fflags, mstatus, pc and the step count must be bit-identical.
 *
 * PRNR_FP_FUZZ=<pairs per instruction and mode> makes it larger (default 150;
 * `PRNR_FP_FUZZ=20000 npx vitest run packages/cpu/src/jit/fp-translate.test.ts`
 * is the long run).
 */
import { describe, expect, it } from 'vitest';
import { MSTATUS } from '../csr-numbers.js';
import { Hart } from '../hart.js';
import type { HartEngine } from '../hart.js';
import { anyValue, arithOperands, INFO32, INFO64, intOperand, Rng } from '../fpu/test-operands.js';
import type { FmtInfo } from '../fpu/test-operands.js';
import { R } from '../testing/encode.js';
import { BASE, testHart } from '../testing/machine.js';

const PAIRS = Number(process.env.PRNR_FP_FUZZ ?? 150);
const JAL_BACK = 0xffdff06f; // jal x0, -4

interface Case {
  name: string;
  /** insn with rm (funct3) = 0 where it is a rounding mode; null rm: funct3 is part of the opcode. */
  insn: (rm: number) => number;
  rounds: boolean;
  operands: (r: Rng) => { f1: bigint; f2: bigint; x1: bigint };
}

const op = (f5: number, fmt: number, rs2: number, f3: number) => R((f5 << 2) | fmt, rs2, 1, f3, 3, 0x53);
const BOX = 0xffffffff00000000n;

function fpOperand(r: Rng, f: FmtInfo, v: bigint): bigint {
  if (f.w === 64) return v;
  return r.int(40) === 0 ? v : v | BOX; // now and then not NaN-boxed: reads as the canonical NaN
}

function cases(): Case[] {
  const out: Case[] = [];
  for (const [fmt, f] of [[0, INFO32], [1, INFO64]] as const) {
    const s = fmt === 0 ? 's' : 'd';
    const two = (kind: 'add' | 'mul' | 'div') => (r: Rng) => {
      const [a, b] = r.int(8) === 0 ? [anyValue(r, f), anyValue(r, f)] : arithOperands(r, f, kind);
      return { f1: fpOperand(r, f, a), f2: fpOperand(r, f, b), x1: 0n };
    };
    const any2 = (r: Rng) => {
      const a = anyValue(r, f);
      return { f1: fpOperand(r, f, a), f2: fpOperand(r, f, r.int(6) === 0 ? a : anyValue(r, f)), x1: 0n };
    };
    out.push({ name: `fadd.${s}`, insn: (rm) => op(0, fmt, 2, rm), rounds: true, operands: two('add') });
    out.push({ name: `fsub.${s}`, insn: (rm) => op(1, fmt, 2, rm), rounds: true, operands: two('add') });
    out.push({ name: `fmul.${s}`, insn: (rm) => op(2, fmt, 2, rm), rounds: true, operands: two('mul') });
    out.push({ name: `fdiv.${s}`, insn: (rm) => op(3, fmt, 2, rm), rounds: true, operands: two('div') });
    out.push({ name: `fsqrt.${s}`, insn: (rm) => op(0xb, fmt, 0, rm), rounds: true, operands: (r) => ({ f1: fpOperand(r, f, arithOperands(r, f, 'sqrt')[0]), f2: 0n, x1: 0n }) });
    for (const [f3, n] of [[0, 'fsgnj'], [1, 'fsgnjn'], [2, 'fsgnjx']] as const) out.push({ name: `${n}.${s}`, insn: () => op(4, fmt, 2, f3), rounds: false, operands: any2 });
    out.push({ name: `fmin.${s}`, insn: () => op(5, fmt, 2, 0), rounds: false, operands: any2 });
    out.push({ name: `fmax.${s}`, insn: () => op(5, fmt, 2, 1), rounds: false, operands: any2 });
    for (const [f3, n] of [[2, 'feq'], [1, 'flt'], [0, 'fle']] as const) out.push({ name: `${n}.${s}`, insn: () => op(0x14, fmt, 2, f3), rounds: false, operands: any2 });
    out.push({ name: `fmv.x.${fmt === 0 ? 'w' : 'd'}`, insn: () => op(0x1c, fmt, 0, 0), rounds: false, operands: any2 });
    out.push({ name: `fclass.${s}`, insn: () => op(0x1c, fmt, 0, 1), rounds: false, operands: any2 });
    out.push({ name: `fmv.${fmt === 0 ? 'w' : 'd'}.x`, insn: () => op(0x1e, fmt, 0, 0), rounds: false, operands: (r) => ({ f1: 0n, f2: 0n, x1: r.u64() }) });
    for (const [k, n] of [[0, 'w'], [1, 'wu'], [2, 'l'], [3, 'lu']] as const) {
      out.push({
        name: `fcvt.${n}.${s}`, insn: (rm) => op(0x18, fmt, k, rm), rounds: true,
        operands: (r) => {
          // Near-integers and range limits as well as any value.
          const pick = r.int(3);
          const v = pick === 0 ? anyValue(r, f)
            : pick === 1 ? toPattern(f, (r.int(2) ? -1 : 1) * (r.int(1 << 20) / 4) * 2 ** r.int(20))
              : toPattern(f, (r.int(2) ? -1 : 1) * 2 ** [31, 32, 63, 64][r.int(4)] + (r.int(5) - 2) * 2 ** r.int(12));
          return { f1: fpOperand(r, f, v), f2: 0n, x1: 0n };
        },
      });
      const bits = k < 2 ? 32 : 64;
      out.push({
        name: `fcvt.${s}.${n}`, insn: (rm) => op(0x1a, fmt, k, rm), rounds: true,
        operands: (r) => ({ f1: 0n, f2: 0n, x1: BigInt.asUintN(64, BigInt.asIntN(bits, intOperand(r, bits, k % 2 === 0, f.p))) | (k < 2 ? BigInt(r.u32()) << 32n : 0n) }),
      });
    }
  }
  out.push({ name: 'fcvt.s.d', insn: (rm) => op(8, 0, 1, rm), rounds: true, operands: (r) => ({ f1: cvtOperand(r), f2: 0n, x1: 0n }) });
  out.push({ name: 'fcvt.d.s', insn: (rm) => op(8, 1, 0, rm), rounds: false, operands: (r) => ({ f1: fpOperand(r, INFO32, anyValue(r, INFO32)), f2: 0n, x1: 0n }) });
  return out;
}

const dv = new DataView(new ArrayBuffer(8));
function toPattern(f: FmtInfo, v: number): bigint {
  if (f.w === 32) { dv.setFloat32(0, v); return BigInt(dv.getUint32(0)); }
  dv.setFloat64(0, v); return dv.getBigUint64(0);
}
/** Doubles around the binary32 range and precision limits. */
function cvtOperand(r: Rng): bigint {
  if (r.int(3) === 0) return anyValue(r, INFO64);
  const e = [-150, -149, -127, -126, -125, 0, 127, 128][r.int(8)] + r.int(3) - 1;
  dv.setFloat64(0, (1 + r.int(1 << 30) / 2 ** 30 + (r.int(2) ? 2 ** -24 : 0)) * 2 ** e * (r.int(2) ? -1 : 1));
  return dv.getBigUint64(0);
}

/** A hart running `insn; jal -4` from BASE, translated at the first jump (or interpreted). */
function machine(insn: number, engine: HartEngine): Hart {
  const { hart } = testHart([insn, JAL_BACK]);
  return new Hart(hart.bus, { engine, jitThreshold: 1, codeCache: null });
}

interface Setting { f1: bigint; f2: bigint; x1: bigint; frm: number; fs: number; fflags: number }

/** Run the instruction once (2 steps: it and the jump back) from a fresh register setting. */
function once(h: Hart, s: Setting): void {
  h.setF(1, s.f1); h.setF(2, s.f2); h.setF(3, 0x5555n); h.setX(1, s.x1); h.setX(3, 0x77n);
  h.frm = s.frm; h.fflags = s.fflags; h.mcause = 0n;
  h.mstatus = (h.mstatus & ~MSTATUS.FS) | (s.fs << MSTATUS.FS_SHIFT);
  h.pc = BigInt(BASE);
  h.run(h.icount + 2);
}

function observe(h: Hart): Record<string, unknown> {
  return { f3: h.getF(3), x3: h.getX(3), fflags: h.fflags, mstatus: h.mstatus, pc: h.pc, icount: h.icount, mcause: h.mcause };
}

describe('translated floating point vs the interpreter (seeded differential fuzz)', () => {
  for (const c of cases()) {
    it(`${c.name}: ${PAIRS} operand sets per rounding mode, bit-identical results and fflags`, () => {
      const rms = c.rounds ? [0, 1, 2, 3, 4, 5, 7] : [0];
      const rng = new Rng(0x9e3779b9 ^ c.insn(0));
      let fast = 0;
      for (const rm of rms) {
        const insn = c.insn(rm);
        const a = machine(insn, 'interp');
        const b = machine(insn, 'wasm');
        // Warm up until the block is translated (the engine batches hot blocks).
        const warm: Setting = { f1: 0n, f2: 0n, x1: 0n, frm: 0, fs: 3, fflags: 0 };
        for (let i = 0; i < 200; i++) { once(a, warm); once(b, warm); }
        expect(b.engineStats.compiled, 'the block was translated').toBeGreaterThan(0);
        for (let i = 0; i < PAIRS; i++) {
          const o = c.operands(rng);
          const k = rng.int(16);
          const s: Setting = {
            ...o,
            frm: rm === 7 ? (k < 10 ? 0 : [1, 2, 3, 4, 5][k % 5]) : rng.int(5),
            fs: k === 15 ? rng.int(3) : 3, // Off (illegal instruction), Initial, Clean now and then
            fflags: rng.int(4) === 0 ? rng.int(32) : 0,
          };
          const interpreted = b.engineStats.interpreted;
          once(a, s); once(b, s);
          const want = observe(a), got = observe(b);
          if (JSON.stringify(got, big) !== JSON.stringify(want, big)) {
            const setting = JSON.stringify({ insn: insn.toString(16), ...s }, big);
            expect(got, setting).toEqual(want);
            expect.unreachable(setting); // toEqual must have failed
          }
          if (want.mcause === 0n) {
            expect(b.engineStats.interpreted, 'the run was translated code').toBe(interpreted);
            if (s.fs === 3) fast++;
          }
        }
      }
      expect(fast).toBeGreaterThan(0);
    });
  }
});

const big = (_k: string, v: unknown) => (typeof v === 'bigint' ? v.toString(16) : v);
