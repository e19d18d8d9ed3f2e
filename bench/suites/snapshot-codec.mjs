// Suite "snapshot-codec": compression codecs on the RAM of a booted Linux
// guest, per 4 KiB page and per 64 KiB object, and what @prnr/snapshot's
// captures cost on that RAM (full, incremental, stateRoot, restore).
//
// The RAM comes from booting the default guest (guest/images) on
// @prnr/machine for --steps steps (default 150M), or from --ram-image FILE
// (raw bytes, e.g. a dump of Ram.u8). Only non-zero units are compressed:
// zero pages never reach a codec (they share one hash and have no object).
//
// Options:
//   --steps N          guest steps before the RAM is taken (default 150000000)
//   --ram-image FILE   use these bytes as RAM instead of booting
//   --codec-reps N     timed passes per codec, best kept (default 5)
//   --dirty N          pages changed before the incremental capture (default 1000)
//   --dense            also capture a RAM of the same size with every page non-zero and distinct
//                      (the guest's pages tiled, each salted): the worst case for a first capture
//   --snapshot PATH    the module exporting @prnr/snapshot (default packages/snapshot/dist/index.js)
//   --machine PATH     the module exporting @prnr/machine (default packages/machine/dist/index.js)
//
// zstd-napi and @bokuweb/zstd-wasm are measured when they resolve from
// packages/snapshot (they are not dependencies; README.md has their numbers).

import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import zlib from 'node:zlib';

export const name = 'snapshot-codec';
export const order = 40;
export const description = 'snapshot codecs on booted-guest RAM pages, and capture/restore costs';

const PAGE = 4096;
const here = (p) => new URL(p, import.meta.url);

async function importModule(path, fallback, what) {
  const url = path ? pathToFileURL(resolve(path)) : here(fallback);
  if (!existsSync(url)) return { error: `${path ?? fallback.replace('../../', '')} not found: ${what} is not built (pnpm build)` };
  try {
    return { mod: await import(url.href) };
  } catch (err) {
    return { error: `importing ${url.pathname} failed: ${err.message}` };
  }
}

function bootRam(machineMod, steps, log) {
  const { VirtMachine, defaultBoardConfig, loadGuestImages, ScriptInput } = machineMod;
  const imgs = loadGuestImages(new URL('../../guest/images', import.meta.url).pathname);
  const config = defaultBoardConfig({ disk: imgs.disk.sha256, images: { firmware: imgs.firmware.sha256, kernel: imgs.kernel.sha256, initrd: imgs.initrd.sha256 } });
  const input = new ScriptInput('ls -lR /bin /etc > /dev/null\ncat /proc/meminfo > /dev/null\nsleep 1000\n');
  const m = new VirtMachine(
    config,
    { firmware: imgs.firmware.bytes, kernel: imgs.kernel.bytes, initrd: imgs.initrd.bytes, disks: { [imgs.disk.sha256]: imgs.disk.bytes } },
    {
      consoleOutput: { write: (b) => input.observe(b) },
      consoleInput: input,
      clock: { now: () => 1_764_000_000_000_000_000n },
      entropy: { fill: (buf) => buf.forEach((_, i) => (buf[i] = (i * 151 + 7) & 0xff)) },
    },
  );
  m.boot();
  const t0 = performance.now();
  for (;;) {
    const r = m.run(steps);
    if (r.reason === 'idle' && r.wakeAt !== null) {
      m.advanceIdle(r.wakeAt);
      continue;
    }
    break;
  }
  log(`  booted the default guest: ${m.hart.icount} steps in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return m;
}

function nonZeroUnits(u8, size) {
  const out = [];
  const w = new Int32Array(u8.buffer, u8.byteOffset, u8.byteLength >>> 2);
  for (let o = 0; o + size <= u8.length; o += size) {
    let acc = 0;
    for (let i = o >>> 2, end = (o + size) >>> 2; i < end && acc === 0; i++) acc |= w[i];
    if (acc !== 0) out.push(u8.subarray(o, o + size));
  }
  return out;
}

function codecs(req) {
  const list = [];
  try {
    const lz4 = req('lz4-napi');
    list.push(['lz4-napi (chosen)', (b) => lz4.compressSync(Buffer.from(b.buffer, b.byteOffset, b.byteLength)), (b) => lz4.uncompressSync(b)]);
  } catch (err) {
    list.push(['lz4-napi (chosen)', null, null, `does not load: ${err.message}`]);
  }
  try {
    const zn = req('zstd-napi');
    const d = new zn.Decompressor();
    for (const level of [-1, 1, 3]) {
      const c = new zn.Compressor();
      c.setParameters({ compressionLevel: level });
      list.push([`zstd-napi ${level}`, (b) => c.compress(b), (b) => d.decompress(b)]);
    }
  } catch {
    /* not installed */
  }
  try {
    const zw = req('@bokuweb/zstd-wasm');
    list.push(['zstd-wasm', null, null, 'init', zw]);
  } catch {
    /* not installed */
  }
  for (const level of [1, 6]) list.push([`deflate-raw ${level}`, (b) => zlib.deflateRawSync(b, { level }), (b) => zlib.inflateRawSync(b)]);
  for (const q of [1, 4]) {
    const params = { [zlib.constants.BROTLI_PARAM_QUALITY]: q };
    list.push([`brotli ${q}`, (b) => zlib.brotliCompressSync(b, { params }), (b) => zlib.brotliDecompressSync(b)]);
  }
  return list;
}

function measureCodec(units, size, compress, decompress, reps) {
  let tc = Infinity;
  let td = Infinity;
  let stored = 0;
  for (let i = 0; i < Math.min(200, units.length); i++) decompress(compress(units[i])); // warm up
  for (let r = 0; r < reps; r++) {
    let t0 = performance.now();
    const comp = units.map((u) => compress(u));
    tc = Math.min(tc, performance.now() - t0);
    stored = comp.reduce((n, c) => n + Math.min(c.length, size), 0);
    t0 = performance.now();
    for (const c of comp) decompress(c);
    td = Math.min(td, performance.now() - t0);
  }
  const bytes = units.length * size;
  return { compressMBs: bytes / 1e6 / (tc / 1000), decompressMBs: bytes / 1e6 / (td / 1000), ratio: bytes / stored };
}

async function time(fn) {
  const t0 = performance.now();
  const v = await fn();
  return { ms: performance.now() - t0, v };
}

/** Every page of a RAM the same size non-zero and distinct: the guest's non-zero pages tiled, each salted with its index. */
async function denseCaptures(S, ram) {
  const src = nonZeroUnits(ram.u8, PAGE);
  const u8 = new Uint8Array(ram.size);
  const dv = new DataView(u8.buffer);
  for (let p = 0; p < ram.size / PAGE; p++) {
    u8.set(src[p % src.length], p * PAGE);
    dv.setUint32(p * PAGE, dv.getUint32(p * PAGE, true) ^ (p + 1), true);
  }
  const parts = { meta: { dense: true }, ram: { size: ram.size, u8, dirty: new Uint8Array(ram.size / PAGE) }, disks: [] };
  const out = {};
  const sr = await time(async () => (await S.SnapshotWriter.create()).stateRoot(parts));
  out.stateRoot = sr.ms;
  const mem = await time(async () => (await S.SnapshotWriter.create()).capture(parts, new S.MemoryObjectStore()));
  out.memory = mem.ms;
  const dir = mkdtempSync(join(tmpdir(), 'prnr-bench-dense-'));
  try {
    const fs = new S.FsObjectStore(dir);
    const w = await S.SnapshotWriter.create();
    const c = await time(() => w.capture(parts, fs));
    out.fs = c.ms;
    out.objects = c.v.stats.objectsAdded;
    out.storedBytes = c.v.stats.bytesAdded;
    out.logicalBytes = c.v.stats.logicalBytes;
    const target = new Uint8Array(ram.size);
    const r = await time(() => S.restoreSnapshot(c.v.root, fs, { ram: target }));
    out.restore = r.ms;
    out.agree = sr.v === c.v.root && mem.v.root === c.v.root && Buffer.from(target).equals(Buffer.from(u8));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

export async function run({ args, log }) {
  const steps = Number(args.steps ?? 150_000_000);
  const reps = Number(args['codec-reps'] ?? 5);
  const dirtyPages = Number(args.dirty ?? 1000);
  const snap = await importModule(args.snapshot, '../../packages/snapshot/dist/index.js', '@prnr/snapshot');
  if (snap.error) return { title: 'snapshot codecs', columns: ['error'], rows: [[snap.error]], records: [], ok: false };
  const S = snap.mod;

  // The RAM: a booted guest (its Ram, so captures see the real dirty bitmap), or an image file.
  let ram;
  let source;
  if (args['ram-image']) {
    const bytes = readFileSync(args['ram-image']);
    ram = { size: bytes.length, u8: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length), dirty: new Uint8Array(bytes.length / PAGE) };
    source = `RAM image ${args['ram-image']}`;
  } else {
    const mach = await importModule(args.machine, '../../packages/machine/dist/index.js', '@prnr/machine');
    if (mach.error) return { title: 'snapshot codecs', columns: ['error'], rows: [[mach.error]], records: [], ok: false };
    ram = bootRam(mach.mod, steps, log).ram;
    source = `default guest RAM after ${(steps / 1e6).toFixed(0)}M steps`;
  }

  // 1. Codecs.
  const req = createRequire(here('../../packages/snapshot/package.json'));
  const rows = [];
  const records = [];
  const notes = [];
  for (const size of [PAGE, 65536]) {
    const units = nonZeroUnits(ram.u8, size);
    for (const [name, c, d, err, wasm] of codecs(req)) {
      let compress = c;
      let decompress = d;
      if (err === 'init') {
        await wasm.init();
        for (const level of [-1, 1, 3]) {
          const m = measureCodec(units, size, (b) => wasm.compress(b, level), (b) => wasm.decompress(b), reps);
          rows.push([`zstd-wasm ${level}`, `${size / 1024} KiB`, String(units.length), m.compressMBs.toFixed(0), m.decompressMBs.toFixed(0), m.ratio.toFixed(2)]);
          records.push({ codec: `zstd-wasm ${level}`, unit: size, units: units.length, ...m });
        }
        continue;
      }
      if (err) {
        notes.push(`${name}: ${err}`);
        continue;
      }
      const m = measureCodec(units, size, compress, decompress, reps);
      rows.push([name, `${size / 1024} KiB`, String(units.length), m.compressMBs.toFixed(0), m.decompressMBs.toFixed(0), m.ratio.toFixed(2)]);
      records.push({ codec: name, unit: size, units: units.length, ...m });
    }
  }

  // 2. Captures on this RAM (disks: none here; meta small).
  const parts = { meta: { steps: BigInt(steps) }, ram, disks: [] };
  const captures = {};
  let agree = false;
  const mem = new S.MemoryObjectStore();
  const w = await S.SnapshotWriter.create();
  const full = await time(() => w.capture(parts, mem));
  captures.fullMemory = { ms: full.ms, ...full.v.stats };
  const dir = mkdtempSync(join(tmpdir(), 'prnr-bench-objects-'));
  try {
    const fs = new S.FsObjectStore(dir);
    const wf = await S.SnapshotWriter.create();
    const fullFs = await time(() => wf.capture(parts, fs));
    captures.fullFs = { ms: fullFs.ms, ...fullFs.v.stats };
    const st = await fs.stats();
    captures.fsStore = st;

    // Incremental: change one word in `dirtyPages` distinct non-zero pages.
    const pages = ram.size / PAGE;
    const nz = [];
    for (let p = 0; p < pages; p++) if (ram.u8.subarray(p * PAGE, p * PAGE + PAGE).some((b) => b !== 0)) nz.push(p);
    const touch = (salt) => {
      for (let k = 0; k < dirtyPages; k++) {
        const p = nz[(k * 7919 + salt) % nz.length];
        ram.u8[p * PAGE + 64] ^= 0x5a;
        ram.dirty[p] = 1;
      }
    };
    // Three writers, one per measurement; each gets the same dirty marks (one owner per machine is the
    // contract, so the marks are put back for the next one).
    const hasher = await S.SnapshotWriter.create();
    hasher.stateRoot(parts);
    touch(1);
    const dirty = ram.dirty.slice();
    const inc = await time(() => wf.capture(parts, fs));
    captures.incrementalFs = { ms: inc.ms, ...inc.v.stats };
    ram.dirty.set(dirty);
    const incMem = await time(() => w.capture(parts, mem));
    captures.incrementalMemory = { ms: incMem.ms, ...incMem.v.stats };
    ram.dirty.set(dirty);
    const sr = await time(() => hasher.stateRoot(parts));
    captures.incrementalStateRoot = { ms: sr.ms };
    agree = inc.v.root === incMem.v.root && inc.v.root === sr.v;

    // Restore the latest root from the file store into fresh RAM, and a from-scratch stateRoot.
    const target = new Uint8Array(ram.size);
    const rest = await time(() => S.restoreSnapshot(inc.v.root, fs, { ram: target }));
    captures.restoreFs = { ms: rest.ms };
    agree &&= Buffer.from(target).equals(Buffer.from(ram.u8.buffer, ram.u8.byteOffset, ram.size));
    const fsr = await time(() => S.fullStateRoot(parts));
    captures.fullStateRoot = { ms: fsr.ms };
    agree &&= fsr.v === inc.v.root;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  if (args.dense) {
    const dense = await denseCaptures(S, ram);
    captures.dense = dense;
    agree &&= dense.agree;
  }

  const mib = (b) => (b / 2 ** 20).toFixed(1);
  const nzPages = nonZeroUnits(ram.u8, PAGE).length;
  notes.push(
    `data: ${source}; ${nzPages} of ${ram.size / PAGE} pages non-zero; best of ${reps} passes; MB/s of uncompressed bytes`,
    `first capture, ${mib(ram.size)} MiB RAM: ${captures.fullMemory.ms.toFixed(0)} ms into memory, ${captures.fullFs.ms.toFixed(0)} ms into a file store (${captures.fullFs.objectsAdded} objects, ${mib(captures.fullFs.bytesAdded)} MiB stored of ${mib(captures.fullFs.logicalBytes)} MiB)`,
    `incremental capture, ${dirtyPages} dirty pages: ${captures.incrementalFs.ms.toFixed(1)} ms into a file store (${captures.incrementalFs.objectsAdded} objects), ${captures.incrementalMemory.ms.toFixed(1)} ms into memory; stateRoot only: ${captures.incrementalStateRoot.ms.toFixed(1)} ms`,
    `restore from the file store: ${captures.restoreFs.ms.toFixed(0)} ms; fullStateRoot (no cache): ${captures.fullStateRoot.ms.toFixed(0)} ms`,
    `roots agree (file store, memory, stateRoot, fullStateRoot) and the restore is byte-identical: ${agree ? 'yes' : 'NO'}`,
  );
  if (captures.dense) {
    const d = captures.dense;
    notes.push(
      `dense ${mib(ram.size)} MiB (every page non-zero, distinct): stateRoot ${d.stateRoot.toFixed(0)} ms; first capture ${d.memory.toFixed(0)} ms into memory, ${d.fs.toFixed(0)} ms into a file store (${d.objects} objects, ${mib(d.storedBytes)} MiB stored of ${mib(d.logicalBytes)} MiB); restore from it ${d.restore.toFixed(0)} ms`,
    );
  }
  return {
    title: `Snapshot codecs on ${source}`,
    columns: ['codec', 'unit', 'units', 'compress MB/s', 'decompress MB/s', 'ratio'],
    rows,
    records,
    notes,
    ok: agree,
    extra: { captures },
  };
}
