/** The executor a command runs replay tasks on: this thread, worker threads, or Redis queue workers. */
import { availableParallelism } from 'node:os';
import { InlineExecutor, QueueExecutor, ThreadExecutor, type Executor } from '@prnr/scheduler';
import { UsageError } from '../usage-error.js';
import { wholeNumberOption } from '../number-options.js';
import { MAX_PARALLEL } from './lanes.js';

export const parseParallel = wholeNumberOption('--parallel', 1, MAX_PARALLEL, undefined, 'each lane is a thread with a machine of its own');

/** `slices`: how many slices will be replayed; a lane beyond them would only start and wait, so none is started. */
export function makeExecutor(o: { parallel?: number; redis?: string; slices?: number }): Executor {
  if (o.redis) {
    checkRedisOption(o.redis);
    return new QueueExecutor({ redis: o.redis, notify: (line) => process.stderr.write(`prnr: ${line}\n`) });
  }
  const n = Math.min(o.parallel ?? availableParallelism(), o.slices ?? Infinity);
  // This thread would only wait: it replays one lane itself.
  return n <= 1 ? new InlineExecutor() : new ThreadExecutor(n, { callerRuns: true, slices: o.slices });
}

/** --redis: a URL ioredis takes as meant (redis://, rediss://, a socket path), or a one-line usage error. */
export function checkRedisOption(url: string): void {
  try {
    QueueExecutor.checkUrl(url);
  } catch (e) {
    throw new UsageError(`--redis: ${(e as Error).message}`);
  }
}

/** Modules with more analyses, by URL, so worker threads and remote workers load the same ones. */
export function analysisModules(): string[] {
  const mods: string[] = [];
  for (const spec of ['@prnr/diagnosis']) {
    try {
      mods.push(import.meta.resolve(spec));
    } catch {
      // Not installed: its analyses are simply not available.
    }
  }
  return mods;
}
