import type { Command } from 'commander';
import { availableParallelism } from 'node:os';
import { formatCount } from '../format.js';
import { makeExecutor, parseParallel } from '../session/executor.js';
import { openRecordingDir, RECORDED_MODULES_OPTION } from '../session/open-recording.js';
import { decideLanes } from '../session/lanes.js';
import { replayWithProgress } from '../session/replay-with-progress.js';
import { reportDeviceModuleHint } from '../session/replay-problems.js';
import { EXIT_DIVERGED, sliceIndices, warnIfIncomplete } from './replay.js';

export function registerVerify(program: Command): void {
  program
    .command('verify')
    .description('replay the recording in parallel (a chunk of consecutive slices per worker), check every slice ends in its recorded state, and read back every stored snapshot')
    .argument('<recording>', 'recording directory')
    .option('-j, --parallel <n>', `the most slices verified at once (default: the number of cores, ${availableParallelism()}); fewer where the planner predicts more would not pay for their start`, parseParallel)
    .option('--all-lanes', 'start every lane --parallel asks for, even where the planner predicts more would not pay for their start')
    .option('--redis <url>', 'verify on `prnr worker` processes through this Redis')
    .option('--json', 'print the results as JSON')
    .option(...RECORDED_MODULES_OPTION)
    .addHelpText('after', '\nExit status: 0 when every slice verifies, 4 when one diverges, cannot be replayed, or has a stored snapshot that cannot be restored.\n\nExamples:\n  prnr verify smoke.rec\n  prnr verify smoke.rec --parallel 1 --json\n')
    .action(async (dir: string, opts: { parallel?: number; allLanes?: boolean; redis?: string; json?: boolean; useRecordedModules?: boolean }) => {
      const rec = openRecordingDir(dir, { recordedModules: opts.useRecordedModules });
      if (!opts.json) warnIfIncomplete(rec);
      const slices = sliceIndices(rec);
      // --parallel is the most lanes: the planner starts fewer where more would not pay for their start.
      const lanes = opts.redis || opts.allLanes ? null : decideLanes(slices.map((i) => rec.manifest.slices[i]), opts.parallel ?? availableParallelism());
      if (lanes && lanes.asked > 1 && !opts.json) process.stderr.write(`prnr: ${lanes.reason}\n`);
      const executor = makeExecutor({ ...opts, parallel: lanes?.lanes ?? opts.parallel, slices: slices.length });
      // Beside the replay, on a thread of its own, every stored snapshot is read back (replayRecording's
      // readBack): a lane running straight through a chunk restores only its first.
      let r;
      try {
        r = await replayWithProgress(rec, { executor, slices, progress: !opts.json, readBack: true });
      } finally {
        await executor.close();
      }
      if (opts.json) {
        process.stdout.write(JSON.stringify({ recording: dir, complete: rec.manifest.status === 'complete', verified: r.verified, wallSeconds: r.wallSeconds, fixed: r.fixed, ...(lanes ? { lanes: { used: lanes.lanes, asked: lanes.asked, expectedSeconds: lanes.expectedSeconds, predictedSeconds: lanes.predicted, reason: lanes.reason } } : {}), slices: r.slices }, null, 2) + '\n');
      } else {
        for (const s of r.slices) {
          const m = rec.manifest.slices[s.slice];
          const status = s.error ? `FAILED: ${s.error}` : s.verified ? 'ok' : `DIVERGED between icount ${s.divergence?.from} and ${s.divergence?.to}: ${s.divergence?.message}`;
          process.stdout.write(`slice ${String(s.slice).padStart(4)}  icount ${formatCount(m.startIcount).padStart(8)} .. ${formatCount(m.endIcount).padEnd(8)}  ${s.wallSeconds.toFixed(1).padStart(6)} s  ${status}\n`);
        }
        const bad = r.slices.filter((s) => !s.verified).length;
        const replaying = r.slices.reduce((a, s) => a + s.wallSeconds - s.restoreSeconds, 0);
        const fixed = r.fixed.startupSeconds + r.fixed.restoreSeconds;
        process.stdout.write(`fixed costs: ${r.fixed.chunks} chunk(s), start-up ${r.fixed.startupSeconds.toFixed(2)} s, restores ${r.fixed.restoreSeconds.toFixed(2)} s: ${(replaying > 0 ? (100 * fixed) / replaying : 0).toFixed(1)}% of the replay time (${(fixed / r.slices.length).toFixed(3)} s per slice)\n`);
        process.stdout.write(bad === 0 ? `verified: ${r.slices.length} slice(s) end in their recorded state (${r.wallSeconds.toFixed(1)} s)\n` : `${bad} of ${r.slices.length} slice(s) did not verify\n`);
        reportDeviceModuleHint(r.slices, rec.manifest);
      }
      if (!r.verified) process.exitCode = EXIT_DIVERGED;
    });
}
