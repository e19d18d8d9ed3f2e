import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateRawSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { CodeCache, runBareElf } from '@prnr/cpu';
import { CODE_CACHE_FILE, CodeCacheWriter, decodeCodeCacheFile, decodeCodeCacheFileAsync, loadCodeCache, saveCodeCache } from './code-cache-file.js';
import type { RecordingSource } from './replay-session.js';
import { makeFifo } from '@prnr/test-env/fifo';

const dir = mkdtempSync(join(tmpdir(), 'prnr-cc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const ELF = new Uint8Array(readFileSync(fileURLToPath(new URL('../../../bench/programs/int-sieve-crc.elf', import.meta.url))));

/** Runs the bare program on the wasm engine with `cache` for `steps` (a new machine each call: more steps, more code). */
const translate = (cache: CodeCache, steps: number) => void runBareElf(ELF, { engine: 'wasm', jitThreshold: 8, codeCache: cache, maxInstructions: steps });
/** What a cache holds, as the cpu counts it. */
const content = (c: CodeCache) => ({ modules: c.stats.modules, blocks: c.stats.blocks });
/** A new cache holding every piece of a file. */
function loaded(file: Uint8Array): CodeCache {
  const c = new CodeCache();
  const { caches, damage } = decodeCodeCacheFile(file);
  expect(damage).toBeUndefined();
  for (const b of caches) c.load(b, { onWarning: (m) => { throw new Error(m); } });
  return c;
}

/** A writer's file of two pieces: the code of a short run, then of a longer one. */
async function twoPieces(name: string) {
  const cache = new CodeCache();
  const d = mkdtempSync(join(dir, name));
  const w = new CodeCacheWriter(d, cache);
  translate(cache, 200_000);
  w.append();
  const first = content(cache);
  w.append(); // nothing new: no piece
  translate(cache, 3_000_000);
  await w.close(); // the last piece
  return { cache, first, file: readFileSync(join(d, CODE_CACHE_FILE)) };
}

describe('code-cache.bin', () => {
  it('is written a piece at a time (version 2): the pieces hold what the cache holds, each module once', async () => {
    const { cache, first, file } = await twoPieces('pieces-');
    expect([...file.subarray(0, 6)]).toEqual([0x70, 0x72, 0x43, 0x5a, 2, 1]);
    const { caches } = decodeCodeCacheFile(file);
    expect(caches).toHaveLength(2);
    expect(content(cache).modules).toBeGreaterThan(first.modules);
    expect(content(loaded(file))).toEqual(content(cache));
    expect(content(CodeCache.load(caches[0]))).toEqual(first);
  });

  it('pieces written back to back and spaced out (one buffer reused once a piece is compressed) are each what the cache serialized', async () => {
    const cache = new CodeCache();
    const d = mkdtempSync(join(dir, 'reuse-'));
    const w = new CodeCacheWriter(d, cache);
    const expected: Buffer[] = [];
    const cursor = cache.cursor();
    // Pieces of several programs' code, growing and shrinking: the spare buffer is sometimes too small, sometimes larger than needed.
    const program = (name: string) => new Uint8Array(readFileSync(fileURLToPath(new URL(`../../../bench/programs/${name}.elf`, import.meta.url))));
    const runs = [['int-sieve-crc', 150_000, true], ['sort-matmul', 400_000, false], ['int-sieve-crc', 3_000_000, false], ['u64-sha512-muldiv', 300_000, true], ['ptr-chase', 200_000, true], ['sort-matmul', 3_000_000, false], ['coremark-small', 2_000_000, true]] as const;
    for (const [name, steps, spaced] of runs) {
      runBareElf(program(name), { engine: 'wasm', jitThreshold: 8, codeCache: cache, maxInstructions: steps });
      const r = cache.serializeUsed(cursor);
      if (r) expected.push(Buffer.from(r));
      w.append();
      if (spaced) await new Promise((done) => setTimeout(done, 50)); // its compression done: the next piece reuses the buffer
    }
    await w.close();
    const { caches, damage } = decodeCodeCacheFile(readFileSync(join(d, CODE_CACHE_FILE)));
    expect(damage).toBeUndefined();
    expect(expected.length).toBeGreaterThanOrEqual(5);
    expect(caches.map((c) => Buffer.from(c).toString('hex'))).toEqual(expected.map((b) => b.toString('hex')));
  });

  it('holds what the runs translated or found: what a loaded file brought and no run looked up stays out', async () => {
    // A per-user cache loaded before a recording, as `prnr record` loads it: code of machines with
    // another RAM size (another layout), which these runs can never find.
    const elsewhere = new CodeCache();
    runBareElf(ELF, { engine: 'wasm', jitThreshold: 8, codeCache: elsewhere, maxInstructions: 3_000_000, ramSize: 64 << 20 });
    const cache = CodeCache.load(elsewhere.serialize());
    expect(cache.pendingModules).toBe(content(elsewhere).modules);
    const d = mkdtempSync(join(dir, 'used-'));
    const w = new CodeCacheWriter(d, cache);
    translate(cache, 3_000_000);
    await w.close();
    const alone = new CodeCache();
    translate(alone, 3_000_000);
    expect(content(loaded(readFileSync(join(d, CODE_CACHE_FILE))))).toEqual(content(alone));
    expect(cache.pendingModules, 'the loaded modules were not even built').toBe(content(elsewhere).modules);
  });

  it('files of version 1 (one piece, written at the end) and of the older layout (raw deflate) still read', async () => {
    const cache = new CodeCache();
    translate(cache, 500_000);
    await saveCodeCache(dir, cache);
    const file = readFileSync(join(dir, CODE_CACHE_FILE));
    expect([...file.subarray(0, 6)]).toEqual([0x70, 0x72, 0x43, 0x5a, 1, 1]);
    expect(decodeCodeCacheFile(file).caches).toEqual([Buffer.from(cache.serialize())]);
    expect(content(loaded(file))).toEqual(content(cache));
    const old = deflateRawSync(cache.serialize(), { level: 1 });
    expect(content(loaded(old))).toEqual(content(cache));
  });

  it('a piece cut short (a crash while appending) or damaged: the pieces before it are given, and what is wrong and where', async () => {
    const { first, file: good } = await twoPieces('torn-');
    const second = 8 + 4 + good.readUInt32LE(8); // where the second piece starts
    const cut = decodeCodeCacheFile(good.subarray(0, good.length - 10));
    expect(cut.caches).toHaveLength(1);
    expect(cut.damage).toBe(`piece 2 at byte ${second} is cut short (the recording was interrupted, or is still being written)`);
    expect(content(CodeCache.load(cut.caches[0]))).toEqual(first);
    const withByte = (at: number, v: number) => { const b = Buffer.from(good); b[at] = v; return b; };
    expect(decodeCodeCacheFile(withByte(second + 7, 0x7f)).damage).toMatch(new RegExp(`^piece 2 at byte ${second}: the LZ4 block says \\d+ bytes$`));
    expect(decodeCodeCacheFile(withByte(second + 4, good[second + 4] ^ 0xff)).damage).toMatch(new RegExp(`^piece 2 at byte ${second}: \\d+ bytes uncompressed, the block says \\d+$`));
    expect(decodeCodeCacheFile(withByte(4, 9))).toEqual({ caches: [], damage: 'code cache file version 9; this reader understands 1 and 2' });
    expect(decodeCodeCacheFile(withByte(5, 7))).toEqual({ caches: [], damage: 'unknown codec 7' });
    expect(decodeCodeCacheFile(good.subarray(0, 6)).damage).toBe('6 bytes, shorter than the 8-byte header');
  });

  it('version 1: a damaged header or block says what is wrong', async () => {
    await saveCodeCache(dir, new CodeCache());
    const good = readFileSync(join(dir, CODE_CACHE_FILE));
    const withByte = (at: number, v: number) => { const b = Buffer.from(good); b[at] = v; return b; };
    expect(decodeCodeCacheFile(withByte(12, good[12] ^ 0xff)).damage).toMatch(/the LZ4 block says \d+ bytes, the header \d+/);
    expect(decodeCodeCacheFile(good.subarray(0, 10)).damage).toBe('10 bytes, shorter than the 12-byte header');
  });

  it('decoded on the thread pool: the same caches and the same damage as on this thread, for every layout', async () => {
    const { file: pieces } = await twoPieces('async-');
    const cache = new CodeCache();
    translate(cache, 200_000);
    await saveCodeCache(dir, cache);
    const whole = readFileSync(join(dir, CODE_CACHE_FILE));
    const second = 8 + 4 + pieces.readUInt32LE(8);
    const withByte = (f: Buffer, at: number, v: number) => { const b = Buffer.from(f); b[at] = v; return b; };
    const files: [string, Uint8Array][] = [
      ['pieces', pieces],
      ['one piece', whole],
      ['raw deflate', deflateRawSync(cache.serialize(), { level: 1 })],
      ['cut short', pieces.subarray(0, pieces.length - 10)],
      ['a bad size prefix', withByte(pieces, second + 7, 0x7f)],
      ['a corrupt block', withByte(pieces, second + 4, pieces[second + 4] ^ 0xff)],
      ['a corrupt block body', withByte(pieces, pieces.length - 3, pieces[pieces.length - 3] ^ 0xff)],
      ['not deflate either', new Uint8Array([1, 2, 3])],
      ['version 1 header', withByte(whole, 12, whole[12] ^ 0xff)],
    ];
    for (const [what, f] of files) {
      const sync = decodeCodeCacheFile(f);
      expect(sync.caches.length + (sync.damage === undefined ? 0 : 1), what).toBeGreaterThan(0);
      expect(await decodeCodeCacheFileAsync(f), what).toEqual(sync);
    }
  });

  it('loadCodeCache: a local recording (read at once) and any other source (its readFile) load the same; none at all is fine', async () => {
    const { cache, file } = await twoPieces('load-');
    const d = mkdtempSync(join(dir, 'rec-'));
    const local = { location: d, dir: d, readFile: async () => { throw new Error('a local recording is read directly'); } } as unknown as RecordingSource;
    const remote = { location: 'http://recordings.example/r', readFile: async (p: string) => { expect(p).toBe(CODE_CACHE_FILE); return file; } } as unknown as RecordingSource;
    const warn = (m: string) => { throw new Error(m); };
    writeFileSync(join(d, CODE_CACHE_FILE), file);
    const a = new CodeCache(), b = new CodeCache();
    await loadCodeCache(local, warn, a);
    await loadCodeCache(remote, warn, b);
    expect(a.pendingModules).toBe(content(cache).modules);
    expect(content(a)).toEqual(content(cache));
    expect(content(b)).toEqual(content(cache));
    const none = new CodeCache();
    await loadCodeCache({ location: dir, dir: join(dir, 'nothing-here') } as unknown as RecordingSource, warn, none);
    expect(content(none)).toEqual({ modules: 0, blocks: 0 });
  });

  it('loadCodeCache: pieces that each give the same warning (made by another translator) are told once, different ones each', async () => {
    const { file } = await twoPieces('warn-once-');
    expect(decodeCodeCacheFile(file).caches).toHaveLength(2);
    const d = mkdtempSync(join(dir, 'rec-'));
    writeFileSync(join(d, CODE_CACHE_FILE), file);
    // Stands in for the cpu's check of each piece, which refuses every piece of an older translator's file alike.
    const refusing = (say: (piece: number) => string) => {
      let piece = 0;
      return { load: (_: Uint8Array, o: { onWarning?: (m: string) => void }) => o.onWarning?.(say(piece++)) } as unknown as CodeCache;
    };
    const told: string[] = [];
    await loadCodeCache({ location: d, dir: d } as unknown as RecordingSource, (m) => told.push(m), refusing(() => 'code cache file ignored: made by another translator'));
    expect(told).toEqual([`${d}/${CODE_CACHE_FILE}: code cache file ignored: made by another translator`]);
    const each: string[] = [];
    await loadCodeCache({ location: d, dir: d } as unknown as RecordingSource, (m) => each.push(m), refusing((k) => `piece ${k} is odd`));
    expect(each).toEqual([`${d}/${CODE_CACHE_FILE}: piece 0 is odd`, `${d}/${CODE_CACHE_FILE}: piece 1 is odd`]);
  });

  it('loadCodeCache: a code-cache.bin that is a directory, a FIFO or a symbolic link is one warning naming it, never read (a FIFO would block)', async () => {
    const { file } = await twoPieces('not-regular-');
    const stops: Array<() => void> = [];
    const kinds: Array<[string, (path: string) => void]> = [
      ['a directory', (path) => mkdirSync(path)],
      ['a FIFO', (path) => stops.push(makeFifo(path).stop)],
      ['a symbolic link', (path) => { writeFileSync(`${path}.real`, file); symlinkSync(`${path}.real`, path); }],
    ];
    try {
      for (const [kind, make] of kinds) {
        const d = mkdtempSync(join(dir, 'rec-'));
        make(join(d, CODE_CACHE_FILE));
        const told: string[] = [];
        const cache = new CodeCache();
        await loadCodeCache({ location: d, dir: d } as unknown as RecordingSource, (m) => told.push(m), cache);
        expect(told).toEqual([`${d}/${CODE_CACHE_FILE} is ${kind}, not a regular file: ignored, the replay translates code afresh`]);
        expect(content(cache)).toEqual({ modules: 0, blocks: 0 });
      }
    } finally {
      for (const stop of stops) stop();
    }
  });
});
