// Suite "qemu-rr": QEMU 7.2's own record/replay of the workload prnr's record
// suite records: the default guest (guest/images, unpacked and checked by
// guest/run-qemu.sh), the smoke workload typed into the console line by line
// (paced by the guest's prompt and echo, as guest/scripts/console-feed.py
// does), power-on to poweroff, under
//   record: -icount shift=auto,rr=record,rrfile=LOG   (the workload typed)
//   replay: -icount shift=auto,rr=replay,rrfile=LOG   (nothing typed: the log
//           feeds the console input back)
// Both start from the command guest/run-qemu.sh --print-args --no-net prints
// (same images, kernel command line, RAM, strict -cpu, devices), changed only
// where QEMU's record/replay or the measurement needs it (listed in
// `differences` and printed in the notes).
//
// The replay counts as replayed when it reaches the kernel's
// machine_power_off at the record's instruction count (QMP query-replay
// there) and its console output equals the record's, line for line.
// Wall time: from starting QEMU to the guest reaching machine_power_off.
//
// Options:
//   --qemu-rr-reps N        record+replay pairs, median (default 3)
//   --qemu-rr-workload F    workload file typed into the console
//                           (default guest/workloads/smoke.sh)
//
// Also exported for bench/suites/record.mjs: qemuRecordReplay() (see below).

import { spawn, spawnSync } from 'node:child_process';
import { closeSync, copyFileSync, createReadStream, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { median } from '../lib/report.mjs';

export const name = 'qemu-rr';
export const order = 45;
export const description = "QEMU 7.2's own record/replay (-icount shift=auto,rr=record/replay) of the typed smoke workload";

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const READY = 'prnr-guest: ready';
const PANIC = 'Kernel panic - not syncing';
const PROMPT = /prnr:[^\r\n]*# $/;
// At most 8 bytes ahead of the echo: the 16550's receive FIFO holds 16.
const CHUNK = 8;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function qemuVersion(bin) {
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.split('\n')[0].trim() : null;
}

/**
 * The plain command (guest/run-qemu.sh --print-args --no-net, the one place
 * its arguments are written) turned into the record or the replay command.
 * Returns { bin, args, differences } or { error }.
 */
function rrCommand(root, paths, mode, icount) {
  const r = spawnSync('bash', [join(root, 'guest/run-qemu.sh'), '--print-args', '--no-net', '--disk', paths.disk], { encoding: 'utf8' });
  if (r.status !== 0) return { error: `guest/run-qemu.sh --print-args failed: ${(r.stderr || r.stdout).trim()}` };
  const [bin, ...plain] = r.stdout.trimEnd().split('\n');
  const args = [];
  let wrapped = 0;
  for (let i = 0; i < plain.length; i++) {
    const a = plain[i];
    if (a === '-drive' && /(^|,)if=none(,|$)/.test(plain[i + 1]) && /(^|,)id=/.test(plain[i + 1])) {
      // rr needs every block request ordered by the log: the image goes under a
      // blkreplay driver that takes over the id the device refers to.
      const spec = plain[++i];
      const id = /(?:^|,)id=([^,]+)/.exec(spec)[1];
      args.push('-drive', spec.replace(/(^|,)id=[^,]+/, `$1id=${id}-direct`), '-drive', `driver=blkreplay,if=none,image=${id}-direct,id=${id}`);
      wrapped++;
    } else if (a === '-nographic') {
      // Input typed into the console multiplexed with the monitor
      // (-nographic) does not replay; a plain stdio serial does.
      args.push('-display', 'none', '-serial', 'stdio', '-monitor', 'none');
    } else {
      args.push(a);
    }
  }
  if (!wrapped) return { error: 'no -drive ...,if=none,id=... in guest/run-qemu.sh --print-args to wrap in blkreplay' };
  // QMP (query-replay: the instruction count) and a gdbstub (a breakpoint on
  // the kernel's machine_power_off): QEMU 7.2's sifive_test device exit()s
  // QEMU at the poweroff write, before -action or any QMP event could act,
  // so the count is read at the breakpoint just before.
  args.push('-qmp', `unix:${paths.qmp},server=on,wait=off`, '-gdb', `unix:${paths.gdb},server=on,wait=off`);
  args.push('-icount', `${icount},rr=${mode},rrfile=${paths.rrfile}`);
  const differences = [
    'no virtio-net device (guest/run-qemu.sh --no-net, as in the boot suite)',
    'disk: the same raw image under a blkreplay drive (rr orders block I/O by the log); a fresh copy of disk.ext4 for the record and for the replay',
    'console: -display none -serial stdio -monitor none instead of -nographic (input typed into the monitor mux does not replay)',
    '-qmp and -gdb sockets: a breakpoint on machine_power_off stops the VM there (QMP query-replay reads the instruction count), then it goes on to power off',
  ];
  return { bin, args, differences };
}

/** Shown form of a command: placeholders for the per-run paths, quoted where needed. */
function shown(bin, args, paths) {
  return [bin, ...args]
    .map((a) => a.replaceAll(paths.disk, 'DISK').replaceAll(paths.rrfile, 'RRFILE').replaceAll(paths.dir, 'TMP'))
    .map((a) => (/[\s"]/.test(a) ? `'${a}'` : a))
    .join(' ');
}

/** Something to await until the next notify() (or a 100 ms tick): event-driven waits, no busy polling. */
function signal() {
  let wake = null;
  return {
    notify() { const w = wake; wake = null; w?.(); },
    wait() { return new Promise((r) => { wake = r; setTimeout(r, 100); }); },
  };
}

async function connectUnix(path, deadlineMs) {
  while (!existsSync(path)) {
    if (performance.now() > deadlineMs) throw new Error(`${path} did not appear`);
    await sleep(2);
  }
  const socket = connect(path);
  await new Promise((res, rej) => { socket.once('connect', res); socket.once('error', rej); });
  socket.on('error', () => {});
  return socket;
}

/** Waits until take() returns something other than undefined. */
async function until(take, what, timeoutMs, socket, changed) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const v = take();
    if (v !== undefined) return v;
    if (performance.now() > deadline || socket.destroyed) throw new Error(`${what}: no reply`);
    await changed.wait();
  }
}

/** A QMP client: JSON lines; events skipped. */
async function qmpClient(path, deadlineMs) {
  const socket = await connectUnix(path, deadlineMs);
  const changed = signal();
  let buf = '';
  const replies = [];
  socket.on('data', (d) => {
    buf += d.toString('utf8');
    for (let i; (i = buf.indexOf('\n')) >= 0; ) {
      const line = buf.slice(0, i).trim();
      buf = buf.slice(i + 1);
      if (line && !line.includes('"event"')) replies.push(JSON.parse(line));
    }
    changed.notify();
  });
  const next = () => until(() => replies.shift(), 'QMP', 10_000, socket, changed);
  await next(); // greeting
  const execute = async (cmd) => {
    socket.write(JSON.stringify({ execute: cmd }) + '\n');
    const m = await next();
    if ('error' in m) throw new Error(`QMP ${cmd}: ${m.error.desc}`);
    return m.return;
  };
  await execute('qmp_capabilities');
  return { execute, close: () => socket.destroy() };
}

/** A gdb remote-protocol client: packets in (each with its arrival time), acks out. */
async function gdbClient(path, deadlineMs, onPacket) {
  const socket = await connectUnix(path, deadlineMs);
  const changed = signal();
  let buf = '';
  const packets = [];
  socket.on('data', (d) => {
    buf += d.toString('latin1');
    for (let m; (m = /\$([^#]*)#[0-9a-fA-F]{2}/.exec(buf)); ) {
      buf = buf.slice(m.index + m[0].length);
      socket.write('+');
      packets.push({ data: m[1], at: performance.now() });
    }
    changed.notify();
    onPacket();
  });
  const sum = (x) => ([...x].reduce((n, c) => n + c.charCodeAt(0), 0) & 0xff).toString(16).padStart(2, '0');
  return {
    send: (cmd) => socket.write(`$${cmd}#${sum(cmd)}`),
    next: (timeoutMs = 10_000) => until(() => packets.shift(), 'gdbstub', timeoutMs, socket, changed),
    peek: () => packets[0],
    close: () => socket.destroy(),
  };
}

/** CPU seconds (user + system, all threads) of a live process, from /proc. */
function cpuSeconds(pid, ticks) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / ticks; // utime, stime (fields 14, 15)
  } catch {
    return null;
  }
}

/**
 * FIFOs for QEMU's console and a file for its stderr, in dir. Real pipes, as
 * a shell or Python gives: with the socketpair Node's 'pipe' stdio makes as
 * its stdout, QEMU 7.2 writes a record that does not replay ("Missing
 * character write event in the replay log"). The child's ends are opened
 * read-write so that no open() blocks; the parent's copies are closed once
 * QEMU has them, so the output reaches EOF when QEMU ends.
 */
function consolePipes(dir, withInput) {
  const fifo = (name) => {
    const path = join(dir, name);
    rmSync(path, { force: true });
    if (spawnSync('mkfifo', [path]).status !== 0) throw new Error(`mkfifo ${path} failed`);
    return path;
  };
  const outPath = fifo('console-out');
  const childOut = openSync(outPath, 'r+');
  const output = createReadStream(null, { fd: openSync(outPath, 'r'), autoClose: true });
  output.on('error', () => {});
  const ended = new Promise((res) => { output.on('end', res); output.on('close', res); });
  const errPath = join(dir, 'stderr.txt');
  const childErr = openSync(errPath, 'w');
  let childIn = null;
  let parentIn = null;
  if (withInput) {
    const inPath = fifo('console-in');
    childIn = openSync(inPath, 'r+');
    parentIn = openSync(inPath, 'w');
  }
  return {
    stdio: [childIn ?? 'ignore', childOut, childErr],
    output,
    afterSpawn() { for (const fd of [childIn, childOut, childErr]) if (fd !== null) closeSync(fd); },
    type(chunk) {
      try { writeSync(parentIn, chunk); } catch { /* QEMU went away while we typed */ }
    },
    // All of the console read (EOF once QEMU has exited), or give up after a while.
    drained: () => Promise.race([ended, sleep(2000)]),
    stderr() { try { return readFileSync(errPath, 'latin1').trim(); } catch { return ''; } },
    close() {
      if (parentIn !== null) closeSync(parentIn);
      output.destroy();
    },
  };
}

/**
 * One QEMU run to the guest's machine_power_off. With `lines`, types them into
 * the console (record); without, gives QEMU no input (replay).
 * Returns { ok, seconds, exitSeconds, cpuSeconds, instructions, mode, output }
 * or { ok: false, error, stalled?, output }.
 */
async function qemuRun({ bin, args, paths, powerOffAddr, lines, timeoutMs, stallMs, ticks }) {
  const changed = signal();
  const io = consolePipes(paths.dir, Boolean(lines));
  const t0 = performance.now();
  const p = spawn(bin, args, { stdio: io.stdio });
  io.afterSpawn();
  let out = '';
  let lastOut = t0;
  let exited = false;
  let exitAt = null;
  io.output.on('data', (d) => { out += d.toString('latin1'); lastOut = performance.now(); changed.notify(); });
  const exit = new Promise((res) => p.on('exit', (code, sig) => { exited = true; exitAt = performance.now(); changed.notify(); res({ code, sig }); }));
  const deadline = t0 + timeoutMs;
  let qmp = null;
  let gdb = null;
  const fail = (error, extra = {}) => {
    const err = io.stderr();
    return { ok: false, error: `${error}; console tail: ${JSON.stringify(out.slice(-300))}${err ? `; stderr: ${err.slice(-300)}` : ''}`, output: out, ...extra };
  };
  const stopped = () => gdb?.peek();

  // Wait until pred() holds; a stall (no console output for stallMs) and the
  // deadline give up, as console-feed.py does.
  const waitFor = async (pred, what) => {
    for (;;) {
      if (pred()) return null;
      if (exited) return fail(`QEMU exited while waiting for ${what}`);
      if (out.includes(PANIC)) return fail('guest kernel panic');
      const now = performance.now();
      if (now > deadline) return fail(`timeout waiting for ${what}`);
      if (now - lastOut > stallMs) return fail(`console stalled (no output for ${stallMs / 1000} s) waiting for ${what}`, { stalled: true });
      await changed.wait();
    }
  };

  const addr = powerOffAddr.toString(16);
  try {
    qmp = await qmpClient(paths.qmp, t0 + 10_000);
    gdb = await gdbClient(paths.gdb, t0 + 10_000, () => changed.notify());
    await gdb.next(); // the gdbstub stops the VM when a debugger connects
    gdb.send(`Z0,${addr},2`);
    const z = (await gdb.next()).data;
    if (z !== 'OK') return fail(`gdbstub refused the breakpoint (${z})`);
    gdb.send('c');
    if (lines) {
      let r = await waitFor(() => out.includes(READY), 'the ready marker');
      if (r) return r;
      let from = 0; // a prompt counts only when it comes after the line typed last
      for (const line of lines) {
        r = await waitFor(() => PROMPT.test(out.slice(Math.max(from, out.length - 200))), 'the prompt');
        if (r) return r;
        const data = Buffer.from(line + '\n', 'latin1');
        for (let i = 0; i < data.length && !stopped(); i += CHUNK) {
          const chunk = data.subarray(i, i + CHUNK);
          const start = out.length;
          io.type(chunk);
          // The guest echoes what it reads: wait for as many bytes as were sent.
          r = await waitFor(() => out.length - start >= chunk.length || stopped(), 'the echo');
          if (r) return r;
        }
        from = out.length;
      }
    }
    // The record's last line powers off; the replay feeds itself. A replay
    // that loses its way usually hangs silent: the stall check covers it.
    const r = await waitFor(stopped, 'machine_power_off');
    if (r) return r;
    const stop = await gdb.next();
    if (!/^T05/.test(stop.data)) return fail(`gdbstub: stopped with ${stop.data}, not at machine_power_off`);
    const cpu = cpuSeconds(p.pid, ticks);
    const info = await qmp.execute('query-replay');
    // Off the breakpoint, detach (the VM resumes) and on to the poweroff write, which ends QEMU.
    gdb.send(`z0,${addr},2`);
    await gdb.next();
    gdb.send('D');
    const { code, sig } = await Promise.race([exit, sleep(10_000).then(() => ({ code: null, sig: 'no exit 10 s after machine_power_off' }))]);
    if (code !== 0) return fail(`QEMU ended with ${code ?? sig}`);
    await io.drained();
    return { ok: true, seconds: (stop.at - t0) / 1000, exitSeconds: (exitAt - t0) / 1000, cpuSeconds: cpu, instructions: info.icount, mode: info.mode, output: out };
  } catch (e) {
    return fail(e.message);
  } finally {
    qmp?.close();
    gdb?.close();
    if (!exited) {
      p.kill('SIGKILL');
      await exit;
    }
    io.close();
  }
}

/** Virtual address of a kernel symbol, from the image set's System.map.zst (zstd, as run-qemu.sh needs). */
function kernelSymbol(root, symbol) {
  const r = spawnSync('zstd', ['-dc', join(root, 'guest/images/System.map.zst')], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const line = r.status === 0 ? r.stdout.split('\n').find((l) => l.endsWith(` ${symbol}`)) : null;
  return line ? BigInt('0x' + line.split(' ')[0]) : null;
}

const consoleLines = (s) => s.replaceAll('\r', '').split('\n');

/**
 * QEMU 7.2's record and replay of one workload typed into the console of the
 * default guest; see the header of this file.
 *
 *   qemuRecordReplay({ root?, workload?, log?, qemu?, retries?, timeoutS?, stallS?, icount? })
 *     root      repository root (default: this file's ../..)
 *     workload  file typed into the console, one line at a time (default
 *               guest/workloads/smoke.sh; blank and '#' lines skipped),
 *               relative to root or absolute
 *     log       progress lines (default: none)
 *     qemu      the QEMU program (default $QEMU or qemu-system-riscv64)
 *     retries   record re-runs after a console stall (QEMU 7.2's intermittent
 *               lost-TX-interrupt stall with typed input, guest/README.md; default 2)
 *     timeoutS  per QEMU run (default 120); stallS: no console output for this
 *               long while typing gives up (default 5; the replay gets 4x)
 *     icount    the -icount options before rr= (default 'shift=auto')
 *
 * Resolves (never rejects) to
 *   { ok, skippedReason?, error?, qemuVersion, workload, icount,
 *     recordSeconds, replaySeconds,        wall: QEMU's start to machine_power_off
 *     recordCpuSeconds, replayCpuSeconds,  QEMU's CPU time (user+system, all threads) to then
 *     instructions,                        guest instructions to then (icount; record = replay)
 *     logBytes,                            size of QEMU's rr log
 *     recordAttempts,                      1 + records re-run after a console stall
 *     consoleLines,                        console lines compared, record = replay
 *     recordCommand, replayCommand,        the command lines (DISK, RRFILE, TMP placeholders)
 *     differences }                        string[]: what differs from guest/run-qemu.sh's command
 * skippedReason (ok false): QEMU is not installed, nothing was run.
 * error (ok false): a run failed, or the replay did not replay the record.
 */
export async function qemuRecordReplay({ root = ROOT, workload, log = () => {}, qemu = process.env.QEMU ?? 'qemu-system-riscv64', retries = 2, timeoutS = 120, stallS = 5, icount = 'shift=auto' } = {}) {
  const version = qemuVersion(qemu);
  if (!version) return { ok: false, skippedReason: `${qemu} not found (QEMU not installed; Debian: apt-get install qemu-system-misc)` };
  const workloadPath = resolve(root, workload ?? 'guest/workloads/smoke.sh');
  const result = { ok: false, qemuVersion: version, workload: relative(root, workloadPath), icount };
  let lines;
  try {
    lines = readFileSync(workloadPath, 'utf8').split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l.trim() && !l.trimStart().startsWith('#'));
  } catch (e) {
    return { ...result, error: `workload: ${e.message}` };
  }
  const powerOffAddr = kernelSymbol(root, 'machine_power_off');
  if (powerOffAddr === null) return { ...result, error: 'machine_power_off not found in guest/images/System.map.zst (zstd missing?)' };
  const ticks = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;
  const dir = mkdtempSync(join(tmpdir(), 'prnr-qemu-rr-'));
  const paths = { dir, disk: join(dir, 'disk.ext4'), rrfile: join(dir, 'replay.bin'), qmp: join(dir, 'qmp.sock'), gdb: join(dir, 'gdb.sock') };
  try {
    const rec = rrCommand(root, paths, 'record', icount);
    const rep = rrCommand(root, paths, 'replay', icount);
    if (rec.error || rep.error) return { ...result, error: rec.error ?? rep.error };
    Object.assign(result, { recordCommand: shown(rec.bin, rec.args, paths), replayCommand: shown(rep.bin, rep.args, paths), differences: rec.differences });
    // run-qemu.sh --print-args has unpacked and checked the images into its cache: the disk comes from there.
    const diskImage = join(rec.args[rec.args.indexOf('-bios') + 1], '../disk.ext4');
    const fresh = () => {
      copyFileSync(diskImage, paths.disk);
      for (const f of [paths.qmp, paths.gdb]) rmSync(f, { force: true });
    };
    const common = { paths, powerOffAddr, timeoutMs: timeoutS * 1000, ticks };

    let recorded;
    for (let attempt = 1; ; attempt++) {
      fresh();
      rmSync(paths.rrfile, { force: true });
      log(`  QEMU rr=record (typing ${result.workload})${attempt > 1 ? `, attempt ${attempt}` : ''} ...`);
      recorded = await qemuRun({ bin: rec.bin, args: rec.args, lines, stallMs: stallS * 1000, ...common });
      result.recordAttempts = attempt;
      if (recorded.ok || !recorded.stalled || attempt > retries) break;
      log(`  QEMU rr=record: ${recorded.error.split(';')[0]}; re-running`);
    }
    if (!recorded.ok) return { ...result, error: `record: ${recorded.error}` };
    if (recorded.mode !== 'record') return { ...result, error: `record: query-replay says mode ${recorded.mode}` };
    Object.assign(result, { recordSeconds: recorded.seconds, recordCpuSeconds: recorded.cpuSeconds, instructions: recorded.instructions, logBytes: statSync(paths.rrfile).size });

    fresh();
    log('  QEMU rr=replay ...');
    // Replay re-waits the record's idle stretches: a longer silence is no stall.
    const replayed = await qemuRun({ bin: rep.bin, args: rep.args, lines: null, stallMs: stallS * 4000, ...common });
    if (!replayed.ok) return { ...result, error: `replay: ${replayed.error}` };
    Object.assign(result, { replaySeconds: replayed.seconds, replayCpuSeconds: replayed.cpuSeconds });

    // Replayed: the same instruction count at machine_power_off and the same console, every line.
    if (replayed.mode !== 'play') return { ...result, error: `replay: query-replay says mode ${replayed.mode}` };
    if (replayed.instructions !== recorded.instructions) {
      return { ...result, error: `the replay reached machine_power_off at instruction ${replayed.instructions}, the record at ${recorded.instructions}` };
    }
    const a = consoleLines(recorded.output);
    const b = consoleLines(replayed.output);
    result.consoleLines = a.length;
    const at = a.findIndex((l, i) => l !== b[i]);
    if (at >= 0 || a.length !== b.length) {
      const i = at >= 0 ? at : Math.min(a.length, b.length);
      return { ...result, error: `the replay's console differs from the record's at line ${i + 1}: record ${JSON.stringify(a[i] ?? '(end)')}, replay ${JSON.stringify(b[i] ?? '(end)')}` };
    }
    return { ...result, ok: true };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const fmtS = (s) => (s == null ? '' : s.toFixed(2));

/** prnr's parallel replay from the record suite's latest result, if any (for the ratio). */
function prnrParallel(benchDir) {
  try {
    const d = JSON.parse(readFileSync(join(benchDir, 'results/latest-record.json'), 'utf8'));
    const r = d.records.find((x) => x.mode === 'parallel' && typeof x.seconds === 'number');
    return r ? { seconds: r.seconds, threads: r.threads, date: d.date, cpu: d.machine?.cpu, cores: d.machine?.cores } : null;
  } catch {
    return null;
  }
}

export async function run({ args, log, benchDir }) {
  const root = resolve(benchDir, '..');
  const reps = Math.max(1, Number(args['qemu-rr-reps'] ?? 3));
  const workload = typeof args['qemu-rr-workload'] === 'string' ? args['qemu-rr-workload'] : undefined;
  const title = `QEMU's own record/replay: workload typed, power-on to machine_power_off (${reps} record+replay pairs)`;
  const columns = ['pair', 'record s', 'replay s', 'replay/record', 'instructions', 'record MIPS', 'replay MIPS', 'record CPU s', 'replay CPU s', 'rr log', 'replayed'];
  const runs = [];
  for (let i = 0; i < reps; i++) {
    log(`  pair ${i + 1}/${reps}`);
    const r = await qemuRecordReplay({ root, workload, log });
    runs.push(r);
    if (!r.ok) break;
  }
  const first = runs[0];
  if (first.skippedReason) {
    return { title, columns, rows: [], records: [{ skippedReason: first.skippedReason }], notes: [`QEMU record/replay not run: ${first.skippedReason}`], ok: true, extra: { skippedReason: first.skippedReason } };
  }
  const notes = [];
  const mips = (n, s) => (n && s ? (n / s / 1e6).toFixed(0) : '');
  const row = (label, r) => [
    label, fmtS(r.recordSeconds), fmtS(r.replaySeconds),
    r.replaySeconds && r.recordSeconds ? (r.replaySeconds / r.recordSeconds).toFixed(2) : '',
    r.instructions != null ? String(r.instructions) : '', mips(r.instructions, r.recordSeconds), mips(r.instructions, r.replaySeconds),
    fmtS(r.recordCpuSeconds), fmtS(r.replayCpuSeconds),
    r.logBytes != null ? `${r.logBytes} B${r.instructions ? ` (${(r.logBytes / (r.instructions / 1e6)).toFixed(0)} B/M insns)` : ''}` : '', r.ok ? 'yes' : 'NO',
  ];
  const rows = runs.map((r, i) => row(`${i + 1}${r.recordAttempts > 1 ? ` (record try ${r.recordAttempts})` : ''}`, r));
  const ok = runs.every((r) => r.ok);
  let med = null;
  if (ok && runs.length > 1) {
    const m = (k) => median(runs.map((r) => r[k]));
    const mInt = (k) => Math.round(m(k)); // with an even count the median is a mean: whole numbers where counted
    med = { recordSeconds: m('recordSeconds'), replaySeconds: m('replaySeconds'), recordCpuSeconds: m('recordCpuSeconds'), replayCpuSeconds: m('replayCpuSeconds'), instructions: mInt('instructions'), logBytes: mInt('logBytes'), ok: true };
    rows.push(row('median', med));
  }
  for (const [i, r] of runs.entries()) if (!r.ok) notes.push(`pair ${i + 1} FAILED: ${r.error}`);
  notes.push(`${first.qemuVersion}; ${first.workload} typed into the console (paced by prompt and echo, as console-feed.py); the replay is given no input`);
  if (first.recordCommand) notes.push(`record: \`${first.recordCommand}\``, `replay: \`${first.replayCommand}\``);
  for (const d of first.differences ?? []) notes.push(`differs from guest/run-qemu.sh: ${d}`);
  notes.push('replayed = machine_power_off reached at the record\'s instruction count (QMP query-replay) with the same console output, every line. Wall: QEMU\'s start to machine_power_off; CPU: QEMU\'s user+system time to then (the rest of the wall time QEMU sits idle: with shift=auto an idle guest waits in real time, in the record and again in the replay)');
  const best = med ?? (ok ? first : null);
  const prnr = prnrParallel(benchDir);
  if (best && prnr) {
    notes.push(`prnr parallel replay / QEMU replay: ${prnr.seconds.toFixed(2)} s / ${best.replaySeconds.toFixed(2)} s wall = ${(prnr.seconds / best.replaySeconds).toFixed(2)} (vs QEMU's replay CPU time ${best.replayCpuSeconds.toFixed(2)} s: ${(prnr.seconds / best.replayCpuSeconds).toFixed(2)}); prnr's from bench/results/latest-record.json (${prnr.date}, ${prnr.threads} threads, ${prnr.cpu}, ${prnr.cores} cores), not this run`);
  }
  return {
    title,
    columns,
    rows,
    records: runs.map(({ differences, ...rest }) => rest),
    notes,
    ok,
    extra: { qemuVersion: first.qemuVersion, differences: first.differences ?? [], median: med, prnrParallel: prnr },
  };
}
