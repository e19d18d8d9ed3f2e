import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { guestBoard, loadGuestImages, ScriptInput } from '@prnr/machine';
import { openRecording, record } from '@prnr/recording';
import { AnalysisRegistry, replayRecording, type PrivilegeProfile } from '@prnr/scheduler';
import { analysisModules, makeExecutor, parseParallel } from '../session/executor.js';
import { replayProgress } from '../session/progress.js';
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
    .option('-j, --parallel <n>', 'slices replayed at once (default: the number of cores)', parseParallel)
    .addHelpText('after', '\nExample:\n  prnr demo -o /tmp/demo.rec\n')
    .action(async (opts: { out: string; image: string; workload: string; parallel?: number }) => {
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
      const rec = openRecording(opts.out);
      const executor = makeExecutor({ parallel: opts.parallel });
      say(`replaying ${rec.manifest.slices.length} slices in parallel (${executor.concurrency} at once), each from its own snapshot ...`);
      const slices = rec.manifest.slices.map((x) => x.index);
      const totals = new Map(rec.manifest.slices.map((x) => [x.index, x.endIcount - x.startIcount]));
      const progress = replayProgress({ slices, totals, passes: 1, enabled: true });
      const modules = analysisModules();
      const registry = new AnalysisRegistry();
      for (const m of modules) await registry.load(m);
      let r;
      try {
        r = await replayRecording({ recording: { dir: rec.dir }, slices, analyses: [{ kind: 'profile' }], registry, modules, executor, onProgress: (p) => progress.update(p), onTaskDone: (t) => progress.done(t) });
      } finally {
        progress.stop();
        await executor.close();
      }
      for (const x of r.slices) if (!x.verified) reportDivergence({ slice: x.slice, divergence: x.divergence ?? { from: 0, to: 0, message: x.error ?? 'failed' } });
      const ok = r.slices.filter((x) => x.verified).length;
      const p = r.analyses.profile as PrivilegeProfile;
      say(`${ok} of ${r.slices.length} slices replayed to their recorded state in ${r.wallSeconds.toFixed(1)} s; final state ${rec.manifest.slices.at(-1)!.endState}`);
      say(`profile: ${formatCount(p.steps.U)} instructions in user mode, ${formatCount(p.steps.S)} in the kernel, ${formatCount(p.steps.M)} in OpenSBI; ${p.exceptions['8'] ?? 0} system calls`);
      if (ok !== r.slices.length) process.exitCode = EXIT_DIVERGED;
    });
}
