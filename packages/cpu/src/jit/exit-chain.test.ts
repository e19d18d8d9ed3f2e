/**
 * Exits through a block module's exit table (wasm-compiler.ts, wasm-engine.ts): blocks of one
 * page compiled into different modules go straight into each other. The 'wasm' engine against
 * the interpreter on programs made of such chains, stopped at every step of the first passes and
 * at pseudo-random positions later (run(until) landing inside a chain), with side exits taken at
 * varying positions, an interrupt raised in the middle of a chain, and a chain rewriting the
 * block it goes into next.
 */
import { describe, expect, it } from 'vitest';
import { BusFault } from '../bus.js';
import type { Bus } from '../bus.js';
import { Hart } from '../hart.js';
import type { HartEngine } from '../hart.js';
import { Ram } from '../ram.js';
import { addi, B, csrrs, csrrw, I, R, S } from '../testing/encode.js';
import { everyStep, lockstepPair, stops } from '../testing/lockstep.js';
import { BASE } from '../testing/machine.js';
import { CodeCache } from './code-cache.js';

const jal = (rd: number, imm: number) =>
  ((((imm >> 20) & 1) << 31) | (((imm >> 1) & 0x3ff) << 21) | (((imm >> 11) & 1) << 20) | (((imm >> 12) & 0xff) << 12) | (rd << 7) | 0x6f) >>> 0;
const andi = (rd: number, rs1: number, imm: number) => I(imm, rs1, 7, rd, 0x13);
const sw = (rs2: number, rs1: number, imm: number) => S(imm, rs2, rs1, 2, 0x23);
const MRET = 0x30200073;
/** MMIO: a store to RAISE sets msip, a store to CLEAR clears it. */
const RAISE = 0x10000000, CLEAR = 0x10000004;

/** Blocks in the ring (more than a module's 32), 32 bytes apart from RING in one page; block k goes on to block (k + 7) % 40. */
const K = 40, RING = 0x100, HANDLER = 0xc00;
const blockAt = (k: number) => RING + 32 * k;

interface Options {
  /** Block k raises msip (a store to RAISE) when k is this. */
  raiseIn?: number;
  /** Block k rewrites the first instruction of the block it goes into next: x8 ^= x12, then x8 into (x10), so it alternates between two instructions. */
  patchIn?: number;
}

/**
 * The program, from BASE: a prologue (mtvec, mie.MSIE, mstatus.MIE from x1..x3), then the ring.
 * Block k: x5 += k + 1; x11 += 1; every 8th block (x11 & 7 == 0) goes to block (k + 13) % 40 (a
 * side exit after 4 steps); [a store]; go to block (k + 7) % 40. The trap handler counts in x7,
 * clears msip, mret.
 */
function program(o: Options): Map<number, number> {
  const p = new Map<number, number>();
  const put = (at: number, words: number[]) => words.forEach((w, i) => p.set(at + 4 * i, w));
  put(0, [csrrw(0, 0x305, 1), csrrs(0, 0x304, 2), csrrs(0, 0x300, 3), jal(0, RING - 12)]);
  for (let k = 0; k < K; k++) {
    const at = blockAt(k);
    const words = [addi(5, 5, k + 1), addi(11, 11, 1), andi(6, 11, 7), B(blockAt((k + 13) % K) - (at + 12), 0, 6, 0)];
    if (k === o.raiseIn) words.push(sw(0, 9, 0));
    else if (k === o.patchIn) words.push(R(0, 12, 8, 4, 8, 0x33), sw(8, 10, 0)); // x8 ^= x12: each pass writes the other instruction
    words.push(jal(0, blockAt((k + 7) % K) - (at + 4 * words.length)));
    put(at, words);
  }
  put(HANDLER, [addi(7, 7, 1), sw(0, 9, 4), MRET]);
  return p;
}

function machine(o: Options, engine: HartEngine, codeCache: CodeCache | null): Hart {
  const ram = new Ram(BASE, 1 << 20);
  let hart: Hart | null = null;
  const bus: Bus = {
    ram,
    load: (pa) => { throw new BusFault(pa, false); },
    store: (pa) => {
      if (pa === RAISE) hart!.setIrq('msip', true);
      else if (pa === CLEAR) hart!.setIrq('msip', false);
      else throw new BusFault(pa, true);
    },
  };
  for (const [at, w] of program(o)) ram.view.setUint32(at, w, true);
  hart = new Hart(bus, { engine, jitThreshold: 1, codeCache });
  hart.pc = BigInt(BASE);
  hart.setX(1, BigInt(BASE + HANDLER));
  hart.setX(2, 8n); // mie.MSIE
  hart.setX(3, 8n); // mstatus.MIE
  hart.setX(8, BigInt(addi(5, 5, 1000)));
  hart.setX(12, BigInt((addi(5, 5, 1000) ^ addi(5, 5, 2000)) >>> 0));
  hart.setX(9, BigInt(RAISE));
  if (o.patchIn !== undefined) hart.setX(10, BigInt(BASE + blockAt((o.patchIn + 7) % K)));
  return hart;
}



describe('wasm engine: exits through the exit table (blocks of one page in different modules)', () => {
  for (const cache of ['no code cache', 'a code cache'] as const) {
    it(`matches the interpreter at every step, then at random stops; the dispatcher is not entered per block (${cache})`, () => {
      const a = machine({}, 'interp', null);
      const b = machine({}, 'wasm', cache === 'a code cache' ? new CodeCache() : null);
      lockstepPair(a, b, [...everyStep(600), ...stops(17, 60, 200_000).map((n) => n + 600)]);
      expect(b.engineStats.translated).toBeGreaterThan(32); // at least two modules
      // One long run: chains stay in WebAssembly (without the exit table, every exit from one
      // module into another would come back to the dispatcher: thousands of trips).
      const before = b.engineStats.dispatcherTrips;
      lockstepPair(a, b, [400_000]);
      expect(b.engineStats.dispatcherTrips - before).toBeLessThan(20);
      expect(a.getX(7)).toBe(0n);
    });
  }

  it('an interrupt raised in the middle of a chain is taken at the same step', () => {
    const a = machine({ raiseIn: 22 }, 'interp', null);
    const b = machine({ raiseIn: 22 }, 'wasm', null);
    lockstepPair(a, b, [...everyStep(1500), ...stops(5, 60, 100_000).map((n) => n + 1500)]);
    expect(a.getX(7)).toBeGreaterThan(100n); // the handler ran
    expect(b.engineStats.translated).toBeGreaterThan(32);
  });

  // Rewriting blocks at several places of the ring: some of these pairs lie in one module, others
  // in two (an exit-table slot, which must not keep the old block).
  for (const cache of ['no code cache', 'a code cache'] as const) for (const patchIn of [3, 10, 17, 24, 31, 38]) {
    it(`a chain that rewrites the block it goes into next runs the new instruction (block ${patchIn}, ${cache})`, () => {
      const a = machine({ patchIn }, 'interp', null);
      const b = machine({ patchIn }, 'wasm', cache === 'a code cache' ? new CodeCache() : null);
      lockstepPair(a, b, [...everyStep(1500), ...stops(11, 60, 60_000).map((n) => n + 1500)]);
      expect(b.engineStats.invalidations).toBeGreaterThan(0);
      expect(a.getX(5)).toBeGreaterThan(1000n * 100n); // the patched instructions ran, many times
    });
  }
});
