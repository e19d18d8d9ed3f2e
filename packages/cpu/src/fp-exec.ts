/**
 * The F and D extensions: FP loads and stores, arithmetic, conversions,
 * compares and moves. Arithmetic is delegated to the exact software FPU in
 * ./fpu; this file decodes, unboxes NaN-boxed singles, applies the rounding
 * mode and accumulates fflags.
 */
import { MSTATUS } from './csr-numbers.js';
import type { Hart } from './hart.js';
import * as F from './fpu/index.js';
import type { FpEnv, RoundingMode } from './fpu/index.js';
import { TLB_MASK, tlbKey } from './tlb.js';

const env: FpEnv = { flags: 0 };
const TWO32 = 4294967296;

/** A single read from f[i]: the low 32 bits if properly NaN-boxed, else the canonical NaN. */
function readS(h: Hart, i: number): number {
  return h.fu32[2 * i + 1] === 0xffffffff ? h.fu32[2 * i] : F.F32_CANONICAL_NAN;
}
function writeS(h: Hart, i: number, v: number): void {
  h.fu32[2 * i] = v;
  h.fu32[2 * i + 1] = 0xffffffff;
  h.mstatus |= MSTATUS.FS;
}
function readD(h: Hart, i: number): bigint {
  return h.fu64[i];
}
function writeD(h: Hart, i: number, v: bigint): void {
  h.fu64[i] = v;
  h.mstatus |= MSTATUS.FS;
}
function setXInt32(h: Hart, rd: number, v: number): void {
  if (rd !== 0) { h.x[rd << 1] = v; h.x[(rd << 1) | 1] = v >> 31; }
}

function roundingMode(h: Hart, rm: number): RoundingMode {
  const m = rm === 7 ? h.frm : rm;
  if (m > 4) h.illegal();
  return m as RoundingMode;
}

export function executeFp(h: Hart, insn: number): void {
  if ((h.mstatus & MSTATUS.FS) === 0) h.illegal();
  const op = insn & 0x7f;
  const rd = (insn >> 7) & 31;
  const rs1 = (insn >> 15) & 31;
  const rs2 = (insn >> 20) & 31;
  const f3 = (insn >> 12) & 7;

  if (op === 0x07 || op === 0x27) { // FLW/FLD, FSW/FSD
    if (f3 !== 2 && f3 !== 3) h.illegal();
    const imm = op === 0x07 ? insn >> 20 : ((insn >> 25) << 5) | ((insn >> 7) & 31);
    const s = (h.x[rs1 << 1] >>> 0) + imm;
    const vlo = s | 0;
    const vhi = (h.x[(rs1 << 1) | 1] + (s < 0 ? -1 : s >= TWO32 ? 1 : 0)) | 0;
    const size = f3 === 2 ? 4 : 8;
    // Fast path: an aligned access to a page in the TLB goes straight to RAM (same rule as the hart's loads/stores).
    const idx = (vlo >>> 12) & TLB_MASK;
    const key = tlbKey(vlo, vhi);
    const po = vlo & 0xfff;
    if ((po & (size - 1)) === 0) {
      const ram = h.ram;
      if (op === 0x07 && h.tlbRKey[idx] === key) {
        const w = (h.tlbROff[idx] + po) >>> 2;
        h.fu32[2 * rd] = ram.i32[w];
        h.fu32[2 * rd + 1] = size === 4 ? 0xffffffff : ram.i32[w + 1];
        h.mstatus |= MSTATUS.FS;
        return;
      }
      if (op === 0x27 && h.tlbWKey[idx] === key) {
        const off = h.tlbWOff[idx] + po;
        ram.i32[off >>> 2] = h.fu32[2 * rs2];
        if (size === 8) ram.i32[(off >>> 2) + 1] = h.fu32[2 * rs2 + 1];
        ram.dirty[off >>> 12] = 1;
        if (ram.code[off >>> 12] !== 0) h.codeWritten(off >>> 12);
        return;
      }
    }
    if (op === 0x07) {
      h.readMem(vlo, vhi, size);
      if (size === 4) writeS(h, rd, h.rLo >>> 0);
      else { h.fu32[2 * rd] = h.rLo; h.fu32[2 * rd + 1] = h.rHi; h.mstatus |= MSTATUS.FS; }
    } else {
      h.writeMem(vlo, vhi, size, h.fu32[2 * rs2] | 0, size === 4 ? 0 : h.fu32[2 * rs2 + 1] | 0);
    }
    return;
  }

  env.flags = 0;
  const fmt = (insn >> 25) & 3;
  if (fmt > 1) h.illegal(); // only S (0) and D (1)
  const dbl = fmt === 1;

  if (op !== 0x53) { // fused multiply-add family
    const rs3 = insn >>> 27;
    const rm = roundingMode(h, f3);
    if (dbl) {
      const a = readD(h, rs1), b = readD(h, rs2), c = readD(h, rs3);
      const r = op === 0x43 ? F.f64MulAdd(a, b, c, rm, env) : op === 0x47 ? F.f64MulSub(a, b, c, rm, env)
        : op === 0x4b ? F.f64NegMulSub(a, b, c, rm, env) : F.f64NegMulAdd(a, b, c, rm, env);
      writeD(h, rd, r);
    } else {
      const a = readS(h, rs1), b = readS(h, rs2), c = readS(h, rs3);
      const r = op === 0x43 ? F.f32MulAdd(a, b, c, rm, env) : op === 0x47 ? F.f32MulSub(a, b, c, rm, env)
        : op === 0x4b ? F.f32NegMulSub(a, b, c, rm, env) : F.f32NegMulAdd(a, b, c, rm, env);
      writeS(h, rd, r);
    }
    h.fflags |= env.flags;
    return;
  }

  const f5 = insn >>> 27;
  switch (f5) {
    case 0x00: case 0x01: case 0x02: case 0x03: { // FADD FSUB FMUL FDIV
      const rm = roundingMode(h, f3);
      if (dbl) {
        const a = readD(h, rs1), b = readD(h, rs2);
        writeD(h, rd, f5 === 0 ? F.f64Add(a, b, rm, env) : f5 === 1 ? F.f64Sub(a, b, rm, env) : f5 === 2 ? F.f64Mul(a, b, rm, env) : F.f64Div(a, b, rm, env));
      } else {
        const a = readS(h, rs1), b = readS(h, rs2);
        writeS(h, rd, f5 === 0 ? F.f32Add(a, b, rm, env) : f5 === 1 ? F.f32Sub(a, b, rm, env) : f5 === 2 ? F.f32Mul(a, b, rm, env) : F.f32Div(a, b, rm, env));
      }
      break;
    }
    case 0x0b: { // FSQRT
      if (rs2 !== 0) h.illegal();
      const rm = roundingMode(h, f3);
      if (dbl) writeD(h, rd, F.f64Sqrt(readD(h, rs1), rm, env));
      else writeS(h, rd, F.f32Sqrt(readS(h, rs1), rm, env));
      break;
    }
    case 0x04: { // FSGNJ, FSGNJN, FSGNJX
      if (f3 > 2) h.illegal();
      if (dbl) {
        const a = readD(h, rs1), b = readD(h, rs2);
        const SIGN = 1n << 63n;
        const sb = f3 === 0 ? b & SIGN : f3 === 1 ? ~b & SIGN : (a ^ b) & SIGN;
        writeD(h, rd, (a & ~SIGN) | sb);
      } else {
        const a = readS(h, rs1), b = readS(h, rs2);
        const sb = f3 === 0 ? b & 0x80000000 : f3 === 1 ? ~b & 0x80000000 : (a ^ b) & 0x80000000;
        writeS(h, rd, ((a & 0x7fffffff) | sb) >>> 0);
      }
      break;
    }
    case 0x05: { // FMIN, FMAX
      if (f3 > 1) h.illegal();
      if (dbl) writeD(h, rd, f3 === 0 ? F.f64Min(readD(h, rs1), readD(h, rs2), env) : F.f64Max(readD(h, rs1), readD(h, rs2), env));
      else writeS(h, rd, f3 === 0 ? F.f32Min(readS(h, rs1), readS(h, rs2), env) : F.f32Max(readS(h, rs1), readS(h, rs2), env));
      break;
    }
    case 0x08: { // FCVT.S.D (fmt=0, rs2=1), FCVT.D.S (fmt=1, rs2=0)
      if (dbl) {
        if (rs2 !== 0) h.illegal();
        writeD(h, rd, F.f32ToF64(readS(h, rs1), env));
      } else {
        if (rs2 !== 1) h.illegal();
        writeS(h, rd, F.f64ToF32(readD(h, rs1), roundingMode(h, f3), env));
      }
      break;
    }
    case 0x14: { // FEQ, FLT, FLE
      let r: boolean;
      if (dbl) {
        const a = readD(h, rs1), b = readD(h, rs2);
        r = f3 === 2 ? F.f64Eq(a, b, env) : f3 === 1 ? F.f64Lt(a, b, env) : f3 === 0 ? F.f64Le(a, b, env) : h.illegal();
      } else {
        const a = readS(h, rs1), b = readS(h, rs2);
        r = f3 === 2 ? F.f32Eq(a, b, env) : f3 === 1 ? F.f32Lt(a, b, env) : f3 === 0 ? F.f32Le(a, b, env) : h.illegal();
      }
      setXInt32(h, rd, r ? 1 : 0);
      break;
    }
    case 0x18: { // FCVT.{W,WU,L,LU}.{S,D}
      const rm = roundingMode(h, f3);
      if (rs2 > 3) h.illegal();
      if (rs2 < 2) {
        const r = dbl ? (rs2 === 0 ? F.f64ToI32(readD(h, rs1), rm, env) : F.f64ToU32(readD(h, rs1), rm, env))
          : (rs2 === 0 ? F.f32ToI32(readS(h, rs1), rm, env) : F.f32ToU32(readS(h, rs1), rm, env));
        setXInt32(h, rd, r);
      } else {
        const r = dbl ? (rs2 === 2 ? F.f64ToI64(readD(h, rs1), rm, env) : F.f64ToU64(readD(h, rs1), rm, env))
          : (rs2 === 2 ? F.f32ToI64(readS(h, rs1), rm, env) : F.f32ToU64(readS(h, rs1), rm, env));
        h.setX(rd, r);
      }
      break;
    }
    case 0x1a: { // FCVT.{S,D}.{W,WU,L,LU}
      const rm = roundingMode(h, f3);
      if (rs2 > 3) h.illegal();
      const xlo = h.x[rs1 << 1];
      if (dbl) {
        const r = rs2 === 0 ? F.i32ToF64(xlo, rm, env) : rs2 === 1 ? F.u32ToF64(xlo >>> 0, rm, env)
          : rs2 === 2 ? F.i64ToF64(BigInt.asIntN(64, h.getX(rs1)), rm, env) : F.u64ToF64(h.getX(rs1), rm, env);
        writeD(h, rd, r);
      } else {
        const r = rs2 === 0 ? F.i32ToF32(xlo, rm, env) : rs2 === 1 ? F.u32ToF32(xlo >>> 0, rm, env)
          : rs2 === 2 ? F.i64ToF32(BigInt.asIntN(64, h.getX(rs1)), rm, env) : F.u64ToF32(h.getX(rs1), rm, env);
        writeS(h, rd, r);
      }
      break;
    }
    case 0x1c: { // FMV.X.{W,D} (f3=0), FCLASS (f3=1)
      if (rs2 !== 0) h.illegal();
      if (f3 === 0) {
        if (dbl) { if (rd !== 0) { h.x[rd << 1] = h.fu32[2 * rs1] | 0; h.x[(rd << 1) | 1] = h.fu32[2 * rs1 + 1] | 0; } }
        else setXInt32(h, rd, h.fu32[2 * rs1] | 0);
      } else if (f3 === 1) {
        setXInt32(h, rd, dbl ? F.f64Classify(readD(h, rs1)) : F.f32Classify(readS(h, rs1)));
      } else h.illegal();
      return; // no FP register or flag changes
    }
    case 0x1e: { // FMV.{W,D}.X
      if (rs2 !== 0 || f3 !== 0) h.illegal();
      if (dbl) { h.fu32[2 * rd] = h.x[rs1 << 1]; h.fu32[2 * rd + 1] = h.x[(rs1 << 1) | 1]; h.mstatus |= MSTATUS.FS; }
      else writeS(h, rd, h.x[rs1 << 1] >>> 0);
      return;
    }
    default:
      h.illegal();
  }
  if (env.flags !== 0) {
    h.fflags |= env.flags;
    h.mstatus |= MSTATUS.FS;
  }
}
