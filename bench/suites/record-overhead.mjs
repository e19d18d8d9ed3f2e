// Suite "record-overhead": what recording costs a running guest, measured
// as alternating pairs of the smoke workload (a plain run and a recording;
// the order flips every pair, plain-record then record-plain, so that drift
// in the host's load hits both sides alike). Two recorder settings: the
// default slicing, and a snapshot every 20M instructions. Both sides are
// timed from building the machine (images already loaded) to power-off, as
// a user waits for them; the recording's time includes finishing it (last
// snapshot stored, code cache written, manifest complete and durable).
//
// Reported per setting: the median of the pairs' wall ratios and their
// range, the ratio of the fastest recording to the fastest plain run (noise
// only adds time, so the minima are the least disturbed), the same ratios in
// CPU seconds of the machine's thread (/proc/self/task/PID/stat; moves far
// less with the host's load than wall time does), the CPU seconds of the
// other threads (snapshot worker, V8's GC and compiler threads, the thread
// pool), the machine thread's GC time, the time outside VirtMachine.run on
// each side (the recorder's own work on the machine's thread: slice closes,
// code-cache pieces, checkpoints, the host's turns; a plain run only builds,
// boots and idles) and the ratio of the time inside it (the guest's work, the
// same on both sides), how often the machine's thread was preempted and how
// long it waited for a CPU (other threads on its core; the wait only where the
// kernel accounts it: `sysctl kernel.task_delayacct=1`), the load average, the snapshot pauses,
// the objects, files and bytes of the last recording, and cold restores of
// its first and last slice from its pack against the same objects as loose
// files (the layout before packs).
//
// Options:
//   --overhead-pairs N     pairs per setting (default 5)
//   --overhead-max N       stop every run after N steps (default: run to poweroff)
//   --overhead-slices A,B  settings: "default" and/or a step count (default: default,20000000)
//   --overhead-world W     the guest's clock and entropy: "fixed" (default) or "host"
//   --overhead-no-prestart the recorder starts its snapshot worker itself; by default the
//                          worker is started and ready before the timing, as `prnr record`
//                          starts it from its first lines (@prnr/snapshot/prestart)
//
// With "fixed", every run gets the same clock reading and the same seeded
// entropy, so plain run and recording execute the very same guest work (equal
// step counts, checked), and a pair differs only by what the recorder adds: it
// still logs every clock and entropy read. With "host" (Date.now, the host's
// random bytes) the guest's work varies from run to run (its hash seeds and
// address layout), which adds that variation to each pair.
//
// The medians of the pairs' ratios come with a distribution-free 90%
// confidence interval (order statistics of the sorted ratios): on a shared
// host single pairs range over tens of percent, and the interval says how
// far the median can be trusted.

import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { randomFillSync } from 'node:crypto';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance, PerformanceObserver } from 'node:perf_hooks';
import { medianInterval } from '../lib/report.mjs';

export const name = 'record-overhead';
export const order = 41;
export const description = 'smoke workload: plain run vs record in alternating pairs (wall and CPU ratios, medians and minima); snapshot pauses; objects, files, bytes; restore from packs vs loose files';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export async function run(ctx) {
  const machine = await import(new URL('../../packages/machine/dist/index.js', import.meta.url).href);
  const recording = await import(new URL('../../packages/recording/dist/index.js', import.meta.url).href);
  const snapshot = await import(new URL('../../packages/snapshot/dist/index.js', import.meta.url).href);
  const set = machine.loadGuestImages(join(ROOT, 'guest/images'));
  const script = readFileSync(join(ROOT, 'guest/workloads/smoke.sh'), 'utf8');
  const max = ctx.args['overhead-max'] ? Number(ctx.args['overhead-max']) : 20_000_000_000;
  const pairs = Number(ctx.args['overhead-pairs'] ?? 5);
  const settings = String(ctx.args['overhead-slices'] ?? 'default,20000000').split(',');
  const prestart = !ctx.args['overhead-no-prestart'];
  const worldKind = String(ctx.args['overhead-world'] ?? 'fixed');
  if (worldKind !== 'fixed' && worldKind !== 'host') throw new Error(`--overhead-world: "fixed" or "host", not ${JSON.stringify(worldKind)}`);
  const world = worldKind === 'host' ? hostWorld : fixedWorld;
  const tmp = mkdtempSync(join(tmpdir(), 'prnr-overhead-'));

  // CPU seconds of this process's main thread (the machine's) and of the whole process (the snapshot
  // worker and the thread pool too), from /proc: on a host shared with other work, CPU time moves far
  // less with the load than wall time does.
  // Also how often the machine's thread was preempted (nonvoluntary context switches) and how long it
  // waited for a CPU while runnable (schedstat's run delay: 0 unless the kernel accounts it, e.g.
  // `sysctl kernel.task_delayacct=1`): other threads on its core, which its CPU time does not show.
  const cpu = () => {
    const task = `/proc/self/task/${process.pid}`;
    const stat = readFileSync(`${task}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const u = process.cpuUsage();
    const preempted = Number(/nonvoluntary_ctxt_switches:\s*(\d+)/.exec(readFileSync(`${task}/status`, 'utf8'))?.[1] ?? 0);
    const waitMs = Number(readFileSync(`${task}/schedstat`, 'utf8').split(' ')[1] ?? 0) / 1e6;
    return { main: (Number(f[11]) + Number(f[12])) / 100, all: (u.user + u.system) / 1e6, preempted, waitMs };
  };
  const cpuSince = (c0) => { const c = cpu(); return { main: c.main - c0.main, all: c.all - c0.all, preempted: c.preempted - c0.preempted, waitMs: c.waitMs - c0.waitMs }; };

  // GC time on this thread (the machine's), from the runtime's own GC events.
  let gcMs = 0;
  const gcObserver = new PerformanceObserver((list) => { for (const e of list.getEntries()) gcMs += e.duration; });
  gcObserver.observe({ entryTypes: ['gc'] });
  const settle = () => new Promise((r) => setTimeout(r, 20)); // GC entries are delivered asynchronously

  // Wall time inside VirtMachine.run, per run (both sides call it: the recorder in chunks).
  let inRunMs = 0;
  const realRun = machine.VirtMachine.prototype.run;
  machine.VirtMachine.prototype.run = function (limit) {
    const t = performance.now();
    try {
      return realRun.call(this, limit);
    } finally {
      inRunMs += performance.now() - t;
    }
  };

  const plainRun = async () => {
    const { config, images } = machine.guestBoard(set);
    const input = new machine.ScriptInput(script);
    await settle();
    const g0 = gcMs;
    const c0 = cpu();
    inRunMs = 0;
    const t = performance.now();
    const m = new machine.VirtMachine(config, images, { ...world(), consoleInput: input, consoleOutput: { write: (b) => input.observe(b) } });
    m.boot();
    for (;;) {
      const r = m.run(max);
      if (r.reason === 'idle' && r.wakeAt !== null) { m.advanceIdle(r.wakeAt); continue; }
      break;
    }
    const seconds = (performance.now() - t) / 1000;
    const inRun = inRunMs / 1000;
    const used = cpuSince(c0);
    await settle();
    return { seconds, inRun, steps: m.hart.icount, cpu: used, gcMs: gcMs - g0 };
  };
  let n = 0;
  const recordRun = async (sliceSteps) => {
    const dir = join(tmp, `r${n++}.rec`);
    const { config, images } = machine.guestBoard(set);
    const input = new machine.ScriptInput(script);
    // As `prnr record` does: its snapshot worker starts with the command line, and is ready (its ring
    // touched) while the CLI loads and decodes the guest images, which this timing leaves out on both sides.
    if (prestart) await snapshot.prestartSnapshotWorker().ready;
    await settle();
    const g0 = gcMs;
    const c0 = cpu();
    inRunMs = 0;
    const t = performance.now();
    const { manifest } = await recording.record({
      dir, config, images, inputs: { ...world(), consoleInput: input }, output: { write: (b) => input.observe(b) },
      realtime: false, maxSteps: max, ...(sliceSteps === undefined ? {} : { sliceSteps }),
    });
    const seconds = (performance.now() - t) / 1000;
    const inRun = inRunMs / 1000;
    const used = cpuSince(c0);
    await settle();
    return { seconds, inRun, steps: manifest.stats.steps, manifest, dir, cpu: used, gcMs: gcMs - g0 };
  };
  const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const filesUnder = (d) => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(d, e.name)) : [join(d, e.name)]));

  const rows = [];
  const records = [];
  const notes = [];
  let ok = true;
  try {
    // One run not counted: the first run in a process translates the guest's code cold, every later one finds it cached.
    const warm = await plainRun();
    ctx.log(`warm-up plain run: ${warm.seconds.toFixed(2)} s (not counted; load ${loadavg()[0].toFixed(2)})`);
    for (const s of settings) {
      const sliceSteps = s === 'default' ? undefined : Number(s);
      const label = s === 'default' ? 'default slicing' : `snapshot every ${(Number(s) / 1e6).toFixed(0)}M insns`;
      const ratios = [];
      const cpuRatios = [];
      const inRunRatios = [];
      const allRatios = [];
      const plains = [];
      const recs = [];
      const pauses = [];
      /** Pauses of a running guest: all but the snapshot taken at power-on, before the guest runs. */
      const running = [];
      const loads = [loadavg()[0]];
      let last;
      for (let i = 0; i < pairs; i++) {
        // Alternating order: plain first in even pairs, the recording first in odd ones.
        let p;
        let r;
        if (i % 2 === 0) p = await plainRun();
        if (last) rmSync(last.dir, { recursive: true, force: true });
        r = await recordRun(sliceSteps);
        if (i % 2 === 1) p = await plainRun();
        loads.push(loadavg()[0]);
        // The same workload to its end: exactly the same steps with a fixed world; the host's clock and
        // entropy move the count by a few thousand steps run to run.
        ok = ok && (worldKind === 'fixed' ? r.steps === p.steps : Math.abs(r.steps - p.steps) <= p.steps * 1e-3);
        plains.push(p);
        recs.push(r);
        ratios.push(r.seconds / p.seconds);
        inRunRatios.push(r.inRun / p.inRun);
        cpuRatios.push(r.cpu.main / p.cpu.main);
        allRatios.push(r.cpu.all / p.cpu.all);
        pauses.push(...r.manifest.snapshots.map((x) => x.pauseMs));
        running.push(...r.manifest.snapshots.filter((x) => x.icount > 0).map((x) => x.pauseMs));
        ctx.log(`${label}, pair ${i + 1} (${i % 2 === 0 ? 'plain first' : 'record first'}, load ${loads.at(-1).toFixed(2)}): wall plain ${p.seconds.toFixed(2)} s, record ${r.seconds.toFixed(2)} s (${(r.seconds / p.seconds).toFixed(3)}x); machine-thread CPU ${p.cpu.main.toFixed(2)} s, ${r.cpu.main.toFixed(2)} s (${(r.cpu.main / p.cpu.main).toFixed(3)}x); outside run ${ms(p.seconds - p.inRun)}, ${ms(r.seconds - r.inRun)} ms; other threads CPU ${(p.cpu.all - p.cpu.main).toFixed(2)} s, ${(r.cpu.all - r.cpu.main).toFixed(2)} s; GC ${p.gcMs.toFixed(0)} ms, ${r.gcMs.toFixed(0)} ms; preempted ${p.cpu.preempted}, ${r.cpu.preempted} times, waiting ${p.cpu.waitMs.toFixed(0)}, ${r.cpu.waitMs.toFixed(0)} ms; ${r.manifest.snapshots.length} snapshots`);
        records.push({ setting: s, pair: i, order: i % 2 === 0 ? 'plain-record' : 'record-plain', load: loads.at(-1), plainSeconds: p.seconds, recordSeconds: r.seconds, plainInRunSeconds: p.inRun, recordInRunSeconds: r.inRun, plainCpu: p.cpu, recordCpu: r.cpu, plainGcMs: p.gcMs, recordGcMs: r.gcMs, plainSteps: p.steps, steps: r.steps, snapshots: r.manifest.snapshots.length, pausesMs: r.manifest.snapshots.map((x) => x.pauseMs) });
        last = r;
      }
      const minOf = (xs, f) => Math.min(...xs.map(f));
      const bestWall = minOf(recs, (x) => x.seconds) / minOf(plains, (x) => x.seconds);
      const bestCpu = minOf(recs, (x) => x.cpu.main) / minOf(plains, (x) => x.cpu.main);
      const others = (xs) => med(xs.map((x) => x.cpu.all - x.cpu.main));
      const accountsWaits = [...plains, ...recs].some((x) => x.cpu.waitMs > 0);
      // The last recording: what it holds, and how fast it restores.
      const store = new snapshot.FsObjectStore(last.dir);
      const st = await store.stats();
      const files = filesUnder(last.dir);
      const bytes = files.reduce((a, f) => a + statSync(f).size, 0);
      const objectFiles = filesUnder(join(last.dir, 'objects')).length;
      const restore = await restoreTimes(recording, snapshot, last, tmp);
      rows.push([
        label,
        med(ratios).toFixed(3),
        interval(ratios),
        `${Math.min(...ratios).toFixed(3)}–${Math.max(...ratios).toFixed(3)}`,
        bestWall.toFixed(3),
        med(cpuRatios).toFixed(3),
        interval(cpuRatios),
        bestCpu.toFixed(3),
        `${ms(med(plains.map((x) => x.seconds - x.inRun)))} / ${ms(med(recs.map((x) => x.seconds - x.inRun)))}`,
        med(inRunRatios).toFixed(3),
        `${others(plains).toFixed(2)} / ${others(recs).toFixed(2)}`,
        `${med(plains.map((x) => x.gcMs)).toFixed(0)} / ${med(recs.map((x) => x.gcMs)).toFixed(0)}`,
        `${med(plains.map((x) => x.cpu.preempted))} / ${med(recs.map((x) => x.cpu.preempted))}`,
        accountsWaits ? `${med(plains.map((x) => x.cpu.waitMs)).toFixed(0)} / ${med(recs.map((x) => x.cpu.waitMs)).toFixed(0)}` : 'not accounted',
        `${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}`,
        med(pauses).toFixed(2),
        Math.max(...pauses).toFixed(2),
        Math.max(...running).toFixed(2),
        String(st.objects),
        `${files.length} (${objectFiles} in objects/)`,
        `${(bytes / 1048576).toFixed(1)} MiB`,
        `${restore.packs.first.toFixed(0)} / ${restore.packs.last.toFixed(0)}`,
        `${restore.loose.first.toFixed(0)} / ${restore.loose.last.toFixed(0)}`,
      ]);
      records.push({ setting: s, world: worldKind, prestart, ratios, medianRatio: med(ratios), medianRatioCi90: medianInterval(ratios), bestWallRatio: bestWall, cpuRatios, medianCpuRatio: med(cpuRatios), medianCpuRatioCi90: medianInterval(cpuRatios), bestCpuRatio: bestCpu, outsideRunMs: { plain: 1000 * med(plains.map((x) => x.seconds - x.inRun)), record: 1000 * med(recs.map((x) => x.seconds - x.inRun)) }, inRunRatios, medianInRunRatio: med(inRunRatios), processCpuRatios: allRatios, loads, medianPauseMs: med(pauses), maxPauseMs: Math.max(...pauses), maxRunningPauseMs: Math.max(...running), objects: st.objects, files: files.length, objectFiles, bytes, restoreMs: restore });
      notes.push(`${label}: ${pairs} alternating pairs, wall ratios ${ratios.map((x) => x.toFixed(3)).join(', ')}; machine-thread CPU ratios ${cpuRatios.map((x) => x.toFixed(3)).join(', ')}; ${pauses.length} pauses`);
      rmSync(last.dir, { recursive: true, force: true });
    }
  } finally {
    machine.VirtMachine.prototype.run = realRun;
    gcObserver.disconnect();
    rmSync(tmp, { recursive: true, force: true });
  }
  return {
    title: `Recording overhead: smoke workload, plain run and recording in alternating pairs (guest clock and entropy: ${worldKind}; snapshot worker ${prestart ? 'prestarted, as by prnr record' : 'started by the recorder'})`,
    columns: ['recorder', 'wall record/plain (median of pairs)', '90% CI of that median', 'range', 'wall best/best', 'machine-thread CPU record/plain (median)', '90% CI of that median', 'machine-thread CPU best/best', 'outside VirtMachine.run ms plain / record (median)', 'inside it record/plain (median)', 'other threads CPU s plain / record', 'GC ms plain / record', 'machine thread preempted, times plain / record (median)', 'machine thread waiting for a CPU ms plain / record (median)', 'load average', 'pause median ms', 'pause max ms', 'pause max ms (guest running)', 'objects', 'files', 'bytes', 'restore first/last ms (packs)', 'restore first/last ms (loose files)'],
    rows,
    records,
    notes,
    ok,
  };
}

/** The guest's world with the host's clock and random bytes: each run's guest work differs a little. */
function hostWorld() {
  return { clock: { now: () => BigInt(Date.now()) * 1_000_000n }, entropy: { fill: (b) => void randomFillSync(b) } };
}

/** The same clock reading and the same entropy stream (xorshift32, one seed) for every run. */
function fixedWorld() {
  let x = 0x9e3779b9;
  return {
    clock: { now: () => 1_767_225_600_000_000_000n }, // 2026-01-01T00:00:00Z
    entropy: { fill: (b) => { for (let i = 0; i < b.length; i++) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; b[i] = x & 0xff; } } },
  };
}

const ms = (seconds) => (1000 * seconds).toFixed(0);

const interval = (xs) => {
  const ci = medianInterval(xs);
  return ci ? `${ci[0].toFixed(3)}–${ci[1].toFixed(3)}` : '–';
};

/**
 * Cold restores (a new session: machine built, snapshot read, the object
 * cache and the translated code emptied) of the first and the last slice: from the recording's
 * packs, and from a copy holding every object as a file of its own (the
 * layout before packs). Interleaved, 3 rounds, medians: neither layout gets
 * the warmer process.
 */
async function restoreTimes(recording, snapshot, rec, tmp) {
  const loose = join(tmp, 'loose.rec');
  const { cpSync } = await import('node:fs');
  cpSync(rec.dir, loose, { recursive: true, filter: (src) => !src.includes(join('objects', 'pack')) });
  const from = new snapshot.FsObjectStore(rec.dir);
  const to = new snapshot.FsObjectStore(loose, { packs: false });
  for await (const h of from.list()) await to.putHashed(h, await from.get(h));
  await to.sync();
  const timed = async (f) => { const t0 = performance.now(); await f(); return performance.now() - t0; };
  const { CodeCache } = await import(new URL('../../packages/cpu/dist/index.js', import.meta.url).href);
  const sources = { packs: recording.openRecording(rec.dir), loose: recording.openRecording(loose) };
  const times = { packs: { first: [], last: [] }, loose: { first: [], last: [] } };
  const once = async (kind, which) => {
    const opened = sources[kind];
    const slice = which === 'first' ? 0 : opened.manifest.slices.length - 1;
    // Cold, as in a new process: no verified objects, no translated code (the recording's code cache is loaded again).
    snapshot.ObjectCache.shared.clear();
    CodeCache.shared.clear();
    times[kind][which].push(await timed(() => new recording.ReplaySession(opened).restore(slice)));
  };
  for (let round = 0; round < 3; round++) {
    const order = round % 2 === 0 ? ['packs', 'loose'] : ['loose', 'packs'];
    for (const which of ['first', 'last']) for (const kind of order) await once(kind, which);
  }
  rmSync(loose, { recursive: true, force: true });
  const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return { packs: { first: med(times.packs.first), last: med(times.packs.last) }, loose: { first: med(times.loose.first), last: med(times.loose.last) }, samples: times };
}
