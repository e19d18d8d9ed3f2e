/**
 * CSR reads and writes (privileged spec v1.12, chapters 2-4; Zicsr; Zicntr).
 * Access checks common to all CSRs (privilege level, read-only) are done by the
 * hart before it calls here; this file knows each register's fields and WARL rules.
 */
import { CSR, MSTATUS, PRIV_M, PRIV_S, PRIV_U } from './csr-numbers.js';
import type { Hart } from './hart.js';
import { AREA_MSCRATCH, AREA_SSCRATCH } from './hart-memory.js';

/** MXL=2 (64-bit), extensions A C D F I M S U. */
export const MISA = (2n << 62n) | BigInt((1 << 0) | (1 << 2) | (1 << 3) | (1 << 5) | (1 << 8) | (1 << 12) | (1 << 18) | (1 << 20));
/** MISA as int32 halves: the number path here, and translated code (jit/wasm-compiler.ts), which reads it as a constant. */
export const MISA_LO = Number(MISA & 0xffffffffn) | 0, MISA_HI = Number(MISA >> 32n) | 0;

const MSTATUS_WRITABLE = MSTATUS.SIE | MSTATUS.MIE | MSTATUS.SPIE | MSTATUS.MPIE | MSTATUS.SPP | MSTATUS.MPP |
  MSTATUS.FS | MSTATUS.MPRV | MSTATUS.SUM | MSTATUS.MXR | MSTATUS.TVM | MSTATUS.TW | MSTATUS.TSR;
const SSTATUS_VISIBLE = MSTATUS.SIE | MSTATUS.SPIE | MSTATUS.UBE | MSTATUS.SPP | (3 << 9) | MSTATUS.FS | MSTATUS.XS |
  MSTATUS.SUM | MSTATUS.MXR;
const SSTATUS_WRITABLE = MSTATUS.SIE | MSTATUS.SPIE | MSTATUS.SPP | MSTATUS.FS | MSTATUS.SUM | MSTATUS.MXR;
/** mstatus's UXL = SXL = 2 (64-bit, fixed), as the register's high half. */
const MSTATUS_XLEN_HI = (2 << 0) | (2 << 2);
/** sstatus's UXL = 2, as the register's high half. */
const SSTATUS_UXL_HI = 2 << 0;

/**
 * sstatus's high half but SD, for a hart of behaviour version `version` (hart-behaviour.ts): UXL = 2
 * (64-bit, fixed); bits 35:34 are WPRI in sstatus (SXL is only in mstatus), but version 1 showed
 * SXL = 2 there too. Each hart keeps its value (Hart.sstatusXlenHi).
 */
export function sstatusXlenHi(version: number): number {
  return version === 1 ? MSTATUS_XLEN_HI : SSTATUS_UXL_HI;
}

const MIP_SOFT = 0x222; // SSIP, STIP, SEIP
const MIE_MASK = 0xaaa;
const MEDELEG_MASK = 0xb3ff; // every exception except ecall from M (11) and the reserved 10, 14
const PMPADDR_MASK = (1n << 54n) - 1n;

/** mstatus's `visible` fields, SD (FS Dirty; no XS) and the high half `xlenHi` (UXL, SXL). */
function fullStatus(h: Hart, visible: number, xlenHi: number): bigint {
  const low = h.mstatus & visible;
  const sd = (low & MSTATUS.FS) === MSTATUS.FS ? 1n << 63n : 0n;
  return sd | (BigInt(xlenHi) << 32n) | BigInt(low >>> 0);
}

function counterAllowed(h: Hart, csr: number): boolean {
  const bit = 1 << (csr & 31);
  if (h.priv < PRIV_M && (h.mcounteren & bit) === 0) return false;
  if (h.priv === PRIV_U && (h.scounteren & bit) === 0) return false;
  return true;
}

function requireFp(h: Hart): void {
  if ((h.mstatus & MSTATUS.FS) === 0) h.illegal();
}

/**
 * Write mstatus (or its sstatus view). The TLBs are flushed only when a field that
 * changes address translation changed (Linux flips SIE far more often than SUM):
 * MXR, MPRV, or MPP while MPRV is set; clearing SUM drops only the supervisor's
 * entries for user pages, and setting it drops nothing (it only allows more).
 * Interrupts are rechecked always.
 */
function setStatus(h: Hart, s: number): void {
  const changed = h.mstatus ^ s;
  h.mstatus = s;
  if ((changed & (MSTATUS.MXR | MSTATUS.MPRV)) !== 0 || ((changed & MSTATUS.MPP) !== 0 && (s & MSTATUS.MPRV) !== 0)) h.flushTlb();
  else if ((changed & MSTATUS.SUM) !== 0 && (s & MSTATUS.SUM) === 0) h.dropSupervisorUserPages();
  // A CSR write leaves the privilege level as it is, so an interrupt becomes takeable only when
  // SIE or MIE goes from 0 to 1 while one is pending and enabled in mie. Otherwise the hart runs
  // on (Linux masks and unmasks SIE on every trap; translated code need not stop for that).
  if ((changed & s & (MSTATUS.SIE | MSTATUS.MIE)) !== 0 && (h.mip & h.mie) !== 0) h.attn = true;
}

/** sstatus writes: only its writable fields reach mstatus. */
function writeSstatus(h: Hart, low: number): void {
  setStatus(h, (h.mstatus & ~SSTATUS_WRITABLE) | (low & SSTATUS_WRITABLE));
}
function writeMstatus(h: Hart, low: number): void {
  let s = (h.mstatus & ~MSTATUS_WRITABLE) | (low & MSTATUS_WRITABLE);
  if (((s & MSTATUS.MPP) >>> MSTATUS.MPP_SHIFT) === 2) s &= ~MSTATUS.MPP; // MPP=2 is reserved: becomes U
  setStatus(h, s);
}

/**
 * After a write to mie or mip (or their S views): an interrupt becomes takeable only if one is
 * pending and enabled now that was not before (the level and mstatus are as they were).
 */
function interruptsChanged(h: Hart, before: number): void {
  if ((h.mip & h.mie & ~before) !== 0) h.attn = true;
}
function writeSie(h: Hart, low: number): void {
  const before = h.mip & h.mie;
  h.mie = (h.mie & ~h.mideleg) | (low & h.mideleg & MIE_MASK);
  interruptsChanged(h, before);
}
function writeSip(h: Hart, low: number): void {
  const before = h.mip & h.mie;
  const mask = 0x2 & h.mideleg; // only SSIP is writable through sip
  h.mipSoft = (h.mipSoft & ~mask) | (low & mask);
  interruptsChanged(h, before);
}

/**
 * The trap CSRs are kept in the hart's area: xscratch, xepc, xcause, xtval are the i64s at
 * AREA_SSCRATCH / AREA_MSCRATCH + 8 * (csr & 3). Their byte offset in the area, or -1 for any other
 * CSR (translated code reads and writes them there too).
 */
export function trapCsrOffset(csr: number): number {
  if (csr >= CSR.sscratch && csr <= CSR.stval) return AREA_SSCRATCH + 8 * (csr & 3);
  if (csr >= CSR.mscratch && csr <= CSR.mtval) return AREA_MSCRATCH + 8 * (csr & 3);
  return -1;
}

/** Write a trap CSR from int32 halves: xepc clears bit 0 (IALIGN=16); the others keep every bit. */
function writeTrapCsr(h: Hart, csr: number, lo: number, hi: number): void {
  const at = trapCsrOffset(csr) >>> 2;
  h.areaI32[at] = (csr & 3) === 1 ? lo & ~1 : lo;
  h.areaI32[at + 1] = hi;
}

/**
 * The CSR instructions' path without BigInt, for the registers every trap touches (Linux's and
 * the SBI firmware's): sstatus, mstatus, the trap CSRs (xscratch, xepc, xcause, xtval), sie, sip,
 * misa, mhartid. The caller did the access checks; `op` is 1 write, 2 set, 3 clear, with source
 * (sLo, sHi) when `writes`; the old value goes to x[rd]. Returns false, having done nothing, for
 * every other CSR (csrInstruction's BigInt path). Each register's rules are functions writeCsr
 * uses too. HOT PATH: written for speed.
 */
export function csrNumberPath(h: Hart, csr: number, op: number, sLo: number, sHi: number, writes: boolean, rd: number): boolean {
  let lo: number, hi: number;
  const trapAt = trapCsrOffset(csr);
  if (trapAt >= 0) {
    const at = trapAt >>> 2;
    lo = h.areaI32[at]; hi = h.areaI32[at + 1];
    if (writes) writeTrapCsr(h, csr, op === 1 ? sLo : op === 2 ? lo | sLo : lo & ~sLo, op === 1 ? sHi : op === 2 ? hi | sHi : hi & ~sHi);
  } else if (csr === CSR.sstatus || csr === CSR.mstatus) {
    const sstatus = csr === CSR.sstatus;
    lo = h.mstatus & (sstatus ? SSTATUS_VISIBLE : 0x7fffffff);
    hi = (sstatus ? h.sstatusXlenHi : MSTATUS_XLEN_HI) | ((lo & MSTATUS.FS) === MSTATUS.FS ? 1 << 31 : 0); // SD: FS Dirty (no XS)
    if (writes) {
      const v = op === 1 ? sLo : op === 2 ? lo | sLo : lo & ~sLo;
      if (sstatus) writeSstatus(h, v); else writeMstatus(h, v);
    }
  } else if (csr === CSR.misa) {
    lo = MISA_LO; hi = MISA_HI; // writes are ignored (fixed)
  } else if (csr === CSR.mhartid) {
    lo = h.hartId; hi = 0; // read-only: the caller refused writes
  } else if (csr === CSR.sie) {
    lo = h.mie & h.mideleg; hi = 0;
    if (writes) writeSie(h, op === 1 ? sLo : op === 2 ? lo | sLo : lo & ~sLo);
  } else if (csr === CSR.sip) {
    lo = h.mip & h.mideleg; hi = 0;
    if (writes) writeSip(h, op === 1 ? sLo : op === 2 ? lo | sLo : lo & ~sLo);
  } else return false;
  if (rd !== 0) { h.x[rd << 1] = lo; h.x[(rd << 1) | 1] = hi; }
  return true;
}

export function readCsr(h: Hart, csr: number): bigint {
  switch (csr) {
    case CSR.fflags: requireFp(h); return BigInt(h.fflags);
    case CSR.frm: requireFp(h); return BigInt(h.frm);
    case CSR.fcsr: requireFp(h); return BigInt((h.frm << 5) | h.fflags);
    case CSR.cycle: if (!counterAllowed(h, csr)) h.illegal(); return BigInt.asUintN(64, BigInt(h.icount) + h.mcycleBase);
    case CSR.time: if (!counterAllowed(h, csr)) h.illegal(); return h.readTime(h.icount);
    case CSR.instret: if (!counterAllowed(h, csr)) h.illegal(); return BigInt.asUintN(64, BigInt(h.icount) + h.minstretBase);
    case CSR.sstatus: return fullStatus(h, SSTATUS_VISIBLE, h.sstatusXlenHi);
    case CSR.sie: return BigInt(h.mie & h.mideleg);
    case CSR.stvec: return h.stvec;
    case CSR.scounteren: return BigInt(h.scounteren >>> 0);
    case CSR.senvcfg: return h.senvcfg;
    case CSR.sscratch: return h.sscratch;
    case CSR.sepc: return h.sepc;
    case CSR.scause: return h.scause;
    case CSR.stval: return h.stval;
    case CSR.sip: return BigInt(h.mip & h.mideleg);
    case CSR.satp:
      if (h.priv === PRIV_S && (h.mstatus & MSTATUS.TVM) !== 0) h.illegal();
      return h.satp;
    case CSR.mstatus: return fullStatus(h, 0x7fffffff, MSTATUS_XLEN_HI);
    case CSR.misa: return MISA;
    case CSR.medeleg: return BigInt(h.medeleg);
    case CSR.mideleg: return BigInt(h.mideleg);
    case CSR.mie: return BigInt(h.mie);
    case CSR.mtvec: return h.mtvec;
    case CSR.mcounteren: return BigInt(h.mcounteren >>> 0);
    case CSR.menvcfg: return h.menvcfg;
    case CSR.mcountinhibit: return BigInt(h.mcountinhibit >>> 0);
    case CSR.mscratch: return h.mscratch;
    case CSR.mepc: return h.mepc;
    case CSR.mcause: return h.mcause;
    case CSR.mtval: return h.mtval;
    case CSR.mip: return BigInt(h.mip);
    case CSR.mcycle: return BigInt.asUintN(64, BigInt(h.icount) + h.mcycleBase);
    case CSR.minstret: return BigInt.asUintN(64, BigInt(h.icount) + h.minstretBase);
    case CSR.tselect: case CSR.tdata1: case CSR.tdata2: case CSR.tdata3: return 0n; // no triggers
    case CSR.mvendorid: case CSR.marchid: case CSR.mimpid: case CSR.mconfigptr: return 0n;
    case CSR.mhartid: return BigInt(h.hartId);
  }
  if (csr >= 0xc03 && csr <= 0xc1f) { if (!counterAllowed(h, csr)) h.illegal(); return 0n; } // hpmcounterN
  if ((csr >= 0xb03 && csr <= 0xb1f) || (csr >= 0x323 && csr <= 0x33f)) return 0n; // mhpmcounterN, mhpmeventN
  if (csr >= CSR.pmpcfg0 && csr <= 0x3af) {
    if (csr & 1) h.illegal(); // RV64 has only even pmpcfg registers
    const i = (csr - CSR.pmpcfg0) >> 1;
    return i < 2 ? h.pmpcfg[i] : 0n;
  }
  if (csr >= CSR.pmpaddr0 && csr <= 0x3ef) {
    const i = csr - CSR.pmpaddr0;
    return i < 16 ? h.pmpaddr[i] : 0n;
  }
  return h.illegal();
}

export function writeCsr(h: Hart, csr: number, v: bigint): void {
  const low = Number(v & 0xffffffffn) | 0;
  switch (csr) {
    case CSR.fflags: requireFp(h); h.fflags = low & 0x1f; h.setFsDirty(); return;
    case CSR.frm: requireFp(h); h.frm = low & 7; h.setFsDirty(); return;
    case CSR.fcsr: requireFp(h); h.fflags = low & 0x1f; h.frm = (low >> 5) & 7; h.setFsDirty(); return;
    case CSR.sstatus: writeSstatus(h, low); return;
    case CSR.sie: writeSie(h, low); return;
    case CSR.stvec: h.stvec = v & ~2n; return;
    case CSR.scounteren: h.scounteren = low; return;
    case CSR.senvcfg: h.senvcfg = v & 1n; return;
    case CSR.sscratch: case CSR.sepc: case CSR.scause: case CSR.stval:
    case CSR.mscratch: case CSR.mepc: case CSR.mcause: case CSR.mtval:
      writeTrapCsr(h, csr, low, Number((v >> 32n) & 0xffffffffn) | 0);
      return;
    case CSR.sip: writeSip(h, low); return;
    case CSR.satp: {
      if (h.priv === PRIV_S && (h.mstatus & MSTATUS.TVM) !== 0) h.illegal();
      const mode = v >> 60n;
      if (mode !== 0n && mode !== 8n) return; // WARL: unsupported modes (Sv48, Sv57) leave satp unchanged
      h.satp = mode === 0n ? 0n : v;
      h.flushTlb();
      return;
    }
    case CSR.mstatus: writeMstatus(h, low); return;
    case CSR.misa: return; // fixed
    case CSR.medeleg: h.medeleg = low & MEDELEG_MASK; return;
    case CSR.mideleg: h.mideleg = low & MIP_SOFT; h.attn = true; return;
    case CSR.mie: { const before = h.mip & h.mie; h.mie = low & MIE_MASK; interruptsChanged(h, before); return; }
    case CSR.mtvec: h.mtvec = v & ~2n; return;
    case CSR.mcounteren: h.mcounteren = low; return;
    case CSR.menvcfg: h.menvcfg = v & 1n; return;
    case CSR.mcountinhibit: h.mcountinhibit = low & ~2; return;
    case CSR.mip: { const before = h.mip & h.mie; h.mipSoft = (h.mipSoft & ~MIP_SOFT) | (low & MIP_SOFT); interruptsChanged(h, before); return; }
    // The write happens before this instruction retires, so the next read must see v: subtract the step to come.
    case CSR.mcycle: h.mcycleBase = v - BigInt(h.icount) - 1n; return;
    case CSR.minstret: h.minstretBase = v - BigInt(h.icount) - 1n; return;
    case CSR.tselect: case CSR.tdata1: case CSR.tdata2: case CSR.tdata3: return;
  }
  if ((csr >= 0xb03 && csr <= 0xb1f) || (csr >= 0x323 && csr <= 0x33f)) return;
  if (csr >= CSR.pmpcfg0 && csr <= 0x3af) {
    const i = (csr - CSR.pmpcfg0) >> 1;
    if (i >= 2) return;
    let out = 0n;
    for (let b = 0; b < 8; b++) {
      const oldByte = Number((h.pmpcfg[i] >> BigInt(8 * b)) & 0xffn);
      let nb = Number((v >> BigInt(8 * b)) & 0xffn) & 0x9f;
      if (oldByte & 0x80) nb = oldByte; // locked
      else if ((nb & 3) === 2) nb &= ~3; // R=0, W=1 is reserved
      out |= BigInt(nb) << BigInt(8 * b);
    }
    h.pmpcfg[i] = out;
    return;
  }
  if (csr >= CSR.pmpaddr0 && csr <= 0x3ef) {
    const i = csr - CSR.pmpaddr0;
    if (i >= 16) return;
    const cfg = (n: number) => Number((h.pmpcfg[n >> 3] >> BigInt(8 * (n & 7))) & 0xffn);
    if (cfg(i) & 0x80) return; // locked
    if (i < 15 && (cfg(i + 1) & 0x80) && ((cfg(i + 1) >> 3) & 3) === 1) return; // next entry is a locked TOR
    h.pmpaddr[i] = v & PMPADDR_MASK;
    return;
  }
  // Read-only or absent: the hart checked read-only numbers; anything else is absent.
  h.illegal();
}

