/**
 * The 'wasm' engine against the interpreter: the same programs run on both,
 * stopped at the same (pseudo-random) positions, must reach identical hart
 * state and RAM every time. Plus self-modifying code, where translated code
 * must notice the stores that change it.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { Hart, HartEngineError, parseHartEngine } from '../hart.js';
import type { HartEngine } from '../hart.js';
import { runBareElf } from '../bare/bare-machine.js';
import { addi, B, NOP, S } from '../testing/encode.js';
import { bareMachine, lockstep, stops } from '../testing/lockstep.js';
import { BASE, testHart } from '../testing/machine.js';

const PROGRAMS = fileURLToPath(new URL('../../../../bench/programs', import.meta.url));
const CONFORMANCE = process.env.PRNR_CONFORMANCE_DIR ?? fileURLToPath(new URL('../../../../../shared/conformance/riscv-tests', import.meta.url));

// Encodings for hand-written programs.
const sw = (rs2: number, rs1: number, imm: number) => S(imm, rs2, rs1, 2, 0x23);

/** A hart on its own 1 MiB of RAM with `program` at BASE. */
function hartWith(program: number[], engine: HartEngine): Hart {
  const { hart } = testHart(program);
  const h = new Hart(hart.bus, { engine, jitThreshold: 1 });
  h.pc = BigInt(BASE);
  return h;
}
const fenceI = 0x0000100f;
const ebreakLoop = (off: number) => B(off, 0, 0, 0); // beq x0, x0, off

const engine = 'wasm';

describe(`${engine} engine vs interpreter: bench programs`, () => {
  const programs = readdirSync(PROGRAMS).filter((f) => f.endsWith('.elf') && f !== 'empty.elf').sort();
  for (const file of programs) {
    for (const threshold of [1, 50]) {
      it(`${file}, translating at jump ${threshold}: identical state at 40 stops in the first 8M steps`, () => {
        const elf = new Uint8Array(readFileSync(`${PROGRAMS}/${file}`));
        const a = bareMachine(elf, 'interp', undefined, 128 << 20);
        const b = bareMachine(elf, engine, threshold, 128 << 20, null); // translation only (code-cache.test.ts: with a cache)
        lockstep(a, b, stops(file.length * 7919 + threshold, 40, 8_000_000));
        expect(b.hart.engineStats.compiled).toBeGreaterThan(0);
      });
    }
  }
});

describe(`${engine} engine vs interpreter: riscv-tests`, () => {
  const have = existsSync(`${CONFORMANCE}/manifest.json`);
  it('the conformance directory is present', () => {
    expect(have, `${CONFORMANCE}/manifest.json (set PRNR_CONFORMANCE_DIR)`).toBe(true);
  });
  if (!have) return;
  const manifest = JSON.parse(readFileSync(`${CONFORMANCE}/manifest.json`, 'utf8')) as { tests: { name: string; file: string; expected: string }[] };
  it(`all ${manifest.tests.length} tests pass on the ${engine} engine and match the interpreter at every stop`, () => {
    for (const t of manifest.tests) {
      const elf = new Uint8Array(readFileSync(`${CONFORMANCE}/${t.file}`));
      const fast = runBareElf(elf, { ramSize: 4 << 20, maxInstructions: 50_000_000, engine, jitThreshold: 1, codeCache: null });
      const ref = runBareElf(elf, { ramSize: 4 << 20, maxInstructions: 50_000_000, engine: 'interp' });
      expect(fast.status, t.name).toBe(t.expected === 'pass' ? 'pass' : fast.status);
      expect(fast.hart.state(), t.name).toEqual(ref.hart.state());
      const a = bareMachine(elf, 'interp', undefined, 4 << 20);
      // With the thread's shared code cache: the tests share pcs, so most lookups find other tests' code (stale).
      const b = bareMachine(elf, engine, 1, 4 << 20);
      lockstep(a, b, stops(t.name.length * 31 + 7, 25, Number(ref.icount)));
    }
  });
});

describe(`${engine} engine: self-modifying code`, () => {
  /**
   * A loop whose body holds `addi x5, x5, 1`; after 100 passes it overwrites
   * that instruction with `addi x5, x5, 1000` (without fence.i: the
   * interpreter sees the new instruction at once, so must translated code).
   */
  function program(withFence: boolean): number[] {
    const p: number[] = [];
    p.push(addi(6, 0, 100)); // 0: x6 = 100 (passes before patching)
    p.push(NOP); // 4
    // 8: loop:
    p.push(addi(5, 5, 1)); // 8: the instruction that gets patched
    p.push(addi(6, 6, -1)); // 12
    p.push(B(8, 0, 6, 1)); // 16: bne x6, x0, +8 -> 24
    p.push(sw(8, 9, 0)); // 20: patch: *(x9) = x8 (x9 = address of the instruction at 8)
    p.push(withFence ? fenceI : NOP); // 24
    p.push(addi(10, 10, 1)); // 28: count passes
    p.push(B(-24, 11, 10, 4)); // 32: blt x10, x11, -24 -> 8
    p.push(ebreakLoop(0)); // 36: spin
    return p;
  }

  for (const withFence of [false, true]) {
    it(`a store into a translated loop takes effect at the next fetch (${withFence ? 'with' : 'without'} fence.i)`, () => {
      const run = (e: HartEngine) => {
        const h2 = hartWith(program(withFence), e);
        h2.setX(8, BigInt(addi(5, 5, 1000) >>> 0));
        h2.setX(9, BigInt(BASE + 8));
        h2.setX(11, 300n);
        return h2;
      };
      const a = run('interp'), b = run(engine);
      for (const until of [5, 50, 299, 300, 301, 302, 303, 500, 1000, 1203, 1500, 2000]) {
        a.run(until);
        b.run(until);
        expect(b.state(), `at ${until}`).toEqual(a.state());
      }
      expect(b.engineStats.compiled).toBeGreaterThan(0);
      expect(b.engineStats.invalidations).toBeGreaterThan(0);
      // 100 passes of +1, then the patched instruction adds 1000 on every later pass.
      expect(a.getX(5)).toBeGreaterThan(100n + 1000n);
    });
  }

  it('a store into the block being executed changes the rest of that block', () => {
    // 0: sw x8, 8(x9) overwrites the instruction at +8 (inside the same straight-line block).
    const p = [sw(8, 9, 8), addi(5, 5, 1), addi(5, 5, 2), addi(5, 5, 4), B(-16, 0, 0, 0)];
    const make = (e: HartEngine) => {
      const h = hartWith(p, e);
      h.setX(8, BigInt(addi(5, 5, 64) >>> 0));
      h.setX(9, BigInt(BASE));
      return h;
    };
    const a = make('interp'), b = make(engine);
    for (const until of [1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 50, 51, 52, 200]) {
      a.run(until);
      b.run(until);
      expect(b.state(), `at ${until}`).toEqual(a.state());
    }
    expect(a.getX(5)).toBe(BigInt(40 * (1 + 64 + 4)));
  });

  it('DMA into a page of translated code (Ram.write) drops its blocks', () => {
    const p = [addi(5, 5, 1), B(-4, 0, 0, 0)];
    const h = hartWith(p, engine);
    h.run(100);
    expect(h.getX(5)).toBe(50n);
    const patch = new Uint8Array(4);
    new DataView(patch.buffer).setUint32(0, addi(5, 5, 3) >>> 0, true);
    h.bus.ram.write(BASE, patch);
    h.run(200);
    expect(h.getX(5)).toBe(50n + 3n * 50n);
  });
});

describe('engine selection', () => {
  it('defaults to Hart.defaultEngine and can be switched between runs', () => {
    const { hart } = testHart([addi(5, 5, 1), B(-4, 0, 0, 0)]);
    expect(['interp', 'wasm']).toContain(hart.engine);
    hart.engine = 'wasm';
    hart.run(1000);
    hart.engine = 'interp';
    hart.run(2000);
    hart.engine = 'wasm';
    hart.run(3000);
    expect(hart.getX(5)).toBe(1500n);
    expect(() => { hart.engine = 'jit' as HartEngine; }).toThrow(HartEngineError);
  });

  it('the default engine is fixed: the package reads no PRNR_ENGINE (apps do; the built package, in a child process)', () => {
    const dist = fileURLToPath(new URL('../../dist/index.js', import.meta.url));
    expect(existsSync(dist), `${dist} (pnpm build)`).toBe(true);
    const probe = `import(${JSON.stringify(pathToFileURL(dist).href)}).then((m) => console.log(m.Hart.defaultEngine))`;
    const run = (env: Record<string, string>) => spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8', env: { ...process.env, ...env } }).stdout.trim();
    expect(run({ PRNR_ENGINE: 'interp' })).toBe('wasm');
    expect(run({ PRNR_ENGINE: 'turbo' })).toBe('wasm');
  });

  it('parseHartEngine takes the engine names and refuses others with HartEngineError', () => {
    expect(parseHartEngine('interp')).toBe('interp');
    expect(parseHartEngine('wasm')).toBe('wasm');
    expect(() => parseHartEngine('turbo')).toThrow(new HartEngineError('turbo'));
    expect(() => parseHartEngine('turbo')).toThrow("unknown hart engine 'turbo' (expected 'interp' or 'wasm')");
  });
});
