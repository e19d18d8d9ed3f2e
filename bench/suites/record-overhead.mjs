// Suite "record-overhead": what recording costs a running guest, measured
// as alternating pairs (a plain run, then a recording, again and again) of
// the smoke workload, so that load from other work on the host hits both
// sides of each pair alike. Two recorder settings: the default slicing, and a
// snapshot every 20M instructions. Reports each pair's ratio (median, min,
// max), the snapshot pauses (the time the machine stands still per
// snapshot), the objects, files and bytes of each recording, and cold
// restores from the recording's packs against the same objects as one file
// each (the layout before packs).
//
// Options:
//   --overhead-pairs N     pairs per setting (default 3)
//   --overhead-max N       stop every run after N steps (default: run to poweroff)
//   --overhead-slices A,B  settings: "default" and/or a step count (default: default,20000000)

import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { randomFillSync } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

export const name = 'record-overhead';
export const order = 41;
export const description = 'smoke workload: plain run vs record in alternating pairs; snapshot pauses; objects, files, bytes; restore from packs vs loose files';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export async function run(ctx) {
  const machine = await import(new URL('../../packages/machine/dist/index.js', import.meta.url).href);
  const recording = await import(new URL('../../packages/recording/dist/index.js', import.meta.url).href);
  const snapshot = await import(new URL('../../packages/snapshot/dist/index.js', import.meta.url).href);
  const set = machine.loadGuestImages(join(ROOT, 'guest/images'));
  const script = readFileSync(join(ROOT, 'guest/workloads/smoke.sh'), 'utf8');
  const max = ctx.args['overhead-max'] ? Number(ctx.args['overhead-max']) : 20_000_000_000;
  const pairs = Number(ctx.args['overhead-pairs'] ?? 3);
  const settings = String(ctx.args['overhead-slices'] ?? 'default,20000000').split(',');
  const world = () => ({ clock: { now: () => BigInt(Date.now()) * 1_000_000n }, entropy: { fill: (b) => void randomFillSync(b) } });
  const tmp = mkdtempSync(join(tmpdir(), 'prnr-overhead-'));

  // CPU seconds of this process's main thread (the machine's) and of the whole process (the snapshot
  // worker and the thread pool too), from /proc: on a host shared with other work, CPU time moves far
  // less with the load than wall time does.
  const cpu = () => {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const u = process.cpuUsage();
    return { main: (Number(f[11]) + Number(f[12])) / 100, all: (u.user + u.system) / 1e6 };
  };
  const cpuSince = (c0) => { const c = cpu(); return { main: c.main - c0.main, all: c.all - c0.all }; };

  const plainRun = () => {
    const { config, images } = machine.guestBoard(set);
    const input = new machine.ScriptInput(script);
    const m = new machine.VirtMachine(config, images, { ...world(), consoleInput: input, consoleOutput: { write: (b) => input.observe(b) } });
    m.boot();
    const c0 = cpu();
    const t = performance.now();
    for (;;) {
      const r = m.run(max);
      if (r.reason === 'idle' && r.wakeAt !== null) { m.advanceIdle(r.wakeAt); continue; }
      break;
    }
    return { seconds: (performance.now() - t) / 1000, steps: m.hart.icount, cpu: cpuSince(c0) };
  };
  let n = 0;
  const recordRun = async (sliceSteps) => {
    const dir = join(tmp, `r${n++}.rec`);
    const { config, images } = machine.guestBoard(set);
    const input = new machine.ScriptInput(script);
    const c0 = cpu();
    const t = performance.now();
    const { manifest } = await recording.record({
      dir, config, images, inputs: { ...world(), consoleInput: input }, output: { write: (b) => input.observe(b) },
      realtime: false, maxSteps: max, ...(sliceSteps === undefined ? {} : { sliceSteps }),
    });
    return { seconds: (performance.now() - t) / 1000, steps: manifest.stats.steps, manifest, dir, cpu: cpuSince(c0) };
  };
  const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const filesUnder = (d) => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(d, e.name)) : [join(d, e.name)]));

  const rows = [];
  const records = [];
  const notes = [];
  let ok = true;
  try {
    for (const s of settings) {
      const sliceSteps = s === 'default' ? undefined : Number(s);
      const label = s === 'default' ? 'default slicing' : `snapshot every ${(Number(s) / 1e6).toFixed(0)}M insns`;
      const ratios = [];
      const cpuRatios = [];
      const allRatios = [];
      const pauses = [];
      /** Pauses of a running guest: all but the snapshot taken at power-on, before the guest runs. */
      const running = [];
      let last;
      for (let i = 0; i < pairs; i++) {
        const p = plainRun();
        if (last) rmSync(last.dir, { recursive: true, force: true });
        const r = await recordRun(sliceSteps);
        // The same workload to its end: the host's clock and entropy move the count by a few thousand steps run to run.
        ok = ok && Math.abs(r.steps - p.steps) <= p.steps * 1e-3;
        ratios.push(r.seconds / p.seconds);
        cpuRatios.push(r.cpu.main / p.cpu.main);
        allRatios.push(r.cpu.all / p.cpu.all);
        pauses.push(...r.manifest.snapshots.map((x) => x.pauseMs));
        running.push(...r.manifest.snapshots.filter((x) => x.icount > 0).map((x) => x.pauseMs));
        ctx.log(`${label}, pair ${i + 1}: plain ${p.seconds.toFixed(2)} s, record ${r.seconds.toFixed(2)} s (${(r.seconds / p.seconds).toFixed(3)}x); main-thread CPU ${p.cpu.main.toFixed(2)} s, ${r.cpu.main.toFixed(2)} s (${(r.cpu.main / p.cpu.main).toFixed(3)}x); process CPU ${(r.cpu.all / p.cpu.all).toFixed(3)}x; ${r.manifest.snapshots.length} snapshots`);
        records.push({ setting: s, pair: i, plainSeconds: p.seconds, recordSeconds: r.seconds, plainCpu: p.cpu, recordCpu: r.cpu, plainSteps: p.steps, steps: r.steps, snapshots: r.manifest.snapshots.length, pausesMs: r.manifest.snapshots.map((x) => x.pauseMs) });
        last = r;
      }
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
        `${Math.min(...ratios).toFixed(3)}–${Math.max(...ratios).toFixed(3)}`,
        med(cpuRatios).toFixed(3),
        med(allRatios).toFixed(3),
        med(pauses).toFixed(2),
        Math.max(...pauses).toFixed(2),
        Math.max(...running).toFixed(2),
        String(st.objects),
        `${files.length} (${objectFiles} in objects/)`,
        `${(bytes / 1048576).toFixed(1)} MiB`,
        `${restore.packs.first.toFixed(0)} / ${restore.packs.last.toFixed(0)}`,
        `${restore.loose.first.toFixed(0)} / ${restore.loose.last.toFixed(0)}`,
      ]);
      records.push({ setting: s, ratios, medianRatio: med(ratios), cpuRatios, medianCpuRatio: med(cpuRatios), processCpuRatios: allRatios, medianPauseMs: med(pauses), maxPauseMs: Math.max(...pauses), maxRunningPauseMs: Math.max(...running), objects: st.objects, files: files.length, objectFiles, bytes, restoreMs: restore });
      notes.push(`${label}: ${pairs} alternating pairs, ratios ${ratios.map((x) => x.toFixed(3)).join(', ')}; ${pauses.length} pauses`);
      rmSync(last.dir, { recursive: true, force: true });
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return {
    title: 'Recording overhead: smoke workload, plain run and recording in alternating pairs',
    columns: ['recorder', 'record/plain (median)', 'range', 'main-thread CPU record/plain', 'process CPU record/plain', 'pause median ms', 'pause max ms', 'pause max ms (guest running)', 'objects', 'files', 'bytes', 'restore first/last ms (packs)', 'restore first/last ms (loose files)'],
    rows,
    records,
    notes,
    ok,
  };
}

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
