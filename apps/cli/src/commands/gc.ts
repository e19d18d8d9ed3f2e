import type { Command } from 'commander';
import { collectGarbage, mergeSlices } from '@prnr/recording';
import { openRecordingDir } from '../session/open-recording.js';
import { formatBytes } from '../format.js';
import { wholeNumberOption } from '../number-options.js';

export function registerGc(program: Command): void {
  program
    .command('gc')
    .description('reclaim space: remove objects and log files nothing refers to; optionally merge slices')
    .argument('<recording>', 'recording directory')
    .option('--merge <k>', 'keep every k-th snapshot, merging the slices between them', wholeNumberOption('--merge', 2))
    .addHelpText('after', '\nThe recording verifies afterwards, with fewer, longer slices when merged.\n\nExamples:\n  prnr gc smoke.rec\n  prnr gc smoke.rec --merge 4\n')
    .action(async (dir: string, opts: { merge?: number }) => {
      const rec = openRecordingDir(dir, { replay: false }); // works without the recording's device modules
      let merged = '';
      let r;
      if (opts.merge !== undefined) {
        const m = await mergeSlices(rec, opts.merge);
        merged = `merged ${m.slicesBefore} slices into ${m.slicesAfter}; `;
        r = m;
      } else {
        r = await collectGarbage(rec);
      }
      process.stdout.write(`${merged}removed ${r.objectsRemoved} objects and ${r.segmentsRemoved.length} log files, freed ${formatBytes(r.bytesFreed)}\n`);
      if (r.leftAlone.length > 0) process.stderr.write(`prnr: left alone in ${dir}: ${r.leftAlone.join(', ')} (not files a recorder writes there)\n`);
    });
}
