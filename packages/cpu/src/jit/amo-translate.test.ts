/**
 * AMOs and FP stores in translated code against the interpreter: loops of every translated AMO
 * (.W and .D, operands of both signs) and an FSD with mstatus.FS Clean, stopped at many points,
 * must reach the interpreter's hart state and RAM each time; and an AMOSWAP into the loop's own
 * code must change what runs next.
 */
import { describe, expect, it } from 'vitest';
import { Hart } from '../hart.js';
import type { HartEngine } from '../hart.js';
import { MSTATUS } from '../csr-numbers.js';
import { addi, B, csrrs, csrrw, R, S } from '../testing/encode.js';
import { lockstepHarts } from '../testing/lockstep.js';
import { BASE, testHart } from '../testing/machine.js';

const amo = (f5: number, f3: number, rd: number, rs1: number, rs2: number) => R(f5 << 2, rs2, rs1, f3, rd, 0x2f);
const lr = (f3: number, rd: number, rs1: number) => amo(0x02, f3, rd, rs1, 0);
const sc = (f3: number, rd: number, rs1: number, rs2: number) => amo(0x03, f3, rd, rs1, rs2);
const add = (rd: number, rs1: number, rs2: number) => R(0, rs2, rs1, 0, rd, 0x33);
const fsd = (rs2: number, rs1: number, imm: number) => S(imm, rs2, rs1, 3, 0x27);
const blt = (rs1: number, rs2: number, off: number) => B(off, rs2, rs1, 4);
const spin = B(0, 0, 0, 0);
const MEPC = 0x341;
const MRET = 0x30200073;

/** SWAP, ADD, XOR, AND, OR, MIN, MAX, MINU, MAXU. */
const OPS = [0x01, 0x00, 0x04, 0x0c, 0x08, 0x10, 0x14, 0x18, 0x1c];

function hartWith(program: number[], engine: HartEngine, regs: Record<number, bigint>): { h: Hart; ram: import('../ram.js').Ram } {
  const { hart, ram } = testHart(program);
  const h = new Hart(hart.bus, { engine, jitThreshold: 1, codeCache: null });
  h.pc = BigInt(BASE);
  for (const [r, v] of Object.entries(regs)) h.setX(Number(r), v);
  return { h, ram };
}

function lockstepRuns(program: number[], regs: Record<number, bigint>, stopsAt: number[], setup?: (h: Hart) => void): { a: Hart; b: Hart } {
  return lockstepHarts((engine) => {
    const m = hartWith(program, engine, regs);
    setup?.(m.h);
    return m;
  }, stopsAt);
}

describe('translated AMOs and FP stores vs the interpreter', () => {
  for (const f3 of [2, 3]) {
    for (const f5 of OPS) {
      it(`AMO funct5 0x${f5.toString(16)}${f3 === 2 ? '.W' : '.D'} on operands of both signs`, () => {
        // One AMO per pass on the word at x9; x5, its operand, walks over both signs (x5 += x6);
        // x8 sums the old values. Stops mid-loop, then straight to the end.
        const p = [amo(f5, f3, 7, 9, 5), add(8, 8, 7), add(5, 5, 6), addi(10, 10, 1), blt(10, 11, -16), spin];
        const regs = { 5: 0x8000_0000_7fff_fffdn, 6: 0x9e37_79b9_7f4a_7c15n, 9: BigInt(BASE + 0x8000), 11: 3000n };
        const { a } = lockstepRuns(p, regs, [1, 2, 3, 7, 100, 101, 2503, 15_010, 30_000]);
        expect(a.getX(10)).toBe(3000n); // the loop ran to its end
      });
    }
  }

  for (const f3 of [2, 3]) {
    it(`LR/SC${f3 === 2 ? '.W' : '.D'}: a reserved update succeeds, a second SC and an SC elsewhere fail`, () => {
      const p = [
        lr(f3, 7, 9), add(7, 7, 5), sc(f3, 12, 9, 7), add(8, 8, 12), // x12 = 0: the update went in
        sc(f3, 13, 9, 7), add(8, 8, 13), // x13 = 1: the first SC used the reservation up
        lr(f3, 14, 9), sc(f3, 15, 16, 14), add(8, 8, 15), // x15 = 1: reserved at x9, stored at x16
        add(5, 5, 6), addi(10, 10, 1), blt(10, 11, -44), spin,
      ];
      const regs = { 5: 0x8000_0000_7fff_fffdn, 6: 0x9e37_79b9_7f4a_7c15n, 9: BigInt(BASE + 0x8000), 16: BigInt(BASE + 0x8010), 11: 1000n };
      const { a } = lockstepRuns(p, regs, [1, 2, 3, 4, 5, 9, 100, 101, 4007, 13_000]);
      expect(a.getX(10)).toBe(1000n);
      expect(a.getX(8)).toBe(2000n); // two failed SCs a pass
    });
  }

  for (const [fs, name] of [[2, 'Clean'], [1, 'Initial'], [0, 'Off']] as const) {
    it(`FSD with mstatus.FS ${name}: ${fs === 0 ? 'an illegal instruction' : 'stored, FS left as it was'}`, () => {
      const p = [fsd(1, 9, 8), addi(9, 9, 8), addi(10, 10, 1), blt(10, 11, -12), spin];
      // At +0x100, the trap handler: count the trap (x21), skip the instruction, return.
      while (p.length < 64) p.push(spin);
      p.push(csrrs(22, MEPC, 0), addi(22, 22, 4), csrrw(0, MEPC, 22), addi(21, 21, 1), MRET);
      const setup = (h: Hart) => {
        h.mtvec = BigInt(BASE + 0x100);
        h.mstatus = (h.mstatus & ~MSTATUS.FS) | (fs << 13);
        h.restore({ ...h.state(), f: h.state().f.map((v, i) => (i === 1 ? 0x4009_21fb_5444_2d18n : v)) });
      };
      const { a, b } = lockstepRuns(p, { 9: BigInt(BASE + 0x8000), 11: 300n }, [1, 2, 5, 6, 50, 120, 203, 600, 901, 1203, 5000], setup);
      expect(b.mstatus & MSTATUS.FS).toBe(fs << 13);
      expect(a.getX(10)).toBe(300n);
      expect(a.getX(21)).toBe(fs === 0 ? 300n : 0n); // illegal-instruction traps
    });
  }

  it('an AMOSWAP into a translated loop takes effect at the next fetch', () => {
    // 100 passes of x5 += 1, then an AMOSWAP writes `addi x5, x5, 1000` over that instruction on
    // every later pass (the same bytes after the first time: the page's blocks are dropped at every
    // swap and translated again, and the swapping block runs translated too).
    const p = [
      addi(6, 0, 100), // 0: passes before patching
      addi(0, 0, 0), // 4
      addi(5, 5, 1), // 8: patched
      addi(6, 6, -1), // 12
      B(8, 6, 0, 4), // 16: blt x0, x6, +8 -> 24 (skips the swap while x6 > 0)
      amo(0x01, 2, 15, 9, 8), // 20: amoswap.w x15, x8, (x9)
      addi(10, 10, 1), // 24: count passes
      blt(10, 11, -20), // 28: -> 8
      spin, // 32
    ];
    const regs = { 8: BigInt(addi(5, 5, 1000) >>> 0), 9: BigInt(BASE + 8), 11: 400n };
    const { a, b } = lockstepRuns(p, regs, [5, 50, 299, 300, 301, 302, 303, 500, 501, 502, 1000, 1203, 1500, 1800, 2200, 5000]);
    expect(b.engineStats.invalidations).toBeGreaterThan(0);
    expect(a.getX(15)).toBe(BigInt(addi(5, 5, 1000))); // later swaps read the first one's value
    expect(a.getX(5)).toBe(100n + 300n * 1000n);
  });
});
