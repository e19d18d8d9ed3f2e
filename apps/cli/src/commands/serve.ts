import type { Command } from 'commander';
import { UsageError } from '../usage-error.js';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve a directory of recordings: the web UI, the HTTP API (replay, verify, diagnose, seek jobs), and the read-only object endpoint for remote workers')
    .argument('<dir>', 'directory whose subdirectories are recordings')
    .option('--host <host>', 'address to listen on (anything but loopback needs --token)', '127.0.0.1')
    .option('--port <port>', 'port', (v) => Number.parseInt(v, 10), 8470)
    .option('--token <token>', 'bearer token required by the API (default: $PRNR_TOKEN)')
    .option('--redis <url>', 'run jobs on `prnr worker` processes through this Redis instead of local threads')
    .option('--max-jobs <n>', 'jobs running at once', (v) => Number.parseInt(v, 10), 4)
    .addHelpText('after', '\nRemote workers replay from http://HOST:PORT/recordings/NAME.\n\nExamples:\n  prnr serve recordings/\n  PRNR_TOKEN=... prnr serve recordings/ --host 0.0.0.0 --redis redis://10.0.0.5:6379\n')
    .action(async (dir: string, opts: { host: string; port: number; token?: string; redis?: string; maxJobs: number }) => {
      if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) throw new UsageError('--port needs a port number (0-65535)');
      const token = opts.token ?? process.env.PRNR_TOKEN;
      // Loaded here: the server's web framework takes longer to load than a short replay takes to run.
      const { startServer } = await import('@prnr/server');
      let server;
      try {
        server = await startServer({ recordingsDir: dir, host: opts.host, port: opts.port, token, maxConcurrentJobs: opts.maxJobs, executor: opts.redis ? { redis: opts.redis } : 'threads' });
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
      process.stderr.write(`prnr: serving ${dir} at ${server.url} (Ctrl-C stops)\n`);
      const stop = async () => {
        await server.close();
        process.exit(0);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
