/**
 * Distributed replay through a real redis-server on loopback: two `prnr
 * worker` processes give the same merged results as a replay in this
 * process, and still do when one worker is killed in the middle of a task.
 * A run never outlives its Redis or its submitter: it fails in one line when
 * Redis goes (or comes back without its tasks), and its tasks go with it.
 * Without redis-server it is skipped, or fails under CI=true (testing/host-tools.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QueueExecutor, TASK_VERSION, type ReplayTask } from '@prnr/scheduler';
import { redis as redisTool } from './testing/host-tools.js';
import { freePort, startRedis as startRedisServer } from './testing/redis-server.js';

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
/** The analysis module a worker loads: its own @prnr/diagnosis, built. */
const DIAGNOSIS = fileURLToPath(new URL('../../../packages/diagnosis/dist/index.js', import.meta.url));
const SMOKE = fileURLToPath(new URL('../../../guest/workloads/smoke.sh', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'prnr-dist-'));
const rec = join(tmp, 'dist.rec');
const children: ChildProcess[] = [];
let redisUrl = '';

function run(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return start(args).done;
}

/** `prnr ARGS` running: its output so far, and its end. */
function start(args: string[], o: { cwd?: string } = {}) {
  const c = spawn(process.execPath, [MAIN, ...args], { cwd: o.cwd });
  children.push(c);
  const out = { stdout: '', stderr: '' };
  c.stdout.on('data', (d) => (out.stdout += d));
  c.stderr.on('data', (d) => (out.stderr += d));
  const done = new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => c.on('exit', (status) => resolve({ status, ...out })));
  return { child: c, out, done };
}

function worker(log: string[], o: { url?: string; cwd?: string; env?: NodeJS.ProcessEnv } = {}): ChildProcess {
  const w = spawn(process.execPath, [MAIN, 'worker', '--redis', o.url ?? redisUrl, '--lock-ms', '3000'], { cwd: o.cwd, env: o.env });
  w.stderr!.on('data', (d) => log.push(String(d)));
  children.push(w);
  return w;
}

/** What must not depend on where a slice was replayed. */
function essence(json: string) {
  const r = JSON.parse(json) as { verified: boolean; slices: Array<Record<string, unknown>>; analyses: unknown };
  return { verified: r.verified, slices: r.slices.map(({ wallSeconds: _w, restoreSeconds: _r, ...s }) => s), analyses: r.analyses };
}

/** A redis-server on loopback at `port`, ready (killed after the tests). */
const startRedis = (port: number): Promise<ChildProcess> => startRedisServer(port, (r) => children.push(r));

/** Redis's answer to one inline command on `port` (":4" for a count of 4). */
function redisCommand(port: number, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.write(`${command}\r\n`));
    let out = '';
    s.on('data', (d) => {
      out += d;
      if (out.endsWith('\r\n')) {
        s.end();
        resolve(out.trim());
      }
    });
    s.on('error', reject);
  });
}

/** Tasks waiting in the queue for a worker. */
async function waiting(port: number): Promise<number> {
  return Number((await redisCommand(port, 'LLEN bull:prnr-replay:wait')).slice(1));
}

/** Polls `check` until it holds, for at most `seconds`. */
async function until(check: () => boolean | Promise<boolean>, seconds = 60): Promise<void> {
  for (let i = 0; i < seconds * 10 && !(await check()); i++) await new Promise((r) => setTimeout(r, 100));
}

/** A Redis of the test's own, so that no other test's workers take its tasks. */
async function ownRedis(): Promise<{ port: number; url: string; redis: ChildProcess }> {
  const port = await freePort();
  return { port, url: `redis://127.0.0.1:${port}`, redis: await startRedis(port) };
}

const NO_WORKER = (url: string) => `prnr: waiting for a prnr worker on ${url} (queue prnr-replay): none has taken a task yet`;

beforeAll(async () => {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`pnpm build\` first (\`pnpm test\` does)`);
  redisTool.require();
  const port = await freePort();
  await startRedis(port);
  redisUrl = `redis://127.0.0.1:${port}`;
  const r = await run('record', '-o', rec, '--script', SMOKE, '--max-insns', '60000000', '--slice-insns', '15000000', '-q');
  expect(r.status, r.stderr).toBe(0);
}, 300_000);

afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

describe.skipIf(redisTool.skip)('distributed replay on Redis', () => {
  let local: ReturnType<typeof essence>;

  it('two worker processes give the same results as a replay here', async () => {
    const here = await run('replay', rec, '--parallel', '1', '--analyses', 'profile,console', '--json');
    expect(here.status, here.stderr).toBe(0);
    local = essence(here.stdout);
    expect(local.verified).toBe(true);
    const logs: string[] = [];
    const ws = [worker(logs), worker(logs)];
    const there = await run('replay', rec, '--redis', redisUrl, '--analyses', 'profile,console', '--json');
    expect(there.status, there.stderr).toBe(0);
    expect(essence(there.stdout)).toEqual(local);
    for (const w of ws) w.kill('SIGTERM');
    // Workers took part (the equality above is the real check).
    expect(logs.join('')).toMatch(/started slice/);
  }, 300_000);

  it('a worker killed mid-task: another takes the task over and the result is complete and correct', async () => {
    const logs: string[] = [];
    const victim = worker(logs);
    const victimLog: string[] = [];
    victim.stderr!.on('data', (d) => victimLog.push(String(d)));
    const pending = run('replay', rec, '--redis', redisUrl, '--analyses', 'profile,console', '--json');
    // Kill the first worker as soon as it starts a task, then bring up the one that will finish the job.
    for (let i = 0; i < 600 && !victimLog.join('').includes('started slice'); i++) await new Promise((r) => setTimeout(r, 50));
    expect(victimLog.join('')).toContain('started slice');
    victim.kill('SIGKILL');
    const survivorLog: string[] = [];
    worker(survivorLog);
    const there = await pending;
    expect(there.status, there.stderr).toBe(0);
    expect(essence(there.stdout)).toEqual(local);
    // The survivor replayed every slice, including the one the victim had started.
    const started = [...survivorLog.join('').matchAll(/started slices (\d+)\.\.(\d+)/g)].flatMap((m) => Array.from({ length: Number(m[2]) - Number(m[1]) + 1 }, (_, k) => Number(m[1]) + k));
    expect(new Set(started)).toEqual(new Set([0, 1, 2, 3]));
  }, 300_000);

  it('`prnr serve --redis` hands workers its own URL, so they can run on other hosts', async () => {
    const port = await freePort();
    const server = spawn(process.execPath, [MAIN, 'serve', tmp, '--redis', redisUrl, '--port', String(port)]);
    children.push(server);
    let said = '';
    server.stderr!.on('data', (d) => (said += d));
    const base = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 600 && !said.includes('serving'); i++) await new Promise((r) => setTimeout(r, 50));
    expect(said).toContain(`workers read recordings from ${base}/recordings/`);
    const logs: string[] = [];
    const w = worker(logs);
    try {
      const res = await fetch(`${base}/api/recordings/dist.rec/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'verify' }) });
      expect(res.status, await res.clone().text()).toBe(202);
      const { id } = (await res.json()) as { id: string };
      let job: { status: string; error?: string; result?: { verified: boolean } } = { status: 'queued' };
      for (let i = 0; i < 1200 && (job.status === 'queued' || job.status === 'running'); i++) {
        await new Promise((r) => setTimeout(r, 100));
        job = (await (await fetch(`${base}/api/jobs/${id}`)).json()) as typeof job;
      }
      expect(job.status, job.error).toBe('done');
      expect(job.result?.verified).toBe(true);
      // The worker read the recording over HTTP from the server, not from the server's directory.
      expect(logs.join('')).toContain(`of ${base}/recordings/dist.rec`);
    } finally {
      w.kill('SIGTERM');
      server.kill('SIGTERM');
    }
  }, 300_000);

  it('replay on a Redis nobody answers at: one line within seconds, exit 2, the password not shown', async () => {
    const port = await freePort();
    const r = await run('verify', rec, '--redis', `redis://user:secret@127.0.0.1:${port}`);
    expect(r.stderr.trim()).toBe(`prnr: cannot reach Redis at redis://user:***@127.0.0.1:${port} (connect ECONNREFUSED 127.0.0.1:${port}; waited 5 s)`);
    expect(r.status).toBe(2);
  }, 60_000);

  it('a worker started before its Redis: says so once, connects when Redis comes, and SIGTERM stops it at once without one', async () => {
    const port = await freePort();
    const url = `redis://127.0.0.1:${port}`;
    const said: string[] = [];
    const early = spawn(process.execPath, [MAIN, 'worker', '--redis', url]);
    children.push(early);
    early.stderr!.on('data', (d) => said.push(String(d)));
    await new Promise((r) => setTimeout(r, 2500)); // ioredis retries many times a second meanwhile
    const refused = said.join('').split('\n').filter((l) => l.includes('ECONNREFUSED'));
    expect(refused).toEqual([`prnr worker: connect ECONNREFUSED 127.0.0.1:${port} (retrying until Redis answers)`]);
    const redis = await startRedis(port);
    for (let i = 0; i < 200 && !said.join('').includes('connected to'); i++) await new Promise((r) => setTimeout(r, 50));
    expect(said.join('')).toContain(`prnr worker: connected to ${url}`);
    // Redis gone again: a stop must not wait for it.
    redis.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 500));
    const exited = new Promise<number | null>((resolve) => early.on('exit', (c) => resolve(c)));
    early.kill('SIGTERM');
    expect(await exited).toBe(0); // before this fix it waited for Redis: the test's own timeout
    expect(said.join('')).toContain('prnr worker: stopping\n'); // no task was running
  }, 60_000);

  it('`prnr serve --redis` with --port 0 needs --public-url; a bad --public-url is one line', async () => {
    const zero = await run('serve', tmp, '--redis', redisUrl, '--port', '0');
    expect(zero.status).toBe(2);
    expect(zero.stderr.trim().split('\n')).toEqual(['prnr: --redis with --port 0: give --public-url, since workers cannot know which port was chosen']);
    const bad = await run('serve', tmp, '--redis', redisUrl, '--public-url', 'ftp://x');
    expect(bad.stderr.trim()).toBe('prnr: --public-url: expected an http or https URL, got "ftp://x"');
    const local = await run('serve', tmp, '--public-url', 'http://x:1');
    expect(local.stderr.trim()).toBe('prnr: --public-url is for --redis: local worker threads read the recordings directly');
  });

  it('a recording named by a relative path: workers started in another directory replay it', async () => {
    const logs: string[] = [];
    const w = worker(logs, { cwd: '/' });
    try {
      const r = await start(['verify', 'dist.rec', '--redis', redisUrl], { cwd: tmp }).done;
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain('verified: 4 slice(s) end in their recorded state');
      expect(logs.join('')).toContain(`of ${rec}\n`); // the task named it absolutely
    } finally {
      w.kill('SIGTERM');
    }
  }, 300_000);

  it('no worker: one line says the run waits for one; Ctrl-C removes its tasks from the queue', async () => {
    const { port, url } = await ownRedis();
    const v = start(['verify', rec, '--redis', url]);
    await until(() => v.out.stderr.includes('waiting for a prnr worker'));
    expect(await waiting(port)).toBeGreaterThan(0);
    v.child.kill('SIGINT');
    const r = await v.done;
    expect(r.status).toBe(130);
    expect(r.stderr.split('\n').filter(Boolean)).toEqual([NO_WORKER(url), 'prnr: interrupted: removing the tasks no worker has taken']);
    expect(await waiting(port)).toBe(0);
  }, 120_000);

  it('a run killed outright leaves its tasks queued: a worker skips them, since their submitter is gone', async () => {
    const { port, url } = await ownRedis();
    const v = start(['verify', rec, '--redis', url]);
    await until(() => v.out.stderr.includes('waiting for a prnr worker'));
    v.child.kill('SIGKILL');
    await v.done;
    const queued = await waiting(port);
    expect(queued).toBeGreaterThan(0);
    const logs: string[] = [];
    worker(logs, { url });
    const skipped = () => logs.join('').split('\n').filter((l) => / skipped slices .*: whoever queued it is gone$/.test(l)).length;
    await until(() => skipped() === queued);
    expect(skipped()).toBe(queued);
    expect(logs.join('')).not.toContain('started slices');
    expect(await waiting(port)).toBe(0);
  }, 120_000);

  it('a task naming an analysis module the worker does not have is refused whole: nothing of it imported, the run fails in one line', async () => {
    const { url } = await ownRedis();
    const logs: string[] = [];
    worker(logs, { url });
    // Imported, this module would leave a file behind: the worker must never import it.
    const marker = join(tmp, 'imported-by-a-worker');
    const code = `import { writeFileSync } from 'node:fs'; writeFileSync(${JSON.stringify(marker)}, 'x'); export const analysisKinds = [];`;
    const module = `data:text/javascript,${encodeURIComponent(code)}`;
    const executor = new QueueExecutor({ redis: url });
    try {
      const task: ReplayTask = { version: TASK_VERSION, recording: { dir: rec }, first: 0, last: 0, pass: 0, analyses: [], modules: [module] };
      const refused = await executor.run(task).then(() => null, (e: Error) => e.message);
      expect(refused).toBe(`the task names analysis module ${module}, which this worker does not load (it loads ${pathToFileURL(DIAGNOSIS).href})`);
    } finally {
      await executor.close();
    }
    expect(logs.join('')).toMatch(/ skipped slices 0\.\.0 pass 0 of .*: the task names analysis module data:/);
    expect(existsSync(marker)).toBe(false);
  }, 120_000);

  it('Redis stops in the middle of a run: one line (no error dumps), exit 2', async () => {
    const { port, url, redis } = await ownRedis();
    const v = start(['verify', rec, '--redis', url]);
    await until(() => v.out.stderr.includes('waiting for a prnr worker'));
    redis.kill('SIGKILL');
    const r = await v.done; // before this fix: never
    expect(r.status).toBe(2);
    const lines = r.stderr.split('\n').filter(Boolean);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe(NO_WORKER(url));
    expect(lines[1]).toMatch(new RegExp(`^prnr: lost Redis at redis://127\\.0\\.0\\.1:${port} \\(connect ECONNREFUSED 127\\.0\\.0\\.1:${port}; no answer for \\d+ s\\)$`));
  }, 120_000);

  it('Redis comes back without the run\'s tasks: the run fails in one line instead of waiting for them forever', async () => {
    const { port, url, redis } = await ownRedis();
    const v = start(['verify', rec, '--redis', url]);
    await until(() => v.out.stderr.includes('waiting for a prnr worker'));
    redis.kill('SIGKILL');
    await new Promise((r) => redis.on('exit', r));
    await startRedis(port); // empty: nothing saved
    const r = await v.done;
    expect(r.status).toBe(2);
    expect(r.stderr.split('\n').filter(Boolean)).toEqual([NO_WORKER(url), `prnr: Redis at ${url} came back without this run's tasks (restarted without its data?)`]);
  }, 120_000);

  it('`prnr serve --token --redis`: the server reads its own recording with its token; a cancelled job takes its tasks along; a lost Redis fails the job; SIGTERM stops it at once', async () => {
    const { port, url, redis } = await ownRedis();
    const serverPort = await freePort();
    const s = start(['serve', tmp, '--token', 'T0K', '--redis', url, '--port', String(serverPort)]);
    const base = `http://127.0.0.1:${serverPort}`;
    const headers = { authorization: 'Bearer T0K' };
    await until(() => s.out.stderr.includes('serving'));
    const verifyJob = async () => {
      const res = await fetch(`${base}/api/recordings/dist.rec/jobs`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ type: 'verify' }) });
      expect(res.status, await res.clone().text()).toBe(202);
      return ((await res.json()) as { id: string }).id;
    };
    const jobOf = async (id: string) => (await (await fetch(`${base}/api/jobs/${id}`, { headers })).json()) as { status: string; error?: string; result?: { verified: boolean } };
    const ended = async (id: string) => {
      let job = await jobOf(id);
      await until(async () => (job = await jobOf(id)).status !== 'running', 120);
      return job;
    };
    // The workers have the token too; before this fix the server itself had none for its own read.
    const logs: string[] = [];
    const w = worker(logs, { url, env: { ...process.env, PRNR_TOKEN: 'T0K' } });
    const done = await ended(await verifyJob());
    expect(done.status, done.error).toBe('done');
    expect(done.result?.verified).toBe(true);
    w.kill('SIGTERM');
    await new Promise((r) => w.on('exit', r));
    // No worker now: the job's tasks wait until it is cancelled, then are gone.
    const cancelled = await verifyJob();
    await until(async () => (await waiting(port)) > 0);
    expect(await waiting(port)).toBeGreaterThan(0);
    expect((await fetch(`${base}/api/jobs/${cancelled}`, { method: 'DELETE', headers })).status).toBe(200);
    await until(async () => (await waiting(port)) === 0);
    expect(await waiting(port)).toBe(0);
    // Redis gone: the job fails, saying so, instead of running forever.
    const orphan = await verifyJob();
    await until(async () => (await waiting(port)) > 0);
    redis.kill('SIGKILL');
    const failed = await ended(orphan);
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(new RegExp(`^lost Redis at ${url} \\(.*; no answer for \\d+ s\\)$`));
    // And with Redis still gone, a stop does not wait for it.
    s.child.kill('SIGTERM');
    expect((await s.done).status).toBe(0);
  }, 300_000);

  it('--redis with a URL that is not Redis: one line, exit 2, for every command that takes it', async () => {
    const said = '--redis: not a Redis URL: "http://127.0.0.1:8090" (expected redis://HOST:PORT, rediss://HOST:PORT or a Unix socket path)';
    for (const args of [['verify', rec], ['worker'], ['serve', tmp]]) {
      const r = await run(...args, '--redis', 'http://127.0.0.1:8090');
      expect(r.stderr.trim(), args[0]).toBe(`prnr: ${said}`);
      expect(r.status, args[0]).toBe(2);
    }
  });
});
