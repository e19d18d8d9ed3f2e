/**
 * Starts a recording's snapshot worker, or a parallel replay's worker
 * threads, from the command line's first lines, before the rest of it loads;
 * and where a command runs one machine alone, lowers V8's helper threads.
 *
 * `record` and `demo`: the snapshot worker's start and its ring's page
 * faults then overlap the command line's loading and the images' decoding,
 * and the power-on capture need not wait for them
 * (@prnr/snapshot/prestart).
 *
 * `verify`, `replay` and `diagnose` run one lane in the CLI's own thread and
 * the others on worker threads (session/executor.ts), and a thread takes
 * about as long to get ready (a fresh V8, the replay packages, the
 * recording, its code cache, a machine) as the CLI takes to load. The
 * command's ThreadExecutor takes these threads.
 *
 * It reads the arguments only as far as it needs to tell that threads will be
 * used; anything it does not understand starts nothing, and the command
 * itself parses and checks them as usual. Imports nothing heavy.
 */
import { availableParallelism } from 'node:os';
import { prestartReplayThreads, setReplayThreadHartDefaults } from '@prnr/scheduler/prestart';
import { HELPER_NICE, niceOtherThreads, prestartSnapshotWorker } from '@prnr/snapshot/prestart';
import { decideLanesFromDir, MAX_PARALLEL, slicesFromDir } from './session/lanes.js';

/** Per command, its options that take a value (so that the value is not taken for the recording). */
const VALUE_OPTIONS: Record<string, string[]> = {
  verify: ['-j', '--parallel', '--redis'],
  replay: ['-j', '--parallel', '--slice', '--analyses', '--watch', '--redis'],
  diagnose: ['-j', '--parallel', '--redis', '--pid', '--format', '-o', '--out', '--profile'],
};
/** Options with which no replay runs on local threads (or at most one lane does). */
const NO_THREADS = ['--redis', '--slice', '--list-analyses', '-h', '--help'];

/**
 * The recording and the number of lanes asked for (`-j`, else the cores) of a `verify`, `replay`
 * or `diagnose` that replays on local threads; null for any other command, for `--redis`,
 * `--slice`, help, or arguments it does not understand (the command itself says what is wrong).
 */
function localReplay(args: readonly string[]): { dir: string; lanes: number } | null {
  const [command, ...rest] = args;
  const valued = VALUE_OPTIONS[command ?? ''];
  if (!valued) return null;
  let parallel: number | undefined;
  let dir: string | undefined;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    const [name, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    if (NO_THREADS.includes(name)) return null;
    if (a === '--') { dir ??= rest[i + 1]; break; }
    let value: string | undefined;
    if (/^-j\d+$/.test(a)) value = a.slice(2);
    else if (valued.includes(name)) value = inline ?? rest[++i];
    else if (!a.startsWith('-')) dir ??= a;
    if ((name === '-j' || name === '--parallel' || /^-j\d+$/.test(a)) && value !== undefined) {
      if (!/^\s*\d+\s*$/.test(value)) return null;
      parallel = Number.parseInt(value, 10);
      if (parallel > MAX_PARALLEL) return null; // the command refuses it
    }
  }
  return dir === undefined ? null : { dir, lanes: parallel ?? availableParallelism() };
}

/** What to prestart for these arguments (process.argv without node and the script): worker threads and the recording, or null. */
export function earlyThreadsFor(args: readonly string[]): { threads: number; dir: string } | null {
  const r = localReplay(args);
  // The CLI's own thread runs one lane.
  return r && r.lanes >= 2 ? { threads: r.lanes - 1, dir: r.dir } : null;
}

/** Whether these arguments replay on the CLI's own thread alone because one lane is asked for (`-j 1`, or one core). */
export function replaysOnOneLane(args: readonly string[]): boolean {
  return localReplay(args)?.lanes === 1;
}

/** Whether these arguments record (`record`, `demo`; not their help): their snapshot worker starts at once. */
export function recordsFor(args: readonly string[]): boolean {
  return (args[0] === 'record' || args[0] === 'demo') && !args.includes('-h') && !args.includes('--help');
}

/** Whether these arguments run one machine and no replay lanes (`record`, `run`): V8's helper threads then give way to it. */
export function runsOneMachine(args: readonly string[]): boolean {
  return (args[0] === 'record' || args[0] === 'run') && !args.includes('-h') && !args.includes('--help');
}

export function startEarlyThreads(args: readonly string[]): void {
  // V8's helper threads give way to a machine that runs alone, lowered first, while they are the only
  // other threads (@prnr/snapshot niceOtherThreads). Not where lanes run on threads of their own: they
  // need V8's compiler threads as much (nor in `demo`, whose lanes are decided only once it has recorded).
  if (runsOneMachine(args) || replaysOnOneLane(args)) niceOtherThreads(HELPER_NICE);
  if (recordsFor(args)) prestartSnapshotWorker();
  const plan = earlyThreadsFor(args);
  if (!plan) return;
  // verify, replay and diagnose start only the lanes that pay for their start (session/lanes.ts; the
  // command takes the same decision and says it).
  if ((args[0] === 'verify' || args[0] === 'replay' || args[0] === 'diagnose') && !args.includes('--all-lanes')) {
    const d = decideLanesFromDir(plan.dir, plan.threads + 1);
    if (d) plan.threads = d.lanes - 1;
    if (plan.threads < 1) {
      niceOtherThreads(HELPER_NICE); // one lane after all: this thread's, alone
      return;
    }
  } else {
    // Every lane asked for, but never more than there are slices (the command's executor makes no more).
    const slices = slicesFromDir(plan.dir);
    if (slices) plan.threads = Math.min(plan.threads, slices.length - 1);
    if (plan.threads < 1) return;
  }
  // The threads' hart engine (engine-setting.ts checks the name once the command starts).
  setReplayThreadHartDefaults({ engine: process.env.PRNR_ENGINE || undefined });
  // As the command will name it (session/open-recording.ts localLocation), so that the threads get ready for that recording.
  const recordedModules = args.includes('--use-recorded-modules');
  prestartReplayThreads(plan.threads, { dir: plan.dir, ...(recordedModules ? { recordedModules } : {}) }, { callerLane: true });
}
