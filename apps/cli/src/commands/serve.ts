import { hostname } from 'node:os';
import type { Command } from 'commander';
import { UsageError } from '../usage-error.js';
import { wholeNumberOption } from '../number-options.js';
import { checkRedisOption } from '../session/executor.js';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve a directory of recordings: the web UI, the HTTP API (replay, verify, diagnose, seek jobs), and the read-only object endpoint for remote workers')
    .argument('<dir>', 'directory whose subdirectories are recordings')
    .option('--host <host>', 'address to listen on (anything but loopback needs --token)', '127.0.0.1')
    .option('--port <port>', 'port', wholeNumberOption('--port', 0, 65535), 8470)
    .option('--token <token>', 'bearer token required by the API (default: $PRNR_TOKEN)')
    .option('--redis <url>', 'run jobs on `prnr worker` processes through this Redis instead of local threads')
    .option('--public-url <url>', 'with --redis: the URL at which workers reach this server (default http://HOST:PORT, the machine\'s host name when HOST is a wildcard address)')
    .option('--max-jobs <n>', 'jobs running at once', wholeNumberOption('--max-jobs', 1), 4)
    .option('--use-recorded-modules', "jobs run a recording's own copy of a device module that is gone or changed, here and on workers started with --use-recorded-modules (code from the recording, uploads included: only where every recording is trusted)")
    .addHelpText('after', '\nWith --redis, `prnr worker` processes replay from PUBLIC-URL/recordings/NAME (give them PRNR_TOKEN when the server has a token).\nAn internal error is written to stderr, one line; PRNR_DEBUG=1 adds its stack.\n\nExamples:\n  prnr serve recordings/\n  PRNR_TOKEN=... prnr serve recordings/ --host 0.0.0.0 --redis redis://10.0.0.5:6379\n')
    .action(async (dir: string, opts: { host: string; port: number; token?: string; redis?: string; publicUrl?: string; maxJobs: number; useRecordedModules?: boolean }) => {
      if (opts.publicUrl !== undefined && !opts.redis) throw new UsageError('--public-url is for --redis: local worker threads read the recordings directly');
      if (opts.redis) checkRedisOption(opts.redis);
      const recordingsUrl = opts.redis ? workersUrl(opts) : undefined;
      const token = opts.token ?? process.env.PRNR_TOKEN;
      // Loaded here: the server's web framework takes longer to load than a short replay takes to run.
      const { startServer } = await import('@prnr/server');
      let server;
      try {
        server = await startServer({ recordingsDir: dir, host: opts.host, port: opts.port, token, maxConcurrentJobs: opts.maxJobs, recordedModules: opts.useRecordedModules === true, executor: opts.redis ? { redis: opts.redis, recordingsUrl } : 'threads', debug: process.env.PRNR_DEBUG === '1' });
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
      process.stderr.write(`prnr: serving ${dir} at ${server.url}${recordingsUrl ? `; workers read recordings from ${recordingsUrl}/recordings/` : ''} (Ctrl-C stops)\n`);
      const stop = async () => {
        await server.close();
        process.exit(0);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}

/** Where `prnr worker` processes on other hosts fetch the recordings from: this server's file endpoint. */
function workersUrl(o: { host: string; port: number; publicUrl?: string }): string {
  if (o.publicUrl !== undefined) {
    let u: URL;
    try {
      u = new URL(o.publicUrl);
    } catch {
      throw new UsageError(`--public-url: not a URL: "${o.publicUrl.slice(0, 100)}"`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new UsageError(`--public-url: expected an http or https URL, got "${o.publicUrl.slice(0, 100)}"`);
    return u.href.replace(/\/+$/, '');
  }
  if (o.port === 0) throw new UsageError('--redis with --port 0: give --public-url, since workers cannot know which port was chosen');
  const wildcard = o.host === '0.0.0.0' || o.host === '::' || o.host === '';
  const host = wildcard ? hostname() : o.host.includes(':') ? `[${o.host}]` : o.host;
  return `http://${host}:${o.port}`;
}
