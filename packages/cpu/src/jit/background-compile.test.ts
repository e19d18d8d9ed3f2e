/**
 * Block modules compiled off the machine's thread (HartOptions.backgroundCompile): the 'wasm'
 * engine against the interpreter, at every step and at random stops, while batches are in
 * flight. A test compiler holds each batch until the test releases it, so the tests decide what
 * happens meanwhile: the guest code it was made from rewritten (by DMA or by the guest), a block
 * it chains into rewritten, the hart restored. Such a batch is never installed; the state is
 * the interpreter's at every step either way. Then the real worker thread on the bench programs.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Hart } from '../hart.js';
import type { HartEngine } from '../hart.js';
import { addi, B, S } from '../testing/encode.js';
import { bareMachine, lockstep as lockstepBare, lockstepPair, stops } from '../testing/lockstep.js';
import { BASE, testHart } from '../testing/machine.js';
import { BackgroundCompiler } from './background-compiler.js';
import type { CompileJob, ModuleCompiler } from './background-compiler.js';
import { CodeCache } from './code-cache.js';
import { wasmApi } from '../wasm/api.js';

const PROGRAMS = fileURLToPath(new URL('../../../../bench/programs', import.meta.url));

const jal = (rd: number, imm: number) =>
  ((((imm >> 20) & 1) << 31) | (((imm >> 1) & 0x3ff) << 21) | (((imm >> 11) & 1) << 20) | (((imm >> 12) & 0xff) << 12) | (rd << 7) | 0x6f) >>> 0;
const sw = (rs2: number, rs1: number, imm: number) => S(imm, rs2, rs1, 2, 0x23);

/** Compiles nothing until `release()`; the next `poll()` hands over what was released. */
class HeldCompiler implements ModuleCompiler {
  held: { bytes: Uint8Array; done: (module: object) => void }[] = [];
  private released: HeldCompiler['held'] = [];
  compile(bytes: Uint8Array, _memoryPages: number, done: (module: object) => void): void {
    this.held.push({ bytes, done });
  }
  compileAll(jobs: readonly CompileJob[]): void {
    for (const j of jobs) this.compile(j.bytes, j.memoryPages, j.done);
  }
  get inFlight(): number {
    return this.held.length + this.released.length;
  }
  release(): void {
    this.released.push(...this.held);
    this.held = [];
  }
  poll(): number {
    const r = this.released;
    this.released = [];
    for (const j of r) j.done(new wasmApi.Module(j.bytes));
    return r.length;
  }
}

/** Two harts on copies of `program` at BASE: the interpreter, and the 'wasm' engine compiling through `compiler`. */
function pair(program: Map<number, number>, compiler: ModuleCompiler, codeCache: CodeCache | null = null): { a: Hart; b: Hart } {
  const make = (engine: HartEngine) => {
    const { hart } = testHart();
    for (const [at, w] of program) hart.bus.ram.view.setUint32(at, w, true);
    const h = new Hart(hart.bus, { engine, jitThreshold: 1, codeCache, backgroundCompile: compiler });
    h.pc = BigInt(BASE);
    return h;
  };
  return { a: make('interp'), b: make('wasm') };
}


const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** Write one instruction word into both harts' RAM, as DMA would (Ram.write). */
function dma(a: Hart, b: Hart, at: number, word: number): void {
  const w = new Uint8Array(4);
  new DataView(w.buffer).setUint32(0, word >>> 0, true);
  a.bus.ram.write(at, w);
  b.bus.ram.write(at, w);
}

/** A loop at BASE: x5 += 1; x6 += 1; back. */
const loop = () => new Map([[0, addi(5, 5, 1)], [4, addi(6, 6, 1)], [8, jal(0, -8)]]);

describe('wasm engine: batches compiled in the background', () => {
  it('runs interpreted while its batch compiles, then translated, at the same states as the interpreter', () => {
    const c = new HeldCompiler();
    const { a, b } = pair(loop(), c);
    lockstepPair(a, b, range(1, 400));
    expect(c.held.length).toBe(1); // the loop's block waits in its batch, then compiles (held)
    expect(b.engineStats.translated).toBe(0);
    c.release();
    lockstepPair(a, b, [...range(401, 700), ...stops(3, 40, 100_000).map((n) => n + 700)]);
    expect(b.engineStats.translated).toBeGreaterThan(0); // the loop's blocks (also at 4 and 8, where stops left pc)
    expect(b.engineStats.interpreted).toBeLessThan(1000);
    expect(a.getX(5)).toBeGreaterThan(30_000n);
  });

  for (const same of [false, true]) {
    it(`a batch whose code is written while it compiles is ${same ? 'installed when the same bytes were written back' : 'never installed; the code is translated again'}`, () => {
      const c = new HeldCompiler();
      const { a, b } = pair(loop(), c);
      lockstepPair(a, b, range(1, 400));
      expect(c.held.length).toBe(1);
      dma(a, b, BASE, addi(5, 5, 1000));
      if (same) dma(a, b, BASE, addi(5, 5, 1));
      c.release();
      lockstepPair(a, b, range(401, 1200));
      // All of the batch, or none: its blocks at 4 and 8 chain into the one at 0.
      if (same) expect(b.engineStats.translated).toBeGreaterThan(0);
      else expect(b.engineStats.translated).toBe(0);
      if (!same) {
        // Translated again from the new bytes; installed once that batch is released.
        expect(c.held.length).toBe(1);
        c.release();
        lockstepPair(a, b, [...range(1201, 1500), 50_000]);
        expect(b.engineStats.translated).toBeGreaterThan(0);
        expect(b.engineStats.interpreted).toBeLessThan(5000);
      }
      // The interpreter's result: the rewritten instruction ran (or, written back, never did).
      if (same) expect(a.getX(5)).toBe(a.getX(6));
      else expect(a.getX(5)).toBeGreaterThan(100n * a.getX(6));
    });
  }

  it('a batch is never installed when the guest rewrites its code while it compiles', () => {
    // The loop counts x6 to 200, then rewrites its first instruction (x5 += 1000) and goes on.
    const p = new Map([
      [0, addi(5, 5, 1)], [4, addi(6, 6, 1)], [8, addi(7, 6, -200)], [12, B(8, 0, 7, 1)], // bne x7, x0, +8
      [16, sw(8, 9, 0)], [20, jal(0, -20)],
    ]);
    const c = new HeldCompiler();
    const { a, b } = pair(p, c);
    for (const h of [a, b]) { h.setX(8, BigInt(addi(5, 5, 1000) >>> 0)); h.setX(9, BigInt(BASE)); }
    lockstepPair(a, b, range(1, 600));
    expect(c.held.length).toBeGreaterThan(0);
    expect(a.getX(6)).toBe(120n);
    lockstepPair(a, b, range(601, 1100)); // the guest's store happens here
    expect(a.getX(6)).toBeGreaterThan(200n);
    c.release();
    lockstepPair(a, b, range(1101, 1400));
    // Batches held before the store held the old first instruction: none of their blocks at 0.
    expect(b.engineStats.translated).toBe(0);
    c.release();
    lockstepPair(a, b, [...range(1401, 1700), 40_000]);
    expect(b.engineStats.translated).toBeGreaterThan(0);
    expect(a.getX(5)).toBeGreaterThan(100n * a.getX(6)); // the rewritten instruction ran
  });

  it('a block is not installed when a block it chains into was rewritten while they compiled', () => {
    // Block A at 0 (x5 += 1, jump to B) and block B at 0x100 (x5 += 2, jump to A): one batch, each chained into the other.
    const p = new Map([[0, addi(5, 5, 1)], [4, jal(0, 0xfc)], [0x100, addi(5, 5, 2)], [0x104, jal(0, -0x104)]]);
    const c = new HeldCompiler();
    const { a, b } = pair(p, c);
    lockstepPair(a, b, range(1, 500));
    expect(c.held.length).toBe(1);
    dma(a, b, BASE + 0x100, addi(5, 5, 7)); // B changes; A's own bytes do not
    c.release();
    lockstepPair(a, b, range(501, 900));
    expect(b.engineStats.translated).toBe(0);
    c.release();
    lockstepPair(a, b, [...range(901, 1200), 30_000]);
    expect(b.engineStats.translated).toBeGreaterThan(1);
  });

  it('a batch that was compiling when the hart was restored is not installed, and goes into the code cache', () => {
    const c = new HeldCompiler();
    const cache = new CodeCache();
    const { a, b } = pair(loop(), c, cache);
    lockstepPair(a, b, range(1, 400));
    expect(c.held.length).toBe(1);
    b.restore(b.state()); // drops every translation, waiting ones too
    c.release();
    expect(c.poll()).toBe(1); // as another engine's poll would hand it over
    expect(b.engineStats.translated).toBe(0);
    expect(cache.stats.blocks).toBeGreaterThan(0);
    lockstepPair(a, b, [...range(401, 600), 20_000]);
    expect(b.engineStats.fromCache).toBeGreaterThan(0); // the locations found it there
    expect(b.engineStats.translated).toBe(0);
  });
});

describe('wasm engine: the background compiler thread', () => {
  /** Hand over what the worker has compiled, waiting up to a minute for it (a loaded machine). */
  function drain(): void {
    const compiler = BackgroundCompiler.shared();
    expect(compiler, 'a worker thread for compiling').not.toBeNull();
    const deadline = Date.now() + 60_000;
    const nap = new Int32Array(new SharedArrayBuffer(4));
    while (compiler!.inFlight > 0 && Date.now() < deadline) {
      compiler!.poll();
      Atomics.wait(nap, 0, 0, 2);
    }
    expect(compiler!.inFlight, 'compiles still in flight after a minute').toBe(0);
  }

  const programs = readdirSync(PROGRAMS).filter((f) => f.endsWith('.elf') && f !== 'empty.elf').sort();
  for (const file of programs) {
    it(`${file}: identical state to the interpreter at 40 stops while batches compile, and after they are installed`, () => {
      const elf = new Uint8Array(readFileSync(`${PROGRAMS}/${file}`));
      const a = bareMachine(elf, 'interp', undefined, 128 << 20);
      const b = bareMachine(elf, 'wasm', 1, 128 << 20, null, true);
      const at = lockstepBare(a, b, stops(file.length * 131, 40, 3_000_000));
      drain();
      const translated = b.hart.engineStats.translated;
      expect(translated).toBeGreaterThan(0);
      lockstepBare(a, b, stops(file.length * 17, 20, 2_000_000).map((n) => n + at));
    });
  }
});
