#!/usr/bin/env node
/**
 * `prnr`: the entry. A parallel replay's worker threads start first, before
 * the rest of the command line loads (early-threads.ts): their own start
 * (a fresh V8, the replay packages, the recording, a machine) then overlaps
 * it. Then the command line runs (cli.ts). V8's settings for translated code
 * come first of all (@prnr/cpu/v8-tuning).
 */
import { tuneV8ForHarts } from '@prnr/cpu/v8-tuning';
import { startEarlyThreads } from './early-threads.js';

// A reader that closed the pipe (`prnr slices rec | head`) gets no more output; the command goes
// on to its end (a recording completes), without the EPIPE stack trace Node would print.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') throw e;
});
tuneV8ForHarts(); // before any thread compiles translated code
startEarlyThreads(process.argv.slice(2));
await import('./cli.js');
