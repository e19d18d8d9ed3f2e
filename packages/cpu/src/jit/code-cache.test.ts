/**
 * The code cache: machines that start with translated code from earlier
 * machines (same thread, another thread, a file) must end exactly where the
 * interpreter does, must never run code made from other bytes (a patched
 * program, self-modifying code, a block whose chained block changed), and a
 * bad file must be ignored with one warning.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { Hart } from '../hart.js';
import type { HartEngine } from '../hart.js';
import { runBareElf } from '../bare/bare-machine.js';
import { addi, B, NOP, S } from '../testing/encode.js';
import { bareMachine, lockstep, ramHash, stops } from '../testing/lockstep.js';
import type { Bare } from '../testing/lockstep.js';
import { BASE, testHart } from '../testing/machine.js';
import { BackgroundCompiler } from './background-compiler.js';
import { CodeCache } from './code-cache.js';
import { CODE_CACHE_VERSION, crc32, indexCodeCacheFile, readCodeCacheModule, writeCodeCacheFile } from './code-cache-file.js';
import type { CodeCacheModuleData } from './code-cache-file.js';
import { translatorFingerprint, translatorSample } from './translator-fingerprint.js';

const PROGRAMS = fileURLToPath(new URL('../../../../bench/programs', import.meta.url));
const PROGRAM_FILES = ['int-sieve-crc.elf', 'ptr-chase.elf', 'sort-matmul.elf', 'u64-sha512-muldiv.elf'];
const elfOf = (file: string) => new Uint8Array(readFileSync(`${PROGRAMS}/${file}`));
const RAM = 128 << 20;
const STEPS = 2_000_000;
const WA = (globalThis as unknown as { WebAssembly: { Module: new (b: Uint8Array) => object; validate(b: Uint8Array): boolean } }).WebAssembly;

/** Run a bare machine to `steps` (or its exit). */
function runTo(m: Bare, steps: number): void {
  while (m.hart.icount < steps && !m.htif.result.exited) if (m.hart.run(steps) === 'wfi') break;
}

/** Fill `cache` by running `elf` on the wasm engine; returns that machine's counters. */
function fill(cache: CodeCache, elf: Uint8Array, threshold = 8, steps = STEPS) {
  const m = bareMachine(elf, 'wasm', threshold, RAM, cache);
  runTo(m, steps);
  return m.hart.engineStats;
}

/** A wasm machine on `cache` in lockstep with the interpreter; returns its counters. */
function checkAgainstInterpreter(cache: CodeCache | null, elf: Uint8Array, seed: number, threshold = 8, steps = STEPS) {
  const a = bareMachine(elf, 'interp', undefined, RAM);
  const b = bareMachine(elf, 'wasm', threshold, RAM, cache);
  lockstep(a, b, stops(seed, 25, steps));
  return b.hart.engineStats;
}

describe('code cache: a second machine starts with the first one\'s code', () => {
  for (const [k, file] of PROGRAM_FILES.entries()) {
    it(`${file}: the second machine installs cached blocks and matches the interpreter at 25 stops`, () => {
      const cache = new CodeCache();
      const first = fill(cache, elfOf(file));
      expect(first.translated).toBeGreaterThan(0);
      expect(cache.stats.blocks).toBeGreaterThan(0);
      const hitsBefore = cache.stats.hits;
      const second = checkAgainstInterpreter(cache, elfOf(file), 101 + k);
      expect(second.fromCache).toBeGreaterThan(0);
      expect(cache.stats.hits).toBeGreaterThan(hitsBefore);
      // Cached blocks are installed after CODE_CACHE_PROBE_AT jumps rather than the threshold, and need no translation.
      expect(second.translated).toBeLessThan(first.translated);
      expect(second.interpreted).toBeLessThan(first.interpreted);
    });
  }

  it('harts use CodeCache.shared by default (Hart.defaultCodeCache); codeCache: null means none', () => {
    expect(Hart.defaultCodeCache).toBe(CodeCache.shared);
    const loop = [addi(6, 0, 300), addi(5, 5, 7), addi(6, 6, -1), B(-8, 0, 6, 1), B(0, 0, 0, 0)];
    const run = (codeCache?: CodeCache | null) => {
      const { hart } = testHart(loop);
      const h = new Hart(hart.bus, { engine: 'wasm', jitThreshold: 4, ...(codeCache === undefined ? {} : { codeCache }) });
      h.pc = BigInt(BASE);
      h.run(2000);
      expect(h.getX(5)).toBe(2100n);
      return h.engineStats;
    };
    run();
    expect(run().fromCache).toBeGreaterThan(0);
    const none = run(null);
    expect(none.fromCache).toBe(0);
    expect(none.translated).toBeGreaterThan(0);
  });
});

// Hand-written programs at BASE (each instruction 4 bytes).
const sw = (rs2: number, rs1: number, imm: number) => S(imm, rs2, rs1, 2, 0x23);
const jal = (rd: number, imm: number) =>
  ((((imm >> 20) & 1) << 31) | (((imm >> 1) & 0x3ff) << 21) | (((imm >> 11) & 1) << 20) | (((imm >> 12) & 0xff) << 12) | (rd << 7) | 0x6f) >>> 0;
const spin = B(0, 0, 0, 0);

/** A hart on its own RAM running `program` from BASE. */
function hartWith(program: number[], engine: HartEngine, codeCache: CodeCache | null, jitThreshold = 1): Hart {
  const { hart } = testHart(program);
  const h = new Hart(hart.bus, { engine, jitThreshold, codeCache });
  h.pc = BigInt(BASE);
  return h;
}

/** Run `program` on the interpreter and on the wasm engine with `cache` to each position; equal state at each. */
function matchInterpreter(program: number[], cache: CodeCache, positions: number[], setup: (h: Hart) => void = () => {}) {
  const a = hartWith(program, 'interp', null), b = hartWith(program, 'wasm', cache);
  setup(a); setup(b);
  for (const until of positions) {
    a.run(until);
    b.run(until);
    expect(b.state(), `at ${until}`).toEqual(a.state());
  }
  expect(ramHash(b.bus.ram)).toBe(ramHash(a.bus.ram));
  return { a, b };
}

describe('code cache: never runs code made from other bytes', () => {
  /** x5 += `inc` 100 times, then spin. */
  const counting = (inc: number) => [addi(6, 0, 100), addi(5, 5, inc), addi(6, 6, -1), B(-8, 0, 6, 1), spin];

  it('a patched program at the same pc (same RAM offset) translates anew: stale lookups, exact result', () => {
    const cache = new CodeCache();
    const { b: first } = matchInterpreter(counting(1), cache, [50, 400]);
    expect(first.getX(5)).toBe(100n);
    const hitsAfterFirst = cache.stats.hits;
    const { b } = matchInterpreter(counting(3), cache, [1, 2, 3, 7, 50, 301, 302, 400]);
    expect(b.getX(5)).toBe(300n);
    expect(cache.stats.stale).toBeGreaterThan(0);
    expect(b.engineStats.translated).toBeGreaterThan(0);
    // Only the spin loop (the same bytes in both programs) can come from the cache.
    expect(cache.stats.hits - hitsAfterFirst).toBeLessThanOrEqual(1);
  });

  it('from a file, built as its pcs are looked up: a patched program finds stale entries, translates anew, exact', () => {
    const cache = new CodeCache();
    matchInterpreter(counting(1), cache, [400]);
    const loaded = new CodeCache();
    expect(loaded.load(cache.serialize())).toBeGreaterThan(0);
    expect(loaded.pendingModules).toBeGreaterThan(0);
    const { b } = matchInterpreter(counting(3), loaded, [1, 2, 3, 7, 50, 301, 302, 400]);
    expect(b.getX(5)).toBe(300n);
    expect(b.engineStats.translated).toBeGreaterThan(0);
    expect(loaded.stats.stale).toBeGreaterThan(0);
  });

  it('the original program again: its blocks are still there (variants per pc)', () => {
    const cache = new CodeCache();
    matchInterpreter(counting(1), cache, [400]);
    matchInterpreter(counting(3), cache, [400]);
    const stale = cache.stats.stale;
    const { b } = matchInterpreter(counting(1), cache, [3, 50, 400]);
    expect(b.getX(5)).toBe(100n);
    expect(b.engineStats.fromCache).toBeGreaterThan(0);
    expect(cache.stats.stale, 'every lookup found its variant').toBe(stale);
  });

  /**
   * P (at +4) ends with a JAL into Q (at +16); Q's taken branch goes back to P. Translated in one
   * batch, each chains into the other. The variant changes only Q's first instruction.
   */
  const chained = (qInc: number) => [
    addi(6, 0, 200), // 0
    addi(5, 5, 1), // 4: P
    jal(0, 8), // 8: -> 16
    NOP, // 12
    addi(7, 7, qInc), // 16: Q
    addi(6, 6, -1), // 20
    B(-20, 0, 6, 1), // 24: bne x6, x0 -> 4
    spin, // 28
  ];

  it('a block whose chained block changed is not installed (its own bytes match)', () => {
    const cache = new CodeCache();
    matchInterpreter(chained(2), cache, [1000]);
    // Precondition: P (pc BASE+4) was cached with a chained exit.
    const p = cache.snapshot().modules.flatMap((m) => m.blocks).find((b) => b.plo === ((BASE + 4) | 0));
    expect(p?.chains.length, 'P chains into Q').toBeGreaterThan(0);

    const staleChains = cache.stats.staleChains;
    const { b } = matchInterpreter(chained(5), cache, [1, 2, 3, 4, 5, 9, 100, 333, 1000]);
    expect(b.getX(7)).toBe(1000n);
    expect(b.getX(5)).toBe(200n);
    expect(cache.stats.staleChains).toBeGreaterThan(staleChains);
    expect(b.engineStats.translated).toBeGreaterThan(0);

    // The same program as the first machine: P and Q come from the cache.
    const { b: again } = matchInterpreter(chained(2), cache, [5, 1000]);
    expect(again.getX(7)).toBe(400n);
    expect(again.engineStats.fromCache).toBeGreaterThanOrEqual(2); // P and Q
  });

  it('self-modifying code on cached blocks: a store into an installed cached block drops it', () => {
    /** A loop that, after 100 passes, overwrites its own `addi x5, x5, 1` with `addi x5, x5, 1000`. */
    const program = [
      addi(6, 0, 100), NOP,
      addi(5, 5, 1), // 8: patched
      addi(6, 6, -1),
      B(8, 0, 6, 1), // 16: bne -> 24
      sw(8, 9, 0), // 20: *(x9) = x8
      addi(10, 10, 1), // 24
      B(-20, 11, 10, 4), // 28: blt x10, x11 -> 8
      spin,
    ];
    const setup = (h: Hart) => { h.setX(8, BigInt(addi(5, 5, 1000))); h.setX(9, BigInt(BASE + 8)); h.setX(11, 300n); };
    const cache = new CodeCache();
    matchInterpreter(program, cache, [2000], setup);
    const { a, b } = matchInterpreter(program, cache, [5, 50, 299, 300, 301, 302, 303, 500, 1000, 1203, 2000], setup);
    expect(b.engineStats.fromCache).toBeGreaterThan(0);
    expect(b.engineStats.invalidations).toBeGreaterThan(0);
    expect(a.getX(5)).toBeGreaterThan(1100n);
  });
});

describe('code cache: snapshots for other threads', () => {
  it('a structured clone of a snapshot gives hits, with modules already compiled', () => {
    const elf = elfOf('int-sieve-crc.elf');
    const source = new CodeCache();
    fill(source, elf);
    const copy = new CodeCache();
    const snap = structuredClone(source.snapshot());
    expect(snap.modules.every((m) => m.module instanceof WA.Module)).toBe(true);
    expect(copy.merge(snap)).toBe(source.stats.blocks);
    const s = checkAgainstInterpreter(copy, elf, 7);
    expect(s.fromCache).toBeGreaterThan(0);
    expect(copy.stats.hits).toBeGreaterThan(0);
    expect(copy.stats.compiled).toBe(0);
  });

  it('a snapshot posted to a worker thread gives hits there, and the same state as the interpreter here', async () => {
    const dist = fileURLToPath(new URL('../../dist/index.js', import.meta.url));
    expect(existsSync(dist), `${dist} (pnpm build)`).toBe(true);
    const file = `${PROGRAMS}/u64-sha512-muldiv.elf`;
    const elf = new Uint8Array(readFileSync(file));
    const cache = new CodeCache();
    fill(cache, elf, 8, 1_000_000);
    const worker = new Worker(`
      const { parentPort } = require('node:worker_threads');
      const { readFileSync } = require('node:fs');
      parentPort.once('message', async ({ dist, file, snapshot }) => {
        const C = await import(dist);
        const cache = new C.CodeCache();
        const merged = cache.merge(snapshot);
        const r = C.runBareElf(new Uint8Array(readFileSync(file)), { engine: 'wasm', jitThreshold: 8, codeCache: cache, maxInstructions: 1500000 });
        parentPort.postMessage({ merged, stats: r.hart.engineStats, cache: cache.stats, state: r.hart.state() });
      });`, { eval: true });
    try {
      const reply = new Promise<{ merged: number; stats: Hart['engineStats']; cache: CodeCache['stats']; state: unknown }>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      worker.postMessage({ dist: pathToFileURL(dist).href, file, snapshot: cache.snapshot() });
      const r = await reply;
      expect(r.merged).toBe(cache.stats.blocks);
      expect(r.stats.fromCache).toBeGreaterThan(0);
      expect(r.cache.hits).toBeGreaterThan(0);
      expect(r.cache.compiled, 'modules arrive compiled').toBe(0);
      const ref = runBareElf(elf, { engine: 'interp', maxInstructions: 1_500_000 });
      expect(r.state).toEqual(ref.hart.state());
    } finally {
      await worker.terminate();
    }
  });
});

describe('code cache: files', () => {
  const elf = elfOf('int-sieve-crc.elf');
  const filled = () => { const c = new CodeCache(); fill(c, elf); return c; };

  it('serialize and load: same content, compiled only when used, hits, exact', () => {
    const source = filled();
    const bytes = source.serialize();
    const warnings: string[] = [];
    const loaded = CodeCache.load(bytes, { onWarning: (w) => warnings.push(w) });
    expect(warnings).toEqual([]);
    expect(loaded.stats.blocks).toBe(source.stats.blocks);
    expect(loaded.stats.modules).toBe(source.stats.modules);
    expect(loaded.serialize()).toEqual(bytes);
    expect(loaded.stats.compiled).toBe(0);
    const s = checkAgainstInterpreter(loaded, elf, 11);
    expect(s.fromCache).toBeGreaterThan(0);
    expect(loaded.stats.compiled).toBeGreaterThan(0);
    expect(loaded.stats.compiled).toBeLessThanOrEqual(loaded.stats.modules);
    // Into an existing cache: nothing new (the same blocks replace each other).
    expect(loaded.load(bytes)).toBe(source.stats.blocks);
    expect(loaded.stats.blocks).toBe(source.stats.blocks);
  });

  it('a module is written from its record, made once; the module keeps the same bytes and still runs exact', () => {
    const source = filled();
    const before = source.snapshot().modules.map((m) => ({ ...m, module: null }));
    const bytes = source.serialize();
    expect(source.serialize()).toEqual(bytes);
    // Its wasm bytes now view the record's: the same content, and the index reads the file back as the modules were.
    expect(source.snapshot().modules.map((m) => ({ ...m, module: null }))).toEqual(before);
    const ix = indexCodeCacheFile(bytes, translatorFingerprint());
    if (typeof ix === 'string') throw new Error(ix);
    expect(ix.modules.map((_, k) => readCodeCacheModule(ix, k))).toEqual(before);
    expect(checkAgainstInterpreter(source, elf, 14).fromCache).toBeGreaterThan(0);
    // A cache loaded from that file writes the modules a run used from the file's own records.
    expect(CodeCache.load(bytes).serialize()).toEqual(bytes);
    const loaded = CodeCache.load(bytes);
    const cursor = loaded.cursor();
    checkAgainstInterpreter(loaded, elf, 15);
    const piece = indexCodeCacheFile(loaded.serializeUsed(cursor)!, translatorFingerprint());
    if (typeof piece === 'string') throw new Error(piece);
    expect(piece.modules.length).toBeGreaterThan(0);
    for (let k = 0; k < piece.modules.length; k++) expect(before).toContainEqual(readCodeCacheModule(piece, k));
  });

  it('serializeUsed: pieces of the modules used since a cursor, each once; loaded one after another they hold what serialize() holds', () => {
    const cache = new CodeCache();
    const cursor = cache.cursor();
    expect(cache.serializeUsed(cursor)).toBeNull();
    fill(cache, elf, 8, STEPS / 4);
    const a = cache.serializeUsed(cursor);
    expect(a).not.toBeNull();
    expect(CodeCache.load(a!).stats.modules).toBe(cache.stats.modules);
    expect(cache.serializeUsed(cursor)).toBeNull();
    fill(cache, elf, 8, STEPS); // a new machine on the same cache: it finds the modules written already, and adds more
    const b = cache.serializeUsed(cursor);
    expect(b).not.toBeNull();
    const pieces = new CodeCache();
    expect(pieces.load(a!) + pieces.load(b!)).toBe(cache.stats.blocks);
    const whole = CodeCache.load(cache.serialize());
    expect(pieces.stats.modules).toBe(whole.stats.modules);
    expect(pieces.stats.blocks).toBe(whole.stats.blocks);
    expect(checkAgainstInterpreter(pieces, elf, 12).fromCache).toBeGreaterThan(0);
  });

  it('serializeUsed: what a loaded file brought goes in only where a lookup found it; the rest stays out, unbuilt', () => {
    const other = elfOf('ptr-chase.elf');
    const alone = new CodeCache();
    fill(alone, other);
    // Other programs' code loaded first, then a cursor, then this program's run.
    const others = new CodeCache();
    for (const f of PROGRAM_FILES.filter((f) => f !== 'ptr-chase.elf')) fill(others, elfOf(f));
    const cache = CodeCache.load(others.serialize());
    const loaded = cache.pendingModules;
    expect(loaded).toBeGreaterThan(0);
    const cursor = cache.cursor();
    fill(cache, other);
    expect(cache.pendingModules, 'modules no lookup wanted are not built').toBeGreaterThan(0);
    const piece = CodeCache.load(cache.serializeUsed(cursor)!);
    // The run translated what it ran, as a run on an empty cache does, but for the few blocks it found
    // (the programs share their start-up code): the piece holds about the lone run's modules, not the loaded ones.
    const { hits } = cache.stats;
    expect(hits).toBeLessThan(loaded / 2);
    expect(piece.stats.modules).toBeGreaterThanOrEqual(alone.stats.modules - hits);
    expect(piece.stats.modules).toBeLessThanOrEqual(alone.stats.modules + hits);
    expect(piece.stats.modules).toBeLessThan(alone.stats.modules + loaded - hits);
    // A run that finds the loaded code: what it found goes in, what it never looked up does not.
    const again = CodeCache.load(filled().serialize());
    const c2 = again.cursor();
    fill(again, elf, 8, STEPS / 4);
    expect(again.stats.hits).toBeGreaterThan(0);
    const found = CodeCache.load(again.serializeUsed(c2)!);
    expect(found.stats.modules).toBeGreaterThan(0);
    expect(found.stats.modules).toBeLessThan(again.stats.modules);
    expect(checkAgainstInterpreter(found, elf, 13, 8, STEPS / 4).fromCache).toBeGreaterThan(0);
  });

  it('a corrupt, truncated, foreign or inconsistent file is ignored with one warning; the run stays exact', () => {
    const good = filled().serialize();
    const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
    const edit = (f: (b: Uint8Array) => void) => { const b = good.slice(); f(b); return b; };
    const resum = (b: Uint8Array) => view(b).setUint32(16, crc32(b.subarray(20)), true);
    const snap = filled().snapshot();
    const badBlocks: CodeCacheModuleData[] = snap.modules.map((m, i) => i !== 0 ? m : { ...m, blocks: m.blocks.map((b, j) => j !== 0 ? b : { ...b, chains: [9999] }) });
    const cases: [string, Uint8Array, RegExp][] = [
      ['a flipped byte in the code', edit((b) => { b[b.length >> 1] ^= 0x10; }), /checksum mismatch/],
      ['a flipped byte in the checksum', edit((b) => { b[17] ^= 1; }), /checksum mismatch/],
      ['truncated', good.subarray(0, good.length - 1000), /truncated/],
      ['truncated inside the header', good.subarray(0, 12), /truncated/],
      ['empty', new Uint8Array(0), /truncated/],
      ['bytes after the content', new Uint8Array([...good, 0]), /unexpected bytes/],
      ['wrong magic', edit((b) => { b[0] = 0x7f; }), /bad magic/],
      ['another format version', edit((b) => view(b).setUint32(8, CODE_CACHE_VERSION + 1, true)), new RegExp(`format version ${CODE_CACHE_VERSION + 1}`)],
      ['another translator', edit((b) => { view(b).setUint32(20, translatorFingerprint() ^ 1, true); resum(b); }), /another translator/],
      ['a length past the end', edit((b) => { view(b).setUint32(44, 0xffffff, true); resum(b); }), /malformed/],
      ['a block chaining outside its module', writeCodeCacheFile(translatorFingerprint(), badBlocks), /module 0 of \d+ is inconsistent/],
    ];
    const cache = new CodeCache();
    for (const [what, bytes, message] of cases) {
      const warnings: string[] = [];
      expect(cache.load(bytes, { onWarning: (w) => warnings.push(w) }), what).toBe(0);
      expect(warnings, what).toHaveLength(1);
      expect(warnings[0], what).toMatch(message);
      expect(warnings[0], what).not.toContain('\n');
      expect(CodeCache.load(bytes).stats.blocks, what).toBe(0);
    }
    expect(cache.stats.blocks).toBe(0);
    const s = checkAgainstInterpreter(cache, elf, 13);
    expect(s.fromCache).toBe(0);
    expect(s.translated).toBeGreaterThan(0);
  });

  it('the index reads back what was written: every module, its wasm bytes viewed in the file, not copied', () => {
    const source = filled();
    const bytes = source.serialize();
    const ix = indexCodeCacheFile(bytes, translatorFingerprint());
    if (typeof ix === 'string') throw new Error(ix);
    const read = ix.modules.map((_, k) => readCodeCacheModule(ix, k));
    expect(read).toEqual(source.snapshot().modules.map((m) => ({ ...m, module: null })));
    expect(read.every((m) => m.bytes.buffer === bytes.buffer)).toBe(true);
  });

  it('a loaded file is built module by module as its pcs are looked up; the run stays exact and the rest is built when read whole', () => {
    const source = filled();
    const total = source.stats;
    const loaded = new CodeCache();
    expect(loaded.load(source.serialize())).toBe(total.blocks);
    expect(loaded.pendingModules).toBe(total.modules);
    // A short run: the program's start looks up a few of its pcs, so only their modules are built.
    const s = checkAgainstInterpreter(loaded, elf, 14, 8, 20_000);
    expect(s.fromCache).toBeGreaterThan(0);
    expect(loaded.pendingModules).toBeGreaterThan(0);
    expect(loaded.pendingModules).toBeLessThan(total.modules);
    const built = loaded.stats;
    expect(loaded.pendingModules).toBe(0);
    expect(built.blocks).toBe(total.blocks);
    expect(built.modules).toBe(total.modules);
    expect(checkAgainstInterpreter(loaded, elf, 15).fromCache).toBeGreaterThan(0);
  });

  it('built in any order, each pc holds the variants building everything at once gives (newest first, one per code, at most 8)', () => {
    const layout = { memoryPages: 17, area: 0x10040, dirtyOffset: 0x8000, codeOffset: 0x9000 };
    const bytes = translatorSample().bytes;
    const pcs = [0x1000, 0x1010, 0x1020, 0x2000];
    const codes = Array.from({ length: 12 }, (_, i) => Uint16Array.of(0x0293 + 0x80 * i, 0x0012)); // addi x5, x5, 1 and other rd
    let seed = 7;
    const rand = (n: number) => { seed = (seed * 1103515245 + 12345) >>> 0; return (seed >>> 8) % n; };
    // 40 modules of 1..3 blocks, pcs and codes drawn from small sets: the same code again, more than 8 variants.
    const modules: CodeCacheModuleData[] = Array.from({ length: 40 }, () => {
      const at = [...new Set(Array.from({ length: 1 + rand(3) }, () => pcs[rand(pcs.length)]))];
      return { layout, bytes, module: null, blocks: at.map((plo) => ({ plo, phi: 0, n: 1, source: codes[rand(codes.length)], chains: [] })) };
    });
    const eager = new CodeCache();
    eager.merge({ version: CODE_CACHE_VERSION, translator: translatorFingerprint(), modules });
    const file = writeCodeCacheFile(translatorFingerprint(), modules);
    const ram = new Uint16Array(0x4000);
    const variants = (c: CodeCache, plo: number) => (c.bucket(layout).byPc.get(plo) ?? []).map((b) => `${b.module.seq}:${b.source[0]}`);
    for (let order = 0; order < 6; order++) {
      const lazy = new CodeCache();
      lazy.load(file);
      const lookups = [...pcs].sort(() => rand(3) - 1);
      for (const plo of lookups) {
        lazy.bucket(layout).find(ram, plo, plo, 0);
        expect(variants(lazy, plo), `order ${order}, pc ${plo.toString(16)}`).toEqual(variants(eager, plo));
      }
      expect(lazy.pendingModules).toBe(0);
    }
    expect(pcs.some((plo) => variants(eager, plo).length === 8), 'some pc is at the bound').toBe(true);
  });

  it('a snapshot from another translator is ignored with one warning', () => {
    const snap = { ...filled().snapshot(), translator: translatorFingerprint() ^ 1 };
    const warnings: string[] = [];
    const c = new CodeCache();
    expect(c.merge(snap, { onWarning: (w) => warnings.push(w) })).toBe(0);
    expect(warnings).toHaveLength(1);
    expect(c.stats.blocks).toBe(0);
  });
});

describe('code cache: memory bound', () => {
  it('keeps within maxBytes by dropping the least recently used modules; runs stay exact', () => {
    const all = new CodeCache();
    for (const f of PROGRAM_FILES) fill(all, elfOf(f), 1, 500_000);
    const total = all.stats;
    expect(total.modules).toBeGreaterThanOrEqual(2);
    const bounded = new CodeCache({ maxBytes: total.bytes - 1 });
    const snap = all.snapshot();
    bounded.merge(snap);
    expect(bounded.stats.bytes).toBeLessThanOrEqual(bounded.maxBytes);
    expect(bounded.stats.evicted).toBeGreaterThan(0);
    // The module merged last is kept, the first one is not.
    const kept = bounded.snapshot().modules.map((m) => m.bytes);
    expect(kept).toContainEqual(snap.modules[snap.modules.length - 1].bytes);
    expect(kept).not.toContainEqual(snap.modules[0].bytes);
    const s = checkAgainstInterpreter(bounded, elfOf('u64-sha512-muldiv.elf'), 17, 1, 500_000);
    expect(s.fromCache + s.translated).toBeGreaterThan(0);
    expect(bounded.stats.bytes).toBeLessThanOrEqual(bounded.maxBytes);
  });
});

describe('code cache: memory bound on a loaded file', () => {
  it('a file bigger than maxBytes: only its newest modules are kept (pending), within the bound once built', () => {
    const layout = { memoryPages: 17, area: 0x10040, dirtyOffset: 0x8000, codeOffset: 0x9000 };
    const bytes = translatorSample().bytes;
    const source = Uint16Array.of(0x0293, 0x0012); // addi x5, x5, 1
    const modules = Array.from({ length: 10 }, (_, k): CodeCacheModuleData => ({ layout, bytes, module: null, blocks: [{ plo: 0x1000 * (k + 1), phi: 0, n: 1, source, chains: [] }] }));
    const one = CodeCache.load(writeCodeCacheFile(translatorFingerprint(), modules.slice(0, 1))).stats.bytes;
    const bounded = new CodeCache({ maxBytes: Math.floor(3.5 * one) });
    expect(bounded.load(writeCodeCacheFile(translatorFingerprint(), modules))).toBe(3);
    expect(bounded.pendingModules).toBe(3);
    const s = bounded.stats;
    expect(s.bytes).toBeLessThanOrEqual(bounded.maxBytes);
    expect(s.evicted).toBe(7);
    expect(bounded.snapshot().modules.map((m) => m.blocks[0].plo)).toEqual([0x8000, 0x9000, 0xa000]);
  });
});

describe('code cache: least recently used', () => {
  it('a module whose block was just found outlives an older unused one', () => {
    const layout = { memoryPages: 17, area: 0x10040, dirtyOffset: 0x8000, codeOffset: 0x9000 };
    const bytes = translatorSample().bytes;
    const source = Uint16Array.of(0x0293, 0x0012); // addi x5, x5, 1 (any bytes do)
    const data = (k: number): CodeCacheModuleData => ({ layout, bytes, module: null, blocks: [{ plo: 0x1000 * k, phi: 0, n: 1, source, chains: [] }] });
    const c = new CodeCache();
    c.merge({ version: CODE_CACHE_VERSION, translator: translatorFingerprint(), modules: [data(1), data(2)] });
    const each = c.stats.bytes / 2;
    const bounded = new CodeCache({ maxBytes: Math.floor(2.5 * each) });
    bounded.merge(c.snapshot());
    const ram = new Uint16Array(0x4000);
    ram.set(source, 0x1000 / 2);
    expect(bounded.bucket(layout).find(ram, 0x1000, 0x1000, 0), 'module 1 is found').not.toBeNull();
    bounded.merge({ version: CODE_CACHE_VERSION, translator: translatorFingerprint(), modules: [data(3)] });
    expect(bounded.stats.evicted).toBe(1);
    const pcs = bounded.snapshot().modules.map((m) => m.blocks[0].plo);
    expect(pcs).toEqual([0x1000, 0x3000]);
    ram.set(source, 0x2000 / 2);
    expect(bounded.bucket(layout).find(ram, 0x2000, 0x2000, 0), 'module 2 is gone').toBeNull();
  });
  it('modules of a loaded file that no lookup wanted come first when built whole; serialize(maxBytes) keeps the most recently used', () => {
    const layout = { memoryPages: 17, area: 0x10040, dirtyOffset: 0x8000, codeOffset: 0x9000 };
    const bytes = translatorSample().bytes;
    const source = Uint16Array.of(0x0293, 0x0012); // addi x5, x5, 1
    const data = (k: number): CodeCacheModuleData => ({ layout, bytes, module: null, blocks: [{ plo: 0x1000 * k, phi: 0, n: 1, source, chains: [] }] });
    const c = new CodeCache();
    c.load(writeCodeCacheFile(translatorFingerprint(), [data(1), data(2), data(3)]));
    const ram = new Uint16Array(0x4000);
    ram.set(source, 0x2000 / 2);
    expect(c.bucket(layout).find(ram, 0x2000, 0x2000, 0), 'module 2 is found').not.toBeNull();
    const plos = (file: Uint8Array) => CodeCache.load(file).snapshot().modules.map((m) => m.blocks[0].plo);
    expect(plos(c.serialize())).toEqual([0x1000, 0x3000, 0x2000]);
    const each = c.stats.bytes / 3;
    expect(plos(c.serialize(Math.floor(1.5 * each)))).toEqual([0x2000]);
    expect(plos(c.serialize(Math.floor(2.5 * each)))).toEqual([0x3000, 0x2000]);
  });
});

describe('code cache: replacing a block', () => {
  it('the same code again at a pc with one block: the new block is found, and dropping its module later works', () => {
    const layout = { memoryPages: 17, area: 0x10040, dirtyOffset: 0x8000, codeOffset: 0x9000 };
    const bytes = translatorSample().bytes;
    const at = (source: Uint16Array): CodeCacheModuleData => ({ layout, bytes, module: null, blocks: [{ plo: 0x1000, phi: 0, n: 1, source, chains: [] }] });
    const first = Uint16Array.of(0x0293, 0x0012); // addi x5, x5, 1
    const other = Uint16Array.of(0x0313, 0x0023); // addi x6, x6, 2
    const file = (m: CodeCacheModuleData) => ({ version: CODE_CACHE_VERSION, translator: translatorFingerprint(), modules: [m] });
    const c = new CodeCache();
    c.merge(file(at(first)));
    c.merge(file(at(first))); // replaces the only block at 0x1000
    const ram = new Uint16Array(0x4000);
    ram.set(first, 0x1000 / 2);
    expect(c.bucket(layout).find(ram, 0x1000, 0x1000, 0), 'the replacement is found').not.toBeNull();
    c.merge(file(at(other)));
    ram.set(other, 0x1000 / 2);
    expect(c.bucket(layout).find(ram, 0x1000, 0x1000, 0), 'a variant beside it').not.toBeNull();
    // Evict everything: every module is dropped, each block from the list it is in.
    const bounded = new CodeCache({ maxBytes: 1 });
    expect(() => bounded.merge(c.snapshot())).not.toThrow();
    expect(bounded.stats.modules).toBeLessThanOrEqual(1);
  });
});

describe('code cache: precompiling a loaded file on a worker thread', () => {
  const elf = elfOf('int-sieve-crc.elf');
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  /** Until `c` has handed every module back to `cache`. */
  async function drain(cache: CodeCache, c: BackgroundCompiler): Promise<void> {
    for (let i = 0; c.inFlight > 0 && i < 3000; i++) { cache.takePrecompiled(); await sleep(5); }
    cache.takePrecompiled();
    expect(c.inFlight, 'the worker answered every module').toBe(0);
  }

  it('modules that came back before their first use are not compiled here; the run stays exact', async () => {
    const file = (() => { const c = new CodeCache(); fill(c, elf); return c.serialize(); })();
    const cache = CodeCache.load(file);
    const modules = cache.pendingModules;
    const c = BackgroundCompiler.start()!;
    try {
      expect(cache.precompile(c)).toBe(modules);
      await drain(cache, c);
      const s = checkAgainstInterpreter(cache, elf, 17);
      expect(s.fromCache).toBeGreaterThan(0);
      expect(cache.stats.compiled, 'compiled on this thread').toBe(0);
      expect(cache.stats.precompiled).toBe(modules);
      expect(cache.precompile(c), 'nothing left to send once every module is built').toBe(0);
    } finally {
      c.close();
    }
  });

  it('with a worker of its own, a run that starts at once is exact, each module compiled here or there', () => {
    const cache = CodeCache.load((() => { const c = new CodeCache(); fill(c, elf); return c.serialize(); })());
    const modules = cache.pendingModules;
    expect(cache.precompile()).toBe(modules);
    const s = checkAgainstInterpreter(cache, elf, 19);
    expect(s.fromCache).toBeGreaterThan(0);
    const st = cache.stats;
    expect(st.rejected).toBe(0);
    expect(st.compiled + st.precompiled).toBeGreaterThan(0);
    expect(st.compiled + st.precompiled).toBeLessThanOrEqual(modules);
  });

  it('modules that do not compile are rejected at their use, as without it; the run stays exact', async () => {
    const snap = (() => { const c = new CodeCache(); fill(c, elf); return c.snapshot(); })();
    const broken = snap.modules.map((m) => { const bytes = new Uint8Array(m.bytes); bytes[0] ^= 0xff; return { ...m, bytes, module: null }; });
    const cache = CodeCache.load(writeCodeCacheFile(translatorFingerprint(), broken));
    const c = BackgroundCompiler.start()!;
    try {
      expect(cache.precompile(c)).toBe(broken.length);
      await drain(cache, c);
      const s = checkAgainstInterpreter(cache, elf, 23);
      expect(s.fromCache).toBe(0);
      expect(s.translated).toBeGreaterThan(0);
      expect(cache.stats.rejected).toBeGreaterThan(0);
      expect(cache.stats.precompiled).toBe(0);
    } finally {
      c.close();
    }
  });

  it('a snapshot of a cache loaded from a Buffer holds each module\'s own bytes, not views of the file', () => {
    const file = (() => { const c = new CodeCache(); fill(c, elf); return c.serialize(); })();
    const modules = CodeCache.load(Buffer.from(file)).snapshot().modules;
    expect(modules.length).toBeGreaterThan(1);
    for (const m of modules) expect(m.bytes.buffer.byteLength).toBe(m.bytes.byteLength);
  });
});

describe('translator fingerprint', () => {
  it('its sample reaches the whole translator: every instruction translated, chained exits, a valid module', () => {
    const s = translatorSample();
    for (const b of s.blocks) expect(b.n).toBe(b.insns);
    expect(s.blocks[0].chains).toContain(2);
    expect(s.blocks[1].chains).toContain(2);
    expect(WA.validate(s.bytes)).toBe(true);
    expect(translatorFingerprint()).toBe(crc32(s.bytes));
  });
});
