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
//
// CoreMark (bench/programs/coremark.elf, see bench/programs/coremark/README.md)
// is a row like the others; its *-small.elf test build is left out. Its console
// text is checked on every engine ("Correct operation validated.", the same CRC
// lines everywhere, the same "Total ticks" (minstret) as QEMU -icount), and
// iterations per second, from the host's wall time, are given in a note.

import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

/**
 * One untimed QEMU run whose console goes to a file: read through a pipe from
 * Node, QEMU 7.2 sometimes loses the tail of the HTIF console output when the
 * guest exits right after printing (not seen through a shell pipe or a file).
 */
function qemuConsole(elfPath, extra = []) {
  const dir = mkdtempSync(join(tmpdir(), 'prnr-bench-qemu-'));
  try {
    const file = join(dir, 'console.txt');
    const r = spawnSync(QEMU, ['-M', 'spike', '-display', 'none', '-monitor', 'none', '-serial', `file:${file}`, '-bios', 'none', ...extra, '-kernel', elfPath], {
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 300_000,
      encoding: 'utf8',
    });
    return { status: r.status, output: existsSync(file) ? readFileSync(file, 'utf8') : (r.stdout + r.stderr).trim() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What CoreMark printed: validated?, its CRC lines, "Total ticks" and "Iterations". Null when the text is not CoreMark's. */
function parseCoremark(text) {
  if (!text || !text.includes('CoreMark Size')) return null;
  const crcs = [];
  let ticks = null;
  let iterations = null;
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    if (/^(\[\d+\])?(seedcrc|crclist|crcmatrix|crcstate|crcfinal)\s*:/.test(line)) crcs.push(line.replace(/\s*:\s*/, ' '));
    const t = /^Total ticks\s*:\s*(\d+)/.exec(line);
    if (t) ticks = Number(t[1]);
    const it = /^Iterations\s*:\s*(\d+)/.exec(line);
    if (it) iterations = Number(it[1]);
  }
  return { validated: text.includes('Correct operation validated.'), crcs: crcs.join('; '), ticks, iterations };
}

/** Checks one engine's CoreMark text against our interpreter's; returns a problem or null. */
function coremarkMismatch(ours, other) {
  if (!other) return 'printed no CoreMark report';
  if (!other.validated) return 'did not print "Correct operation validated."';
  if (other.crcs !== ours.crcs) return `printed other CRC lines: ${other.crcs}`;
  return null;
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
    .filter((f) => f.endsWith('.elf') && f !== 'empty.elf' && !f.endsWith('-small.elf'))
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
        rec.coremark = parseCoremark(rec.console);
        if (rec.coremark && !rec.coremark.validated) {
          ok = false;
          notes.push(`${prog}: our hart ran it but CoreMark did not validate: ${rec.coremark.crcs}`);
        }
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
          if (rec.console != null && r.console !== rec.console) {
            ok = false;
            notes.push(`${prog}: the wasm engine printed other console text than the interpreter`);
          }
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
        if (rec.coremark) {
          const c = qemuConsole(path);
          const problem = c.status !== 0 ? `exited with status ${c.status}` : coremarkMismatch(rec.coremark, parseCoremark(c.output));
          if (problem) { ok = false; notes.push(`${prog}: QEMU ${problem}`); }
        }
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
        if (rec.coremark) {
          const c = qemuConsole(path, ICOUNT);
          const qc = parseCoremark(c.output);
          const problem = c.status !== 0 ? `exited with status ${c.status}` : coremarkMismatch(rec.coremark, qc);
          if (problem) { ok = false; notes.push(`${prog}: QEMU -icount ${problem}`); }
          rec.coremark.qemuIcountTicks = qc?.ticks ?? null;
        }
        if (rec.wasmMs != null && rec.wasmStatus === 'pass') rec.wasmOverQemuIcount = rec.wasmMs / rec.qemuIcountNetMs;
      }
    }
    records.push(rec);
  }

  for (const r of records) {
    const cm = r.coremark;
    if (!cm) continue;
    const n = cm.iterations;
    const perS = (ms, status = 'pass') => (ms != null && status === 'pass' ? (n / (ms / 1000)).toFixed(0) : '—');
    r.iterationsPerSecond = {
      interp: r.status === 'pass' ? n / (r.oursMs / 1000) : null,
      wasm: r.wasmMs != null && r.wasmStatus === 'pass' ? n / (r.wasmMs / 1000) : null,
      qemu: r.qemuNetMs != null ? n / (r.qemuNetMs / 1000) : null,
      qemuIcount: r.qemuIcountNetMs != null ? n / (r.qemuIcountNetMs / 1000) : null,
    };
    notes.push(
      `${r.program}: ${n} iterations, ${cm.validated ? 'validated' : 'NOT validated'}, ${cm.crcs}. Iterations per second from the host's wall time (the seconds above; QEMU less its startup): ` +
        `ours ${perS(r.oursMs, r.status)}, wasm ${perS(r.wasmMs, r.wasmStatus)}, QEMU ${perS(r.qemuNetMs)}, QEMU -icount ${perS(r.qemuIcountNetMs)}. ` +
        `Timed part ("Total ticks", minstret): ours ${cm.ticks}, QEMU -icount ${cm.qemuIcountTicks ?? '—'}. ` +
        'CoreMark\'s own "Iterations/Sec" uses a virtual 1 MHz instruction clock and is not a speed.',
    );
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
