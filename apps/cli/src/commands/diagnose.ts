import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { availableParallelism } from 'node:os';
import { attributionWarning, profileRelease, renderHtmlReport, renderTextReport, type SyscallTrace } from '@prnr/diagnosis';
import { loadGuestProfile, type Recording } from '@prnr/recording';
import { makeExecutor, parseParallel } from '../session/executor.js';
import { decideLanes } from '../session/lanes.js';
import { diagnose, reportSlices } from '../session/diagnose.js';
import { chooseProfile, type ProfileChoice } from '../session/calibrated-profile.js';
import { UsageError } from '../usage-error.js';
import { openRecordingDir, RECORDED_MODULES_OPTION } from '../session/open-recording.js';
import { reportProblems } from '../session/replay-problems.js';
import { EXIT_DIVERGED, warnIfIncomplete } from './replay.js';
import { wholeNumberOption } from '../number-options.js';
import { checkWritable } from '../named-files.js';

export function registerDiagnose(program: Command): void {
  program
    .command('diagnose')
    .description('explain a recording from its system calls: replay it in parallel with the syscall tracer, find anomalies, report')
    .argument('<recording>', 'recording directory')
    .option('-j, --parallel <n>', `the most slices replayed at once (default: the number of cores, ${availableParallelism()}); fewer where the planner predicts more would not pay for their start`, parseParallel)
    .option('--all-lanes', 'start every lane --parallel asks for, even where the planner predicts more would not pay for their start')
    .option('--redis <url>', 'replay on `prnr worker` processes through this Redis')
    .option('--pid <pid>', 'only this process', wholeNumberOption('--pid', 1))
    .option('--format <format>', 'text, json or html', 'text')
    .option('-o, --out <file>', 'write the report to a file (default: stdout)')
    .option('--profile <file>', 'guest profile to name processes with (from `prnr profile vmlinux`), instead of the recording\'s')
    .option(...RECORDED_MODULES_OPTION)
    .option('--recalibrate', 'learn the task_struct layout from the recording again, even if it carries a profile')
    .addHelpText('after', '\nAnomalies come first, most likely explanation first, each with the `prnr seek` command that jumps right before it.\n\nWithout a guest profile in the recording, the task_struct layout is first calibrated from the\nrecording itself (one more replay) and saved as guest-profile.json in the recording directory.\n\nExamples:\n  prnr diagnose app.rec\n  prnr diagnose app.rec --pid 42\n  prnr diagnose app.rec --format html -o report.html\n  prnr diagnose app.rec --profile profile.json\n')
    .action(async (dir: string, opts: { parallel?: number; allLanes?: boolean; redis?: string; pid?: number; format: string; out?: string; profile?: string; recalibrate?: boolean; useRecordedModules?: boolean }) => {
      if (!['text', 'json', 'html'].includes(opts.format)) throw new UsageError(`--format must be text, json or html, not "${opts.format}"`);
      // chooseProfile would take the file and drop --recalibrate without a word.
      if (opts.profile !== undefined && opts.recalibrate) throw new UsageError('--profile and --recalibrate exclude each other: --profile gives the layout, --recalibrate learns it from the recording');
      if (opts.out) checkWritable(opts.out, '--out');
      const rec = openRecordingDir(dir, { recordedModules: opts.useRecordedModules });
      warnIfIncomplete(rec);
      // --parallel is the most lanes: the planner starts fewer where more would not pay for their start.
      const lanes = opts.redis || opts.allLanes ? null : decideLanes(rec.manifest.slices, opts.parallel ?? availableParallelism());
      const executor = makeExecutor({ ...opts, parallel: lanes?.lanes ?? opts.parallel, slices: rec.manifest.slices.length });
      let d;
      let choice;
      try {
        const progress = !opts.out || opts.format === 'text';
        choice = await chooseProfile(rec, executor, { profileFile: opts.profile, recalibrate: opts.recalibrate, progress, say: (l) => process.stderr.write(l + '\n') });
        if (choice.source === 'none') process.stderr.write(`prnr: ${choice.reason}; processes are not named\n`);
        // Said once the profile is settled: a profile file that cannot be read is then the only line.
        if (lanes && lanes.asked > 1) process.stderr.write(`prnr: ${lanes.reason}\n`);
        d = await diagnose(rec, executor, { progress, profile: choice.profile });
      } finally {
        await executor.close();
      }
      const warnings = await profileWarnings(rec, choice, d.trace);
      if (opts.pid !== undefined) {
        const absent = pidAbsent(d.trace, opts.pid);
        if (absent !== null) warnings.push(absent);
      }
      for (const w of warnings) process.stderr.write(`prnr: warning: ${w}\n`);
      const input = { recording: dir, trace: d.trace, anomalies: d.anomalies, slices: reportSlices(rec, d.replay), pid: opts.pid };
      const text =
        opts.format === 'json'
          ? JSON.stringify({ recording: dir, verified: d.replay.verified, profile: { source: choice.source, ...('file' in choice ? { file: choice.file } : {}) }, warnings, slices: input.slices, anomalies: d.anomalies, trace: d.trace }, null, 2) + '\n'
          : opts.format === 'html'
            ? renderHtmlReport(input)
            : renderTextReport(input, { color: !opts.out && process.stdout.isTTY });
      if (opts.out) {
        writeFileSync(opts.out, text);
        // Counted as the reports count them: calls still running at the end (unfinished) included.
        process.stderr.write(`prnr: ${d.anomalies.length} anomalies, ${d.trace.events.length + d.trace.openAtEnd.length} system calls; report written to ${opts.out}\n`);
      } else {
        process.stdout.write(text);
      }
      if (!d.replay.verified) {
        reportProblems(d.replay);
        process.stderr.write('prnr: some slices did not replay to their recorded state: the report covers the rest\n');
        process.exitCode = EXIT_DIVERGED;
      }
    });
}

/** What to try when the profile looks wrong, by where it came from. */
const REMEDY: Record<ProfileChoice['source'], string> = {
  file: 'try without --profile, or with --recalibrate instead of it to learn the layout from the recording itself',
  recording: 'try --recalibrate, which learns the layout from the recording itself instead of using its profile',
  'saved-calibration': 'try --recalibrate, which calibrates again from the recording',
  calibrated: "try --profile with a profile from the kernel's debug info (prnr profile vmlinux)",
  none: '',
};

/** Lines saying the guest profile used looks wrong for this recording: what it attributed, and its kernel release. */
async function profileWarnings(rec: Recording, choice: ProfileChoice, trace: SyscallTrace): Promise<string[]> {
  const out: string[] = [];
  const which = 'file' in choice ? `the guest profile ${choice.file}` : "the recording's guest profile";
  const warning = attributionWarning(trace, which);
  if (warning !== null) out.push(`${warning}; ${REMEDY[choice.source]}`);
  if (choice.source === 'file' && rec.manifest.guestProfile !== undefined) {
    const theirs = profileRelease(choice.profile);
    const own = profileRelease(await loadGuestProfile(rec).catch(() => undefined));
    if (theirs !== null && own !== null && theirs !== own) out.push(`${which} is for Linux ${theirs}, but the recording's own profile is for Linux ${own}: processes may be misnamed`);
  }
  return out;
}

/** A line saying `pid` made no traced call, or null when it did. */
function pidAbsent(trace: SyscallTrace, pid: number): string | null {
  const pids = new Set<number>();
  for (const r of [...trace.events, ...trace.openAtEnd]) if (r.pid !== null) pids.add(r.pid);
  if (pids.has(pid)) return null;
  const seen = pids.size === 0 ? 'the trace names no process: attribution is unavailable' : `the trace has pids ${Math.min(...pids)} to ${Math.max(...pids)}`;
  return `--pid ${pid} is not in the trace: it made no traced syscall (${seen})`;
}
