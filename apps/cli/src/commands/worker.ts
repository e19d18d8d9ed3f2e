import type { Command } from 'commander';
import { DEFAULT_QUEUE, redisLabel, startQueueWorker, type ReplayTask } from '@prnr/scheduler';
import { analysisModules, checkRedisOption } from '../session/executor.js';
import { wholeNumberOption } from '../number-options.js';

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('process replay tasks from a Redis queue (run one per core, on any host that can read the recordings)')
    .requiredOption('--redis <url>', 'the Redis the replaying `prnr` submits to, e.g. redis://10.0.0.5:6379')
    .option('--queue <name>', 'queue name', DEFAULT_QUEUE)
    .option('--lock-ms <n>', 'a task held this long without a sign of life is given to another worker', wholeNumberOption('--lock-ms', 1, undefined, 'milliseconds'), 30_000)
    .option('--use-recorded-modules', "a task that allows it (`prnr serve --use-recorded-modules`) runs a recording's own copy of a device module that is gone or changed (code from the recording: only where every recording is trusted)")
    .addHelpText('after', "\nRecordings are read from the path (shared directory) or URL (`prnr serve`) the task names.\nA worker runs no code a task brings: it loads only prnr's own analysis modules, and a\nrecording's copies of its device modules only with --use-recorded-modules.\n\nExample:\n  prnr worker --redis redis://10.0.0.5:6379\n")
    .action(async (opts: { redis: string; queue: string; lockMs: number; useRecordedModules?: boolean }) => {
      const of = (t: ReplayTask) => `slices ${t.first}..${t.last} pass ${t.pass} of ${'url' in t.recording ? t.recording.url : t.recording.dir}`;
      checkRedisOption(opts.redis);
      const w = startQueueWorker({
        redis: opts.redis,
        queue: opts.queue,
        lockDuration: opts.lockMs,
        // Whoever can write to the Redis must not be able to make this worker run their code.
        analysisModules: analysisModules(),
        recordedModules: opts.useRecordedModules === true,
        // Whether a slice verified is the coordinator's call: a worker reports what it reached.
        onTask: (t, r) => {
          const failed = r.slices.filter((s) => s.error || s.divergence);
          process.stderr.write(`prnr worker: slices ${t.first}..${t.last} pass ${t.pass}: ${failed.length ? `${failed.length} failed (${failed.map((s) => `${s.slice}: ${s.error ?? s.divergence?.message}`).join('; ')})` : 'replayed'} (${r.wallSeconds.toFixed(1)} s)\n`);
        },
        onStart: (t) => process.stderr.write(`prnr worker: started ${of(t)}\n`),
        onSkip: (t, why) => process.stderr.write(`prnr worker: skipped ${of(t)}: ${why}\n`),
      });
      let busy = false;
      w.worker.on('active', () => (busy = true));
      // One task at a time (startQueueWorker's concurrency): it ends completed or failed.
      w.worker.on('completed', () => (busy = false));
      w.worker.on('failed', () => (busy = false));
      // Redis down: ioredis retries many times a second. Each new problem is said once, and so is the recovery.
      let trouble = '';
      w.worker.on('error', (e) => {
        if (e.message === trouble) return;
        trouble = e.message;
        process.stderr.write(`prnr worker: ${e.message}${w.retrying(e) ? ' (retrying until Redis answers)' : ''}\n`);
      });
      w.worker.on('ready', () => {
        if (trouble) process.stderr.write(`prnr worker: connected to ${redisLabel(opts.redis)}\n`);
        trouble = '';
      });
      process.stderr.write(`prnr worker: waiting for tasks on ${redisLabel(opts.redis)} (queue ${opts.queue})\n`);
      const stop = async () => {
        process.stderr.write(busy ? 'prnr worker: stopping after the current task\n' : 'prnr worker: stopping\n');
        await w.close();
        process.exit(0);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      await new Promise(() => {}); // until signalled
    });
}
