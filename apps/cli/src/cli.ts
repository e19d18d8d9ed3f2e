/**
 * `prnr`: the command line, loaded by main.ts. Commands live in ./commands,
 * one file each; this file only assembles them and turns known errors into
 * one clear line.
 */
import { Command, CommanderError } from 'commander';
import { registerConformance } from './commands/conformance.js';
import { registerRecord } from './commands/record.js';
import { registerReplay } from './commands/replay.js';
import { registerRun } from './commands/run.js';
import { registerVerify } from './commands/verify.js';
import { registerSlices } from './commands/slices.js';
import { registerGc } from './commands/gc.js';
import { registerDemo } from './commands/demo.js';
import { registerSeek } from './commands/seek.js';
import { registerWorker } from './commands/worker.js';
import { registerDiagnose } from './commands/diagnose.js';
import { registerProfile } from './commands/profile.js';
import { registerServe } from './commands/serve.js';
import { registerBench } from './commands/bench.js';
import { registerGdb } from './commands/gdb.js';
import { UsageError } from './usage-error.js';
import { applyEngineSetting } from './engine-setting.js';
import { ConformanceDirError } from './conformance/manifest.js';
import { ElfError, HartEngineError } from '@prnr/cpu';
import { GuestImageError } from '@prnr/machine';
import { RecordingError } from '@prnr/recording';
import { LogFormatError } from '@prnr/eventlog';
import { ObjectCorruptError, ObjectMissingError, SnapshotFormatError } from '@prnr/snapshot';
import { UnknownAnalysisError } from '@prnr/scheduler';

const program = new Command();
program
  .name('prnr')
  .description('Parallel record-replay for RISC-V virtual machines running Linux')
  .version('0.1.0')
  .exitOverride()
  // Before any command makes a hart (not for --help or a usage error).
  .hook('preAction', () => applyEngineSetting());

registerConformance(program);
registerRun(program);
registerRecord(program);
registerReplay(program);
registerVerify(program);
registerSlices(program);
registerGc(program);
registerDemo(program);
registerSeek(program);
registerWorker(program);
registerDiagnose(program);
registerProfile(program);
registerServe(program);
registerBench(program);
registerGdb(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    process.exitCode = e.exitCode;
  } else if (e instanceof ConformanceDirError || e instanceof ElfError || e instanceof HartEngineError || e instanceof GuestImageError || e instanceof UsageError || e instanceof RecordingError || e instanceof LogFormatError || e instanceof ObjectMissingError || e instanceof ObjectCorruptError || e instanceof SnapshotFormatError || e instanceof UnknownAnalysisError) {
    // One line, always: some messages quote input (JSON.parse does) that holds newlines.
    console.error(`prnr: ${e.message.replace(/\s*\n\s*/g, ' ')}`);
    process.exitCode = 2;
  } else {
    throw e;
  }
}
