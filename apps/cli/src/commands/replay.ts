import type { Command } from 'commander';
import { availableParallelism } from 'node:os';
import type { Recording } from '@prnr/recording';
import { AnalysisRegistry, InlineExecutor, replayRecording, type AnalysisRequest, type RecordingReplayResult } from '@prnr/scheduler';
import { formatCount } from '../format.js';
import { UsageError } from '../usage-error.js';
import { makeExecutor, parseParallel } from '../session/executor.js';
import { decideLanes } from '../session/lanes.js';
import { loadAnalyses, replayWithProgress } from '../session/replay-with-progress.js';
import { localLocation, openRecordingDir, RECORDED_MODULES_OPTION } from '../session/open-recording.js';
import { reportDeviceModuleHint, reportProblems } from '../session/replay-problems.js';
import { checkWatchInRam, parseWatch, type WatchRange } from '../session/watch-option.js';
import { wholeNumberOption } from '../number-options.js';

/** Exit status of a replay that does not match its recording. */
export const EXIT_DIVERGED = 4;

export function registerReplay(program: Command): void {
  program
    .command('replay')
    .description('replay a recording in parallel: each worker restores one snapshot and replays a chunk of consecutive slices; every slice end is checked against the recorded state; analyses run during replay')
    .argument('<recording>', 'recording directory')
    .option('-j, --parallel <n>', `the most slices replayed at once (default: the number of cores, ${availableParallelism()}; fewer where the planner predicts more would not pay for their start; 1 streams the console as it replays)`, parseParallel)
    .option('--all-lanes', 'start every lane --parallel asks for, even where the planner predicts more would not pay for their start')
    .option('--slice <index>', 'replay only this slice', wholeNumberOption('--slice', 0))
    .option('--analyses <list>', 'analyses to run, comma-separated (see --list-analyses)')
    .option('--watch <paddr:len>', 'add a memory-write watch on a physical range in the recording\'s RAM, e.g. 0x80a00000:4096', parseWatch)
    .option('--list-analyses', 'list the available analyses and exit')
    .option('--redis <url>', 'run the slices on `prnr worker` processes through this Redis instead of local threads')
    .option('--json', 'print the results as JSON (no console, no progress)')
    .option('-q, --quiet', 'do not print the guest console')
    .option(...RECORDED_MODULES_OPTION)
    .addHelpText('after', '\nExit status: 0 when every slice reaches its recorded state, 4 when one diverges or fails.\n\nExamples:\n  prnr replay smoke.rec\n  prnr replay smoke.rec --parallel 1              # classic sequential replay, console streamed\n  prnr replay smoke.rec --analyses profile,console --json\n  prnr replay smoke.rec --watch 0x805b2ca8:8\n  prnr replay smoke.rec --redis redis://10.0.0.5:6379\n')
    .action(async (dir: string, opts: { parallel?: number; allLanes?: boolean; slice?: number; analyses?: string; watch?: WatchRange; listAnalyses?: boolean; redis?: string; json?: boolean; quiet?: boolean; useRecordedModules?: boolean }) => {
      // The analysis modules (@prnr/diagnosis) only when analyses are asked for: console and watch are built in.
      const analysisSet = opts.listAnalyses || opts.analyses ? await loadAnalyses() : { registry: new AnalysisRegistry(), modules: [] };
      const { registry } = analysisSet;
      if (opts.listAnalyses) {
        for (const k of registry.list()) process.stdout.write(`${k.name.padEnd(10)} ${k.weight.padEnd(6)} ${k.description}\n`);
        return;
      }
      const rec = openRecordingDir(dir, { recordedModules: opts.useRecordedModules });
      if (opts.watch) checkWatchInRam(opts.watch, rec.manifest);
      if (!opts.json) warnIfIncomplete(rec);
      const slices = sliceIndices(rec, opts.slice);
      const analyses = parseAnalyses(opts.analyses, opts.watch, registry);
      if (opts.parallel === 1 && !opts.redis && !opts.json && analyses.length === 0) return sequential(rec, slices, !!opts.quiet);
      // The console comes from the console analysis: replayed, not read from the recording.
      const wantConsole = !opts.quiet && !opts.json && !analyses.some((a) => a.kind === 'console');
      if (wantConsole) analyses.push({ kind: 'console' });
      // --parallel is the most lanes: the planner starts fewer where more would not pay for their start.
      const passes = 1 + analyses.filter((a) => registry.get(a.kind).weight === 'heavy').length;
      const lanes = opts.redis || opts.allLanes ? null : decideLanes(slices.map((i) => rec.manifest.slices[i]), opts.parallel ?? availableParallelism(), passes);
      if (lanes && lanes.asked > 1 && !opts.json) process.stderr.write(`prnr: ${lanes.reason}\n`);
      const executor = makeExecutor({ ...opts, parallel: lanes?.lanes ?? opts.parallel, slices: slices.length });
      let result: RecordingReplayResult;
      try {
        result = await replayWithProgress(rec, { executor, slices, analyses, analysisSet, progress: !opts.json });
      } finally {
        await executor.close();
      }
      if (opts.json) {
        process.stdout.write(JSON.stringify({ recording: dir, ...result }, null, 2) + '\n');
      } else {
        if (wantConsole) process.stdout.write((result.analyses.console as { text: string }).text);
        // An analysis whose own pass failed on every slice has no result, only its error (reportProblems).
        for (const a of analyses) if ((a.kind !== 'console' || !wantConsole) && a.kind in result.analyses) process.stdout.write(`\n== ${a.kind} ==\n${JSON.stringify(result.analyses[a.kind], null, 2)}\n`);
        report(rec, result);
      }
      if (!result.verified) process.exitCode = EXIT_DIVERGED;
    });
}

function report(rec: Recording, r: RecordingReplayResult): void {
  const steps = r.slices.reduce((a, s) => a + s.steps, 0);
  reportProblems(r, rec.manifest);
  const ok = r.slices.filter((s) => s.verified).length;
  const last = rec.manifest.slices[r.slices.at(-1)!.slice];
  process.stderr.write(
    `\nprnr: ${ok} of ${r.slices.length} slice(s) reached their recorded state; ${formatCount(steps)} instructions in ${r.wallSeconds.toFixed(1)} s (${(steps / r.wallSeconds / 1e6).toFixed(1)} MIPS aggregate, ${r.tasks} task(s) in ${r.passes} pass(es))\n` +
      (r.verified ? `prnr: state at icount ${last.endIcount}: ${last.endState} (matches the recording)\n` : ''),
  );
}

/** Classic sequential replay: one session straight through the slices (the scheduler's one chunk), the console streamed as it replays. */
async function sequential(rec: Recording, indices: number[], quiet: boolean): Promise<void> {
  const out: number[] = [];
  const flush = () => {
    if (out.length) process.stdout.write(Buffer.from(out));
    out.length = 0;
  };
  const executor = new InlineExecutor(quiet ? {} : { console: (b) => { out.push(b); if (out.length > 4096) flush(); } });
  const r = await replayRecording({ recording: localLocation(rec), slices: indices, registry: new AnalysisRegistry(), executor, onProgress: flush });
  flush();
  const bad = r.slices.find((s) => !s.verified);
  if (bad) {
    if (bad.error) process.stderr.write(`\nprnr: slice ${bad.slice} FAILED: ${bad.error}\n`);
    else reportDivergence(bad);
    reportDeviceModuleHint([bad], rec.manifest);
    process.exitCode = EXIT_DIVERGED;
    return;
  }
  const last = r.slices.at(-1)!;
  const end = rec.manifest.slices[last.slice].endIcount;
  process.stderr.write(`\nprnr: replayed ${indices.length === 1 ? `slice ${last.slice}` : `${indices.length} slices`} to icount ${formatCount(end)} in ${r.wallSeconds.toFixed(1)} s, every slice end checked: state ${last.endState} matches the recording\n`);
}

export function parseAnalyses(list: string | undefined, watch: WatchRange | undefined, registry: AnalysisRegistry): AnalysisRequest[] {
  const out: AnalysisRequest[] = [];
  for (const name of (list ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    try {
      registry.get(name);
    } catch (e) {
      throw new UsageError(`--analyses: ${(e as Error).message}`);
    }
    if (name === 'watch') throw new UsageError('--analyses: give the watch range with --watch PADDR:LEN');
    out.push({ kind: name });
  }
  if (watch) out.push({ kind: 'watch', options: { paddr: watch.paddr, length: watch.length } });
  return out;
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

export function reportDivergence(r: { slice: number; divergence: { from: number; to: number; message: string; differs?: string[] } | null }): void {
  const d = r.divergence!;
  process.stderr.write(`\nprnr: slice ${r.slice} DIVERGED between icount ${d.from} and ${d.to}: ${d.message}\n`);
  if (d.differs?.length) process.stderr.write(`prnr: differs: ${d.differs.join(', ')}\n`);
}
