// Suite "cpu": the bare-metal RV64 programs in bench/programs/*.elf on our hart
// (runBareElf from @prnr/cpu) and, when qemu-system-riscv64 is on PATH, on
// QEMU's spike machine, which runs the same ELF unchanged (HTIF tohost exit).
//
// Options:
//   --program S      only programs whose name contains S (repeatable)
//   --cpu-reps N     timed runs on our hart per program, median (default 1)
//   --qemu-reps N    timed QEMU runs per program, median (default 3)
//   --no-hart        skip our hart; --no-qemu  skip QEMU
//   --hart PATH      the module exporting runBareElf (default
//                    packages/cpu/dist/index.js), e.g. to compare two builds
//   --no-wasm        skip the columns of the hart's 'wasm' engine (blocks
//                    translated to WebAssembly); "ours" is always the
//                    interpreter ('interp')
//
// QEMU's time includes its own startup (machine setup, ELF load); it is
// measured on bench/programs/empty.elf (exits at once) and subtracted in the
// "corrected" column. QEMU's MIPS uses our instruction count: same program,
// same instructions. Until our hart reports a count, the approximate count from
// bench/programs/counts.json (QEMU minstret under -icount, see build.sh) is used.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { median } from '../lib/report.mjs';

export const name = 'cpu';
export const order = 10;
export const description = 'bare-metal RV64 CPU-bound programs: our hart vs QEMU (-M spike)';

const MAX_INSTRUCTIONS = 5_000_000_000;
const WARMUP_INSTRUCTIONS = 2_000_000;
const QEMU = 'qemu-system-riscv64';

async function loadHart(modulePath) {
  const url = modulePath ? pathToFileURL(resolve(modulePath)) : new URL('../../packages/cpu/dist/index.js', import.meta.url);
  const shown = modulePath ?? 'packages/cpu/dist/index.js';
  if (!existsSync(url)) {
    return { error: `${shown} not found: @prnr/cpu is not built (pnpm build) or not written yet` };
  }
  let mod;
  try {
    mod = await import(url.href);
  } catch (err) {
    return { error: `importing ${shown} failed: ${err.message}` };
  }
  if (typeof mod.runBareElf !== 'function') {
    return { error: `${shown} does not export runBareElf(elf, { maxInstructions }) yet` };
  }
  return { runBareElf: mod.runBareElf, module: shown };
}

function haveQemu() {
  const r = spawnSync(QEMU, ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.split('\n')[0].trim() : null;
}

/** One QEMU run: wall milliseconds and the guest's exit status. */
function qemuRun(elfPath, extra = []) {
  const t0 = performance.now();
  const r = spawnSync(QEMU, ['-M', 'spike', '-nographic', '-bios', 'none', ...extra, '-kernel', elfPath], {
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 300_000,
    encoding: 'utf8',
  });
  const ms = performance.now() - t0;
  return { ms, status: r.status, signal: r.signal, output: (r.stdout + r.stderr).trim() };
}

function qemuMedian(elfPath, reps, extra = []) {
  const runs = [];
  for (let i = 0; i < reps; i++) {
    const r = qemuRun(elfPath, extra);
    if (r.status !== 0) return { ok: false, status: r.status, signal: r.signal, output: r.output, ms: r.ms };
    runs.push(r.ms);
  }
  return { ok: true, ms: median(runs), runs };
}

/** QEMU with one instruction per virtual nanosecond, the deterministic mode comparable to ours. */
const ICOUNT = ['-icount', 'shift=0'];

const fmtS = (ms) => (ms == null ? '' : (ms / 1000).toFixed(ms < 1000 ? 3 : 2));
const fmtM = (x) => (x == null || !Number.isFinite(x) ? '' : x.toFixed(x < 100 ? 1 : 0));
const fmtCount = (n) => (n == null ? '' : `${(n / 1e6).toFixed(1)}M`);

export async function run({ args, log, benchDir }) {
  const dir = join(benchDir, 'programs');
  const filters = args.program ? [].concat(args.program).map(String) : null;
  const programs = readdirSync(dir)
    .filter((f) => f.endsWith('.elf') && f !== 'empty.elf')
    .filter((f) => !filters || filters.some((s) => f.includes(s)))
    .sort();
  const cpuReps = Number(args['cpu-reps'] ?? 1);
  const qemuReps = Number(args['qemu-reps'] ?? 3);
  const refCounts = existsSync(join(dir, 'counts.json')) ? JSON.parse(readFileSync(join(dir, 'counts.json'), 'utf8')).programs ?? {} : {};
  const notes = [];
  let ok = true;

  const hart = args['no-hart'] ? { error: 'skipped (--no-hart)' } : await loadHart(typeof args.hart === 'string' ? args.hart : undefined);
  if (hart.error) {
    notes.push(`our hart: PENDING: ${hart.error}`);
    log(`  our hart: ${hart.error}`);
  }

  const qemuVersion = args['no-qemu'] ? null : haveQemu();
  let startupMs = null;
  let icountStartupMs = null;
  if (qemuVersion) {
    const s = qemuMedian(join(dir, 'empty.elf'), Math.max(5, qemuReps));
    const si = qemuMedian(join(dir, 'empty.elf'), Math.max(5, qemuReps), ICOUNT);
    if (!s.ok || !si.ok) {
      notes.push(`QEMU: empty.elf failed (status ${s.status ?? si.status}): ${s.output ?? si.output}`);
      ok = false;
    } else {
      startupMs = s.ms;
      icountStartupMs = si.ms;
      notes.push(`QEMU: ${qemuVersion}; startup (empty.elf, median of ${s.runs.length}) ${fmtS(startupMs)} s (${fmtS(icountStartupMs)} s with -icount shift=0), subtracted in the QEMU columns`);
    }
  } else {
    notes.push(args['no-qemu'] ? 'QEMU: skipped (--no-qemu)' : `QEMU: ${QEMU} not on PATH; QEMU columns empty`);
  }

  const records = [];
  for (const file of programs) {
    const prog = file.replace(/\.elf$/, '');
    const path = join(dir, file);
    const rec = { program: prog, refInstructions: refCounts[prog] ?? null };
    log(`  ${prog} ...`);

    if (hart.runBareElf) {
      const elf = new Uint8Array(readFileSync(path));
      hart.runBareElf(elf, { maxInstructions: WARMUP_INSTRUCTIONS, engine: 'interp' }); // JIT warm-up; result ignored
      const times = [];
      for (let i = 0; i < cpuReps; i++) {
        const t0 = performance.now();
        const r = hart.runBareElf(elf, { maxInstructions: MAX_INSTRUCTIONS, engine: 'interp' });
        times.push(performance.now() - t0);
        rec.status = r.status;
        rec.exitCode = r.exitCode;
        rec.instructions = Number(r.icount);
        rec.pc = '0x' + BigInt(r.pc).toString(16);
        if (r.console) rec.console = r.console;
        if (r.status !== 'pass' || r.exitCode !== 0) break;
      }
      rec.oursMs = median(times);
      if (rec.status !== 'pass' || rec.exitCode !== 0) {
        ok = false;
        notes.push(`${prog}: our hart FAILED: status ${rec.status}, exit code ${rec.exitCode}, pc ${rec.pc}, icount ${rec.instructions}`);
      } else {
        rec.oursMips = rec.instructions / (rec.oursMs / 1000) / 1e6;
        if (rec.refInstructions && Math.abs(rec.instructions - rec.refInstructions) > 0.01 * rec.refInstructions) {
          notes.push(`${prog}: our icount ${rec.instructions} differs by more than 1% from QEMU's minstret ${rec.refInstructions}`);
        }
      }
      if (!args['no-wasm']) {
        hart.runBareElf(elf, { maxInstructions: WARMUP_INSTRUCTIONS, engine: 'wasm' });
        const wasmTimes = [];
        for (let i = 0; i < cpuReps; i++) {
          const t0 = performance.now();
          const r = hart.runBareElf(elf, { maxInstructions: MAX_INSTRUCTIONS, engine: 'wasm' });
          wasmTimes.push(performance.now() - t0);
          rec.wasmStatus = r.status;
          rec.wasmEngine = r.hart?.engine ?? 'interp';
          if (r.status !== rec.status || Number(r.icount) !== rec.instructions || BigInt(r.pc) !== BigInt(rec.pc)) {
            ok = false;
            notes.push(`${prog}: the wasm engine ended differently (status ${r.status}, icount ${r.icount}, pc 0x${BigInt(r.pc).toString(16)})`);
          }
        }
        rec.wasmMs = median(wasmTimes);
        if (rec.wasmEngine !== 'wasm') notes.push(`${prog}: this hart build has no 'wasm' engine; the wasm columns ran the interpreter`);
        if (rec.wasmStatus === 'pass') {
          rec.wasmMips = rec.instructions / (rec.wasmMs / 1000) / 1e6;
          rec.wasmOverInterp = rec.oursMs / rec.wasmMs;
        }
      }
    }

    if (startupMs != null) {
      const q = qemuMedian(path, qemuReps);
      if (!q.ok) {
        ok = false;
        notes.push(`${prog}: QEMU FAILED: status ${q.status} ${q.signal ?? ''} ${q.output}`);
      } else {
        rec.qemuMs = q.ms;
        rec.qemuNetMs = Math.max(q.ms - startupMs, 0.001);
        const n = rec.instructions ?? rec.refInstructions;
        if (n) rec.qemuMips = n / (rec.qemuNetMs / 1000) / 1e6;
        if (rec.oursMs != null && rec.status === 'pass') rec.oursOverQemu = rec.oursMs / rec.qemuNetMs;
        if (rec.wasmMs != null && rec.wasmStatus === 'pass') rec.wasmOverQemu = rec.wasmMs / rec.qemuNetMs;
      }
      const qi = qemuMedian(path, qemuReps, ICOUNT);
      if (!qi.ok) {
        ok = false;
        notes.push(`${prog}: QEMU -icount FAILED: status ${qi.status} ${qi.signal ?? ''} ${qi.output}`);
      } else {
        rec.qemuIcountNetMs = Math.max(qi.ms - icountStartupMs, 0.001);
        if (rec.wasmMs != null && rec.wasmStatus === 'pass') rec.wasmOverQemuIcount = rec.wasmMs / rec.qemuIcountNetMs;
      }
    }
    records.push(rec);
  }

  const pending = hart.runBareElf ? null : 'pending';
  const rows = records.map((r) => [
    r.program,
    r.instructions != null ? fmtCount(r.instructions) : r.refInstructions ? `≈${fmtCount(r.refInstructions)}` : '',
    pending ?? (r.status === 'pass' ? fmtS(r.oursMs) : `FAIL (${r.status})`),
    pending ?? fmtM(r.oursMips),
    fmtS(r.qemuMs),
    fmtS(r.qemuNetMs),
    fmtM(r.qemuMips),
    pending ?? (r.oursOverQemu != null ? `${r.oursOverQemu.toFixed(1)}×` : ''),
    r.wasmMs != null ? (r.wasmStatus === 'pass' ? fmtS(r.wasmMs) : `FAIL (${r.wasmStatus})`) : '',
    fmtM(r.wasmMips),
    r.wasmOverInterp != null ? `${r.wasmOverInterp.toFixed(2)}×` : '',
    r.wasmOverQemu != null ? `${r.wasmOverQemu.toFixed(1)}×` : '',
    fmtS(r.qemuIcountNetMs),
    r.wasmOverQemuIcount != null ? `${r.wasmOverQemuIcount.toFixed(1)}×` : '',
  ]);
  if (!hart.runBareElf) notes.push('≈: instruction count from QEMU minstret (-icount shift=0), approximate; QEMU MIPS uses it until our hart reports exact counts');

  return {
    title: `CPU: bare-metal RV64 programs (our hart, "ours" = interpreter, "wasm" = blocks translated to WebAssembly: median of ${cpuReps}; QEMU -M spike: median of ${qemuReps})`,
    columns: ['program', 'instructions', 'ours s', 'ours MIPS', 'QEMU s (raw)', 'QEMU s (−startup)', 'QEMU MIPS', 'ours/QEMU', 'wasm s', 'wasm MIPS', 'wasm speedup', 'wasm/QEMU', 'QEMU -icount s (−startup)', 'wasm/QEMU -icount'],
    rows,
    records,
    notes,
    ok,
    extra: { qemuVersion, qemuStartupMs: startupMs, hart: hart.error ? { pending: hart.error } : { ok: true } },
  };
}
