/**
 * The differential harness of the 'wasm' engine tests: bare-metal machines
 * (an ELF, RAM, HTIF) run to the same positions on two engines, compared in
 * full (hart state, HTIF, RAM hash) at every stop.
 */
import { createHash } from 'node:crypto';
import { expect } from 'vitest';
import { BusFault } from '../bus.js';
import type { Bus } from '../bus.js';
import { parseElf } from '../elf.js';
import { Hart } from '../hart.js';
import type { HartEngine, HartOptions } from '../hart.js';
import type { CodeCache } from '../jit/code-cache.js';
import { Ram } from '../ram.js';
import { Htif } from '../bare/htif.js';
import { BARE_RAM_BASE } from '../bare/bare-machine.js';

/** Deterministic pseudo-random positions (xorshift32), sorted, in [1, max]. */
export function stops(seed: number, count: number, max: number): number[] {
  let x = seed | 1;
  const out = new Set<number>([1, 2, 3, 5, 8, 13]);
  while (out.size < count) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    // Mix short hops (partial blocks, the limit inside a loop) with long ones.
    out.add(1 + ((x >>> 0) % (x & 1 ? max : Math.min(max, 5000))));
  }
  return [...out].filter((n) => n <= max).sort((a, b) => a - b);
}

export interface Bare { hart: Hart; ram: Ram; htif: Htif }

/** A bare machine with `elf` loaded; `codeCache` and `backgroundCompile` as HartOptions (undefined: the default). */
export function bareMachine(elf: Uint8Array, engine: HartEngine, jitThreshold: number | undefined, ramSize: number, codeCache?: CodeCache | null, backgroundCompile?: HartOptions['backgroundCompile']): Bare {
  const image = parseElf(elf);
  const ram = new Ram(BARE_RAM_BASE, ramSize);
  for (const seg of image.segments) ram.write(seg.paddr, seg.data);
  const bus: Bus = { ram, load: (p) => { throw new BusFault(p, false); }, store: (p) => { throw new BusFault(p, true); } };
  const hart = new Hart(bus, { engine, jitThreshold, codeCache, backgroundCompile });
  hart.pc = image.entry;
  const tohost = image.symbols.get('tohost')!;
  const htif = new Htif(hart, Number(tohost), Number(image.symbols.get('fromhost') ?? tohost + 64n));
  return { hart, ram, htif };
}

export const ramHash = (ram: Ram): string => createHash('sha256').update(ram.u8).digest('hex');

/**
 * Two harts that `make` builds alike, on the interpreter and on the 'wasm' engine, run to each stop
 * and compared in full (hart state, RAM hash) there; the wasm one must have translated something.
 */
export function lockstepHarts(make: (engine: HartEngine) => { h: Hart; ram: Ram }, stopsAt: readonly number[]): { a: Hart; b: Hart } {
  const a = make('interp'), b = make('wasm');
  for (const until of stopsAt) {
    a.h.run(until);
    b.h.run(until);
    expect(b.h.state(), `at ${until}`).toEqual(a.h.state());
    expect(ramHash(b.ram), `RAM at ${until}`).toBe(ramHash(a.ram));
  }
  expect(b.h.engineStats.compiled).toBeGreaterThan(0);
  return { a: a.h, b: b.h };
}

/** Run two harts to each position; their stop reasons and states must be equal at every one, their RAM at the end. */
export function lockstepPair(a: Hart, b: Hart, positions: readonly number[]): void {
  for (const until of positions) {
    expect(b.run(until), `stop reason at ${until}`).toBe(a.run(until));
    expect(b.state(), `at ${until}`).toEqual(a.state());
  }
  expect(Buffer.from(b.bus.ram.u8).equals(Buffer.from(a.bus.ram.u8))).toBe(true);
}

/** 1, 2, ..., n: a stop at every step. */
export const everyStep = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);

/** Run both to each stop in turn; compare everything at every stop. Returns the last position reached. */
export function lockstep(a: Bare, b: Bare, positions: number[]): number {
  for (const until of positions) {
    let ra = 'limit', rb = 'limit';
    while (a.hart.icount < until && !a.htif.result.exited && ra !== 'wfi') ra = a.hart.run(until);
    while (b.hart.icount < until && !b.htif.result.exited && rb !== 'wfi') rb = b.hart.run(until);
    expect(rb, `stop reason at ${until}`).toBe(ra);
    expect(b.hart.state(), `hart state at ${until}`).toEqual(a.hart.state());
    expect(b.htif.result, `htif at ${until}`).toEqual(a.htif.result);
    if (a.htif.result.exited || ra === 'wfi') break;
  }
  expect(ramHash(b.ram)).toBe(ramHash(a.ram));
  return a.hart.icount;
}
