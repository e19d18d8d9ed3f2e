import type { Command } from 'commander';
import { openRecording, replaySlice, type SliceReplayResult, type Recording } from '@prnr/recording';
import { formatCount } from '../format.js';
import { UsageError } from '../usage-error.js';

/** Exit status of a replay that does not match its recording. */
export const EXIT_DIVERGED = 4;

export function registerReplay(program: Command): void {
  program
    .command('replay')
    .description('replay a recording, slice after slice, reproducing its console; check that it ends in the recorded state')
    .argument('<recording>', 'recording directory')
    .option('--slice <index>', 'replay only this slice, from its own snapshot', (v) => Number.parseInt(v, 10))
    .option('-q, --quiet', 'do not print the guest console')
    .addHelpText('after', '\nExit status: 0 when the replay reaches the recorded state, 4 when it diverges.\n\nExamples:\n  prnr replay smoke.rec\n  prnr replay smoke.rec --slice 3 --quiet\n')
    .action(async (dir: string, opts: { slice?: number; quiet?: boolean }) => {
      const rec = openRecording(dir);
      warnIfIncomplete(rec);
      const indices = sliceIndices(rec, opts.slice);
      const out: number[] = [];
      const flush = () => {
        if (out.length) process.stdout.write(Buffer.from(out));
        out.length = 0;
      };
      let last: SliceReplayResult | undefined;
      for (const i of indices) {
        last = await replaySlice(rec, i, {
          output: opts.quiet ? undefined : { write: (b) => { out.push(b); if (out.length > 4096) flush(); } },
          onProgress: flush,
        });
        flush();
        if (!last.verified) break;
      }
      if (!last) return;
      if (last.verified) {
        const slice = rec.manifest.slices[last.slice];
        process.stderr.write(`\nprnr: replayed ${indices.length === 1 ? `slice ${last.slice}` : `${indices.length} slices`} to icount ${formatCount(slice.endIcount)}: state ${last.endState} matches the recording\n`);
      } else {
        reportDivergence(last);
        process.exitCode = EXIT_DIVERGED;
      }
    });
}

export function sliceIndices(rec: Recording, only?: number): number[] {
  const n = rec.manifest.slices.length;
  if (n === 0) throw new UsageError(`${rec.dir}: the recording has no closed slice (the recorder stopped before closing the first one): nothing to replay`);
  if (only === undefined) return [...Array(n).keys()];
  if (!Number.isInteger(only) || only < 0 || only >= n) throw new UsageError(`--slice ${only}: the recording has slices 0..${n - 1}`);
  return [only];
}

export function warnIfIncomplete(rec: Recording): void {
  if (rec.manifest.status !== 'complete') {
    process.stderr.write(`prnr: ${rec.dir} is incomplete: the recorder stopped before finishing; the open slice is dropped, the ${rec.manifest.slices.length} closed slice(s) remain\n`);
  }
}

export function reportDivergence(r: SliceReplayResult): void {
  const d = r.divergence!;
  process.stderr.write(`\nprnr: slice ${r.slice} DIVERGED between icount ${d.from} and ${d.to}: ${d.message}\n`);
  if (d.differs?.length) process.stderr.write(`prnr: differs: ${d.differs.join(', ')}\n`);
}
