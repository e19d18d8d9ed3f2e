// Suite "linux-engines": the default guest (guest/images) booted to the shell,
// `uname -a` typed, `poweroff -f` (the packages/machine test workload), on each
// engine of our hart: 'interp' (the reference interpreter) and 'fast'
// (translated blocks). Both must end at the same step count with the same RAM.
// QEMU's rows for the Linux workload are in the "boot" suite.
//
// Options:
//   --engine-reps N   timed boots per engine, median (default 1)
//
// Wall time: from building the machine (images already loaded) to power-off.

import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { median } from '../lib/report.mjs';

export const name = 'linux-engines';
export const order = 15;
export const description = 'Linux boot to the shell and poweroff on each hart engine (interp, fast)';

const ENGINES = ['interp', 'fast', 'wasm'];

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
  return { ms, icount: m.hart.icount, engine: m.hart.engine, powerDown: out.includes('reboot: Power down'), ram: createHash('sha256').update(m.ram.u8).digest('hex') };
}

export async function run({ args, log }) {
  const reps = Number(args['engine-reps'] ?? 1);
  const machineUrl = new URL('../../packages/machine/dist/index.js', import.meta.url);
  const cpuUrl = new URL('../../packages/cpu/dist/index.js', import.meta.url);
  const imagesDir = new URL('../../guest/images', import.meta.url).pathname;
  if (!existsSync(machineUrl) || !existsSync(cpuUrl)) {
    return { title: 'Linux boot on each hart engine', columns: ['engine'], rows: [], records: [], notes: ['packages not built (pnpm build)'], ok: false };
  }
  const M = await import(machineUrl.href);
  const C = await import(cpuUrl.href);
  const imgs = M.loadGuestImages(imagesDir);
  const records = [];
  const notes = [];
  let ok = true;
  for (const engine of ENGINES) {
    log(`  ${engine} ...`);
    const runs = [];
    for (let i = 0; i < reps; i++) runs.push(bootOnce(M, C, imgs, engine));
    const last = runs[runs.length - 1];
    if (last.engine !== engine) notes.push(`this hart build has no '${engine}' engine (ran '${last.engine}')`);
    if (!last.powerDown) { ok = false; notes.push(`${engine}: the guest did not power off`); }
    records.push({ engine, wallMs: median(runs.map((r) => r.ms)), runsMs: runs.map((r) => r.ms), instructions: last.icount, ram: last.ram });
  }
  const ref = records[0];
  for (const r of records.slice(1)) {
    if (r.instructions !== ref.instructions || r.ram !== ref.ram) {
      ok = false;
      notes.push(`${r.engine}: ended at ${r.instructions} steps, RAM ${r.ram.slice(0, 16)}; interp: ${ref.instructions}, ${ref.ram.slice(0, 16)}`);
    }
  }
  notes.push('speedup: the interpreter\'s wall time over this engine\'s (same run); RAM hashes and step counts at power-off are equal');
  const rows = records.map((r) => [r.engine, (r.wallMs / 1000).toFixed(2), `${(r.instructions / 1e6).toFixed(1)}M`, (r.instructions / (r.wallMs / 1000) / 1e6).toFixed(1), `${(ref.wallMs / r.wallMs).toFixed(2)}×`]);
  return {
    title: `Linux boot (shell, uname, poweroff) on each hart engine (median of ${reps})`,
    columns: ['engine', 'wall s', 'steps', 'MIPS', 'speedup'],
    rows,
    records,
    notes,
    ok,
  };
}
