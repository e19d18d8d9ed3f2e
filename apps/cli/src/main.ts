#!/usr/bin/env node
/**
 * `prnr`: the command-line entry. Commands live in ./commands, one file each;
 * this file only assembles them and turns known errors into one clear line.
 */
import { Command, CommanderError } from 'commander';
import { registerConformance } from './commands/conformance.js';
import { registerRun } from './commands/run.js';
import { ConformanceDirError } from './conformance/manifest.js';
import { ElfError } from '@prnr/cpu';
import { GuestImageError } from '@prnr/machine';

const program = new Command();
program
  .name('prnr')
  .description('Parallel record-replay for RISC-V virtual machines running Linux')
  .version('0.1.0')
  .exitOverride();

registerConformance(program);
registerRun(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    process.exitCode = e.exitCode;
  } else if (e instanceof ConformanceDirError || e instanceof ElfError || e instanceof GuestImageError) {
    console.error(`prnr: ${e.message}`);
    process.exitCode = 2;
  } else {
    throw e;
  }
}
