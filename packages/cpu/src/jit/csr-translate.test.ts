/**
 * CSR accesses in the middle of translated blocks against the interpreter: a block no longer ends
 * at every CSR instruction, so what the code after one assumed (interrupts, the FP mode, the page
 * walk's root, the privilege checks) must be exactly as the interpreter has it. Each program loops
 * with CSR accesses between ordinary instructions, stopped at many points: hart state and RAM must
 * match the interpreter's each time, and the end state is checked against values worked out here
 * from the privileged spec.
 */
import { describe, expect, it } from 'vitest';
import { MSTATUS } from '../csr-numbers.js';
import { Hart } from '../hart.js';
import { peekCsr } from '../peek.js';
import type { HartEngine } from '../hart.js';
import type { Ram } from '../ram.js';
import { addi, B, csrrs, csrrw, I, ld, R } from '../testing/encode.js';
import { lockstepHarts } from '../testing/lockstep.js';
import { BASE, testHart } from '../testing/machine.js';

const csrrc = (rd: number, csr: number, rs1: number) => I(csr, rs1, 3, rd, 0x73);
const csrrwi = (rd: number, csr: number, imm: number) => I(csr, imm, 5, rd, 0x73);
const csrrsi = (rd: number, csr: number, imm: number) => I(csr, imm, 6, rd, 0x73);
const csrrci = (rd: number, csr: number, imm: number) => I(csr, imm, 7, rd, 0x73);
const add = (rd: number, rs1: number, rs2: number) => R(0, rs2, rs1, 0, rd, 0x33);
const faddD = (rd: number, rs1: number, rs2: number, rm = 7) => R(0x01, rs2, rs1, rm, rd, 0x53);
const fmvXD = (rd: number, rs1: number) => R(0x71, 0, rs1, 0, rd, 0x53);
const blt = (rs1: number, rs2: number, off: number) => B(off, rs2, rs1, 4);
const spin = B(0, 0, 0, 0);
const MRET = 0x30200073, SRET = 0x10200073;
const CSR = { misa: 0x301, fflags: 0x001, frm: 0x002, cycle: 0xc00, instret: 0xc02, sstatus: 0x100, sscratch: 0x140, sepc: 0x141, scause: 0x142, stval: 0x143, satp: 0x180, mstatus: 0x300, mepc: 0x341, mcause: 0x342, mscratch: 0x340, mhartid: 0xf14 };

/** Word offsets: the entry (M-mode), the code under test, the M-mode trap handler, the S-mode one. */
const CODE = 0x40, M_HANDLER = 0x200, S_HANDLER = 0x300;

/**
 * A program: `entry` at BASE (M-mode; may mret into `code`), `code` at BASE + CODE, an M-mode
 * handler that counts traps in x21, sums mcause in x20 and skips the instruction, and `sHandler`.
 */
function program(entry: number[], code: number[], sHandler: number[] = [spin]): number[] {
  const p: number[] = [];
  const at = (off: number, words: number[]) => { while (p.length < off / 4) p.push(spin); p.push(...words); };
  at(0, entry);
  at(CODE, code);
  at(M_HANDLER, [csrrs(22, CSR.mepc, 0), addi(22, 22, 4), csrrw(0, CSR.mepc, 22), csrrs(23, CSR.mcause, 0), add(20, 20, 23), addi(21, 21, 1), MRET]);
  at(S_HANDLER, sHandler);
  return p;
}

/** Enter `code` in privilege `priv` (mret with MPP = priv; x28, x29 are the entry's scratch). */
const enter = (priv: number): number[] => [addi(28, 0, 1), I(31, 28, 1, 28, 0x13), /* x28 = 1 << 31 = BASE */ addi(28, 28, CODE), csrrw(0, CSR.mepc, 28), addi(29, 0, priv), I(11, 29, 1, 29, 0x13), csrrs(0, CSR.mstatus, 29), MRET];

interface Setup { regs: Record<number, bigint>; hart?: (h: Hart) => void; ram?: (ram: Ram) => void; behaviourVersion?: number }

function hartWith(p: number[], engine: HartEngine, s: Setup): { h: Hart; ram: Ram } {
  const { hart, ram } = testHart(p);
  s.ram?.(ram);
  const h = new Hart(hart.bus, { engine, jitThreshold: 1, codeCache: null, behaviourVersion: s.behaviourVersion });
  h.pc = BigInt(BASE);
  h.mtvec = BigInt(BASE + M_HANDLER);
  h.stvec = BigInt(BASE + S_HANDLER);
  for (const [r, v] of Object.entries(s.regs)) h.setX(Number(r), v);
  s.hart?.(h);
  return { h, ram };
}

function lockstep(p: number[], s: Setup, stops: number[]): { a: Hart; b: Hart } {
  return lockstepHarts((engine) => hartWith(p, engine, s), stops);
}

/** Every step for the first `n`, then sparser. */
const stops = (n: number, end: number): number[] => {
  const out: number[] = [];
  for (let i = 1; i <= n; i++) out.push(i);
  for (let i = n + 7; i < Math.min(end, 600); i += 37) out.push(i);
  for (let i = 1601; i < end; i += 997) out.push(i); // long runs: whole passes translated
  out.push(end);
  return out;
};

describe('CSR accesses inside translated blocks vs the interpreter', () => {
  it('setting sstatus.SIE with an interrupt pending traps right after the csrrsi, every pass', () => {
    // S-mode; SSIP pending, delegated, enabled in sie. The handler counts (x21), clears SPIE so
    // that sret leaves SIE off, and returns to the instruction after the csrrsi.
    const code = [addi(5, 5, 1), csrrsi(0, CSR.sstatus, 2), addi(6, 6, 1), csrrci(0, CSR.sstatus, 2), addi(10, 10, 1), blt(10, 13, -20), spin];
    const sHandler = [addi(21, 21, 1), csrrc(0, CSR.sstatus, 24), SRET];
    const setup: Setup = {
      regs: { 13: 200n, 24: BigInt(MSTATUS.SPIE) },
      hart: (h) => { h.mideleg = 0x2; h.mie = 0x2; h.mipSoft = 0x2; },
    };
    const { a, b } = lockstep(program(enter(1), code, sHandler), setup, stops(60, 2400));
    expect(a.getX(10)).toBe(200n);
    expect(a.getX(21)).toBe(200n); // one interrupt a pass
    expect(b.getX(6)).toBe(200n);
    expect(b.scause).toBe((1n << 63n) | 1n);
    expect(b.sepc).toBe(BigInt(BASE + CODE + 8)); // the addi after the csrrsi
  });

  it('enabling a pending interrupt in mie mid-block traps right after the csrrs (M-mode, MIE set)', () => {
    // MSIP pending, mstatus.MIE set, mie.MSIE clear; the handler (at the S-handler slot) counts
    // and clears MSIE again, and returns to the instruction after the csrrs.
    const code = [addi(5, 5, 1), csrrs(0, 0x304, 24), addi(6, 6, 1), addi(10, 10, 1), blt(10, 13, -16), spin];
    const handler = [addi(21, 21, 1), csrrc(0, 0x304, 24), MRET];
    const setup: Setup = {
      regs: { 13: 200n, 24: 8n },
      hart: (h) => { h.mtvec = BigInt(BASE + S_HANDLER); h.mstatus = MSTATUS.MIE; h.setIrq('msip', true); },
    };
    const { a, b } = lockstep(program([B(CODE, 0, 0, 0)], code, handler), setup, stops(60, 3000));
    expect(a.getX(10)).toBe(200n);
    expect(a.getX(21)).toBe(200n);
    expect(b.mcause).toBe((1n << 63n) | 3n);
    expect(b.mepc).toBe(BigInt(BASE + CODE + 8));
  });

  it('with nothing pending, masking and unmasking interrupts mid-block changes nothing else', () => {
    const code = [addi(5, 5, 1), csrrsi(0, CSR.sstatus, 2), csrrs(7, CSR.sstatus, 0), add(8, 8, 7), csrrci(0, CSR.sstatus, 2), addi(10, 10, 1), blt(10, 13, -24), spin];
    const { a } = lockstep(program(enter(1), code), { regs: { 13: 300n }, hart: (h) => { h.mideleg = 0x2; h.mie = 0x2; } }, stops(40, 2500));
    expect(a.getX(10)).toBe(300n);
    expect(a.getX(21)).toBe(0n);
  });

  it('FS set Off by a CSR write: the FP instruction after it in the same block is illegal; frm written mid-block rounds the next fadd', () => {
    const code = [
      csrrs(0, CSR.mstatus, 26), // FS = Dirty
      faddD(3, 1, 2), // dynamic rm: RNE
      csrrwi(0, CSR.frm, 1), // RTZ
      faddD(4, 1, 2),
      csrrwi(0, CSR.frm, 0),
      fmvXD(7, 3), add(8, 8, 7), fmvXD(7, 4), add(9, 9, 7),
      csrrc(0, CSR.mstatus, 26), // FS = Off
      faddD(5, 1, 2, 0), // illegal (static RNE: the native path's guard): skipped by the handler
      addi(10, 10, 1), blt(10, 13, -48), spin,
    ];
    const setup: Setup = {
      regs: { 13: 100n, 26: BigInt(MSTATUS.FS) },
      hart: (h) => {
        const f = h.state().f.map((v, i) => (i === 1 ? 0x3ff0_0000_0000_0000n : i === 2 ? 0x3ca8_0000_0000_0000n : v)); // 1.0, 0.75 ulp of 1.0
        h.restore({ ...h.state(), f });
        h.mstatus = MSTATUS.FS;
      },
    };
    const { a, b } = lockstep(program([B(CODE, 0, 0, 0)], code), setup, stops(50, 4000));
    expect(a.getX(10)).toBe(100n);
    expect(a.getX(21)).toBe(100n); // one illegal instruction a pass
    expect(a.getX(20)).toBe(200n); // cause 2 each time
    expect(b.getX(8)).toBe(BigInt.asUintN(64, 100n * 0x3ff0_0000_0000_0001n)); // RNE: 1 + 1 ulp
    expect(b.getX(9)).toBe(BigInt.asUintN(64, 100n * 0x3ff0_0000_0000_0000n)); // RTZ: 1.0
    expect(b.mstatus & MSTATUS.FS).toBe(0);
  });

  it('satp written mid-block: the next load walks the new root', () => {
    // Two Sv39 roots: both map the code's gigapage; 0x4000_0000 maps to a different 4 KiB page
    // under each (A: holds 0x1111..., B: 0x2222...); 0x4000_1000 is unmapped under both. A pass
    // loads through A, then B, then faults (the trap makes the dispatcher start again, so that a
    // walk root left over from the last pass would be the wrong one).
    const root = [0x10000, 0x11000], l1 = [0x12000, 0x14000], l0 = [0x13000, 0x15000], data = [0x20000, 0x21000];
    const ptr = (off: number) => (BigInt((BASE + off) >>> 12) << 10n) | 1n;
    const leaf = (off: number) => (BigInt((BASE + off) >>> 12) << 10n) | 0xcfn; // V R W X A D
    const code = [
      csrrw(0, CSR.satp, 11), ld(7, 9, 0), add(8, 8, 7),
      csrrw(0, CSR.satp, 12), ld(7, 9, 0), add(8, 8, 7),
      addi(14, 0, 1), I(12, 14, 1, 14, 0x13), add(14, 14, 9), ld(7, 14, 0), // the fault: x14 = 0x4000_1000
      addi(10, 10, 1), blt(10, 13, -44), spin,
    ];
    const setup: Setup = {
      regs: { 9: 0x4000_0000n, 11: (8n << 60n) | BigInt((BASE + root[0]) >>> 12), 12: (8n << 60n) | BigInt((BASE + root[1]) >>> 12), 13: 150n },
      ram: (ram) => {
        for (const k of [0, 1]) {
          ram.view.setBigUint64(root[k] + 8 * 2, (BigInt(BASE >>> 12) << 10n) | 0xcfn, true); // the code, a gigapage
          ram.view.setBigUint64(root[k] + 8 * 1, ptr(l1[k]), true);
          ram.view.setBigUint64(l1[k], ptr(l0[k]), true);
          ram.view.setBigUint64(l0[k], leaf(data[k]), true);
          ram.view.setBigUint64(data[k], k === 0 ? 0x1111_1111_1111_1111n : 0x2222_2222_2222_2222n, true);
        }
      },
    };
    const { a, b } = lockstep(program(enter(1), code), setup, stops(60, 5000));
    expect(a.getX(10)).toBe(150n);
    expect(a.getX(21)).toBe(150n); // one load page fault a pass
    expect(a.getX(20)).toBe(150n * 13n);
    expect(b.getX(8)).toBe(BigInt.asUintN(64, 150n * 0x3333_3333_3333_3333n));
    expect(b.satp).toBe((8n << 60n) | BigInt((BASE + root[1]) >>> 12));
  });

  it('read-only CSRs: csrrs/csrrc with rs1 = x0 read them, a write (or a set with rs1 != x0) is illegal', () => {
    const code = [
      csrrs(7, CSR.instret, 0), add(8, 8, 7),
      csrrc(7, CSR.cycle, 0), add(8, 8, 7),
      csrrs(7, CSR.mhartid, 0), add(8, 8, 7),
      csrrs(0, CSR.cycle, 5), // illegal
      csrrwi(0, CSR.instret, 0), // illegal: csrrw always writes
      csrrw(7, CSR.mscratch, 8), csrrs(9, CSR.mscratch, 0),
      addi(10, 10, 1), blt(10, 13, -44), spin,
    ];
    const { a } = lockstep(program([B(CODE, 0, 0, 0)], code), { regs: { 5: 1n, 13: 120n } }, stops(40, 4000));
    expect(a.getX(10)).toBe(120n);
    expect(a.getX(21)).toBe(240n);
    expect(a.getX(20)).toBe(480n);
  });

  it('CSRs above U-mode from U-mode, mid-block: illegal at the exact instruction; cycle allowed by the counter enables', () => {
    const code = [
      addi(5, 5, 1),
      csrrs(7, CSR.sstatus, 0), // illegal
      csrrs(7, CSR.cycle, 0), add(8, 8, 7), // allowed (mcounteren, scounteren)
      csrrw(0, CSR.sscratch, 5), // illegal
      csrrs(7, CSR.fflags, 0), // illegal: FS is Off
      addi(10, 10, 1), blt(10, 13, -28), spin,
    ];
    const { a } = lockstep(program(enter(0), code), { regs: { 13: 150n }, hart: (h) => { h.mcounteren = 7; h.scounteren = 7; } }, stops(60, 5000));
    expect(a.getX(10)).toBe(150n);
    expect(a.getX(21)).toBe(450n);
    expect(a.priv).toBe(0);
  });

  it('trap CSRs and misa, translated: S-mode reads and writes its own mid-block (swap, set, clear, immediates, sepc bit 0); M-mode ones and misa are illegal from S at the exact instruction', () => {
    const code = [
      csrrw(7, CSR.sscratch, 5), csrrs(8, CSR.sscratch, 0), // x8 = x5
      csrrw(6, CSR.sscratch, 6), // rd = rs1: x6 gets x5, sscratch x6's old value
      csrrwi(0, CSR.sepc, 7), csrrsi(9, CSR.sepc, 1), csrrci(0, CSR.sepc, 4), csrrs(11, CSR.sepc, 0), // 6, then 6 | 1 without bit 0, then 2
      csrrs(7, CSR.mscratch, 0), // illegal
      csrrw(0, CSR.mepc, 5), // illegal
      csrrs(7, CSR.misa, 0), // illegal
      csrrc(12, CSR.stval, 6), csrrs(14, CSR.scause, 5), add(15, 15, 12),
      addi(10, 10, 1), blt(10, 13, -56), spin,
    ];
    const { a, b } = lockstep(program(enter(1), code), { regs: { 5: 0x1234_5678_9abc_def1n, 6: 0x77n, 13: 90n } }, stops(60, 5000));
    expect(a.getX(10)).toBe(90n);
    expect(a.getX(21)).toBe(270n); // three illegal instructions a pass
    expect(a.getX(20)).toBe(270n * 2n); // each cause 2 (illegal instruction)
    expect(a.getX(8)).toBe(0x1234_5678_9abc_def1n);
    expect(a.getX(9)).toBe(6n);
    expect(a.getX(11)).toBe(2n);
    expect(b.sepc).toBe(2n);
    expect(b.priv).toBe(1);
    expect(b.engineStats.compiled).toBeGreaterThan(0);
  });

  // ECALL ends a block and takes its trap where it runs (no throw through the block): the same
  // cause, epc, privilege and step count in both engines.
  const ECALL = 0x00000073;
  for (const c of [
    { from: 'U', to: 'M', priv: 0, medeleg: 0, cause: 8n },
    { from: 'U', to: 'S (delegated)', priv: 0, medeleg: 1 << 8, cause: 8n },
    { from: 'S', to: 'M', priv: 1, medeleg: 1 << 8, cause: 9n },
  ]) {
    it(`ECALL from ${c.from} to ${c.to}, ending a translated block every pass, traps exactly as the interpreter does`, () => {
      const code = [addi(5, 5, 1), ECALL, addi(6, 6, 1), addi(10, 10, 1), blt(10, 13, -16), spin];
      // The S handler, like the M one: skip the ecall, count (x21), sum the causes (x20).
      const sHandler = [csrrs(22, CSR.sepc, 0), addi(22, 22, 4), csrrw(0, CSR.sepc, 22), csrrs(23, CSR.scause, 0), add(20, 20, 23), addi(21, 21, 1), SRET];
      const { a, b } = lockstep(program(enter(c.priv), code, sHandler), { regs: { 13: 200n }, hart: (h) => { h.medeleg = c.medeleg; } }, stops(40, 4000));
      expect(a.getX(10)).toBe(200n);
      expect(a.getX(21)).toBe(200n);
      expect(a.getX(20)).toBe(200n * c.cause);
      expect(b.priv).toBe(c.priv);
      const [cause, epc] = c.to === 'M' ? [b.mcause, b.mepc] : [b.scause, b.sepc];
      expect(cause).toBe(c.cause);
      expect(epc).toBe(BigInt(BASE + CODE + 8)); // the ecall's pc, plus 4 from the handler
    });
  }

  // Behaviour version 2 (hart-behaviour.ts): sstatus bits 35:34 read 0 (WPRI in sstatus: SXL is only
  // in mstatus; privileged spec v1.12, 4.1.1). Version 1, which recordings made before keep, showed
  // SXL = 2 there as mstatus does. mstatus is the same in both.
  for (const engine of ['interp', 'wasm'] as const) for (const version of [1, 2]) {
    it(`${engine}, hart behaviour version ${version}: the number path's values (sepc drops bit 0, 64-bit set/clear, sstatus with SD and UXL${version === 1 ? ' and SXL' : ', no SXL'})`, () => {
      const code = [
        csrrw(0, CSR.sepc, 5), csrrs(15, CSR.sepc, 0),
        csrrw(0, CSR.sscratch, 5), csrrc(16, CSR.sscratch, 6), csrrs(17, CSR.sscratch, 0),
        csrrwi(0, CSR.scause, 0), csrrsi(0, CSR.scause, 5), csrrs(18, CSR.scause, 0),
        csrrw(19, CSR.stval, 6), csrrs(24, CSR.stval, 0),
        csrrs(25, CSR.sstatus, 0),
        csrrw(0, CSR.mepc, 5), csrrs(26, CSR.mepc, 0), csrrs(27, CSR.misa, 0),
        csrrs(29, CSR.mstatus, 0), csrrc(0, CSR.mstatus, 30), csrrs(0, CSR.mstatus, 31), csrrs(28, CSR.mstatus, 0), // MPP = 2 (reserved) becomes U
        addi(10, 10, 1), blt(10, 13, -76), spin,
      ];
      const h = hartWith(program([B(CODE, 0, 0, 0)], code), engine, {
        behaviourVersion: version,
        regs: { 5: 0xffff_ffff_0000_0003n, 6: 0xf000_0000_0000_000fn, 13: 5n, 30: BigInt(MSTATUS.MPP), 31: 2n << 11n },
        hart: (h) => { h.mstatus = MSTATUS.FS | MSTATUS.SIE | MSTATUS.MPP | MSTATUS.SUM; },
      }).h;
      h.run(300);
      expect(h.getX(10)).toBe(5n);
      expect(h.getX(15)).toBe(0xffff_ffff_0000_0002n);
      expect(h.getX(16)).toBe(0xffff_ffff_0000_0003n);
      expect(h.getX(17)).toBe(0x0fff_ffff_0000_0000n);
      expect(h.getX(18)).toBe(5n);
      expect(h.getX(19)).toBe(0xf000_0000_0000_000fn); // the previous pass's
      expect(h.getX(24)).toBe(0xf000_0000_0000_000fn);
      expect(h.behaviourVersion).toBe(version);
      // SD, UXL = 2 (and SXL = 2 in version 1); MPP is not in sstatus.
      const sxl = version === 1 ? 2n << 34n : 0n;
      const sstatus = (1n << 63n) | sxl | (2n << 32n) | BigInt(MSTATUS.SUM | MSTATUS.FS | MSTATUS.SIE);
      expect(h.getX(25)).toBe(sstatus);
      expect(peekCsr(h, CSR.sstatus)).toBe(sstatus); // the BigInt path (csr.ts's readCsr), as debuggers and seek read it
      expect(h.getX(26)).toBe(0xffff_ffff_0000_0002n);
      const letters = 'ACDFIMSU'.split('').reduce((m, c) => m | (1n << BigInt(c.charCodeAt(0) - 65)), 0n);
      expect(h.getX(27)).toBe((2n << 62n) | letters); // MXL = 2 (64-bit), RV64IMAFDC + S, U
      const status = (1n << 63n) | (2n << 34n) | (2n << 32n) | BigInt(MSTATUS.SUM | MSTATUS.FS | MSTATUS.SIE); // SD, SXL, UXL
      expect(h.getX(29)).toBe(status); // MPP is U from the first pass on
      expect(h.getX(28)).toBe(status);
      expect(peekCsr(h, CSR.mstatus)).toBe(status);
      // FS Initial: no SD; the XLEN fields as before.
      h.mstatus = (h.mstatus & ~MSTATUS.FS) | (1 << 13);
      expect(peekCsr(h, CSR.sstatus)).toBe(sxl | (2n << 32n) | BigInt(MSTATUS.SUM | (1 << 13) | MSTATUS.SIE));
      expect(peekCsr(h, CSR.mstatus)).toBe((2n << 34n) | (2n << 32n) | BigInt(MSTATUS.SUM | (1 << 13) | MSTATUS.SIE));
      if (engine === 'wasm') expect(h.engineStats.compiled).toBeGreaterThan(0);
    });
  }
});
