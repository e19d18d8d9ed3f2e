import type { Command } from 'commander';
import { openRecording, replaySlice, type SliceReplayResult } from '@prnr/recording';
import { formatCount } from '../format.js';
import { EXIT_DIVERGED, reportDivergence, sliceIndices, warnIfIncomplete } from './replay.js';

export function registerVerify(program: Command): void {
  program
    .command('verify')
    .description('replay every slice from its own snapshot and check it ends in the recorded state')
    .argument('<recording>', 'recording directory')
    .option('--json', 'print the results as JSON')
    .addHelpText('after', '\nExit status: 0 when every slice verifies, 4 when one diverges.\n\nExample:\n  prnr verify smoke.rec\n')
    .action(async (dir: string, opts: { json?: boolean }) => {
      const rec = openRecording(dir);
      warnIfIncomplete(rec);
      const results: SliceReplayResult[] = [];
      for (const i of sliceIndices(rec)) {
        const r = await replaySlice(rec, i);
        results.push(r);
        if (!opts.json) {
          const s = rec.manifest.slices[i];
          const mips = (s.endIcount - s.startIcount) / r.wallSeconds / 1e6;
          process.stdout.write(`slice ${String(i).padStart(4)}  icount ${formatCount(s.startIcount).padStart(8)} .. ${formatCount(s.endIcount).padEnd(8)}  ${r.verified ? 'ok      ' : 'DIVERGED'}  ${r.wallSeconds.toFixed(1)} s  ${mips.toFixed(1)} MIPS\n`);
          if (!r.verified) reportDivergence(r);
        }
      }
      const bad = results.filter((r) => !r.verified);
      if (opts.json) {
        process.stdout.write(JSON.stringify({ recording: dir, complete: rec.manifest.status === 'complete', verified: bad.length === 0, slices: results }, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2) + '\n');
      } else {
        process.stdout.write(bad.length === 0 ? `verified: ${results.length} slice(s) end in their recorded state\n` : `${bad.length} of ${results.length} slice(s) diverged\n`);
      }
      if (bad.length) process.exitCode = EXIT_DIVERGED;
    });
}
