/**
 * The hart's traps: taking an exception or interrupt (delegation, the trap CSRs, the vector),
 * picking the pending interrupt, and the privileged instructions that return from traps or
 * touch CSRs (ECALL, EBREAK, xRET, WFI, SFENCE.VMA, Zicsr). Functions of the hart (hart.ts).
 * The TRAP sentinel is how an instruction is abandoned: `hart.exc` throws it, `run` catches it.
 */
import { CAUSE, CSR, IRQ, MSTATUS, PRIV_M, PRIV_S, PRIV_U } from './csr-numbers.js';
import { csrNumberPath, readCsr, writeCsr } from './csr.js';
import type { Hart } from './hart.js';
import { flushTlb, flushTlbPage, privSwitched } from './hart-mmu.js';
import { toBig } from './u64.js';

/** Thrown inside the hart to abandon the current instruction and take a trap. Not an Error: no stack capture. */
export const TRAP = { trap: true };
/** Sentinel tval: "the encoding of the instruction at pc". */
export const TVAL_FROM_INSN = -1n;

export function takeTrap(h: Hart, cause: number, interrupt: boolean, tval: bigint): void {
  const from = h.priv;
  const epc = toBig(h.pcLo, h.pcHi);
  const deleg = interrupt ? h.mideleg : h.medeleg;
  const causeVal = (interrupt ? 1n << 63n : 0n) | BigInt(cause);
  let s = h.mstatus;
  let vec: bigint;
  if (from <= PRIV_S && ((deleg >>> cause) & 1) !== 0) {
    h.scause = causeVal;
    h.sepc = BigInt.asUintN(64, epc);
    h.stval = BigInt.asUintN(64, tval);
    s = (s & ~(MSTATUS.SPIE | MSTATUS.SIE | MSTATUS.SPP)) | ((s & MSTATUS.SIE) ? MSTATUS.SPIE : 0) | (from === PRIV_S ? MSTATUS.SPP : 0);
    h.priv = PRIV_S;
    vec = h.stvec;
  } else {
    h.mcause = causeVal;
    h.mepc = BigInt.asUintN(64, epc);
    h.mtval = BigInt.asUintN(64, tval);
    s = (s & ~(MSTATUS.MPIE | MSTATUS.MIE | MSTATUS.MPP)) | ((s & MSTATUS.MIE) ? MSTATUS.MPIE : 0) | (from << MSTATUS.MPP_SHIFT);
    h.priv = PRIV_M;
    vec = h.mtvec;
  }
  h.mstatus = s;
  let target = vec & ~3n;
  if (interrupt && (vec & 3n) === 1n) target += BigInt(4 * cause);
  h.pc = target;
  h.reservation = -1;
  privSwitched(h);
  h.hooks.onTrap?.(h, cause, interrupt, from);
}

/** Take the highest-priority pending and enabled interrupt, if any. */
export function takePendingInterrupt(h: Hart): boolean {
  const pending = h.mip & h.mie;
  if (pending === 0) return false;
  const m = pending & ~h.mideleg;
  if (m !== 0 && (h.priv < PRIV_M || (h.mstatus & MSTATUS.MIE) !== 0)) {
    takeTrap(h, highestInterrupt(m), true, 0n);
    return true;
  }
  const s = pending & h.mideleg;
  if (s !== 0 && (h.priv < PRIV_S || (h.priv === PRIV_S && (h.mstatus & MSTATUS.SIE) !== 0))) {
    takeTrap(h, highestInterrupt(s), true, 0n);
    return true;
  }
  return false;
}

/**
 * ECALL, EBREAK, xRET, WFI, SFENCE.VMA, with h.pc and h.icount at the instruction. Returns 1 when
 * pc was set (xRET, ECALL), 2 for a WFI that stops. ECALL takes its trap here rather than throwing
 * TRAP: both engines then go on at the trap vector as after an xRET, the trap counting as the step
 * as it does after run()'s catch. Thrown through translated code, a trap costs V8 ~10 µs of
 * unwinding, and Linux makes ~9,000 SBI and system calls in the smoke workload.
 */
export function systemInstruction(h: Hart, insn: number, rd: number): number {
  if (insn === 0x00000073) { // ECALL
    takeTrap(h, h.priv === PRIV_U ? CAUSE.ECALL_U : h.priv === PRIV_S ? CAUSE.ECALL_S : CAUSE.ECALL_M, false, 0n);
    return 1;
  }
  if (insn === 0x00100073) h.exc(CAUSE.BREAKPOINT, h.pc); // EBREAK
  if (insn === 0x30200073) { // MRET
    if (h.priv !== PRIV_M) h.illegal();
    const s = h.mstatus;
    const mpp = (s & MSTATUS.MPP) >>> MSTATUS.MPP_SHIFT;
    let ns = (s & ~(MSTATUS.MIE | MSTATUS.MPP)) | ((s & MSTATUS.MPIE) ? MSTATUS.MIE : 0) | MSTATUS.MPIE;
    if (mpp !== PRIV_M) ns &= ~MSTATUS.MPRV;
    h.mstatus = ns;
    h.priv = mpp;
    h.pc = h.mepc & ~1n;
    privSwitched(h);
    h.hooks.onXret?.(h, mpp);
    return 1;
  }
  if (insn === 0x10200073) { // SRET
    if (h.priv === PRIV_U || (h.priv === PRIV_S && (h.mstatus & MSTATUS.TSR) !== 0)) h.illegal();
    const s = h.mstatus;
    const spp = (s & MSTATUS.SPP) ? PRIV_S : PRIV_U;
    h.mstatus = ((s & ~(MSTATUS.SIE | MSTATUS.SPP)) | ((s & MSTATUS.SPIE) ? MSTATUS.SIE : 0) | MSTATUS.SPIE) & ~MSTATUS.MPRV;
    h.priv = spp;
    h.pc = h.sepc & ~1n;
    privSwitched(h);
    h.hooks.onXret?.(h, spp);
    return 1;
  }
  if (insn === 0x10500073) { // WFI
    if (h.priv === PRIV_U || (h.priv === PRIV_S && (h.mstatus & MSTATUS.TW) !== 0)) h.illegal();
    return (h.mip & h.mie) === 0 ? 2 : 0;
  }
  if ((insn >>> 25) === 0x09 && rd === 0) { // SFENCE.VMA
    if (h.priv === PRIV_U || (h.priv === PRIV_S && (h.mstatus & MSTATUS.TVM) !== 0)) h.illegal();
    const rs1 = (insn >> 15) & 31;
    if (rs1 === 0) flushTlb(h);
    else flushTlbPage(h, h.x[rs1 << 1], h.x[(rs1 << 1) | 1]); // any ASID: we keep none in the TLB
    return 0;
  }
  h.illegal();
}

/** CSRRW, CSRRS, CSRRC and their immediate forms (Zicsr). */
export function csrInstruction(h: Hart, insn: number, rd: number, rs1: number, f3: number): void {
  const csr = insn >>> 20;
  if (f3 === 4) h.illegal();
  const imm = f3 >= 5;
  const op = f3 & 3; // 1 = write, 2 = set, 3 = clear
  const writes = op === 1 || rs1 !== 0;
  // Privilege and read-only checks (csr[9:8] = lowest privilege, csr[11:10] = 3 means read-only).
  if (((csr >>> 8) & 3) > h.priv) h.illegal();
  if (writes && (csr >>> 10) === 3) h.illegal();
  // The registers every trap touches (Linux's, the SBI firmware's), without BigInt; the rest below.
  if (csrNumberPath(h, csr, op, imm ? rs1 : h.x[rs1 << 1], imm ? 0 : h.x[(rs1 << 1) | 1], writes, rd)) return;
  const src = imm ? BigInt(rs1) : toBig(h.x[rs1 << 1], h.x[(rs1 << 1) | 1]);
  const old = readCsr(h, csr); // also raises illegal-instruction for a CSR that does not exist
  if (writes) {
    // mip: a read-modify-write works on the software-writable bits only; the value read ORs in the
    // external SEIP line, which must not be latched into the software bit (privileged spec 3.1.9).
    const base = csr === CSR.mip ? BigInt(h.mipSoft) : old;
    const v = op === 1 ? src : op === 2 ? base | src : base & ~src;
    writeCsr(h, csr, BigInt.asUintN(64, v));
  }
  if (rd !== 0) h.setX(rd, old);
}

/** Highest-priority interrupt in a mask: MEI, MSI, MTI, SEI, SSI, STI. */
function highestInterrupt(mask: number): number {
  if (mask & (1 << IRQ.MEI)) return IRQ.MEI;
  if (mask & (1 << IRQ.MSI)) return IRQ.MSI;
  if (mask & (1 << IRQ.MTI)) return IRQ.MTI;
  if (mask & (1 << IRQ.SEI)) return IRQ.SEI;
  if (mask & (1 << IRQ.SSI)) return IRQ.SSI;
  if (mask & (1 << IRQ.STI)) return IRQ.STI;
  return 31 - Math.clz32(mask);
}
