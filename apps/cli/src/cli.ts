/**
 * `prnr`: the command line, loaded by main.ts. Commands live in ./commands,
 * one file each; this file only assembles them and turns known errors into
 * one clear line. Only the command being run is loaded (a replay need not load
 * the debugger, the server or the conformance runner); help, --version and
 * anything unrecognised load them all.
 */
import { Command, CommanderError } from 'commander';
import { UsageError } from './usage-error.js';
import { pathErrorLine } from './named-files.js';
import { applyEngineSetting } from './engine-setting.js';
import { ConformanceDirError } from './conformance/manifest.js';
import { ElfError, HartEngineError } from '@prnr/cpu';
import { BoardConfigError, GuestImageError } from '@prnr/machine';
import { DeviceModuleError, DevicePluginError } from '@prnr/devices';
import { RecordingError } from '@prnr/recording';
import { LogFormatError } from '@prnr/eventlog';
import { ObjectCorruptError, ObjectMissingError, SnapshotFormatError } from '@prnr/snapshot';
import { QueueUnreachableError, UnknownAnalysisError } from '@prnr/scheduler';

const program = new Command();
program
  .name('prnr')
  .description('Parallel record-replay for RISC-V virtual machines running Linux')
  .version('0.1.0')
  .exitOverride()
  // Commander's own errors (an unknown option, a missing argument) in the form of every other: one
  // line starting "prnr: ". Commands registered below inherit this.
  .configureOutput({ outputError: (text, write) => write(`prnr: ${text.replace(/^error: /, '')}`) })
  // Before any command makes a hart (not for --help or a usage error).
  .hook('preAction', () => applyEngineSetting());

/** Every command, in the order help lists them: its module, loaded only when needed. */
const COMMANDS: Array<[name: string, register: () => Promise<(program: Command) => void>]> = [
  ['conformance', async () => (await import('./commands/conformance.js')).registerConformance],
  ['run', async () => (await import('./commands/run.js')).registerRun],
  ['record', async () => (await import('./commands/record.js')).registerRecord],
  ['replay', async () => (await import('./commands/replay.js')).registerReplay],
  ['verify', async () => (await import('./commands/verify.js')).registerVerify],
  ['slices', async () => (await import('./commands/slices.js')).registerSlices],
  ['gc', async () => (await import('./commands/gc.js')).registerGc],
  ['demo', async () => (await import('./commands/demo.js')).registerDemo],
  ['seek', async () => (await import('./commands/seek.js')).registerSeek],
  ['worker', async () => (await import('./commands/worker.js')).registerWorker],
  ['diagnose', async () => (await import('./commands/diagnose.js')).registerDiagnose],
  ['profile', async () => (await import('./commands/profile.js')).registerProfile],
  ['serve', async () => (await import('./commands/serve.js')).registerServe],
  ['bench', async () => (await import('./commands/bench.js')).registerBench],
  ['gdb', async () => (await import('./commands/gdb.js')).registerGdb],
];

const named = COMMANDS.find(([name]) => name === process.argv[2]);
for (const [, register] of named ? [named] : COMMANDS) (await register())(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  const unreadable = pathErrorLine(e);
  if (e instanceof CommanderError) {
    // 0 for --help and --version; anything else is input it cannot take: 2, as the README says.
    process.exitCode = e.exitCode === 0 ? 0 : 2;
  } else if (e instanceof ConformanceDirError || e instanceof ElfError || e instanceof HartEngineError || e instanceof GuestImageError || e instanceof BoardConfigError || e instanceof UsageError || e instanceof RecordingError || e instanceof LogFormatError || e instanceof ObjectMissingError || e instanceof ObjectCorruptError || e instanceof SnapshotFormatError || e instanceof UnknownAnalysisError || e instanceof QueueUnreachableError) {
    // One line, always: some messages quote input (JSON.parse does) that holds newlines.
    console.error(`prnr: ${e.message.replace(/\s*\n\s*/g, ' ')}`);
    process.exitCode = 2;
  } else if (e instanceof DevicePluginError) {
    // A device module that failed while the guest ran (`run`; `record` says more itself) is not bad
    // input on the command line: exit 1, as for a recording cut short.
    console.error(`prnr: ${e.message.replace(/\s*\n\s*/g, ' ')}`);
    process.exitCode = e instanceof DeviceModuleError && e.icount !== undefined ? 1 : 2;
  } else if (unreadable !== undefined) {
    console.error(`prnr: ${unreadable}`);
    process.exitCode = 2;
  } else {
    throw e;
  }
}
