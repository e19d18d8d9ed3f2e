/**
 * Floating point in translated code (the 'wasm' engine, wasm-compiler.ts):
 * native f32/f64 WebAssembly operations where they give the IEEE result
 * exactly, with the RISC-V exception flags derived exactly; everything else
 * goes to the interpreter's routine (fp-exec.ts and the software FPU), so the
 * two engines agree bit for bit on results and fflags.
 *
 * WebAssembly arithmetic rounds to nearest-even. So native code runs only
 * where the rounding mode is RNE: a static rm of 0, or a dynamic rm (7, what
 * assemblers write by default) while frm is 0 (a flag the hart publishes,
 * AREA_FP_MODE). Conversions to integers also take RTZ, RDN and RUP (trunc,
 * floor, ceil). Fused multiply-add, FCLASS and RMM always go to the
 * interpreter. So does every instruction while mstatus.FS is not Dirty (it
 * must trap, or set FS).
 *
 * Each native operation has a "fast" condition under which its result and
 * flags are provably the IEEE ones; outside it (NaNs, infinities, overflow,
 * results near or below the smallest normal, operands near the top of the
 * range) the instruction is re-run by the interpreter, which has not been
 * disturbed (native code writes nothing before the condition holds). Inside
 * it, the only possible flag is NX (inexact), found exactly:
 * - add/sub: Fast2Sum. With |a| >= |b|, s = RN(a + b) and z = RN(s - a) is
 *   exact (Dekker), so a + b = s exactly iff z == b. No UF: a sum that lands
 *   below the smallest normal is exact.
 * - mul (f64): Dekker's TwoProduct (Veltkamp split) gives a*b - p exactly when
 *   |a|, |b| < 2^995 and |p| >= 2^-968 (fast range); f32: the f64 product of
 *   two singles is exact, so NX iff demoting it changes it.
 * - div and sqrt (f64): q is exact iff q*b == a (q*q == a) exactly, checked
 *   with TwoProduct; f32: computed in f64 and demoted (double rounding is
 *   innocuous for +, -, *, /, sqrt when 53 >= 2*24 + 2), and the check q*b == a
 *   is exact in f64.
 * - UF (tininess after rounding, as RISC-V defines it) is never decided here:
 *   results of magnitude <= the smallest normal go to the interpreter.
 * - integer to float: inexact iff the integer has more significant bits than
 *   the format (clz + ctz); float to integer: the rounded value (nearest, trunc,
 *   floor, ceil) is inexact iff it differs, and out of range goes slow (NV).
 * NaN results are never produced natively (WebAssembly NaN bits are not
 * deterministic), so canonical NaNs come from the software FPU; singles are
 * read only when NaN-boxed and written NaN-boxed.
 *
 * HOT PATH (generated code).
 */
import { AREA_F, AREA_FFLAGS, AREA_FP_MODE, FP_MODE_FS_DIRTY, FP_MODE_RNE } from '../hart-memory.js';
import { FunctionBody, Op, T } from '../wasm/module-builder.js';

/** What the block writer lends the FP translator for one instruction. */
export interface FpSite {
  readonly f: FunctionBody;
  /** The i32 local holding the byte offset of the hart's area (area fields are addressed from it, with short offsets). */
  readonly area: number;
  /** Emit `if (the i32 on the stack) { fast() } else { the interpreter runs this instruction }`. */
  guard(fast: () => void): void;
  /** Push x[r] as i64. */
  getX(r: number): void;
  /** x[r] = the i64 `value` pushes. */
  setX(r: number, value: () => void): void;
}

/** Locals of a block function used by FP code (declared on the first FP instruction of the block). */
export interface FpLocals {
  /** f64 scratch. */
  readonly d: readonly number[];
  /** f32 scratch. */
  readonly s: readonly number[];
  readonly w: number;
  readonly l: number;
}

export function fpLocals(f: FunctionBody): FpLocals {
  const d: number[] = [];
  for (let i = 0; i < 9; i++) d.push(f.local(T.f64));
  const s: number[] = [];
  for (let i = 0; i < 3; i++) s.push(f.local(T.f32));
  return { d, s, w: f.local(T.i32), l: f.local(T.i64) };
}

const INF = Infinity;
const F32_MIN_NORMAL = 2 ** -126;
/** Dekker's split constant 2^27 + 1. */
const SPLIT = 134217729;
// Fast ranges (see the file comment): TwoProduct exact for |x|, |y| < 2^995 and |x*y| >= 2^-968.
const MUL_LO = 2 ** -968, MUL_HI = 2 ** 1020, MUL_OPERAND = 2 ** 995;
const DIV_LO = 2 ** -960, DIV_HI = 2 ** 990;

type Rm = 'rne' | 'dyn';

/** RNE arithmetic: static rm 0, or dynamic (checked at run time); other modes are the interpreter's. */
function arithRm(f3: number): Rm | null {
  return f3 === 0 ? 'rne' : f3 === 7 ? 'dyn' : null;
}

/**
 * Emit FP instruction `insn` (opcode 0x53, OP-FP) natively where possible; false: leave it all to the
 * interpreter (the caller emits the plain slow path).
 */
export function emitFpOp(site: FpSite, L: FpLocals, insn: number): boolean {
  const rd = (insn >> 7) & 31;
  const rs1 = (insn >> 15) & 31;
  const rs2 = (insn >> 20) & 31;
  const f3 = (insn >> 12) & 7;
  const fmt = (insn >> 25) & 3;
  if (fmt > 1) return false;
  const w = new FpWriter(site, L);
  const dbl = fmt === 1;
  switch (insn >>> 27) {
    case 0x00: case 0x01: { // FADD, FSUB
      const rm = arithRm(f3);
      if (rm === null) return false;
      if (dbl) w.addD(rd, rs1, rs2, (insn >>> 27) === 1, rm); else w.addS(rd, rs1, rs2, (insn >>> 27) === 1, rm);
      return true;
    }
    case 0x02: { // FMUL
      const rm = arithRm(f3);
      if (rm === null) return false;
      if (dbl) w.mulD(rd, rs1, rs2, rm); else w.mulS(rd, rs1, rs2, rm);
      return true;
    }
    case 0x03: { // FDIV
      const rm = arithRm(f3);
      if (rm === null) return false;
      if (dbl) w.divD(rd, rs1, rs2, rm); else w.divS(rd, rs1, rs2, rm);
      return true;
    }
    case 0x0b: { // FSQRT
      const rm = arithRm(f3);
      if (rm === null || rs2 !== 0) return false;
      if (dbl) w.sqrtD(rd, rs1, rm); else w.sqrtS(rd, rs1, rm);
      return true;
    }
    case 0x04: // FSGNJ, FSGNJN, FSGNJX
      if (f3 > 2) return false;
      w.sgnj(rd, rs1, rs2, f3, dbl);
      return true;
    case 0x05: // FMIN, FMAX
      if (f3 > 1) return false;
      w.minMax(rd, rs1, rs2, f3 === 1, dbl);
      return true;
    case 0x08: // FCVT.S.D (fmt 0, rs2 1), FCVT.D.S (fmt 1, rs2 0; exact, no rounding mode)
      if (dbl) {
        if (rs2 !== 0) return false;
        w.cvtDS(rd, rs1);
      } else {
        const rm = arithRm(f3);
        if (rs2 !== 1 || rm === null) return false;
        w.cvtSD(rd, rs1, rm);
      }
      return true;
    case 0x14: // FEQ, FLT, FLE
      if (f3 > 2) return false;
      w.compare(rd, rs1, rs2, f3, dbl);
      return true;
    case 0x18: { // FCVT.{W,WU,L,LU}.{S,D}
      if (rs2 > 3 || f3 === 4 || f3 === 5 || f3 === 6) return false;
      w.toInt(rd, rs1, rs2, f3, dbl);
      return true;
    }
    case 0x1a: { // FCVT.{S,D}.{W,WU,L,LU}
      if (rs2 > 3) return false;
      // Exact conversions (D.W, D.WU) give the same result in any valid static mode.
      const exact = dbl && rs2 < 2;
      const rm: Rm | null = exact && f3 <= 4 ? 'rne' : arithRm(f3);
      if (rm === null) return false;
      w.fromInt(rd, rs1, rs2, dbl, rm);
      return true;
    }
    case 0x1c: // FMV.X.{W,D} (FCLASS is the interpreter's)
      if (rs2 !== 0 || f3 !== 0) return false;
      w.moveToX(rd, rs1, dbl);
      return true;
    case 0x1e: // FMV.{W,D}.X
      if (rs2 !== 0 || f3 !== 0) return false;
      w.moveFromX(rd, rs1, dbl);
      return true;
    default:
      return false;
  }
}

/** Push the i32 "translated FP code may run this" for an instruction that reads or writes FP state. */
export function pushFpLegal(f: FunctionBody, area: number, rm: Rm): void {
  f.get(area).mem(Op.i32_load, AREA_FP_MODE, 2);
  if (rm === 'dyn') f.i32(FP_MODE_FS_DIRTY | FP_MODE_RNE).op(Op.i32_and).i32(FP_MODE_FS_DIRTY | FP_MODE_RNE).op(Op.i32_eq);
  else f.i32(FP_MODE_FS_DIRTY).op(Op.i32_and);
}

class FpWriter {
  private readonly f: FunctionBody;
  private readonly fo: number;
  /** The area-base local (FpSite.area). */
  private readonly a: number;
  constructor(private readonly site: FpSite, private readonly L: FpLocals) {
    this.f = site.f;
    this.fo = AREA_F;
    this.a = site.area;
  }

  // ---- registers

  private pushD(r: number): void { this.f.get(this.a).mem(Op.f64_load, this.fo + 8 * r, 3); }
  private pushS(r: number): void { this.f.get(this.a).mem(Op.f32_load, this.fo + 8 * r, 2); }
  /** Push whether f[r] holds a NaN-boxed single. */
  private pushBoxed(r: number): void { this.f.get(this.a).mem(Op.i32_load, this.fo + 8 * r + 4, 2).i32(-1).op(Op.i32_eq); }
  private setD(r: number, local: number): void { this.f.get(this.a).get(local).mem(Op.f64_store, this.fo + 8 * r, 3); }
  private setS(r: number, local: number): void {
    this.f.get(this.a).get(local).mem(Op.f32_store, this.fo + 8 * r, 2);
    this.f.get(this.a).i32(-1).mem(Op.i32_store, this.fo + 8 * r + 4, 2);
  }
  /** fflags |= the i32 (0 or 1 = NX) that `nx` pushes. */
  private raiseNx(nx: () => void): void {
    const f = this.f, at = AREA_FFLAGS;
    f.get(this.a); f.get(this.a).mem(Op.i32_load, at, 2); nx(); f.op(Op.i32_or).mem(Op.i32_store, at, 2);
  }
  private legal(rm: Rm): void {
    pushFpLegal(this.f, this.site.area, rm);
    this.f.op(Op.i32_and);
  }
  /** Push |x| in [lo, hi] for the f64 local x. */
  private inRange(x: number, lo: number, hi: number): void {
    const f = this.f;
    f.get(x).op(Op.f64_abs).f64(lo).op(Op.f64_ge);
    f.get(x).op(Op.f64_abs).f64(hi).op(Op.f64_le).op(Op.i32_and);
  }
  /** Push x*y - p exactly (Dekker's TwoProduct; see the fast ranges), for f64 locals x, y, p. */
  private productError(x: number, y: number, p: number): void {
    const f = this.f;
    const [, , , t, xh, xl, yh, yl] = this.L.d;
    f.f64(SPLIT).get(x).op(Op.f64_mul).tee(t).get(t).get(x).op(Op.f64_sub).op(Op.f64_sub).set(xh);
    f.get(x).get(xh).op(Op.f64_sub).set(xl);
    f.f64(SPLIT).get(y).op(Op.f64_mul).tee(t).get(t).get(y).op(Op.f64_sub).op(Op.f64_sub).set(yh);
    f.get(y).get(yh).op(Op.f64_sub).set(yl);
    f.get(xh).get(yh).op(Op.f64_mul).get(p).op(Op.f64_sub);
    f.get(xh).get(yl).op(Op.f64_mul).op(Op.f64_add);
    f.get(xl).get(yh).op(Op.f64_mul).op(Op.f64_add);
    f.get(xl).get(yl).op(Op.f64_mul).op(Op.f64_add);
  }
  /** Push "x*y is not exactly a" (f64 locals; p gets RN(x*y)). */
  private productDiffers(x: number, y: number, a: number): void {
    const f = this.f, p = this.L.d[8];
    f.get(x).get(y).op(Op.f64_mul).tee(p).get(a).op(Op.f64_ne);
    this.productError(x, y, p);
    f.f64(0).op(Op.f64_ne).op(Op.i32_or);
  }

  // ---- arithmetic

  addD(rd: number, rs1: number, rs2: number, sub: boolean, rm: Rm): void {
    const f = this.f, [a, b, r] = this.L.d;
    this.pushD(rs1); f.set(a);
    this.pushD(rs2); if (sub) f.op(Op.f64_neg); f.set(b);
    f.get(a).get(b).op(Op.f64_add).tee(r).op(Op.f64_abs).f64(INF).op(Op.f64_lt);
    this.legal(rm);
    this.site.guard(() => {
      this.setD(rd, r);
      this.raiseNx(() => { // RN(s - big) != small
        f.get(r);
        f.get(a).get(b).get(a).op(Op.f64_abs).get(b).op(Op.f64_abs).op(Op.f64_ge).op(Op.select);
        f.op(Op.f64_sub);
        f.get(b).get(a).get(a).op(Op.f64_abs).get(b).op(Op.f64_abs).op(Op.f64_ge).op(Op.select);
        f.op(Op.f64_ne);
      });
    });
  }

  addS(rd: number, rs1: number, rs2: number, sub: boolean, rm: Rm): void {
    const f = this.f, [a, b, r] = this.L.s;
    this.pushS(rs1); f.set(a);
    this.pushS(rs2); if (sub) f.op(Op.f32_neg); f.set(b);
    f.get(a).get(b).op(Op.f32_add).tee(r).op(Op.f32_abs).f32(INF).op(Op.f32_lt);
    this.pushBoxed(rs1); f.op(Op.i32_and); this.pushBoxed(rs2); f.op(Op.i32_and);
    this.legal(rm);
    this.site.guard(() => {
      this.setS(rd, r);
      this.raiseNx(() => {
        f.get(r);
        f.get(a).get(b).get(a).op(Op.f32_abs).get(b).op(Op.f32_abs).op(Op.f32_ge).op(Op.select);
        f.op(Op.f32_sub);
        f.get(b).get(a).get(a).op(Op.f32_abs).get(b).op(Op.f32_abs).op(Op.f32_ge).op(Op.select);
        f.op(Op.f32_ne);
      });
    });
  }

  mulD(rd: number, rs1: number, rs2: number, rm: Rm): void {
    const f = this.f, [a, b, r] = this.L.d, ok = this.L.w;
    this.pushD(rs1); f.set(a);
    this.pushD(rs2); f.set(b);
    f.get(a).get(b).op(Op.f64_mul).set(r);
    // fast1: the TwoProduct range; fast2: an exact zero (an operand is zero, the other finite).
    this.inRange(r, MUL_LO, MUL_HI);
    f.get(a).op(Op.f64_abs).f64(MUL_OPERAND).op(Op.f64_lt).op(Op.i32_and);
    f.get(b).op(Op.f64_abs).f64(MUL_OPERAND).op(Op.f64_lt).op(Op.i32_and).tee(ok);
    f.get(r).f64(0).op(Op.f64_eq);
    f.get(a).f64(0).op(Op.f64_eq).get(b).f64(0).op(Op.f64_eq).op(Op.i32_or).op(Op.i32_and);
    f.op(Op.i32_or);
    this.legal(rm);
    this.site.guard(() => {
      this.setD(rd, r);
      this.raiseNx(() => {
        f.get(ok);
        this.productError(a, b, r);
        f.f64(0).op(Op.f64_ne).op(Op.i32_and);
      });
    });
  }

  mulS(rd: number, rs1: number, rs2: number, rm: Rm): void {
    const f = this.f, [p] = this.L.d, [a, b, r] = this.L.s;
    this.pushS(rs1); f.set(a);
    this.pushS(rs2); f.set(b);
    f.get(a).op(Op.f64_promote_f32).get(b).op(Op.f64_promote_f32).op(Op.f64_mul).tee(p); // exact
    f.op(Op.f32_demote_f64).set(r);
    this.pushNormalS(r);
    f.get(p).f64(0).op(Op.f64_eq).op(Op.i32_or);
    this.pushBoxed(rs1); f.op(Op.i32_and); this.pushBoxed(rs2); f.op(Op.i32_and);
    this.legal(rm);
    this.site.guard(() => {
      this.setS(rd, r);
      this.raiseNx(() => { f.get(r).op(Op.f64_promote_f32).get(p).op(Op.f64_ne); });
    });
  }

  /** Push: the f32 local x is finite with |x| > the smallest normal (so its rounding did not underflow). */
  private pushNormalS(x: number): void {
    const f = this.f;
    f.get(x).op(Op.f32_abs).f32(F32_MIN_NORMAL).op(Op.f32_gt);
    f.get(x).op(Op.f32_abs).f32(INF).op(Op.f32_lt).op(Op.i32_and);
  }

  divD(rd: number, rs1: number, rs2: number, rm: Rm): void {
    const f = this.f, [a, b, q] = this.L.d, ok = this.L.w;
    this.pushD(rs1); f.set(a);
    this.pushD(rs2); f.set(b);
    f.get(a).get(b).op(Op.f64_div).set(q);
    this.inRange(a, DIV_LO, DIV_HI); this.inRange(b, DIV_LO, DIV_HI); f.op(Op.i32_and);
    this.inRange(q, DIV_LO, DIV_HI); f.op(Op.i32_and).tee(ok);
    f.get(a).f64(0).op(Op.f64_eq).get(q).f64(0).op(Op.f64_eq).op(Op.i32_and).op(Op.i32_or); // 0 / nonzero (or inf)
    this.legal(rm);
    this.site.guard(() => {
      this.setD(rd, q);
      this.raiseNx(() => { f.get(ok); this.productDiffers(q, b, a); f.op(Op.i32_and); });
    });
  }

  divS(rd: number, rs1: number, rs2: number, rm: Rm): void {
    const f = this.f, [q] = this.L.d, [a, b, r] = this.L.s, ok = this.L.w;
    this.pushS(rs1); f.set(a);
    this.pushS(rs2); f.set(b);
    f.get(a).op(Op.f64_promote_f32).get(b).op(Op.f64_promote_f32).op(Op.f64_div).tee(q);
    f.op(Op.f32_demote_f64).set(r);
    this.pushNormalS(r); f.tee(ok);
    f.get(a).f32(0).op(Op.f32_eq).get(q).f64(0).op(Op.f64_eq).op(Op.i32_and).op(Op.i32_or);
    this.pushBoxed(rs1); f.op(Op.i32_and); this.pushBoxed(rs2); f.op(Op.i32_and);
    this.legal(rm);
    this.site.guard(() => {
      this.setS(rd, r);
      this.raiseNx(() => { // r*b (exact in f64) != a
        f.get(ok);
        f.get(r).op(Op.f64_promote_f32).get(b).op(Op.f64_promote_f32).op(Op.f64_mul).get(a).op(Op.f64_promote_f32).op(Op.f64_ne);
        f.op(Op.i32_and);
      });
    });
  }

  sqrtD(rd: number, rs1: number, rm: Rm): void {
    const f = this.f, [a, r] = this.L.d, ok = this.L.w;
    this.pushD(rs1); f.tee(a).op(Op.f64_sqrt).set(r);
    f.get(a).f64(DIV_LO).op(Op.f64_ge).get(a).f64(DIV_HI).op(Op.f64_le).op(Op.i32_and).tee(ok);
    f.get(a).f64(0).op(Op.f64_eq).op(Op.i32_or);
    this.legal(rm);
    this.site.guard(() => {
      this.setD(rd, r);
      this.raiseNx(() => { f.get(ok); this.productDiffers(r, r, a); f.op(Op.i32_and); });
    });
  }

  sqrtS(rd: number, rs1: number, rm: Rm): void {
    const f = this.f, [a] = this.L.s, [r] = this.L.s.slice(1), ok = this.L.w;
    this.pushS(rs1); f.tee(a).op(Op.f64_promote_f32).op(Op.f64_sqrt).op(Op.f32_demote_f64).set(r);
    f.get(a).f32(0).op(Op.f32_gt).get(a).f32(INF).op(Op.f32_lt).op(Op.i32_and).tee(ok);
    f.get(a).f32(0).op(Op.f32_eq).op(Op.i32_or);
    this.pushBoxed(rs1); f.op(Op.i32_and);
    this.legal(rm);
    this.site.guard(() => {
      this.setS(rd, r);
      this.raiseNx(() => { // r*r (exact in f64) != a
        f.get(ok);
        f.get(r).op(Op.f64_promote_f32).get(r).op(Op.f64_promote_f32).op(Op.f64_mul).get(a).op(Op.f64_promote_f32).op(Op.f64_ne);
        f.op(Op.i32_and);
      });
    });
  }

  // ---- no rounding

  sgnj(rd: number, rs1: number, rs2: number, f3: number, dbl: boolean): void {
    const f = this.f, l = this.L.l, fo = this.fo;
    pushFpLegal(f, this.site.area, 'rne');
    this.site.guard(() => {
      if (dbl) {
        f.get(this.a);
        f.get(this.a).mem(Op.i64_load, fo + 8 * rs1, 3).i64(-1, 0x7fffffff).op(Op.i64_and);
        f.get(this.a).mem(Op.i64_load, fo + 8 * rs2, 3);
        if (f3 === 1) f.i64(-1, -1).op(Op.i64_xor);
        if (f3 === 2) f.get(this.a).mem(Op.i64_load, fo + 8 * rs1, 3).op(Op.i64_xor);
        f.i64(0, 0x80000000 | 0).op(Op.i64_and).op(Op.i64_or);
        f.mem(Op.i64_store, fo + 8 * rd, 3);
        return;
      }
      // Singles: an operand that is not NaN-boxed reads as the canonical NaN.
      const unboxed = (r: number) => {
        f.get(this.a).mem(Op.i32_load, fo + 8 * r, 2).i32(0x7fc00000);
        this.pushBoxed(r); f.op(Op.select);
      };
      unboxed(rs1); f.i32(0x7fffffff).op(Op.i32_and);
      unboxed(rs2);
      if (f3 === 1) f.i32(-1).op(Op.i32_xor);
      if (f3 === 2) { unboxed(rs1); f.op(Op.i32_xor); }
      f.i32(0x80000000 | 0).op(Op.i32_and).op(Op.i32_or);
      f.op(Op.i64_extend_i32_u).i64(0, -1).op(Op.i64_or).set(l);
      f.get(this.a).get(l).mem(Op.i64_store, fo + 8 * rd, 3);
    });
  }

  minMax(rd: number, rs1: number, rs2: number, max: boolean, dbl: boolean): void {
    const f = this.f;
    if (dbl) {
      const [a, b, r] = this.L.d;
      this.pushD(rs1); f.set(a); this.pushD(rs2); f.set(b);
      f.get(a).get(a).op(Op.f64_eq).get(b).get(b).op(Op.f64_eq).op(Op.i32_and);
      this.legal('rne');
      this.site.guard(() => { f.get(a).get(b).op(max ? Op.f64_max : Op.f64_min).set(r); this.setD(rd, r); });
    } else {
      const [a, b, r] = this.L.s;
      this.pushS(rs1); f.set(a); this.pushS(rs2); f.set(b);
      f.get(a).get(a).op(Op.f32_eq).get(b).get(b).op(Op.f32_eq).op(Op.i32_and);
      this.pushBoxed(rs1); f.op(Op.i32_and); this.pushBoxed(rs2); f.op(Op.i32_and);
      this.legal('rne');
      this.site.guard(() => { f.get(a).get(b).op(max ? Op.f32_max : Op.f32_min).set(r); this.setS(rd, r); });
    }
  }

  compare(rd: number, rs1: number, rs2: number, f3: number, dbl: boolean): void {
    const f = this.f;
    if (dbl) {
      const [a, b] = this.L.d;
      this.pushD(rs1); f.set(a); this.pushD(rs2); f.set(b);
      f.get(a).get(a).op(Op.f64_eq).get(b).get(b).op(Op.f64_eq).op(Op.i32_and);
      this.legal('rne');
      this.site.guard(() => this.site.setX(rd, () => {
        f.get(a).get(b).op(f3 === 2 ? Op.f64_eq : f3 === 1 ? Op.f64_lt : Op.f64_le).op(Op.i64_extend_i32_u);
      }));
    } else {
      const [a, b] = this.L.s;
      this.pushS(rs1); f.set(a); this.pushS(rs2); f.set(b);
      f.get(a).get(a).op(Op.f32_eq).get(b).get(b).op(Op.f32_eq).op(Op.i32_and);
      this.pushBoxed(rs1); f.op(Op.i32_and); this.pushBoxed(rs2); f.op(Op.i32_and);
      this.legal('rne');
      this.site.guard(() => this.site.setX(rd, () => {
        f.get(a).get(b).op(f3 === 2 ? Op.f32_eq : f3 === 1 ? Op.f32_lt : Op.f32_le).op(Op.i64_extend_i32_u);
      }));
    }
  }

  // ---- conversions

  cvtDS(rd: number, rs1: number): void {
    const f = this.f, [a] = this.L.s, [r] = this.L.d;
    this.pushS(rs1); f.tee(a).get(a).op(Op.f32_eq);
    this.pushBoxed(rs1); f.op(Op.i32_and);
    this.legal('rne');
    this.site.guard(() => { f.get(a).op(Op.f64_promote_f32).set(r); this.setD(rd, r); });
  }

  cvtSD(rd: number, rs1: number, rm: Rm): void {
    const f = this.f, [a] = this.L.d, [r] = this.L.s;
    this.pushD(rs1); f.tee(a).op(Op.f32_demote_f64).set(r);
    this.pushNormalS(r);
    f.get(a).f64(0).op(Op.f64_eq).op(Op.i32_or);
    this.legal(rm);
    this.site.guard(() => {
      this.setS(rd, r);
      this.raiseNx(() => { f.get(r).op(Op.f64_promote_f32).get(a).op(Op.f64_ne); });
    });
  }

  /** FCVT.{W,WU,L,LU}.{S,D}: rm 0-3 static, or dynamic with frm RNE. */
  toInt(rd: number, rs1: number, kind: number, f3: number, dbl: boolean): void {
    const f = this.f, [a, r] = this.L.d;
    if (dbl) this.pushD(rs1);
    else {
      this.pushS(rs1);
      f.op(Op.f64_promote_f32);
    }
    f.tee(a);
    f.op(f3 === 1 ? Op.f64_trunc : f3 === 2 ? Op.f64_floor : f3 === 3 ? Op.f64_ceil : Op.f64_nearest).set(r);
    // In range after rounding (NaN fails every comparison); outside, the interpreter raises NV.
    const [lo, hi, hiIncl] = kind === 0 ? [-(2 ** 31), 2 ** 31 - 1, true] : kind === 1 ? [0, 2 ** 32 - 1, true]
      : kind === 2 ? [-(2 ** 63), 2 ** 63, false] : [0, 2 ** 64, false];
    f.get(r).f64(lo).op(Op.f64_ge).get(r).f64(hi).op(hiIncl ? Op.f64_le : Op.f64_lt).op(Op.i32_and);
    if (!dbl) { this.pushBoxed(rs1); f.op(Op.i32_and); }
    this.legal(f3 === 7 ? 'dyn' : 'rne');
    this.site.guard(() => {
      this.site.setX(rd, () => {
        f.get(r);
        if (kind === 0) f.op(Op.i32_trunc_f64_s).op(Op.i64_extend_i32_s);
        else if (kind === 1) f.op(Op.i32_trunc_f64_u).op(Op.i64_extend_i32_s); // WU results are sign-extended
        else f.op(kind === 2 ? Op.i64_trunc_f64_s : Op.i64_trunc_f64_u);
      });
      this.raiseNx(() => { f.get(r).get(a).op(Op.f64_ne); });
    });
  }

  /** FCVT.{S,D}.{W,WU,L,LU}: inexact iff the magnitude has more significant bits than the format. */
  fromInt(rd: number, rs1: number, kind: number, dbl: boolean, rm: Rm): void {
    const f = this.f, l = this.L.l, [rD] = this.L.d, [rS] = this.L.s;
    pushFpLegal(f, this.site.area, rm);
    this.site.guard(() => {
      this.site.getX(rs1);
      if (kind === 0) f.op(Op.i32_wrap_i64).op(Op.i64_extend_i32_s);
      else if (kind === 1) f.op(Op.i32_wrap_i64).op(Op.i64_extend_i32_u);
      f.set(l);
      const signed = kind === 0 || kind === 2;
      if (dbl) {
        // W and WU go through the extended i64: exact; L and LU are rounded once (nearest-even).
        f.get(l).op(signed ? Op.f64_convert_i64_s : Op.f64_convert_i64_u).set(rD);
        this.setD(rd, rD);
        if (kind >= 2) this.raiseNx(() => this.pushWide(l, kind === 2, 53));
      } else {
        f.get(l).op(signed ? Op.f32_convert_i64_s : Op.f32_convert_i64_u).set(rS);
        this.setS(rd, rS);
        this.raiseNx(() => this.pushWide(l, kind === 0 || kind === 2, 24));
      }
    });
  }

  /**
   * Push: the i64 local v (signed: its magnitude, as unsigned; 2^63 for the most negative) has more
   * than `bits` significant bits. Overwrites v.
   */
  private pushWide(v: number, signed: boolean, bits: number): void {
    const f = this.f, m = v;
    if (signed) f.i64(0, 0).get(v).op(Op.i64_sub).get(v).get(v).i64(0, 0).op(Op.i64_lt_s).op(Op.select).set(m);
    f.get(m).op(Op.i64_clz).get(m).op(Op.i64_ctz).op(Op.i64_add).i64(64 - bits, 0).op(Op.i64_lt_s);
  }

  // ---- moves (no flags, no NaN checks)

  moveToX(rd: number, rs1: number, dbl: boolean): void {
    const f = this.f, fo = this.fo;
    pushFpLegal(f, this.site.area, 'rne');
    this.site.guard(() => this.site.setX(rd, () => {
      if (dbl) f.get(this.a).mem(Op.i64_load, fo + 8 * rs1, 3);
      else f.get(this.a).mem(Op.i64_load32_s, fo + 8 * rs1, 2);
    }));
  }

  moveFromX(rd: number, rs1: number, dbl: boolean): void {
    const f = this.f, fo = this.fo;
    pushFpLegal(f, this.site.area, 'rne');
    this.site.guard(() => {
      f.get(this.a);
      this.site.getX(rs1);
      if (!dbl) f.i64(-1, 0).op(Op.i64_and).i64(0, -1).op(Op.i64_or);
      f.mem(Op.i64_store, fo + 8 * rd, 3);
    });
  }
}
