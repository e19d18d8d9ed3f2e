/**
 * A bare-metal guest (no OpenSBI, no Linux) that changes what it executes and
 * reads just before a slice boundary, without the fence that would make the
 * change architecturally visible, and keeps going across the boundary:
 *
 * - phase 1 (S-mode, Sv39): loads through virtual page V, mapped to physical
 *   page A (holds 1); at icount `pteAt` it rewrites V's PTE to point to page B
 *   (holds 2), with no sfence.vma, and keeps loading until `phase1End`;
 * - phase 2: a hot loop whose body holds `addi a0, zero, 1`; at icount
 *   `codeAt` the loop rewrites that instruction, a few instructions ahead of
 *   the store in the same basic block, to `addi a0, zero, 2`, with no fence.i,
 *   and keeps running it until `phase2End`; then powers off (sifive test).
 *
 * Each pass of a loop appends (instret, value) to a log in RAM: what the guest
 * saw and when. The image is the `firmware` at 0x80000000, entered in M-mode;
 * the kernel is empty. An unexpected trap powers off with "fail".
 */
import { Asm, CSR_NUM, R, insn } from './rv64-asm.js';

export const RAM_BASE = 0x8000_0000;
/** Virtual page V (vpn2 = 1, outside the identity-mapped gigapages 0 and 2). */
export const V_ADDR = 0x4000_5000;

// Physical layout, as offsets from RAM_BASE.
const PHASE1 = 0x100;
const TRAP = 0x400;
const PARAMS = 0x600; // 64-bit parameters, within reach of `ld rd, off(gp)` from the image base
const PHASE2 = 0x1000;
const ROOT_PT = 0x3000;
const L1_PT = 0x4000;
const L0_PT = 0x5000;
const PAGE_A = 0x6000;
const PAGE_B = 0x7000;
export const LOG1 = 0x1_0000;
export const LOG2 = 0x2_0000;
const LOG_BYTES = 0x1_0000;

const PTE_V = 1, PTE_R = 2, PTE_W = 4, PTE_X = 8, PTE_A = 0x40, PTE_D = 0x80;
const pte = (paddr: number, flags: number): bigint => (BigInt(paddr) >> 12n) << 10n | BigInt(flags);
const SIFIVE_TEST = 0x10_0000;

export interface BoundaryGuestPlan {
  /** The first pass that reads instret >= this rewrites V's PTE. */
  pteAt: number;
  phase1End: number;
  /** The first pass that reads instret >= this rewrites the loop's instruction. */
  codeAt: number;
  phase2End: number;
}

export interface BoundaryGuest {
  image: Uint8Array;
  /** Physical address of the rewritten instruction. */
  targetAddr: number;
}

export function buildBoundaryGuest(plan: BoundaryGuestPlan): BoundaryGuest {
  const { zero, gp, t0, t1, t2, a0, s0, s1, s3, s4, s5, s6, s7 } = R;
  const params: [string, bigint][] = [
    ['mtvec', BigInt(RAM_BASE + TRAP)],
    ['satp', (8n << 60n) | BigInt((RAM_BASE + ROOT_PT) / 4096)], // Sv39
    ['sentry', BigInt(RAM_BASE + PHASE1)],
    ['mstatus', 1n << 11n], // MPP = S
    ['v', BigInt(V_ADDR)],
    ['log1', BigInt(RAM_BASE + LOG1)],
    ['pteAt', BigInt(plan.pteAt)],
    ['phase1End', BigInt(plan.phase1End)],
    ['pteAddr', BigInt(RAM_BASE + L0_PT + ((V_ADDR >>> 12) & 0x1ff) * 8)],
    ['pteB', pte(RAM_BASE + PAGE_B, PTE_V | PTE_R | PTE_A)],
    ['log2', BigInt(RAM_BASE + LOG2)],
    ['codeAt', BigInt(plan.codeAt)],
    ['phase2End', BigInt(plan.phase2End)],
    ['target', 0n], // the address of `target`: filled in once linked
    ['newInsn', BigInt(insn.addi(a0, zero, 2))],
    ['test', BigInt(SIFIVE_TEST)],
    ['pass', 0x5555n], // poweroff
    ['fail', 0x1_3333n], // fail, exit code 1
  ];
  /** A parameter's offset from gp (= RAM_BASE). */
  const p = (name: string): number => {
    const i = params.findIndex(([n]) => n === name);
    if (i < 0) throw new Error(`no parameter ${name}`);
    return PARAMS + 8 * i;
  };

  const a = new Asm();
  // M-mode: trap vector, Sv39, instret for S-mode, then mret into S-mode at phase1.
  a.emit(insn.auipc(gp, 0))
    .emit(insn.ld(t0, p('mtvec'), gp), insn.csrrw(zero, CSR_NUM.mtvec, t0))
    .emit(insn.ld(t0, p('satp'), gp), insn.csrrw(zero, CSR_NUM.satp, t0))
    .emit(insn.ld(t0, p('sentry'), gp), insn.csrrw(zero, CSR_NUM.mepc, t0))
    .emit(insn.ld(t0, p('mstatus'), gp), insn.csrrw(zero, CSR_NUM.mstatus, t0))
    .emit(insn.addi(t0, zero, 1 << 2), insn.csrrw(zero, CSR_NUM.mcounteren, t0)) // IR
    .emit(insn.mret());

  // Phase 1: load through V each pass; at pteAt point V at page B, with no sfence.vma.
  a.org(PHASE1)
    .emit(insn.ld(s0, p('v'), gp), insn.ld(s1, p('log1'), gp), insn.ld(s3, p('pteAt'), gp))
    .emit(insn.ld(s7, p('phase1End'), gp), insn.ld(s4, p('pteAddr'), gp), insn.ld(s5, p('pteB'), gp))
    .emit(insn.addi(s6, zero, 0))
    .label('loop1')
    .emit(insn.csrrs(t0, CSR_NUM.instret, zero))
    .emit(insn.ld(t1, 0, s0)) // through V
    .emit(insn.sd(t0, 0, s1), insn.sd(t1, 8, s1), insn.addi(s1, s1, 16))
    .bltu(t0, s3, 'next1')
    .bne(s6, zero, 'next1')
    .emit(insn.sd(s5, 0, s4)) // V -> B, no sfence.vma
    .emit(insn.addi(s6, zero, 1))
    .label('next1')
    .bltu(t0, s7, 'loop1')
    .j('phase2');

  a.org(TRAP) // M-mode, physical: power off with "fail"
    .emit(insn.ld(t0, p('test'), gp), insn.ld(t1, p('fail'), gp), insn.sw(t1, 0, t0))
    .label('hang1').j('hang1');

  a.org(PARAMS);
  for (const [, v] of params) a.dword(v);

  // Phase 2, alone in its page (translated code on that page is this loop's).
  a.org(PHASE2).label('phase2')
    .emit(insn.ld(s1, p('log2'), gp), insn.ld(s3, p('codeAt'), gp), insn.ld(s7, p('phase2End'), gp))
    .emit(insn.ld(s4, p('target'), gp), insn.ld(s5, p('newInsn'), gp), insn.addi(s6, zero, 0))
    .label('loop2')
    .emit(insn.csrrs(t0, CSR_NUM.instret, zero)) // a SYSTEM instruction: the next one starts a block
    .emit(insn.sltu(t2, t0, s3), insn.or(t2, t2, s6)) // before codeAt, or done already: no store
    .bne(t2, zero, 'target')
    .emit(insn.sw(s5, 0, s4)) // rewrite `target`, further on in this same block; no fence.i
    .emit(insn.addi(s6, zero, 1))
    .label('target')
    .emit(insn.addi(a0, zero, 1))
    .emit(insn.sd(t0, 0, s1), insn.sd(a0, 8, s1), insn.addi(s1, s1, 16))
    .bltu(t0, s7, 'loop2')
    .emit(insn.ld(t0, p('test'), gp), insn.ld(t1, p('pass'), gp), insn.sw(t1, 0, t0))
    .label('hang2').j('hang2');

  // Page tables: gigapage 0 identity (MMIO), gigapage 2 identity (RAM), V -> A through two levels.
  a.org(ROOT_PT)
    .dword(pte(0, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D))
    .dword(pte(RAM_BASE + L1_PT, PTE_V))
    .dword(pte(RAM_BASE, PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D));
  a.org(L1_PT).dword(pte(RAM_BASE + L0_PT, PTE_V));
  a.org(L0_PT + ((V_ADDR >>> 12) & 0x1ff) * 8).dword(pte(RAM_BASE + PAGE_A, PTE_V | PTE_R | PTE_A)); // A preset: walks write nothing
  a.org(PAGE_A).dword(1n);
  a.org(PAGE_B).dword(2n);

  const image = a.link();
  const targetAddr = RAM_BASE + a.at('target');
  new DataView(image.buffer).setBigUint64(p('target'), BigInt(targetAddr), true);
  return { image, targetAddr };
}

export interface LogEntry {
  /** instret read at the start of the pass: the load (phase 1) or the rewritten instruction (phase 2) retires soon after. */
  icount: number;
  value: number;
}

/** The log a phase wrote into RAM (offset LOG1 or LOG2): entries until the first unwritten one. */
export function readLog(ram: Uint8Array, at: number): LogEntry[] {
  const v = new DataView(ram.buffer, ram.byteOffset + at, LOG_BYTES);
  const out: LogEntry[] = [];
  for (let o = 0; o < LOG_BYTES; o += 16) {
    const icount = Number(v.getBigUint64(o, true));
    if (icount === 0) break;
    out.push({ icount, value: Number(v.getBigUint64(o + 8, true)) });
  }
  return out;
}
