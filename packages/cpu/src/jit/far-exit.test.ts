/**
 * Exits into another page through a guarded exit-table slot (wasm-compiler.ts farExitCode,
 * wasm-engine.ts FarSlot): the 'wasm' engine against the interpreter, compared in full at every
 * step of the first passes and at pseudo-random stops later, on
 * - a ring of blocks spread over six pages, each jumping into another page (with and without a
 *   code cache shared with an earlier machine, whose blocks the second one installs);
 * - the same ring where a block rewrites the block in another page it jumps into next;
 * - a breakpoint set on a block in another page once its callers' slots point at it;
 * - Sv39 paging where the caller's target page is mapped, again and again, to another physical
 *   page holding other code (a PTE store and sfence.vma between passes): a slot must never run
 *   the block of the page it was bound to while the TLB maps the other one.
 */
import { describe, expect, it } from 'vitest';
import { BusFault } from '../bus.js';
import type { Bus } from '../bus.js';
import { Hart } from '../hart.js';
import type { HartEngine } from '../hart.js';
import { Ram } from '../ram.js';
import { addi, B, csrrs, csrrw, I, NOP, R, S, sd } from '../testing/encode.js';
import { everyStep, lockstepPair, stops } from '../testing/lockstep.js';
import { BASE } from '../testing/machine.js';
import { CodeCache } from './code-cache.js';

const jal = (rd: number, imm: number) =>
  ((((imm >> 20) & 1) << 31) | (((imm >> 1) & 0x3ff) << 21) | (((imm >> 11) & 1) << 20) | (((imm >> 12) & 0xff) << 12) | (rd << 7) | 0x6f) >>> 0;
const andi = (rd: number, rs1: number, imm: number) => I(imm, rs1, 7, rd, 0x13);
const sw = (rs2: number, rs1: number, imm: number) => S(imm, rs2, rs1, 2, 0x23);
const xor = (rd: number, rs1: number, rs2: number) => R(0, rs2, rs1, 4, rd, 0x33);
const MRET = 0x30200073;
const SFENCE_VMA = 0x12000073;

function ramMachine(words: Map<number, number>, engine: HartEngine, codeCache: CodeCache | null): Hart {
  const ram = new Ram(BASE, 1 << 20);
  const bus: Bus = { ram, load: (pa) => { throw new BusFault(pa, false); }, store: (pa) => { throw new BusFault(pa, true); } };
  for (const [at, w] of words) ram.view.setUint32(at, w, true);
  const hart = new Hart(bus, { engine, jitThreshold: 1, codeCache });
  hart.pc = BigInt(BASE);
  return hart;
}



// ---- the ring: K blocks over PAGES pages (block k in page k % PAGES); block k goes on to block
// (k + 7) % K, in the next page; every 8th pass a side exit (a branch) goes to block (k + 1) % K
// where that lies within a branch's reach. The pages start at BASE + 0x1000.
const K = 18, PAGES = 6;
const blockAt = (k: number) => 0x1000 * (1 + (k % PAGES)) + 0x100 * (1 + Math.floor(k / PAGES));

interface RingOptions {
  /** Block k rewrites the first instruction of the block it jumps into next (x8 ^= x12, then x8 into (x10)). */
  patchIn?: number;
}

function ring(o: RingOptions = {}): Map<number, number> {
  const p = new Map<number, number>();
  const put = (at: number, words: number[]) => words.forEach((w, i) => p.set(at + 4 * i, w));
  put(0, [jal(0, blockAt(0))]);
  for (let k = 0; k < K; k++) {
    const at = blockAt(k);
    const words = [addi(5, 5, k + 1), addi(11, 11, 1), andi(6, 11, 7)];
    const side = blockAt((k + 1) % K) - (at + 12);
    if (Math.abs(side) < 4000) words.push(B(side, 0, 6, 0)); // beq x6, x0: into the next page, or this one
    if (k === o.patchIn) words.push(xor(8, 8, 12), sw(8, 10, 0));
    words.push(jal(0, blockAt((k + 7) % K) - (at + 4 * words.length)));
    put(at, words);
  }
  return p;
}

function ringMachine(o: RingOptions, engine: HartEngine, codeCache: CodeCache | null): Hart {
  const h = ramMachine(ring(o), engine, codeCache);
  if (o.patchIn !== undefined) {
    h.setX(8, BigInt(addi(5, 5, 1000)));
    h.setX(12, BigInt((addi(5, 5, 1000) ^ addi(5, 5, 2000)) >>> 0));
    h.setX(10, BigInt(BASE + blockAt((o.patchIn + 7) % K)));
  }
  return h;
}

describe('wasm engine: exits into another page through guarded exit-table slots', () => {
  it('the ring matches the interpreter at every step, then at random stops; cross-page exits do not go through the dispatcher', () => {
    const a = ringMachine({}, 'interp', null);
    const b = ringMachine({}, 'wasm', null);
    lockstepPair(a, b, [...everyStep(600), ...stops(23, 60, 200_000).map((n) => n + 600)]);
    // One long run: every block exits into another page, ~50,000 times here. Through the
    // dispatcher each would be a trip.
    const before = b.engineStats.dispatcherTrips;
    lockstepPair(a, b, [500_000]);
    expect(b.engineStats.dispatcherTrips - before).toBeLessThan(20);
  });

  it('a second machine that installs the ring from the code cache binds its slots too', () => {
    const cache = new CodeCache();
    const first = ringMachine({}, 'wasm', cache);
    first.run(100_000);
    const a = ringMachine({}, 'interp', null);
    const b = ringMachine({}, 'wasm', cache);
    lockstepPair(a, b, [...everyStep(300), ...stops(29, 40, 100_000).map((n) => n + 300)]);
    expect(b.engineStats.fromCache).toBeGreaterThan(K);
    const before = b.engineStats.dispatcherTrips;
    lockstepPair(a, b, [300_000]);
    expect(b.engineStats.dispatcherTrips - before).toBeLessThan(20);
  });

  for (const patchIn of [2, 9, 16]) {
    it(`a block that rewrites the block in another page it jumps into next runs the new instruction (block ${patchIn})`, () => {
      const a = ringMachine({ patchIn }, 'interp', null);
      const b = ringMachine({ patchIn }, 'wasm', null);
      lockstepPair(a, b, [...everyStep(1500), ...stops(31, 60, 100_000).map((n) => n + 1500)]);
      expect(b.engineStats.invalidations).toBeGreaterThan(20);
      expect(a.getX(5)).toBeGreaterThan(1000n * 1000n); // the patched instructions ran, many times
    });
  }

  it('a breakpoint on a block that other pages\' slots point at stops there, at the same steps as the interpreter', () => {
    const target = BigInt(BASE + blockAt(7));
    const a = ringMachine({}, 'interp', null);
    const b = ringMachine({}, 'wasm', null);
    lockstepPair(a, b, [20_000]); // hot: block 0's slot points at block 7
    const hits: Record<string, number[]> = { a: [], b: [] };
    for (const [name, h] of [['a', a], ['b', b]] as const) {
      h.watchFetches([target], (_pc, icount) => !hits[name].includes(icount));
      while (h.icount < 40_000) if (h.run(40_000) === 'stop') hits[name].push(h.icount);
    }
    expect(hits.b).toEqual(hits.a);
    expect(hits.a.length).toBeGreaterThan(100);
    expect(b.state()).toEqual(a.state());
  });
});

// ---- Sv39: the caller at virtual page V0 jumps into V1 and back. Every SWITCH passes it stores
// the other PTE into V1's slot (through V2, which maps the level-0 table) and runs sfence.vma, so
// V1 alternates between physical page X (x6 += 1) and Y (x14 += 1, in two more steps).
const ROOT = 0x1_0000, L1 = 0x1_1000, L0 = 0x1_2000, CALLER = 0x2_0000, X = 0x2_1000, Y = 0x2_2000;
const VA = 0x4000_0000; // vpn2 = 1, vpn1 = 0: V0, V1, V2 are pages 0, 1, 2 of L0
const SWITCH = 37;
const PTE_V = 1, PTE_R = 2, PTE_W = 4, PTE_X = 8, PTE_A = 0x40, PTE_D = 0x80;
const pte = (physOff: number, flags: number) => BigInt(((BASE + physOff) / 4096) * 1024 + flags);

function pagedMachine(engine: HartEngine, codeCache: CodeCache | null): Hart {
  const p = new Map<number, number>();
  const put = (at: number, words: number[]) => words.forEach((w, i) => p.set(at + 4 * i, w));
  // M-mode: satp from x1, mepc = x2, mstatus.MPP = S (x3), mret.
  put(0, [csrrw(0, 0x180, 1), csrrw(0, 0x341, 2), csrrs(0, 0x300, 3), MRET]);
  put(CALLER, [
    addi(5, 5, 1), //       0
    addi(7, 7, 1), //       4
    B(20, 9, 7, 1), //      8: bne x7, x9, 28
    sd(10, 8, 8), //       12: V1's PTE = x10
    xor(10, 10, 13), //    16: the other PTE next time
    addi(7, 0, 0), //      20
    SFENCE_VMA, //         24
    jal(0, 0x1000 - 28), // 28: into V1
  ]);
  put(X, [addi(6, 6, 1), jal(0, -0x1000 - 4)]);
  put(Y, [addi(14, 14, 1), NOP, NOP, jal(0, -0x1000 - 12)]);
  const h = ramMachine(p, engine, codeCache);
  const ram = h.bus.ram;
  const setPte = (table: number, i: number, v: bigint) => ram.view.setBigUint64(table + 8 * i, v, true);
  setPte(ROOT, 1, pte(L1, PTE_V));
  setPte(L1, 0, pte(L0, PTE_V));
  setPte(L0, 0, pte(CALLER, PTE_V | PTE_R | PTE_X | PTE_A));
  setPte(L0, 1, pte(X, PTE_V | PTE_R | PTE_X | PTE_A));
  setPte(L0, 2, pte(L0, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D));
  h.setX(1, (8n << 60n) | BigInt((BASE + ROOT) / 4096));
  h.setX(2, BigInt(VA));
  h.setX(3, 1n << 11n);
  h.setX(8, BigInt(VA + 0x2000));
  h.setX(9, BigInt(SWITCH));
  h.setX(10, pte(Y, PTE_V | PTE_R | PTE_X | PTE_A));
  h.setX(13, pte(X, PTE_V | PTE_R | PTE_X | PTE_A) ^ pte(Y, PTE_V | PTE_R | PTE_X | PTE_A));
  return h;
}

describe('wasm engine: far exits under paging', () => {
  for (const cache of ['no code cache', 'a code cache'] as const) {
    it(`a target page mapped to other physical pages in turn runs the code mapped there at each pass (${cache})`, () => {
      const codeCache = cache === 'a code cache' ? new CodeCache() : null;
      if (codeCache !== null) pagedMachine('wasm', codeCache).run(50_000);
      const a = pagedMachine('interp', null);
      const b = pagedMachine('wasm', codeCache);
      lockstepPair(a, b, [...everyStep(2000), ...stops(37, 80, 200_000).map((n) => n + 2000)]);
      // Both physical pages ran, in turns of SWITCH passes each.
      const [xPasses, yPasses] = [a.getX(6), a.getX(14)];
      expect(xPasses).toBeGreaterThan(1000n);
      expect(yPasses).toBeGreaterThan(1000n);
      expect(Number(xPasses - yPasses)).toBeLessThanOrEqual(SWITCH);
      expect(Number(yPasses - xPasses)).toBeLessThanOrEqual(SWITCH);
    });
  }
});
