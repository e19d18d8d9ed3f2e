// Suite "linux-engines": the default guest (guest/images) booted to the shell,
// `uname -a` typed, `poweroff -f` (the packages/machine test workload), on each
// engine of our hart: 'interp' (the reference interpreter) and 'wasm' (hot
// blocks translated to WebAssembly). Both must end at the same step count with
// the same RAM.
//
// Each engine runs in a fresh Node process of its own (so that one engine's
// garbage, JIT state and WebAssembly code caches do not weigh on the other),
// boots `--engine-reps` times there and reports the first boot and the median
// of all. QEMU's rows for this workload are in the "boot" suite.
//
// Options:
//   --engine-reps N   boots per engine (default 3)
//
// Wall time: from building the machine (images already loaded) to power-off.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { median } from '../lib/report.mjs';

export const name = 'linux-engines';
export const order = 15;
export const description = 'Linux boot to the shell and poweroff on each hart engine (interp, wasm), each in its own process';

const ENGINES = ['interp', 'wasm'];
const machineUrl = new URL('../../packages/machine/dist/index.js', import.meta.url);
const cpuUrl = new URL('../../packages/cpu/dist/index.js', import.meta.url);

function bootOnce(M, C, imgs, engine) {
  const config = M.defaultBoardConfig({ disk: imgs.disk.sha256, images: { firmware: imgs.firmware.sha256, kernel: imgs.kernel.sha256, initrd: imgs.initrd.sha256 } });
  let out = '';
  const input = new M.ScriptInput('uname -a\npoweroff -f\n');
  const before = C.Hart.defaultEngine;
  C.Hart.defaultEngine = engine;
  const t0 = performance.now();
  let m;
  try {
    m = new M.VirtMachine(config, { firmware: imgs.firmware.bytes, kernel: imgs.kernel.bytes, initrd: imgs.initrd.bytes, disks: { [imgs.disk.sha256]: imgs.disk.bytes } }, {
      consoleOutput: { write: (b) => { out += String.fromCharCode(b); input.observe(b); } },
      consoleInput: input,
      clock: { now: () => 1_764_000_000_000_000_000n },
      entropy: { fill: (buf) => buf.forEach((_, i) => { buf[i] = (i * 151 + 7) & 0xff; }) },
    });
  } finally {
    C.Hart.defaultEngine = before;
  }
  m.boot();
  for (;;) {
    const r = m.run(1_000_000_000);
    if (r.reason === 'idle' && r.wakeAt !== null) { m.advanceIdle(r.wakeAt); continue; }
    break;
  }
  const ms = performance.now() - t0;
  return { ms, icount: m.hart.icount, engine: m.hart.engine, stats: m.hart.engineStats, powerDown: out.includes('reboot: Power down'), ram: createHash('sha256').update(m.ram.u8).digest('hex') };
}

/** In the child process: boot `reps` times on `engine`, print the results as JSON. */
async function child(engine, reps) {
  const M = await import(machineUrl.href);
  const C = await import(cpuUrl.href);
  const imgs = M.loadGuestImages(fileURLToPath(new URL('../../guest/images', import.meta.url)));
  const runs = [];
  for (let i = 0; i < reps; i++) runs.push(bootOnce(M, C, imgs, engine));
  process.stdout.write(JSON.stringify(runs));
}

export async function run({ args, log }) {
  const reps = Number(args['engine-reps'] ?? 3);
  if (!existsSync(machineUrl) || !existsSync(cpuUrl)) {
    return { title: 'Linux boot on each hart engine', columns: ['engine'], rows: [], records: [], notes: ['packages not built (pnpm build)'], ok: false };
  }
  const records = [];
  const notes = [];
  let ok = true;
  for (const engine of ENGINES) {
    log(`  ${engine} (${reps} boots in a fresh process) ...`);
    const p = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', engine, String(reps)], { encoding: 'utf8', maxBuffer: 1 << 24 });
    if (p.status !== 0) {
      ok = false;
      notes.push(`${engine}: the boot process failed (${p.status ?? p.signal}): ${p.stderr.trim().split('\n').slice(-3).join(' ')}`);
      continue;
    }
    const runs = JSON.parse(p.stdout);
    const last = runs[runs.length - 1];
    if (last.engine !== engine) notes.push(`this hart build has no '${engine}' engine (ran '${last.engine}')`);
    if (!runs.every((r) => r.powerDown)) { ok = false; notes.push(`${engine}: the guest did not power off`); }
    records.push({ engine, firstMs: runs[0].ms, wallMs: median(runs.map((r) => r.ms)), runsMs: runs.map((r) => r.ms), instructions: last.icount, ram: last.ram, stats: last.stats });
  }
  const ref = records.find((r) => r.engine === 'interp');
  for (const r of records) {
    if (ref && (r.instructions !== ref.instructions || r.ram !== ref.ram)) {
      ok = false;
      notes.push(`${r.engine}: ended at ${r.instructions} steps, RAM ${r.ram.slice(0, 16)}; interp: ${ref.instructions}, ${ref.ram.slice(0, 16)}`);
    }
  }
  notes.push('speedup: the interpreter\'s wall time over this engine\'s (same run); RAM hashes and step counts at power-off are equal');
  notes.push('interpreted: steps the wasm engine left to the interpreter (code not yet hot, instructions it does not translate)');
  const pct = (r) => (r.stats && r.stats.compiled > 0 ? `${((100 * r.stats.interpreted) / r.instructions).toFixed(1)}%` : '');
  const rows = records.map((r) => [
    r.engine,
    (r.firstMs / 1000).toFixed(2),
    (r.wallMs / 1000).toFixed(2),
    `${(r.instructions / 1e6).toFixed(1)}M`,
    (r.instructions / (r.wallMs / 1000) / 1e6).toFixed(1),
    ref ? `${(ref.firstMs / r.firstMs).toFixed(2)}×` : '',
    ref ? `${(ref.wallMs / r.wallMs).toFixed(2)}×` : '',
    r.stats?.compiled ? String(r.stats.compiled) : '',
    pct(r),
  ]);
  return {
    title: `Linux boot (shell, uname, poweroff) on each hart engine (${reps} boots per engine, each engine in its own process)`,
    columns: ['engine', 'first boot s', `median s`, 'steps', 'MIPS (median)', 'speedup (first)', 'speedup (median)', 'blocks', 'interpreted'],
    rows,
    records,
    notes,
    ok,
  };
}

if (process.argv[2] === '--child') await child(process.argv[3], Number(process.argv[4]));
