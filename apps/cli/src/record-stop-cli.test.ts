/**
 * How `prnr record` ends when it is told to from outside (the built CLI, a
 * real child process): SIGTERM (`kill`, a service manager) and SIGHUP (a
 * closed terminal) end it as SIGINT does, complete and unlocked, with the
 * exit status of a process killed by that signal; and a directory that cannot
 * take the recording is refused before any host port is forwarded.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Channel, readSegment } from '@prnr/eventlog';

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const SMOKE = fileURLToPath(new URL('../../../guest/workloads/smoke.sh', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'prnr-cli-stop-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/**
 * Runs `prnr record -o rec ...args`, sends `signal` once its console shows `ready` (plus `after` ms),
 * and returns how it ended.
 */
async function recordUntil(signal: NodeJS.Signals, rec: string, args: string[], ready: RegExp, after = 0): Promise<{ code: number | null; stderr: string }> {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`pnpm build\` first (\`pnpm test\` does)`);
  const c = spawn(process.execPath, [MAIN, 'record', '-o', rec, ...args]);
  let stdout = '';
  let stderr = '';
  c.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => c.on('exit', (code) => resolve(code)));
  await new Promise<void>((resolve) => {
    c.stdout.on('data', (d) => {
      stdout += d;
      if (ready.test(stdout)) resolve();
    });
    void exited.then(() => resolve());
  });
  expect(stdout, stderr).toMatch(ready);
  await new Promise((r) => setTimeout(r, after));
  c.kill(signal);
  return { code: await exited, stderr };
}

const manifestOf = (rec: string) => JSON.parse(readFileSync(join(rec, 'recording.json'), 'utf8')) as { status: string; end?: { reason: string }; slices: unknown[] };

describe('prnr record stopped by a signal', () => {
  for (const [signal, status] of [['SIGTERM', 143], ['SIGHUP', 129]] as const) {
    it(`${signal}: the recording ends complete, ended by user, its lock gone; exit ${status}`, async () => {
      const rec = join(tmp, `${signal}.rec`);
      const r = await recordUntil(signal, rec, ['--script', SMOKE], /prnr:\/#/); // the script is being typed: the recorder runs the guest
      expect(r.stderr).toContain(`prnr: ${signal}: stopping (again to abort)`);
      expect(r.stderr).toMatch(/ended by user\n/);
      expect(r.code).toBe(status);
      const m = manifestOf(rec);
      expect([m.status, m.end?.reason]).toEqual(['complete', 'user']);
      expect(m.slices.length).toBeGreaterThan(0);
      expect(existsSync(join(rec, 'recording.lock'))).toBe(false);
    }, 300_000);
  }
});

describe('prnr record --net stopped while the guest waits', () => {
  it('SIGTERM during a sleep: every slice verifies, the last one too (it ends after several idle rounds at one icount)', async () => {
    const rec = join(tmp, 'wait.rec');
    const script = join(tmp, 'wait.sh');
    writeFileSync(script, 'echo waiting; sleep 600\n');
    // With a network the recorder's idle follows the wall clock: the guest sits at one icount, and
    // the recorder's turns poll its devices and log an idle jump every 20 ms.
    const r = await recordUntil('SIGTERM', rec, ['--net', 'user', '--script', script], /\nwaiting\r?\n/, 3000); // a few seconds into the sleep
    expect(r.code, r.stderr).toBe(143);
    const m = JSON.parse(readFileSync(join(rec, 'recording.json'), 'utf8')) as { end?: { reason: string }; slices: { endIcount: number; log: string }[] };
    expect(m.end?.reason).toBe('user');
    const last = m.slices.at(-1)!;
    const { events } = await readSegment(join(rec, last.log));
    expect(events.filter((e) => e.channel === Channel.idle && e.icount === BigInt(last.endIcount)).length, 'idle rounds at the last slice\'s end').toBeGreaterThanOrEqual(2);
    const v = spawnSync(process.execPath, [MAIN, 'verify', rec, '-j', '1'], { encoding: 'utf8' });
    expect(v.stdout, v.stderr).toMatch(/verified: \d+ slice\(s\) end in their recorded state/);
    expect(v.status).toBe(0);
  }, 300_000);
});

describe('prnr record into a directory it cannot use', () => {
  it('is refused before --net forwards a host port: one line, exit 2', async () => {
    const full = join(tmp, 'full.rec');
    mkdirSync(full);
    writeFileSync(join(full, 'keep.txt'), 'not a recording\n');
    const port = await freePort();
    const r = spawnSync(process.execPath, [MAIN, 'record', '-o', full, '--net', `user,hostfwd=tcp:127.0.0.1:${port}-:22`, '--max-insns', '1000'], { encoding: 'utf8' });
    expect(r.stderr.trim().split('\n')).toEqual([`prnr: ${full} already exists and is not empty: choose a new directory for the recording`]);
    expect(r.status).toBe(2);
    expect(readFileSync(join(full, 'keep.txt'), 'utf8')).toBe('not a recording\n');
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}
