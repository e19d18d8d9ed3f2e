import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { guestBoard, loadGuestImages, ScriptInput } from '@prnr/machine';
import { openRecording, record, replaySlice } from '@prnr/recording';
import { readFileSync } from 'node:fs';
import { defaultImageDir } from '../session/default-images.js';
import { hostClock, hostEntropy } from '../session/host-ports.js';
import { formatBytes, formatCount } from '../format.js';
import { UsageError } from '../usage-error.js';
import { EXIT_DIVERGED, reportDivergence } from './replay.js';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('the main job on the default guest: record the smoke workload, replay every slice, verify')
    .option('-o, --out <dir>', 'where to keep the recording (replaced if it is an earlier demo recording)', 'demo.rec')
    .option('--image <dir>', 'guest image directory with manifest.json', defaultImageDir())
    .option('--workload <file>', 'the script typed into the guest', join(defaultImageDir(), '..', 'workloads', 'smoke.sh'))
    .addHelpText('after', '\nExample:\n  prnr demo -o /tmp/demo.rec\n')
    .action(async (opts: { out: string; image: string; workload: string }) => {
      if (existsSync(opts.out)) {
        if (!existsSync(join(opts.out, 'recording.json'))) throw new UsageError(`${opts.out} exists and is not a prnr recording: choose another --out`);
        rmSync(opts.out, { recursive: true });
      }
      const { config, images } = guestBoard(loadGuestImages(opts.image));
      const input = new ScriptInput(readFileSync(opts.workload, 'utf8'));
      const say = (s: string) => process.stderr.write(`prnr: ${s}\n`);
      say(`recording the default guest running ${opts.workload} into ${opts.out} ...`);
      const out: number[] = [];
      const flush = () => { if (out.length) process.stdout.write(Buffer.from(out)); out.length = 0; };
      const { manifest } = await record({
        dir: opts.out,
        config,
        images,
        inputs: { consoleInput: input, clock: hostClock, entropy: hostEntropy },
        output: { write: (b) => { input.observe(b); out.push(b); } },
        realtime: false,
        onProgress: flush, // the guest's console is the progress display
      });
      flush();
      const s = manifest.stats!;
      say(`recorded ${formatCount(s.steps)} instructions in ${s.wallSeconds.toFixed(1)} s: ${manifest.slices.length} slices, log ${formatBytes(s.logBytes)} (${(s.logBytes / (s.steps / 1e6)).toFixed(1)} bytes per million instructions)`);
      say(`replaying every slice from its own snapshot ...`);
      const rec = openRecording(opts.out);
      const t = process.hrtime.bigint();
      let ok = 0;
      for (const slice of rec.manifest.slices) {
        const r = await replaySlice(rec, slice.index);
        if (r.verified) ok++;
        else reportDivergence(r);
        process.stderr.write(`prnr: slice ${slice.index}: ${r.verified ? 'verified' : 'DIVERGED'} (${formatCount(slice.endIcount - slice.startIcount)} instructions, ${r.wallSeconds.toFixed(1)} s)\n`);
      }
      const secs = Number(process.hrtime.bigint() - t) / 1e9;
      say(`${ok} of ${rec.manifest.slices.length} slices replayed to their recorded state in ${secs.toFixed(1)} s; final state ${rec.manifest.slices.at(-1)!.endState}`);
      if (ok !== rec.manifest.slices.length) process.exitCode = EXIT_DIVERGED;
    });
}
