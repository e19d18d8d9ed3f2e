// Suite "record": the smoke workload (guest/workloads/smoke.sh typed into the
// default guest, power-on to poweroff) run three ways in one process, one
// after the other: a plain run (no recorder), a recording (ports wrapped, log,
// checkpoints, a snapshot per slice), a sequential replay (one session straight
// through) and a parallel one (chunks on worker threads). Ratios side by side:
// record vs plain, replay vs record. The replay suite compares replays as the
// CLI runs them, each in a fresh process.
//
// Options:
//   --record-slice N     steps per slice (default: the recorder's default)
//   --record-max N       stop after N steps (default: run to poweroff)
//   --record-threads N   threads for the parallel replay (default: the number of cores)

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { randomFillSync } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

export const name = 'record';
export const order = 40;
export const description = 'smoke workload: plain run vs record vs replay (overhead, log size)';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export async function run(ctx) {
  const machine = await import(new URL('../../packages/machine/dist/index.js', import.meta.url).href);
  const recording = await import(new URL('../../packages/recording/dist/index.js', import.meta.url).href);
  const scheduler = await import(new URL('../../packages/scheduler/dist/index.js', import.meta.url).href);
  const set = machine.loadGuestImages(join(ROOT, 'guest/images'));
  const script = readFileSync(join(ROOT, 'guest/workloads/smoke.sh'), 'utf8');
  const max = ctx.args['record-max'] ? Number(ctx.args['record-max']) : 20_000_000_000;
  const world = () => ({ clock: { now: () => BigInt(Date.now()) * 1_000_000n }, entropy: { fill: (b) => void randomFillSync(b) } });

  // Plain: the same loop, no recorder.
  const plain = (() => {
    const { config, images } = machine.guestBoard(set);
    const input = new machine.ScriptInput(script);
    const m = new machine.VirtMachine(config, images, { ...world(), consoleInput: input, consoleOutput: { write: (b) => input.observe(b) } });
    m.boot();
    const t = performance.now();
    for (;;) {
      const r = m.run(max);
      if (r.reason === 'idle' && r.wakeAt !== null) { m.advanceIdle(r.wakeAt); continue; }
      break;
    }
    return { seconds: (performance.now() - t) / 1000, steps: m.hart.icount };
  })();
  ctx.log(`plain: ${plain.steps} steps in ${plain.seconds.toFixed(1)} s`);

  const dir = join(mkdtempSync(join(tmpdir(), 'prnr-bench-')), 'smoke.rec');
  try {
    const { config, images } = machine.guestBoard(set);
    const input = new machine.ScriptInput(script);
    let t = performance.now();
    const { manifest } = await recording.record({
      dir, config, images, inputs: { ...world(), consoleInput: input }, output: { write: (b) => input.observe(b) },
      realtime: false, maxSteps: max, sliceSteps: ctx.args['record-slice'] ? Number(ctx.args['record-slice']) : undefined,
    });
    const rec = { seconds: (performance.now() - t) / 1000, steps: manifest.stats.steps };
    ctx.log(`record: ${rec.steps} steps in ${rec.seconds.toFixed(1)} s, ${manifest.slices.length} slices`);
    const opened = recording.openRecording(dir);
    // Sequential replay: one session straight through, every slice end checked (prnr replay --parallel 1).
    t = performance.now();
    const straight = await recording.replayConsecutive(opened, 0, manifest.slices.length - 1);
    const through = { seconds: (performance.now() - t) / 1000 };
    let verified = straight.length === manifest.slices.length && straight.every((r) => r.verified);
    // The same slices in chunks on worker threads, one per core (what `prnr verify` does).
    const threads = Number(ctx.args['record-threads'] ?? (await import('node:os')).availableParallelism());
    const executor = new scheduler.ThreadExecutor(threads);
    t = performance.now();
    const par = await scheduler.replayRecording({ recording: { dir }, slices: manifest.slices.map((x) => x.index), registry: new scheduler.AnalysisRegistry(), executor });
    const parallel = { seconds: (performance.now() - t) / 1000, threads };
    await executor.close();
    verified = verified && par.verified;
    const space = recording.spaceReport(opened);
    // Restores: cold (a new session: machine built, snapshot read) of the first and the last snapshot,
    // and jumps of one session between snapshots; medians of 3.
    const timed = async (f) => { const t0 = performance.now(); await f(); return performance.now() - t0; };
    const med3 = async (f) => { const xs = [await timed(f), await timed(f), await timed(f)]; return xs.sort((a, b) => a - b)[1]; };
    const firstRestore = await med3(() => new recording.ReplaySession(opened).restore(0));
    const lastRestore = await med3(() => new recording.ReplaySession(opened).restore(manifest.slices.length - 1));
    const jumper = new recording.ReplaySession(opened);
    await jumper.restore(0);
    const jumps = [];
    for (const s of manifest.slices) jumps.push(await timed(() => jumper.restore(manifest.slices.length - 1 - s.index)));
    const jumpMs = jumps.sort((a, b) => a - b)[Math.floor(jumps.length / 2)];
    const pauses = manifest.snapshots.map((x) => x.pauseMs).sort((a, b) => a - b);
    const medianPause = pauses[Math.floor(pauses.length / 2)];
    const mips = (steps, s) => (steps / s / 1e6).toFixed(1);
    const rows = [
      ['plain run', plain.seconds.toFixed(1), String(plain.steps), mips(plain.steps, plain.seconds), '1.00', '', ''],
      ['record', rec.seconds.toFixed(1), String(rec.steps), mips(rec.steps, rec.seconds), (rec.seconds / plain.seconds).toFixed(3), `${space.logBytes} B (${(space.logBytes / (rec.steps / 1e6)).toFixed(1)} B/M insns)`, `${(space.storedBytes / 1048576).toFixed(1)} MiB, ${manifest.snapshots.length} snapshots`],
      ['replay (sequential, one machine)', through.seconds.toFixed(1), String(rec.steps), mips(rec.steps, through.seconds), (through.seconds / plain.seconds).toFixed(3), verified ? 'verified' : 'DIVERGED', `${(through.seconds / rec.seconds).toFixed(2)}x record`],
      [`replay (parallel, ${parallel.threads} threads)`, parallel.seconds.toFixed(1), String(rec.steps), mips(rec.steps, parallel.seconds), (parallel.seconds / plain.seconds).toFixed(3), par.verified ? 'verified' : 'DIVERGED', `${(through.seconds / parallel.seconds).toFixed(2)}x sequential`],
    ];
    return {
      title: 'Record and replay: smoke workload, power-on to poweroff (one process, one after the other)',
      columns: ['mode', 'wall s', 'instructions', 'MIPS', 'time vs plain', 'log', 'snapshots'],
      rows,
      records: [{ mode: 'plain', ...plain }, { mode: 'record', ...rec, logBytes: space.logBytes, snapshotBytes: space.storedBytes, slices: manifest.slices.length }, { mode: 'replay-through', ...through, verified }, { mode: 'parallel', ...parallel, fixed: par.fixed }, { medianPauseMs: medianPause, pausesMs: pauses, firstRestoreMs: firstRestore, lastRestoreMs: lastRestore, medianJumpMs: jumpMs }],
      notes: [
        `record overhead: ${((rec.seconds / plain.seconds - 1) * 100).toFixed(1)}% of the plain run (snapshots included); log ${(space.logBytes / (rec.steps / 1e6)).toFixed(1)} bytes per million instructions`,
        `sequential replay/record time: ${(through.seconds / rec.seconds).toFixed(2)}; parallel replay/record time: ${(parallel.seconds / rec.seconds).toFixed(2)}`,
        `snapshot pause: median ${medianPause.toFixed(0)} ms, max ${pauses.at(-1).toFixed(0)} ms over ${pauses.length} snapshots (256 MiB guest RAM)`,
        `restore into a new session: first snapshot ${firstRestore.toFixed(0)} ms, last ${lastRestore.toFixed(0)} ms (ratio ${(lastRestore / firstRestore).toFixed(2)}); a session moving between snapshots: median ${jumpMs.toFixed(0)} ms`,
      ],
      ok: verified,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
