// Suite "gdb": latency of the reverse debugger's reverse-continue over a whole
// recording (what `prnr gdb` answers GDB's `bc` with), with the slices searched
// in this process and on 1 and 2 search threads.
// The recording is made here: guest/workloads/buggy.sh (what `prnr demo`
// records) with the recorder's default slices. From the end of the recording:
//   no hit       a breakpoint never reached: every slice is searched (the worst case)
//   kernel func  a breakpoint on do_sys_openat2: the last open() of the run
//   watch        a write watchpoint on jiffies_64: the last timer tick
// Each latency includes moving the session to the hit (one more partial replay).
// Threads are warmed by one search first (its time is in the notes).
// For scale: `replay -j 1` of the same recording (one session straight through).
//
// Options:
//   --gdb-threads 1,2      search threads to measure (default 1,2; 0 = in this process)
//   --gdb-reps N           repetitions per case (default 1; the median is shown)

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { median } from '../lib/report.mjs';

export const name = 'gdb';
export const order = 60;
export const description = 'reverse debugger: reverse-continue latency over a whole recording, 1 and 2 search threads';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'apps/cli/dist/main.js');

function prnr(args) {
  const t = performance.now();
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', maxBuffer: 256 << 20 });
  if (r.status !== 0) throw new Error(`prnr ${args.join(' ')} exited ${r.status}: ${(r.stderr || '').trim().split('\n').slice(-3).join(' / ')}`);
  return { seconds: (performance.now() - t) / 1000, stdout: r.stdout, stderr: r.stderr };
}

export async function run(ctx) {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run pnpm build first`);
  const debuggerPkg = await import(new URL('../../packages/debugger/dist/index.js', import.meta.url).href);
  const recording = await import(new URL('../../packages/recording/dist/index.js', import.meta.url).href);
  const { DebugSession, threadSearcher, readSystemMap } = debuggerPkg;
  const threads = String(ctx.args['gdb-threads'] ?? '1,2').split(',').map(Number);
  const reps = Number(ctx.args['gdb-reps'] ?? 1);
  const syms = new Map(readSystemMap(join(ROOT, 'guest/images/System.map.zst')).map((s) => [s.name, s.address]));

  const tmp = mkdtempSync(join(tmpdir(), 'prnr-bench-gdb-'));
  const rows = [];
  const records = [];
  const notes = [];
  let ok = true;
  try {
    const dir = join(tmp, 'demo.rec');
    const rec = prnr(['record', '-o', dir, '--script', join(ROOT, 'guest/workloads/buggy.sh'), '-q']);
    const manifest = JSON.parse(readFileSync(join(dir, 'recording.json'), 'utf8'));
    ctx.log(`demo: recorded ${manifest.stats.steps} steps, ${manifest.slices.length} slices in ${rec.seconds.toFixed(1)} s`);
    const seq = prnr(['replay', dir, '--parallel', '1', '-q']);
    rows.push(['replay -j 1 (for scale)', '', seq.seconds.toFixed(2), String(manifest.slices.length), '', '']);

    const cases = [
      { case: 'no hit (all slices)', set: (d) => d.setBreakpoint(0x1000n, true), expect: 'history' },
      { case: 'break do_sys_openat2', set: (d) => d.setBreakpoint(syms.get('do_sys_openat2'), true), expect: 'break' },
      { case: 'watch jiffies_64', set: (d) => d.setWatchpoint(syms.get('jiffies_64'), 8, true), expect: 'watch' },
    ];
    const answers = new Map();
    for (const n of threads) {
      const d = new DebugSession(recording.openRecording(dir), n > 0 ? { searcher: threadSearcher({ dir }, n) } : {});
      try {
        await d.seek(d.end);
        // Warm-up, not measured: the threads start, build their machines, translate the guest's code.
        const w0 = performance.now();
        d.setBreakpoint(0x1000n, true);
        await d.reverseCont();
        d.setBreakpoint(0x1000n, false);
        notes.push(`${n === 0 ? 'this process' : `${n} thread(s)`}: first (cold) search of the whole recording ${((performance.now() - w0) / 1000).toFixed(2)} s, not in the table`);
        for (const c of cases) {
          c.set(d);
          const times = [];
          let stop;
          let searched = 0;
          for (let i = 0; i < reps; i++) {
            await d.seek(d.end);
            const t = performance.now();
            stop = await d.reverseCont();
            times.push((performance.now() - t) / 1000);
            searched = d.lastSearch.slicesSearched;
          }
          const where = d.icount;
          if (stop.kind !== c.expect) { ok = false; notes.push(`${c.case} with ${n} thread(s): stopped as ${stop.kind}, expected ${c.expect}`); }
          // Every thread count must find the same place.
          if (answers.has(c.case) && answers.get(c.case) !== where) { ok = false; notes.push(`${c.case}: ${n} thread(s) stopped at ${where}, others at ${answers.get(c.case)}`); }
          answers.set(c.case, where);
          const s = median(times);
          rows.push([c.case, n === 0 ? 'this process' : `${n} thread(s)`, s.toFixed(2), String(searched), String(where), (s / searched).toFixed(2)]);
          records.push({ case: c.case, threads: n, seconds: s, slicesSearched: searched, icount: where, stop: stop.kind });
          // Clear the points for the next case.
          d.setBreakpoint(0x1000n, false);
          d.setBreakpoint(syms.get('do_sys_openat2'), false);
          d.setWatchpoint(syms.get('jiffies_64'), 8, false);
        }
      } finally {
        await d.close();
      }
    }
    notes.push(`demo recording: ${manifest.stats.steps} instructions in ${manifest.slices.length} slices; reverse-continue from its end; ${reps} run(s) per case, median shown; timings on a shared machine are noisy`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return {
    title: 'Reverse-continue latency over a whole recording (prnr gdb)',
    columns: ['case', 'search', 'seconds', 'slices searched', 'stopped at icount', 's per slice'],
    rows,
    records,
    notes,
    ok,
  };
}
