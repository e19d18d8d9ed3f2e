// Suite "replay": parallel replay against sequential replay, as a user runs
// them (the built CLI, a fresh process each, wall clock of the process), on
// recordings made here in the same run:
//   demo    guest/workloads/buggy.sh (what `prnr demo` records)
//   smoke   guest/workloads/smoke.sh
// both with the recorder's default slices (50M instructions or 0.25 s of
// recording, whichever comes first)
// Per recording:
//   record          prnr record
//   replay -j 1     prnr replay --parallel 1 (one session straight through)
//   verify -j N     prnr verify --parallel N (at most N lanes: the planner starts
//                   fewer where more would not pay for their start, and says so;
//                   a chunk of slices per lane, an idle lane taking slices from
//                   the back of a busy one where that beats the jump's restore)
//   QEMU rr         QEMU 7.2 -icount shift=auto,rr=record / rr=replay on the
//                   same images and workload (bench/suites/qemu-rr.mjs), when
//                   QEMU is installed
//   seek            latency of seeks to seeded random icounts through a warm
//                   SeekService (what the server answers seeks with)
//   restore         in this process: a session moving between seeded random
//                   snapshots (a lane's jump, a seek), and new sessions (the
//                   machine's build timed apart from its first restore)
// and a scaling table: a MODEL that takes the measured per-slice replay times
// and per-chunk fixed costs and projects them to more workers.
//
// Options:
//   --replay-workloads demo,smoke   which recordings (default both)
//   --replay-threads N              workers for verify (default: the number of cores)
//   --replay-seeks N                seeks measured per recording (default 15)
//   --replay-reps N                 alternating runs of replay -j 1 and verify -j N per
//                                   recording (default 1); the table shows the medians
//
// Besides wall time each run's CPU time (user + system, of the CLI process
// and its threads) is shown: on a machine shared with other work it says
// what a run cost better than its wall time does.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { medianInterval } from '../lib/report.mjs';

export const name = 'replay';
export const order = 45;
export const description = 'parallel vs sequential replay (CLI), fixed costs, seek latency, QEMU rr, scaling model';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'apps/cli/dist/main.js');
const WORKLOADS = {
  demo: { script: 'guest/workloads/buggy.sh' },
  smoke: { script: 'guest/workloads/smoke.sh' },
};

/** CPU seconds (user + system) of this process's waited-for children so far (Linux /proc; null elsewhere). */
function childCpuSeconds() {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // f[0] is field 3 (state)
    return (Number(f[13]) + Number(f[14])) / 100; // cutime + cstime, in clock ticks (USER_HZ, 100 on Linux)
  } catch {
    return null;
  }
}

/** Runs the CLI; returns its wall time, CPU time, exit status and output. */
function prnr(args) {
  const cpu0 = childCpuSeconds();
  const t = performance.now();
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', maxBuffer: 256 << 20 });
  const seconds = (performance.now() - t) / 1000;
  const cpu1 = childCpuSeconds();
  if (r.status !== 0) throw new Error(`prnr ${args.join(' ')} exited ${r.status}: ${(r.stderr || '').trim().split('\n').slice(-3).join(' / ')}`);
  return { seconds, cpuSeconds: cpu0 === null || cpu1 === null ? null : cpu1 - cpu0, load: loadavg()[0], stdout: r.stdout, stderr: r.stderr };
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN; };
const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };

export async function run(ctx) {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run pnpm build first`);
  const scheduler = await import(new URL('../../packages/scheduler/dist/index.js', import.meta.url).href);
  const recording = await import(new URL('../../packages/recording/dist/index.js', import.meta.url).href);
  const threads = Number(ctx.args['replay-threads'] ?? availableParallelism());
  const seeks = Number(ctx.args['replay-seeks'] ?? 15);
  const reps = Math.max(1, Number(ctx.args['replay-reps'] ?? 1));
  const which = String(ctx.args['replay-workloads'] ?? 'demo,smoke').split(',');
  const qemu = existsSync(join(ROOT, 'bench/suites/qemu-rr.mjs')) ? await import('./qemu-rr.mjs') : null;

  // The machine's load beside this run: on a shared 2-core machine it decides the ratios more than the code does.
  const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
  const loadAtStart = load();
  const tmp = mkdtempSync(join(tmpdir(), 'prnr-bench-replay-'));
  const rows = [];
  const records = [];
  const notes = [];
  const models = [];
  let ok = true;
  try {
    for (const w of which) {
      const spec = WORKLOADS[w];
      if (!spec) throw new Error(`--replay-workloads: unknown workload ${w} (demo, smoke)`);
      const dir = join(tmp, `${w}.rec`);
      const rec = prnr(['record', '-o', dir, '--script', join(ROOT, spec.script), '-q']);
      const manifest = JSON.parse(readFileSync(join(dir, 'recording.json'), 'utf8'));
      const steps = manifest.stats.steps;
      ctx.log(`${w}: recorded ${steps} steps, ${manifest.slices.length} slices in ${rec.seconds.toFixed(1)} s`);
      const seqJson = JSON.parse(prnr(['verify', dir, '--parallel', '1', '--json']).stdout);
      // Alternating runs, so that a change in the machine's load hits both alike; medians in the table.
      const seqRuns = [];
      const parRuns = [];
      for (let k = 0; k < reps; k++) {
        seqRuns.push(prnr(['replay', dir, '--parallel', '1', '-q']));
        parRuns.push(prnr(['verify', dir, '--parallel', String(threads), '--json']));
        ctx.log(`${w}: replay -j 1 ${seqRuns[k].seconds.toFixed(2)} s (CPU ${seqRuns[k].cpuSeconds?.toFixed(2)} s, load ${seqRuns[k].load.toFixed(2)}), verify -j ${threads} ${parRuns[k].seconds.toFixed(2)} s (CPU ${parRuns[k].cpuSeconds?.toFixed(2)} s, load ${parRuns[k].load.toFixed(2)})`);
      }
      const mid = (runs) => ({ seconds: median(runs.map((r) => r.seconds)), cpuSeconds: runs[0].cpuSeconds === null ? null : median(runs.map((r) => r.cpuSeconds)) });
      const pairSpeedups = seqRuns.map((r, k) => r.seconds / parRuns[k].seconds);
      const pairCi = medianInterval(pairSpeedups);
      const seq = mid(seqRuns);
      const par = mid(parRuns);
      // The parallel run whose wall time is the median's (or nearest) gives the fixed costs shown.
      const parRun = parRuns.reduce((a, r) => (Math.abs(r.seconds - par.seconds) < Math.abs(a.seconds - par.seconds) ? r : a));
      const parJson = JSON.parse(parRun.stdout);
      const verified = seqJson.verified && parRuns.every((r) => JSON.parse(r.stdout).verified);
      ok &&= verified;

      // Fixed costs of the parallel run: start-up and restores, per chunk and per slice. Start-up is, per chunk,
      // from handing the task over to its result, less its slices' time: the thread's start, opening the
      // recording, loading its code cache (every lane loads its own, and a task waits for it before its
      // first slice: before 2026-12-06 06:00 the caller's lane waited for another thread's compiled code
      // inside its first slice, which was counted as replay), building the machine, a warm-up's restore.
      const replaying = parJson.slices.reduce((a, s) => a + s.wallSeconds - s.restoreSeconds, 0);
      const fixed = parJson.fixed.startupSeconds + parJson.fixed.restoreSeconds;
      const perSlice = fixed / parJson.slices.length;
      const sliceReplay = replaying / parJson.slices.length;
      // What the fixed costs above do not hold: the CLI's own start and exit around the replay (the
      // process's wall time less replayRecording's), and the second lane's cold code: the same slices'
      // replay time (restores left out) in the parallel run against the sequential one.
      const outside = parRun.seconds - parJson.wallSeconds;
      const seqReplaying = seqJson.slices.reduce((a, s) => a + s.wallSeconds - s.restoreSeconds, 0);
      const coldPenalty = replaying - seqReplaying;

      // Seek: the server's path, a SeekService (a replay thread keeping a warm Seeker); seeded random targets.
      const service = new scheduler.SeekService();
      const lat = [];
      try {
        await service.seek({ dir }, Math.floor(steps / 2)); // warm: the thread, the first restore, the code
        let seed = 20261205;
        const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
        for (let i = 0; i < seeks; i++) {
          const at = Math.floor(rand() * steps);
          const t = performance.now();
          const r = await service.seek({ dir }, at);
          lat.push(performance.now() - t);
          if (r.icount !== at) throw new Error(`seek to ${at} landed at ${r.icount}`);
        }
      } finally {
        await service.close();
      }

      const restores = await restoreTimes(recording, dir, seeks);

      let q = null;
      if (qemu?.qemuRecordReplay) {
        try {
          q = await qemu.qemuRecordReplay({ root: ROOT, workload: join(ROOT, spec.script), log: ctx.log });
        } catch (e) {
          q = { ok: false, skippedReason: e.message };
        }
      }
      const qemuOk = q && q.ok && !q.skippedReason;
      const mips = (s) => (steps / s / 1e6).toFixed(1);
      const cpu = (r) => (r.cpuSeconds === null ? '–' : r.cpuSeconds.toFixed(2));
      const of = reps > 1 ? `median of ${reps}; ` : '';
      rows.push(
        [w, 'record', rec.seconds.toFixed(2), cpu(rec), mips(rec.seconds), '', `${manifest.slices.length} slices`],
        [w, 'replay --parallel 1', seq.seconds.toFixed(2), cpu(seq), mips(seq.seconds), '1.00', `${of}${seqJson.verified ? 'verified' : 'DIVERGED'}`],
        [w, `verify --parallel ${threads}`, par.seconds.toFixed(2), cpu(par), mips(par.seconds), (seq.seconds / par.seconds).toFixed(2), `${of}${verified ? 'verified' : 'DIVERGED'}; ${(rec.seconds / par.seconds).toFixed(2)}x the record run`],
        ...(q ? [
          [w, 'QEMU 7.2 rr=record', qemuOk ? q.recordSeconds.toFixed(2) : '–', '', '', '', qemuOk ? '-icount shift=auto' : `not run: ${q.skippedReason ?? 'replay check failed'}`],
          [w, 'QEMU 7.2 rr=replay', qemuOk ? q.replaySeconds.toFixed(2) : '–', '', '', '', qemuOk ? `prnr verify -j ${threads} / QEMU replay = ${(par.seconds / q.replaySeconds).toFixed(2)}` : ''],
        ] : []),
      );
      notes.push(
        // verify's planner may start fewer lanes than asked where it predicts more would not pay for their start.
        `${w}: verify -j ${threads} planner: ${parJson.lanes ? parJson.lanes.reason : 'no lane decision (a prnr from before the planner chose lanes: every lane asked for)'}`,
        `${w}: speed-up pair by pair (replay -j 1 / verify -j ${threads}, the runs alternating): ${pairSpeedups.map((x) => x.toFixed(2)).join(', ')}; median ${median(pairSpeedups).toFixed(2)}${pairCi ? `, 90% confidence interval of that median ${pairCi[0].toFixed(2)}–${pairCi[1].toFixed(2)}` : ' (a confidence interval needs --replay-reps 5 or more)'}`,
        `${w}: fixed costs of verify -j ${threads} (start-up: thread start, opening, each lane's code cache, machine, warm-up restore): ${parJson.fixed.chunks} chunks, start-up ${parJson.fixed.startupSeconds.toFixed(2)} s, restores ${parJson.fixed.restoreSeconds.toFixed(2)} s = ${perSlice.toFixed(3)} s per slice, ${((100 * perSlice) / sliceReplay).toFixed(1)}% of a slice's replay (${sliceReplay.toFixed(2)} s)`,
        `${w}: not in those fixed costs: the CLI's start and exit around the replay ${outside.toFixed(2)} s (process ${parRun.seconds.toFixed(2)} s, replay ${parJson.wallSeconds.toFixed(2)} s); the slices' replay (restores left out) took ${replaying.toFixed(2)} s of lane time against ${seqReplaying.toFixed(2)} s in verify -j 1 (${coldPenalty >= 0 ? '+' : ''}${coldPenalty.toFixed(2)} s, wall time: the second lane's cold code, the lanes sharing the cores with each other and with whatever else runs)`,
        `${w}: seek through a warm SeekService, ${seeks} seeded random icounts: median ${median(lat).toFixed(0)} ms, p90 ${pct(lat, 0.9).toFixed(0)} ms, max ${Math.max(...lat).toFixed(0)} ms`,
        `${w}: restore (${restores.ramMiB} MiB guest), in this process: a session moving between ${restores.jumps.length} seeded random snapshots median ${median(restores.jumps).toFixed(1)} ms, max ${Math.max(...restores.jumps).toFixed(1)} ms; a new session's first restore median ${median(restores.fresh).toFixed(1)} ms (first in this thread ${restores.fresh[0].toFixed(1)} ms), after building its machine in ${median(restores.builds).toFixed(1)} ms`,
      );
      // The model: a slice's replay time is what the sequential run measured; each chunk pays the fixed cost per chunk measured above.
      const sliceTimes = seqJson.slices.map((s) => s.wallSeconds - s.restoreSeconds);
      const perChunk = fixed / parJson.fixed.chunks;
      const model = [1, 2, 4, 8, 16, 64].map((n) => {
        const chunks = scheduler.chunkSlices(manifest.slices.map((s) => s.index), scheduler.sliceCost(manifest.slices), n);
        const t = Math.max(...chunks.map(([a, b]) => perChunk + sliceTimes.slice(a, b + 1).reduce((x, y) => x + y, 0)));
        return { workers: n, chunks: chunks.length, seconds: t };
      });
      models.push({ workload: w, slices: manifest.slices.length, perChunk, model });
      records.push({ workload: w, steps, slices: manifest.slices.length, recordSeconds: rec.seconds, sequentialSeconds: seq.seconds, parallelSeconds: par.seconds, sequentialCpuSeconds: seq.cpuSeconds, parallelCpuSeconds: par.cpuSeconds, runs: { sequential: seqRuns.map(({ seconds, cpuSeconds, load }) => ({ seconds, cpuSeconds, load })), parallel: parRuns.map(({ seconds, cpuSeconds, load }) => ({ seconds, cpuSeconds, load })) }, threads, speedup: seq.seconds / par.seconds, pairSpeedups, pairSpeedupCi90: pairCi, fixed: parJson.fixed, fixedPerSlice: perSlice, sliceReplaySeconds: sliceReplay, outsideReplaySeconds: outside, laneReplaySeconds: replaying, sequentialReplaySeconds: seqReplaying, seekMs: lat, seekMedianMs: median(lat), restoreMs: restores, restoreJumpMedianMs: median(restores.jumps), restoreFreshMedianMs: median(restores.fresh), qemu: q, model, lanes: parJson.lanes ?? null, verified });
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  notes.push(`load average (1, 5, 15 min) at the start: ${loadAtStart}; at the end: ${load()} (${availableParallelism()} cores)`);
  for (const m of models) {
    notes.push(`MODEL, not a measurement (${m.workload}, ${m.slices} slices, ${m.perChunk.toFixed(2)} s fixed per chunk): ` + m.model.map((x) => `${x.workers} workers ${x.seconds.toFixed(2)} s${x.chunks < x.workers ? ` (${x.chunks} chunks)` : ''}`).join(', '));
  }
  return {
    title: `Replay: sequential vs parallel (${threads} workers), as the CLI runs them; QEMU rr beside`,
    columns: ['recording', 'run', 'wall s', 'CPU s', 'MIPS', 'speed-up vs -j 1', 'notes'],
    rows,
    records,
    notes,
    ok,
  };
}

/**
 * Restores in this process, on this thread. `jumps`: one session moving between seeded random
 * snapshots (what a lane's jump and a seek pay; only pages that differ are written). `fresh`: new
 * sessions, each timed from its built machine (`builds`, the machine's build) to its first restore.
 */
async function restoreTimes(recording, dir, count) {
  const opened = recording.openRecording(dir);
  const n = opened.manifest.slices.length;
  let seed = 20261206;
  const pick = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
  const timed = async (f) => { const t = performance.now(); await f(); return performance.now() - t; };
  const fresh = [];
  const builds = [];
  for (let i = 0; i < 5; i++) {
    const session = new recording.ReplaySession(opened);
    builds.push(await timed(() => session.prepare()));
    fresh.push(await timed(() => session.restore(pick())));
  }
  const session = new recording.ReplaySession(opened);
  await session.restore(pick());
  const jumps = [];
  for (let i = 0; i < count; i++) jumps.push(await timed(() => session.restore(pick())));
  return { ramMiB: opened.manifest.board.ramSize / 1048576, jumps, fresh, builds };
}
