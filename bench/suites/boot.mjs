// Suite "boot": the default guest (guest/images) runs the smoke workload in
// script mode (prnr.run=/workloads/smoke.sh on the kernel command line,
// nothing typed), power-on to power-off, on our virt machine and on QEMU 7.2's
// (-M virt through guest/run-qemu.sh --print-args: same images, command line,
// RAM and devices, virtio-net left out on both), QEMU with plain TCG and with
// -icount shift=0.
//
// Ours runs on each engine of the hart: 'interp' (the reference interpreter)
// and 'wasm' (the default: hot blocks translated to WebAssembly), in that order,
// in this process. The runs go round by round (ours on each engine, QEMU TCG,
// QEMU -icount), and ours on 'wasm' is also given against the QEMU -icount run
// of the same round: the first round is ours cold, the later ones warm.
//
// Options:
//   --boot-reps N      timed runs of our machine per engine, median (default 1)
//   --boot-qemu-reps N timed runs of each QEMU mode, median (default 3)
//   --no-ours / --no-qemu
//   --boot-engines L   our engines to run, comma-separated (default interp,wasm)
//   --machine PATH     the module exporting VirtMachine, defaultBoardConfig and
//                      loadGuestImages (default packages/machine/dist/index.js),
//                      e.g. to compare two builds
//   --no-cli           leave out the `prnr run` rows (below)
//   --boot-background-compile
//                      harts compile translated blocks on a worker thread
//                      (Hart.defaultBackgroundCompile, set on the @prnr/cpu that
//                      the machine module imports: packages/cpu/dist/index.js,
//                      or --cpu PATH with --machine)
//
// Wall time: ours from building the machine (images already loaded and
// unpacked) to the guest's power-off; QEMU's from spawning the process to its
// exit (QEMU's startup, ≈0.03 s, included), a fresh copy of the disk each run.
// The `prnr run` rows time what a user runs: the CLI as a process of its own
// (`prnr run --cmdline '... prnr.run=...' --script EMPTY`: the same workload
// in script mode, nothing typed, idle time skipped as above), spawn to exit as
// QEMU's, so node's start, loading the images (from the image cache) and a
// cold V8 are in. Cold: no per-user code cache (PRNR_CACHE_DIR's
// code-cache.bin removed first); user code cache: the one the run before left.
// One of each per round, beside our in-process runs.
// Instructions: ours, the hart's step count at power-off. QEMU's, from a
// separate -icount shift=0 run: with a gdbstub breakpoint on the kernel's
// machine_power_off (address from System.map) the VM stops there, and QMP
// query-replay returns icount_get_raw(), the instructions executed (not the
// virtual clock, which also counts the time skipped while idle). Plain TCG
// keeps no count: its MIPS use the -icount run's count (≈, same guest work).

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { median } from '../lib/report.mjs';

export const name = 'boot';
export const order = 20;
export const description = 'Linux boot + smoke workload (script mode) to power-off: our virt machine vs QEMU -M virt';

export const WORKLOAD = '/workloads/smoke.sh';
const END_MARKER = 'smoke: done';
const MAX_STEPS = 10_000_000_000;
const QEMU_TIMEOUT_MS = 300_000;

const fmtS = (ms) => (ms == null ? '' : (ms / 1000).toFixed(2));
const fmtM = (x) => (x == null || !Number.isFinite(x) ? '' : x.toFixed(x < 100 ? 1 : 0));
const fmtCount = (n) => (n == null ? '' : `${(n / 1e6).toFixed(1)}M`);

async function loadMachine(modulePath) {
  const url = modulePath ? pathToFileURL(resolve(modulePath)) : new URL('../../packages/machine/dist/index.js', import.meta.url);
  const shown = modulePath ?? 'packages/machine/dist/index.js';
  if (!existsSync(url)) return { error: `${shown} not found: @prnr/machine is not built (pnpm build)` };
  try {
    const mod = await import(url.href);
    for (const f of ['VirtMachine', 'defaultBoardConfig', 'loadGuestImages']) if (!mod[f]) return { error: `${shown} does not export ${f}` };
    return { mod, module: shown };
  } catch (err) {
    return { error: `importing ${shown} failed: ${err.message}` };
  }
}

/** One boot of our machine: wall ms from power-on to power-off, steps, and whether the workload ended. */
/** One boot of our machine (module `mod`) on `engine`, power-on to power-off; also used by bench/ab-hart.mjs. */
export function oursRun(mod, imgs, cmdline, engine) {
  const config = mod.defaultBoardConfig({
    ramSize: imgs.defaultMemoryMiB * 1024 * 1024,
    cmdline,
    disk: imgs.disk.sha256,
    images: { firmware: imgs.firmware.sha256, kernel: imgs.kernel.sha256, initrd: imgs.initrd.sha256 },
  });
  let out = '';
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const m = new mod.VirtMachine(
    config,
    { firmware: imgs.firmware.bytes, kernel: imgs.kernel.bytes, initrd: imgs.initrd.bytes, disks: { [imgs.disk.sha256]: imgs.disk.bytes } },
    {
      consoleOutput: { write: (b) => { out += String.fromCharCode(b); } },
      clock: { now: () => 1_764_000_000_000_000_000n },
      entropy: { fill: (buf) => buf.forEach((_, i) => { buf[i] = (i * 151 + 7) & 0xff; }) },
    },
  );
  m.hart.engine = engine;
  m.boot();
  let r;
  for (;;) {
    r = m.run(MAX_STEPS);
    if (r.reason === 'idle' && r.wakeAt !== null) {
      m.advanceIdle(r.wakeAt);
      continue;
    }
    break;
  }
  const ms = performance.now() - t0;
  // User CPU time: less disturbed than wall time by other processes on a shared machine.
  const userS = process.cpuUsage(cpu0).user / 1e6;
  const ok = r.reason === 'halt' && r.power.action === 'poweroff' && out.includes(END_MARKER);
  return { ms, userS, stats: m.hart.engineStats, steps: m.hart.icount, engine: m.hart.engine, ok, stop: r.reason === 'halt' ? r.power.action : r.reason, tail: out.slice(-300) };
}

function qemuVersion(bin) {
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.split('\n')[0].trim() : null;
}

/** QEMU's command for the workload from guest/run-qemu.sh (the one place its arguments are written). */
function qemuCommand(guestDir, disk) {
  const r = spawnSync('bash', [join(guestDir, 'run-qemu.sh'), '--print-args', '--no-net', '--disk', disk, '--run', WORKLOAD], { encoding: 'utf8' });
  if (r.status !== 0) return { error: `guest/run-qemu.sh --print-args failed: ${(r.stderr || r.stdout).trim()}` };
  const [bin, ...args] = r.stdout.trimEnd().split('\n');
  return { bin, args };
}

/** One `prnr run` process (see the header), wall ms from spawn to exit; `cacheDir` is its PRNR_CACHE_DIR. */
function cliRun(cliMain, cmdline, emptyScript, cacheDir) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [cliMain, 'run', '--cmdline', cmdline, '--script', emptyScript], {
    env: { ...process.env, PRNR_CACHE_DIR: cacheDir }, stdio: ['ignore', 'pipe', 'pipe'], timeout: QEMU_TIMEOUT_MS, encoding: 'latin1', maxBuffer: 1 << 26,
  });
  const ms = performance.now() - t0;
  const ok = r.status === 0 && r.stdout.includes(END_MARKER);
  return { ms, ok, status: r.status, signal: r.signal, tail: (r.stdout + r.stderr).slice(-300) };
}

/** One QEMU run: wall ms from spawn to exit, and whether the workload ended with power-off (exit status 0). */
function qemuRun(cmd, extra, disk, diskBytes) {
  writeFileSync(disk, diskBytes);
  const t0 = performance.now();
  const r = spawnSync(cmd.bin, [...cmd.args, ...extra], { stdio: ['ignore', 'pipe', 'pipe'], timeout: QEMU_TIMEOUT_MS, encoding: 'latin1', maxBuffer: 1 << 26 });
  const ms = performance.now() - t0;
  const ok = r.status === 0 && r.stdout.includes(END_MARKER);
  return { ms, ok, status: r.status, signal: r.signal, tail: (r.stdout + r.stderr).slice(-300) };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A tiny gdb remote-protocol client: just what a breakpoint and a continue need. */
function rspClient(socket) {
  let buf = '';
  socket.on('data', (d) => { buf += d.toString('latin1'); });
  const checksum = (s) => ([...s].reduce((a, c) => a + c.charCodeAt(0), 0) & 0xff).toString(16).padStart(2, '0');
  const packet = async (deadline) => {
    for (;;) {
      const m = /\$([^#]*)#[0-9a-fA-F]{2}/.exec(buf);
      if (m) {
        buf = buf.slice(m.index + m[0].length);
        socket.write('+');
        return m[1];
      }
      if (performance.now() > deadline) throw new Error('gdbstub: no reply');
      await sleep(1);
    }
  };
  return {
    packet,
    async command(cmd, timeoutMs = 10_000) {
      socket.write(`$${cmd}#${checksum(cmd)}`);
      return packet(performance.now() + timeoutMs);
    },
  };
}

/** A QMP client: JSON lines; events are skipped when waiting for a command's reply. */
function qmpClient(socket) {
  let buf = '';
  const lines = [];
  socket.on('data', (d) => {
    buf += d.toString('utf8');
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      lines.push(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  });
  const next = async () => {
    const deadline = performance.now() + 10_000;
    while (!lines.length) {
      if (performance.now() > deadline) throw new Error('QMP: no reply');
      await sleep(1);
    }
    return JSON.parse(lines.shift());
  };
  return {
    next,
    async execute(execute) {
      socket.write(JSON.stringify({ execute }) + '\n');
      for (;;) {
        const m = await next();
        if ('return' in m) return m.return;
        if ('error' in m) throw new Error(`QMP ${execute}: ${m.error.desc}`);
      }
    },
  };
}

const connectUnix = async (path) => {
  const deadline = performance.now() + 10_000;
  while (!existsSync(path)) {
    if (performance.now() > deadline) throw new Error(`${path} did not appear`);
    await sleep(2);
  }
  const s = connect(path);
  await new Promise((res, rej) => { s.once('connect', res); s.once('error', rej); });
  return s;
};

/** QEMU's instruction count to the kernel's machine_power_off, under -icount shift=0 (see the header). */
async function qemuInstructions(cmd, disk, diskBytes, powerOffAddr, dir) {
  writeFileSync(disk, diskBytes);
  const qmpPath = join(dir, 'qmp.sock');
  const gdbPath = join(dir, 'gdb.sock');
  const p = spawn(cmd.bin, [...cmd.args, '-icount', 'shift=0', '-qmp', `unix:${qmpPath},server=on,wait=off`, '-gdb', `unix:${gdbPath},server=on,wait=off`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  p.stdout.on('data', (d) => { out += d.toString('latin1'); });
  p.stderr.on('data', (d) => { out += d.toString('latin1'); });
  const exited = new Promise((res) => p.on('exit', res));
  const sockets = [];
  try {
    const qs = await connectUnix(qmpPath);
    sockets.push(qs);
    const qmp = qmpClient(qs);
    await qmp.next(); // greeting
    await qmp.execute('qmp_capabilities');
    const gs = await connectUnix(gdbPath);
    sockets.push(gs);
    const gdb = rspClient(gs);
    await gdb.packet(performance.now() + 10_000); // QEMU stops the VM when the debugger connects
    const z = await gdb.command(`Z0,${powerOffAddr.toString(16)},2`);
    if (z !== 'OK') throw new Error(`gdbstub: breakpoint refused (${z})`);
    const stop = await gdb.command('c', QEMU_TIMEOUT_MS);
    if (!/^T05/.test(stop)) throw new Error(`gdbstub: stopped with ${stop}, not at the breakpoint`);
    const replay = await qmp.execute('query-replay');
    const ended = out.includes(END_MARKER);
    await qmp.execute('quit').catch(() => {});
    await exited;
    return ended ? { instructions: replay.icount } : { error: `the workload did not reach "${END_MARKER}" before machine_power_off` };
  } catch (err) {
    return { error: `${err.message}; console tail: ${JSON.stringify(out.slice(-200))}` };
  } finally {
    for (const s of sockets) s.destroy();
    if (p.exitCode === null) p.kill();
  }
}

/** Virtual address of a kernel symbol, from the image set's System.map.zst (needs the zstd program, as run-qemu.sh does). */
function kernelSymbol(imageDir, symbol) {
  const r = spawnSync('zstd', ['-dc', join(imageDir, 'System.map.zst')], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) return null;
  const line = r.stdout.split('\n').find((l) => l.endsWith(` ${symbol}`));
  return line ? BigInt('0x' + line.split(' ')[0]) : null;
}

function gitState(root) {
  const r = spawnSync('git', ['-C', root, 'describe', '--always', '--dirty'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : 'unknown';
}

export async function run({ args, log, benchDir }) {
  const root = resolve(benchDir, '..');
  const guestDir = join(root, 'guest');
  const imageDir = join(guestDir, 'images');
  const oursReps = Number(args['boot-reps'] ?? 1);
  const qemuReps = Number(args['boot-qemu-reps'] ?? 3);
  const notes = [];
  const records = [];
  let ok = true;

  const machine = await loadMachine(typeof args.machine === 'string' ? args.machine : undefined);
  if (args['boot-background-compile'] && !machine.error) {
    // The Hart class the machine module uses: the cpu package beside the default build, or --cpu.
    const cpuPath = typeof args.cpu === 'string' ? resolve(args.cpu) : typeof args.machine === 'string' ? null : join(root, 'packages/cpu/dist/index.js');
    const cpu = cpuPath !== null && existsSync(cpuPath) ? await import(pathToFileURL(cpuPath).href) : null;
    if (cpu === null || !('defaultBackgroundCompile' in cpu.Hart)) {
      notes.push(`--boot-background-compile not applied: ${cpuPath === null ? 'give --cpu PATH with --machine' : `${cpuPath} has no Hart.defaultBackgroundCompile`}`);
    } else {
      cpu.Hart.defaultBackgroundCompile = true;
      notes.push('ours: blocks compiled on a worker thread (--boot-background-compile); the wasm engine\'s counts then vary from run to run');
    }
  }
  // Images (QEMU's disk copies come from them too) and the command line as guest/run-qemu.sh builds it:
  // the manifest's cmdline + prnr.run="...".
  const imgs = machine.mod ? machine.mod.loadGuestImages(imageDir) : null;
  const cmdlineFor = (base) => `${base} prnr.run="${WORKLOAD}"`;

  const rev = gitState(root);
  notes.push(`tree: ${rev}; workload: ${WORKLOAD} given as prnr.run= (script mode), no virtio-net on either side`);

  const ENGINES = typeof args['boot-engines'] === 'string' ? args['boot-engines'].split(',') : ['interp', 'wasm'];
  const oursOn = !args['no-ours'] && !machine.error;
  if (args['no-ours']) notes.push('ours: skipped (--no-ours)');
  else if (machine.error) {
    notes.push(`ours: ${machine.error}`);
    log(`  ours: ${machine.error}`);
  }
  const version = args['no-qemu'] ? null : qemuVersion(process.env.QEMU ?? 'qemu-system-riscv64');
  if (!version) notes.push(args['no-qemu'] ? 'QEMU: skipped (--no-qemu)' : 'QEMU: qemu-system-riscv64 not on PATH; QEMU rows empty');
  const dir = mkdtempSync(join(tmpdir(), 'prnr-bench-boot-'));
  const disk = join(dir, 'disk.ext4');
  let cmd = null;
  if (version) {
    cmd = qemuCommand(guestDir, disk);
    if (cmd.error || !imgs?.disk.bytes) {
      ok = false;
      notes.push(`QEMU: ${cmd.error ?? 'needs the disk image from @prnr/machine (not built?)'}`);
      cmd = null;
    } else {
      const shown = [cmd.bin, ...cmd.args].map((a) => a.replace(disk, 'DISK')).map((a) => (/[\s"]/.test(a) ? `'${a}'` : a));
      notes.push(`QEMU: ${version}; \`${shown.join(' ')}\` (guest/run-qemu.sh --print-args; DISK: a fresh copy of disk.ext4 each run)`);
    }
  }

  // Round by round: each of our engines, then QEMU's two modes. So a slow patch of this shared host
  // falls on both sides rather than on whichever ran during it (run one side after the other, the
  // host's drift moved the ratio by more than the changes measured; BENCHMARKS.md §3).
  const oursRuns = Object.fromEntries(ENGINES.map((e) => [e, []]));
  const oursFailed = new Set();
  const QEMU_MODES = [['tcg', []], ['icount', ['-icount', 'shift=0']]];
  const qemuRuns = { tcg: [], icount: [] };
  const qemuFailed = new Set();
  let qemuCount = null;
  const cmdline = imgs ? cmdlineFor(imgs.cmdline) : null;
  // `prnr run` as a process (see the header): cold, then with the code cache the cold run left.
  const cliMain = join(root, 'apps/cli/dist/main.js');
  const CLI_MODES = ['cold', 'user code cache'];
  const cliOn = oursOn && !args['no-cli'] && ENGINES.includes('wasm') && typeof args.machine !== 'string';
  if (cliOn && !existsSync(cliMain)) notes.push(`prnr run: ${cliMain} is missing (not built?); its rows left out`);
  const cliRuns = { cold: [], 'user code cache': [] };
  const cliFailed = new Set();
  const cliCache = join(dir, 'cli-cache');
  const emptyScript = join(dir, 'empty.sh');
  writeFileSync(emptyScript, '');
  try {
    for (let i = 0; i < Math.max(oursOn ? oursReps : 0, cmd ? qemuReps : 0); i++) {
      for (const engine of oursOn && i < oursReps ? ENGINES : []) {
        if (oursFailed.has(engine)) continue;
        log(`  ours (${engine}), run ${i + 1}/${oursReps} ...`);
        const r = oursRun(machine.mod, imgs, cmdline, engine);
        oursRuns[engine].push(r);
        if (!r.ok) {
          ok = false;
          oursFailed.add(engine);
          notes.push(`ours (${engine}) FAILED: stopped by ${r.stop} at step ${r.steps} without "${END_MARKER}"; console tail: ${JSON.stringify(r.tail)}`);
        }
      }
      for (const mode of cliOn && existsSync(cliMain) && i < oursReps ? CLI_MODES : []) {
        if (cliFailed.has(mode)) continue;
        log(`  prnr run (${mode}), run ${i + 1}/${oursReps} ...`);
        if (mode === 'cold') rmSync(join(cliCache, 'code-cache.bin'), { force: true });
        const r = cliRun(cliMain, cmdline, emptyScript, cliCache);
        if (!r.ok) {
          ok = false;
          cliFailed.add(mode);
          notes.push(`prnr run (${mode}) FAILED: exit ${r.status} ${r.signal ?? ''}; output tail: ${JSON.stringify(r.tail)}`);
        } else cliRuns[mode].push(r.ms);
      }
      for (const [mode, extra] of cmd && i < qemuReps ? QEMU_MODES : []) {
        if (qemuFailed.has(mode)) continue;
        log(`  QEMU ${mode}, run ${i + 1}/${qemuReps} ...`);
        const r = qemuRun(cmd, extra, disk, imgs.disk.bytes);
        if (!r.ok) {
          ok = false;
          qemuFailed.add(mode);
          notes.push(`QEMU ${mode} FAILED: exit ${r.status} ${r.signal ?? ''}; output tail: ${JSON.stringify(r.tail)}`);
        } else qemuRuns[mode].push(r.ms);
      }
    }
    if (cmd) {
      log('  QEMU icount: instruction count ...');
      const addr = kernelSymbol(imageDir, 'machine_power_off');
      const count = addr === null ? { error: 'machine_power_off not found in guest/images/System.map.zst (zstd missing?)' } : await qemuInstructions(cmd, disk, imgs.disk.bytes, addr, dir);
      if (count.error) notes.push(`QEMU instruction count not available: ${count.error}`);
      else qemuCount = count.instructions;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const oursBy = {};
  for (const engine of oursOn ? ENGINES : []) {
    const runs = oursRuns[engine];
    if (oursFailed.has(engine) || runs.length === 0) continue;
    if (runs[0].engine !== engine) notes.push(`this build of the hart has no '${engine}' engine (ran '${runs[0].engine}')`);
    oursBy[engine] = { ms: median(runs.map((r) => r.ms)), instructions: runs[0].steps, runs: runs.map((r) => r.ms) };
    if (runs.some((r) => r.steps !== runs[0].steps)) notes.push(`ours (${engine}): step counts differ between runs (${runs.map((r) => r.steps).join(', ')}): NOT deterministic`);
    // Counts that do not depend on the machine's load (the 'wasm' engine's; deterministic for one build).
    const st = runs[0].stats;
    notes.push(`ours (${engine}): user CPU s per run ${runs.map((r) => r.userS.toFixed(2)).join(', ')}; wall s ${runs.map((r) => (r.ms / 1000).toFixed(2)).join(', ')}`
      + (st && st.compiled > 0 ? `; first run: dispatcher trips ${st.dispatcherTrips ?? '?'}, blocks translated ${st.translated} (installed ${st.compiled}, ${st.fromCache} from the code cache), interpreted steps ${st.interpreted} in ${st.excursions} turns` : ''));
    records.push({ engine: `prnr-${engine}`, wallMs: oursBy[engine].ms, runsMs: oursBy[engine].runs, instructions: oursBy[engine].instructions, instructionsExact: true, module: machine.module, ramMiB: imgs.defaultMemoryMiB, cmdline });
  }
  if (oursBy.interp && oursBy.wasm && oursBy.interp.instructions !== oursBy.wasm.instructions) {
    ok = false;
    notes.push(`the engines ended at different steps: interp ${oursBy.interp.instructions}, wasm ${oursBy.wasm.instructions}`);
  }
  const ours = oursBy.wasm ?? oursBy.interp ?? null;
  const qemu = { instructions: qemuCount };
  for (const [mode] of QEMU_MODES) if (!qemuFailed.has(mode) && qemuRuns[mode].length === qemuReps && qemuReps > 0) qemu[mode] = { ms: median(qemuRuns[mode]), runs: qemuRuns[mode] };
  // Ours against the QEMU -icount run of the same round: the first of ours is a cold process (V8 compiles
  // the hart's JavaScript and every translated block), the later ones warm.
  const pairs = oursBy.wasm && qemu.icount ? oursBy.wasm.runs.slice(0, qemu.icount.runs.length).map((ms, i) => ms / qemu.icount.runs[i]) : [];
  if (pairs.length > 0) {
    const warm = pairs.slice(1);
    notes.push(`ours (wasm) / QEMU -icount, round by round: ${pairs.map((x, i) => `${x.toFixed(2)}${i === 0 ? ' (cold)' : ''}`).join(', ')}` + (warm.length ? `; warm rounds median ${median(warm).toFixed(2)}` : ''));
  }
  const rows = [];
  const mips = (n, ms) => (n && ms ? n / (ms / 1000) / 1e6 : null);
  const vsInterp = (ms) => (oursBy.interp && ms ? `${(oursBy.interp.ms / ms).toFixed(2)}×` : '');
  const vsWasm = (ms) => (oursBy.wasm && ms ? `${(oursBy.wasm.ms / ms).toFixed(2)}×` : '');
  for (const engine of ENGINES) {
    const o = oursBy[engine];
    if (o) rows.push([`prnr, ${engine}`, fmtS(o.ms), fmtCount(o.instructions), fmtM(mips(o.instructions, o.ms)), vsInterp(o.ms), vsWasm(o.ms)]);
  }
  for (const mode of CLI_MODES) {
    const runs = cliRuns[mode];
    if (cliFailed.has(mode) || runs.length === 0) continue;
    const ms = median(runs);
    const n = oursBy.wasm?.instructions;
    // The CLI's guest reads the host's clock (`date`), so its count is the in-process runs' within a few instructions: ≈.
    rows.push([`prnr run process, ${mode}`, fmtS(ms), n ? `≈${fmtCount(n)}` : 'n/a', n ? `≈${fmtM(mips(n, ms))}` : '', vsInterp(ms), vsWasm(ms)]);
    records.push({ engine: `prnr-run-cli-${mode.replace(/ /g, '-')}`, wallMs: ms, runsMs: runs, instructions: n ?? null, instructionsExact: false });
    if (qemu.icount) notes.push(`prnr run process (${mode}) / QEMU -icount, round by round: ${runs.slice(0, qemu.icount.runs.length).map((x, i) => (x / qemu.icount.runs[i]).toFixed(2)).join(', ')}; medians ${(ms / qemu.icount.ms).toFixed(2)}`);
  }
  if (qemu.tcg) {
    const n = qemu.instructions;
    rows.push(['QEMU TCG', fmtS(qemu.tcg.ms), n ? `≈${fmtCount(n)}` : 'n/a', n ? `≈${fmtM(mips(n, qemu.tcg.ms))}` : '', vsInterp(qemu.tcg.ms), vsWasm(qemu.tcg.ms)]);
    records.push({ engine: 'qemu-tcg', wallMs: qemu.tcg.ms, runsMs: qemu.tcg.runs, instructions: n ?? null, instructionsExact: false });
  }
  if (qemu.icount) {
    const n = qemu.instructions;
    rows.push(['QEMU -icount shift=0', fmtS(qemu.icount.ms), n ? fmtCount(n) : 'n/a', fmtM(mips(n, qemu.icount.ms)), vsInterp(qemu.icount.ms), vsWasm(qemu.icount.ms)]);
    records.push({ engine: 'qemu-icount-shift0', wallMs: qemu.icount.ms, runsMs: qemu.icount.runs, instructions: n ?? null, instructionsExact: n != null });
  }
  if (ours && qemu.instructions) {
    const d = (ours.instructions - qemu.instructions) / qemu.instructions;
    notes.push(`instructions: ours ${ours.instructions} (to the power-off write), QEMU ${qemu.instructions} (to machine_power_off): ours ${d >= 0 ? '+' : ''}${(d * 100).toFixed(2)}%`);
  }
  notes.push('speed vs interp / vs wasm: that engine\'s wall time divided by this row\'s (above 1: this row is faster). QEMU TCG keeps no instruction count: ≈ is the -icount run\'s count');

  return {
    title: `Boot: smoke workload in script mode, power-on to power-off (ours: median of ${oursReps} per engine; QEMU: median of ${qemuReps})`,
    columns: ['engine', 'wall s', 'instructions', 'MIPS', 'speed vs interp', 'speed vs wasm'],
    rows,
    records,
    notes,
    ok,
    extra: { qemuVersion: version, tree: rev, qemuInstructions: qemu.instructions ?? null, wasmOverIcountByRound: pairs },
  };
}
