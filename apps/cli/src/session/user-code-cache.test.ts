/**
 * The per-user code cache: what one run translated is saved, and a later run
 * loads it and runs from it, ending exactly where the interpreter does; a
 * damaged or odd file is one warning, never trusted, never a hang.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { CodeCache, runBareElf } from '@prnr/cpu';
import { makeFifo } from '@prnr/test-env/fifo';
import { SAVE_WHEN_ADDED_SHARE, loadUserCodeCache, saveUserCodeCache, userCodeCacheFile } from './user-code-cache.js';

const ELF = new Uint8Array(readFileSync(fileURLToPath(new URL('../../../../bench/programs/int-sieve-crc.elf', import.meta.url))));
const STEPS = 3_000_000;
const tmp = mkdtempSync(join(tmpdir(), 'prnr-ucc-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let n = 0;
/** A fresh cache directory, and the lines warned while using it. */
function place() {
  const dir = join(tmp, `c${n++}`);
  const warnings: string[] = [];
  return { env: { PRNR_CACHE_DIR: dir }, file: join(dir, 'code-cache.bin'), warnings, warn: (l: string) => void warnings.push(l) };
}
const run = (engine: 'wasm' | 'interp') => runBareElf(ELF, { engine, jitThreshold: 8, maxInstructions: STEPS });
const reference = run('interp');

describe('the per-user code cache', () => {
  beforeEach(() => CodeCache.shared.clear()); // each case starts as a new process would

  it('lives in the user cache directory; PRNR_CACHE_DIR=off: nowhere', () => {
    expect(userCodeCacheFile({ PRNR_CACHE_DIR: '/c' })).toBe(join('/c', 'code-cache.bin'));
    expect(userCodeCacheFile({ XDG_CACHE_HOME: '/x' })).toBe(join('/x', 'prnr', 'code-cache.bin'));
    expect(userCodeCacheFile({ PRNR_CACHE_DIR: 'off', HOME: '/h' })).toBeUndefined();
  });

  it('a run that translated nothing saves nothing; none there yet is no warning', async () => {
    const p = place();
    const loaded = await loadUserCodeCache(p.warn, p.env);
    await saveUserCodeCache(loaded, p.warn);
    expect(existsSync(p.file)).toBe(false);
    expect(p.warnings).toEqual([]);
  });

  it('saved after a run, loaded by the next: its blocks run from the cache, and the run ends as the interpreter\'s does', async () => {
    const p = place();
    const first = await loadUserCodeCache(p.warn, p.env);
    const cold = run('wasm');
    expect(cold.hart.engineStats.fromCache).toBe(0);
    await saveUserCodeCache(first, p.warn);
    expect(readdirSync(join(p.file, '..'))).toEqual(['code-cache.bin']); // no temporary file left
    CodeCache.shared.clear();
    await loadUserCodeCache(p.warn, p.env);
    const hot = run('wasm');
    expect(p.warnings).toEqual([]);
    expect(hot.hart.engineStats.fromCache).toBeGreaterThan(0);
    expect(hot.hart.engineStats.translated).toBeLessThan(cold.hart.engineStats.translated);
    for (const r of [cold, hot]) {
      expect(r.icount).toBe(reference.icount);
      expect(r.pc).toBe(reference.pc);
      expect(r.console).toBe(reference.console);
    }
  });

  it('a save removes the temporary files of saves whose process is gone, not those of a live one', async () => {
    const p = place();
    const loaded = await loadUserCodeCache(p.warn, p.env);
    run('wasm');
    await saveUserCodeCache(loaded, p.warn); // makes the directory
    const dir = join(p.file, '..');
    const gone = spawnSync(process.execPath, ['-e', '0']).pid!; // exited: its pid is free
    const live = process.ppid;
    writeFileSync(join(dir, `code-cache.bin.${gone}.partial`), 'cut short');
    writeFileSync(join(dir, `code-cache.bin.${live}.partial`), 'being written');
    writeFileSync(join(dir, 'notes.txt'), 'the user\'s');
    CodeCache.shared.clear();
    const again = await loadUserCodeCache(p.warn, p.env);
    run('wasm');
    await saveUserCodeCache({ ...again, modulesAtLoad: -1 }, p.warn);
    expect(readdirSync(dir).sort()).toEqual(['code-cache.bin', `code-cache.bin.${live}.partial`, 'notes.txt']);
    expect(p.warnings).toEqual([]);
  });

  it('a damaged file: one warning that names it, none of it used, the run exact', async () => {
    const p = place();
    const loaded = await loadUserCodeCache(p.warn, p.env);
    run('wasm');
    await saveUserCodeCache(loaded, p.warn);
    const bytes = readFileSync(p.file);
    bytes[bytes.length >> 1] ^= 0x5a;
    writeFileSync(p.file, bytes);
    CodeCache.shared.clear();
    await loadUserCodeCache(p.warn, p.env);
    expect(p.warnings).toHaveLength(1);
    expect(p.warnings[0]).toContain(p.file);
    const r = run('wasm');
    expect(r.hart.engineStats.fromCache).toBe(0);
    expect(r.icount).toBe(reference.icount);
    expect(r.console).toBe(reference.console);
  });

  it('a run that added only a few modules to a large cache it loaded leaves the file as it is; one that added enough saves', async () => {
    const p = place();
    // A large cache: this program's modules, copied to many other pages (code no run here reaches).
    run('wasm');
    const snapshot = CodeCache.shared.snapshot();
    const copies = Math.ceil(4 / SAVE_WHEN_ADDED_SHARE / snapshot.modules.length);
    const far = Array.from({ length: copies }, (_, k) => snapshot.modules.map((m) => ({ ...m, module: null, blocks: m.blocks.map((b) => ({ ...b, plo: (b.plo + (k + 1) * 0x100000) | 0 })) }))).flat();
    CodeCache.shared.clear();
    CodeCache.shared.merge({ ...snapshot, modules: far });
    await saveUserCodeCache({ file: p.file, modulesAtLoad: -1, modulesLoaded: 0 }, p.warn);
    const large = readFileSync(p.file);
    expect(readdirSync(join(p.file, '..'))).toEqual(['code-cache.bin']);
    // A run of the program on it translates its few modules (the copies lie elsewhere): not saved.
    CodeCache.shared.clear();
    const loaded = await loadUserCodeCache(p.warn, p.env);
    expect(loaded.modulesLoaded).toBe(far.length);
    const r = run('wasm');
    const added = CodeCache.shared.modulesAdded - loaded.modulesAtLoad;
    expect(added).toBeGreaterThan(0);
    expect(added).toBeLessThan(far.length * SAVE_WHEN_ADDED_SHARE);
    expect(r.icount).toBe(reference.icount);
    await saveUserCodeCache(loaded, p.warn);
    expect(readFileSync(p.file)).toEqual(large);
    // As many added as the share: saved, and the next load has them.
    await saveUserCodeCache({ ...loaded, modulesAtLoad: CodeCache.shared.modulesAdded - Math.ceil(far.length * SAVE_WHEN_ADDED_SHARE) }, p.warn);
    expect(readFileSync(p.file)).not.toEqual(large);
    CodeCache.shared.clear();
    await loadUserCodeCache(p.warn, p.env);
    expect(run('wasm').hart.engineStats.fromCache).toBeGreaterThan(0);
    expect(p.warnings).toEqual([]);
  });

  it('a FIFO in its place is one warning, not a hang; a directory that cannot be made is one warning on save, not an error', async () => {
    const p = place();
    const loaded = await loadUserCodeCache(p.warn, p.env); // nothing there: the directory is made on save
    run('wasm');
    await saveUserCodeCache(loaded, p.warn);
    rmSync(p.file);
    const fifo = makeFifo(p.file);
    try {
      await loadUserCodeCache(p.warn, p.env);
    } finally {
      fifo.stop();
    }
    expect(p.warnings).toEqual([`${p.file} is a FIFO, not a regular file: ignored`]);
    const blocked = join(tmp, 'a-file');
    writeFileSync(blocked, '');
    const q = place();
    await saveUserCodeCache({ file: join(blocked, 'prnr', 'code-cache.bin'), modulesAtLoad: -1, modulesLoaded: 0 }, q.warn);
    expect(q.warnings).toHaveLength(1);
    expect(q.warnings[0]).toMatch(/^the code cache was not saved to .*a-file\/prnr\/code-cache\.bin: ENOTDIR/);
  });
});
