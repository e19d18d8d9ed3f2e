import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { guestBoard, ScriptInput } from '@prnr/machine';
import { DEFAULT_SLICE_SECONDS, DEFAULT_SLICE_STEPS, openRecording, record } from '@prnr/recording';
import type { PrivilegeProfile } from '@prnr/scheduler';
import { renderTextReport } from '@prnr/diagnosis';
import { diagnose, reportSlices } from '../session/diagnose.js';
import { makeExecutor, parseParallel } from '../session/executor.js';
import { decideLanes } from '../session/lanes.js';
import { defaultImageDir, readGuestProfile } from '../session/default-images.js';
import { loadImages } from '../session/load-images.js';
import { hostClock, hostEntropy } from '../session/host-ports.js';
import { formatBytes, formatCount } from '../format.js';
import { UsageError } from '../usage-error.js';
import { readNamedFile } from '../named-files.js';
import { failedStartCleanup } from '../session/failed-start.js';
import { reportProblems } from '../session/replay-problems.js';
import { EXIT_DIVERGED } from './replay.js';
import { wholeNumberOption } from '../number-options.js';
import { loadUserCodeCache, saveUserCodeCache, warnOnStderr } from '../session/user-code-cache.js';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('the main job on the default guest: record a workload that fails, replay it in parallel, verify every slice, diagnose the failure')
    .option('-o, --out <dir>', 'where to keep the recording (one that an earlier prnr demo made there is replaced; any other is refused)', 'demo.rec')
    .option('--image <dir>', 'guest image directory with manifest.json', defaultImageDir())
    .option('--workload <file>', 'the script typed into the guest', join(defaultImageDir(), '..', 'workloads', 'buggy.sh'))
    .option('-j, --parallel <n>', 'slices replayed at once (default: the number of cores)', parseParallel)
    .option('--slice-insns <n>', `instructions per slice (default: ${DEFAULT_SLICE_STEPS}, or ${DEFAULT_SLICE_SECONDS} s of recording, whichever comes first)`, wholeNumberOption('--slice-insns', 1))
    .addHelpText('after', '\nExample:\n  prnr demo -o /tmp/demo.rec\n')
    .action(async (opts: { out: string; image: string; workload: string; parallel?: number; sliceInsns?: number }) => {
      // The workload and the images are read before an earlier recording at --out is removed.
      const workload = readNamedFile(opts.workload, '--workload').toString('utf8');
      const { config, images } = guestBoard(loadImages(opts.image));
      removeEarlierDemo(opts.out);
      const input = new ScriptInput(workload);
      const say = (s: string) => process.stderr.write(`prnr: ${s}\n`);
      say(`recording the default guest running ${opts.workload} into ${opts.out} ...`);
      const out: number[] = [];
      const flush = () => { if (out.length) process.stdout.write(Buffer.from(out)); out.length = 0; };
      const codeCache = await loadUserCodeCache(warnOnStderr);
      const cleanUp = failedStartCleanup(opts.out);
      let marked = false;
      const mark = () => {
        if (!marked) writeFileSync(join(opts.out, DEMO_MARKER), 'made by prnr demo, which replaces this recording when it runs again with the same --out\n');
        marked = true;
      };
      const { manifest } = await record({
        dir: opts.out,
        config,
        images,
        inputs: { consoleInput: input, clock: hostClock, entropy: hostEntropy },
        output: { write: (b) => { input.observe(b); out.push(b); } },
        realtime: false,
        profile: readGuestProfile(opts.image),
        sliceSteps: opts.sliceInsns,
        // The guest's console is the progress display. The mark goes in as soon as the directory is there,
        // so that a demo cut short (killed, a crash) is still replaced by the next one.
        onProgress: () => { mark(); flush(); },
        onWarning: warnOnStderr,
      }).catch((e: unknown) => {
        cleanUp(); // a start that failed leaves no directory in the way of the next try
        throw e;
      });
      flush();
      mark();
      const saved = saveUserCodeCache(codeCache, warnOnStderr); // written while the replay runs
      const s = manifest.stats!;
      say(`recorded ${formatCount(s.steps)} instructions in ${s.wallSeconds.toFixed(1)} s: ${manifest.slices.length} slices, log ${formatBytes(s.logBytes)} (${(s.logBytes / (s.steps / 1e6)).toFixed(1)} bytes per million instructions)`);
      const rec = openRecording(opts.out);
      // The lanes are chosen now, from what the slices took to record (verify's planner): a lane that does
      // not pay for its start is not started. The one in this thread replays on the recording's warm code.
      const lanes = decideLanes(rec.manifest.slices, opts.parallel ?? availableParallelism());
      if (lanes.asked > 1) say(lanes.reason);
      const executor = makeExecutor({ parallel: lanes.lanes, slices: rec.manifest.slices.length });
      say(`replaying ${rec.manifest.slices.length} slices on ${executor.concurrency} worker(s), each straight through a chunk of consecutive slices from its first snapshot ...`);
      let d;
      try {
        d = await diagnose(rec, executor, { progress: true, extra: [{ kind: 'profile' }] });
      } finally {
        await executor.close();
      }
      const r = d.replay;
      reportProblems(r);
      const ok = r.slices.filter((x) => x.verified).length;
      const p = r.analyses.profile as PrivilegeProfile;
      say(`${ok} of ${r.slices.length} slices replayed to their recorded state in ${r.wallSeconds.toFixed(1)} s; final state ${rec.manifest.slices.at(-1)!.endState}`);
      say(`profile: ${formatCount(p.steps.U)} instructions in user mode, ${formatCount(p.steps.S)} in the kernel, ${formatCount(p.steps.M)} in OpenSBI; ${p.exceptions['8'] ?? 0} system calls`);
      process.stdout.write('\n' + renderTextReport({ recording: opts.out, trace: d.trace, anomalies: d.anomalies.filter((a) => a.severity !== 'info'), slices: reportSlices(rec, r) }, { color: process.stdout.isTTY }).split(/\n(?=TRACE \()/)[0] + '\n');
      say(`the whole trace: prnr diagnose ${opts.out}   (or --format html -o report.html)`);
      await saved;
      if (ok !== r.slices.length) process.exitCode = EXIT_DIVERGED;
    });
}

/** In a recording that prnr demo made: the one kind of directory it replaces. */
export const DEMO_MARKER = '.prnr-demo';

/**
 * Makes way at `out` for a new demo recording: removes an earlier one that prnr demo made (it holds
 * DEMO_MARKER), and refuses anything else, a recording of the user's own included (and a demo
 * recording from before the marker: nothing is removed that might be someone's).
 */
function removeEarlierDemo(out: string): void {
  if (!existsSync(out)) return;
  if (existsSync(join(out, DEMO_MARKER))) {
    rmSync(out, { recursive: true }); // a demo's, complete or cut short
    return;
  }
  if (!existsSync(join(out, 'recording.json'))) throw new UsageError(`${out} exists and is not a prnr recording: choose another --out`);
  throw new UsageError(`${out} is a recording prnr demo did not mark (yours, or one from a prnr demo before it marked its recordings): choose another --out, or remove it yourself`);
}
