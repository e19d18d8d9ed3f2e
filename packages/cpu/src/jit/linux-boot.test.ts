/**
 * The 'wasm' engine against the interpreter on the default Linux guest: the
 * whole boot to the shell, two commands and the poweroff (OpenSBI, the
 * kernel with the MMU on, device probing, interrupts, user space) reach
 * identical machine state and RAM at each check and at the end.
 *
 * The board lives in @prnr/machine, which depends on this package, so it is
 * loaded from its source entry at run time rather than as a dependency.
 */
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Hart } from '../hart.js';
import type { HartEngine } from '../hart.js';
import { CodeCache } from './code-cache.js';

const MACHINE = new URL('../../../machine/src/index.ts', import.meta.url).href;
const IMAGES = fileURLToPath(new URL('../../../../guest/images', import.meta.url));
const CHECKS = [2_000_000, 9_000_000, 17_000_000, 30_000_000, 55_000_000, 600_000_000];

interface Board {
  hart: Hart;
  ram: { u8: Uint8Array };
  boot(): void;
  run(limit: number): { reason: string; wakeAt?: bigint | null };
  advanceIdle(mtime: bigint): void;
  saveMeta(): unknown;
}

async function board(engine: HartEngine, jitThreshold: number | undefined, codeCache: CodeCache | null = null, backgroundCompile = false): Promise<{ m: Board; out: () => string }> {
  const M = await import(/* @vite-ignore */ MACHINE);
  const imgs = M.loadGuestImages(IMAGES);
  const config = M.defaultBoardConfig({
    disk: imgs.disk.sha256,
    images: { firmware: imgs.firmware.sha256, kernel: imgs.kernel.sha256, initrd: imgs.initrd.sha256 },
  });
  let out = '';
  const input = new M.ScriptInput('uname -a\npoweroff -f\n');
  const saved = [Hart.defaultEngine, Hart.defaultJitThreshold, Hart.defaultCodeCache, Hart.defaultBackgroundCompile] as const;
  Hart.defaultEngine = engine;
  Hart.defaultJitThreshold = jitThreshold;
  Hart.defaultCodeCache = codeCache;
  Hart.defaultBackgroundCompile = backgroundCompile;
  try {
    const m = new M.VirtMachine(
      config,
      { firmware: imgs.firmware.bytes, kernel: imgs.kernel.bytes, initrd: imgs.initrd.bytes, disks: { [imgs.disk.sha256]: imgs.disk.bytes } },
      {
        consoleOutput: { write: (b: number) => { out += String.fromCharCode(b); input.observe(b); } },
        consoleInput: input,
        clock: { now: () => 1_764_000_000_000_000_000n },
        entropy: { fill: (buf: Uint8Array) => buf.forEach((_, i) => { buf[i] = (i * 151 + 7) & 0xff; }) },
      },
    ) as Board;
    expect(m.hart.engine).toBe(engine);
    m.boot();
    return { m, out: () => out };
  } finally {
    [Hart.defaultEngine, Hart.defaultJitThreshold, Hart.defaultCodeCache, Hart.defaultBackgroundCompile] = saved;
  }
}

function runTo(m: Board, limit: number): void {
  for (;;) {
    const r = m.run(limit);
    if (r.reason === 'idle' && r.wakeAt != null) { m.advanceIdle(r.wakeAt); continue; }
    return;
  }
}

const hash = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

const engine = 'wasm';
const threshold = 8;

describe(`${engine} engine vs interpreter: Linux boot`, () => {
  it(`reaches the same machine state and RAM at ${CHECKS.slice(0, -1).join(', ')} steps and at poweroff; so do a machine on the first one's code cache, one on that cache serialized and loaded, and one compiling in the background`, async () => {
    const a = await board('interp', undefined);
    const cache = new CodeCache();
    const b = await board(engine, threshold, cache);
    const seen: { icount: number; meta: unknown; ram: string }[] = [];
    for (const at of CHECKS) {
      runTo(a.m, at);
      runTo(b.m, at);
      seen.push({ icount: a.m.hart.icount, meta: a.m.saveMeta(), ram: hash(a.m.ram.u8) });
      expect(b.m.hart.icount, `icount at ${at}`).toBe(a.m.hart.icount);
      expect(b.m.saveMeta(), `machine state at ${at}`).toEqual(a.m.saveMeta());
      expect(hash(b.m.ram.u8), `RAM at ${at}`).toBe(hash(a.m.ram.u8));
    }
    expect(b.out()).toBe(a.out());
    expect(a.out()).toContain('reboot: Power down');
    const first = b.m.hart.engineStats;
    expect(first.compiled).toBeGreaterThan(100);

    const warnings: string[] = [];
    const loaded = CodeCache.load(cache.serialize(), { onWarning: (w) => warnings.push(w) });
    expect(warnings).toEqual([]);
    for (const [name, c] of [['warm cache', cache], ['loaded cache', loaded]] as const) {
      const m = await board(engine, threshold, c);
      CHECKS.forEach((at, i) => {
        runTo(m.m, at);
        expect(m.m.hart.icount, `${name}: icount at ${at}`).toBe(seen[i].icount);
        expect(m.m.saveMeta(), `${name}: machine state at ${at}`).toEqual(seen[i].meta);
        expect(hash(m.m.ram.u8), `${name}: RAM at ${at}`).toBe(seen[i].ram);
      });
      expect(m.out()).toBe(a.out());
      const s = m.m.hart.engineStats;
      expect(s.fromCache, name).toBeGreaterThan(first.translated / 2);
      expect(s.translated, name).toBeLessThan(first.translated / 10);
    }
    expect(loaded.stats.compiled).toBeGreaterThan(0);

    // Blocks compiled on a worker thread, installed whenever they arrive: the same states.
    const bg = await board(engine, threshold, null, true);
    CHECKS.forEach((at, i) => {
      runTo(bg.m, at);
      expect(bg.m.hart.icount, `background compile: icount at ${at}`).toBe(seen[i].icount);
      expect(bg.m.saveMeta(), `background compile: machine state at ${at}`).toEqual(seen[i].meta);
      expect(hash(bg.m.ram.u8), `background compile: RAM at ${at}`).toBe(seen[i].ram);
    });
    expect(bg.out()).toBe(a.out());
    expect(bg.m.hart.engineStats.translated).toBeGreaterThan(100);
  });
});
