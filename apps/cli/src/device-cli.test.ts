/**
 * `--device` as a user runs it (the built CLI): a recording of the default
 * guest with the example temperature sensor on its board names the module by
 * path and sha256 and keeps a copy of it, verifies on worker threads (which
 * load the module from what the recording names) and on a worker that reads
 * it over HTTP from `prnr serve` where the module's path holds nothing (it
 * loads the recording's copy), and is refused, exit 2 in one line with both
 * hashes, once the module changes or is gone; `prnr slices` and `prnr gc`
 * still work then (they do not run the machine).
 */
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, copyFileSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync, unlinkSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { QueueExecutor, runTask, TASK_VERSION, type ReplayTask } from '@prnr/scheduler';
import { FsObjectStore } from '@prnr/snapshot';
import { redis as redisTool } from './testing/host-tools.js';
import { freePort, startRedis } from './testing/redis-server.js';

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const SMOKE = fileURLToPath(new URL('../../../guest/workloads/smoke.sh', import.meta.url));
const EXAMPLE = fileURLToPath(new URL('../../../examples/devices/temperature-sensor.mjs', import.meta.url));
function prnr(...args: string[]) {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`pnpm build\` first (\`pnpm test\` does)`);
  return spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8' });
}
const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const tmp = mkdtempSync(join(tmpdir(), 'prnr-cli-dev-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('prnr record --device, and replays of its recording', () => {
  const module = join(tmp, 'sensor.mjs'); // a copy: the test changes it
  const rec = join(tmp, 'dev.rec');

  it('records with the device on the board; the recording names module, sha256, kind@version and settings', () => {
    copyFileSync(EXAMPLE, module);
    const r = prnr('record', '-o', rec, '--script', SMOKE, '--device', `${module},start=30000,irq=13`, '--max-insns', '40000000', '--slice-insns', '10000000', '-q');
    expect(r.status, r.stderr).toBe(0);
    const m = JSON.parse(readFileSync(join(rec, 'recording.json'), 'utf8'));
    expect(m.devicePlugins).toEqual([{ module, sha256: sha(module), kind: 'temperature-sensor', version: 1, object: expect.stringMatching(/^[0-9a-f]{64}$/) }]);
    expect(m.board.devices.at(-1)).toEqual({ kind: 'temperature-sensor', irq: 13, settings: { start: 30000 } });
    expect(m.deviceVersions.at(-1)).toEqual({ kind: 'temperature-sensor', version: 1 });
  }, 300_000);

  it('verifies on 2 worker threads, which load the module', () => {
    // --all-lanes: this recording is too short for the planner to start a second lane by itself.
    const v = prnr('verify', rec, '--parallel', '2', '--all-lanes', '--json');
    expect(v.status, v.stderr).toBe(0);
    const out = JSON.parse(v.stdout) as { verified: boolean; fixed: { chunks: number }; slices: Array<{ verified: boolean }> };
    expect(out.verified).toBe(true);
    expect(out.fixed.chunks).toBeGreaterThanOrEqual(2); // both lanes ran slices
    expect(out.slices).toHaveLength(4);
  }, 300_000);

  it('a worker reading it over HTTP from `prnr serve`, with nothing at the module\'s path, loads the recording\'s copy and verifies it where the task allows recorded modules, and refuses each slice where it does not', async () => {
    const port = await freePort();
    const server = spawn(process.execPath, [MAIN, 'serve', tmp, '--port', String(port)]);
    const moved = join(tmp, 'elsewhere.mjs');
    try {
      await new Promise<void>((resolve, reject) => {
        let err = '';
        server.stderr.on('data', (d) => { err += d; if (err.includes('serving')) resolve(); });
        server.on('exit', (c) => reject(new Error(`prnr serve exited (${c}): ${err}`)));
      });
      renameSync(module, moved); // as on another host
      const m = JSON.parse(readFileSync(join(rec, 'recording.json'), 'utf8')) as { slices: Array<{ endState: string }> };
      // What `prnr worker` runs for a task that names the recording by URL.
      const url = `http://127.0.0.1:${port}/recordings/dev.rec`;
      const r = await runTask({ version: TASK_VERSION, recording: { url, recordedModules: true }, first: 0, last: m.slices.length - 1, pass: 0, analyses: [], modules: [] });
      expect(r.slices.map((s) => s.error ?? s.divergence?.message ?? null)).toEqual(m.slices.map(() => null));
      expect(r.slices.map((s) => s.endState)).toEqual(m.slices.map((s) => s.endState));
      // Not allowed (a task from `prnr serve` without --use-recorded-modules): the copy, code from the recording, is not run.
      const refused = await runTask({ version: TASK_VERSION, recording: { url }, first: 0, last: 0, pass: 0, analyses: [], modules: [] });
      expect(refused.slices[0].endState).toBeNull();
      expect(refused.slices[0].error).toContain(`device module ${module} is missing`);
      expect(refused.slices[0].error).toContain('the recording keeps a copy of it, run only where recorded modules are allowed (--use-recorded-modules)');
    } finally {
      if (existsSync(moved)) renameSync(moved, module);
      server.kill();
    }
  }, 300_000);

  it.skipIf(redisTool.skip)('`prnr worker` runs the recording\'s copy of a module that is gone only when started with --use-recorded-modules, though the task allows it', async () => {
    redisTool.require();
    const port = await freePort();
    const redis = await startRedis(port);
    const url = `redis://127.0.0.1:${port}`;
    const moved = join(tmp, 'elsewhere.mjs');
    const executor = new QueueExecutor({ redis: url });
    const workers: ReturnType<typeof spawn>[] = [];
    const worker = (...flags: string[]) => {
      const w = spawn(process.execPath, [MAIN, 'worker', '--redis', url, ...flags]);
      workers.push(w);
      return w;
    };
    try {
      renameSync(module, moved); // as on another host
      const m = JSON.parse(readFileSync(join(rec, 'recording.json'), 'utf8')) as { slices: Array<{ endState: string }> };
      // What `prnr serve --use-recorded-modules` or `replay --redis --use-recorded-modules` queues.
      const task: ReplayTask = { version: TASK_VERSION, recording: { dir: rec, recordedModules: true }, first: 0, last: 0, pass: 0, analyses: [], modules: [] };
      const plain = worker();
      const refused = await executor.run(task);
      expect(refused.slices[0].endState).toBeNull();
      expect(refused.slices[0].error).toContain(`device module ${module} is missing`);
      expect(refused.slices[0].error).toContain('the recording keeps a copy of it, run only where recorded modules are allowed (--use-recorded-modules)');
      plain.kill('SIGKILL');
      await new Promise((r) => plain.once('exit', r));
      worker('--use-recorded-modules');
      const ran = await executor.run(task);
      expect(ran.slices[0].error ?? ran.slices[0].divergence?.message ?? null).toBeNull();
      expect(ran.slices[0].endState).toBe(m.slices[0].endState);
    } finally {
      await executor.close();
      for (const w of workers) w.kill('SIGKILL');
      redis.kill('SIGKILL');
      if (existsSync(moved)) renameSync(moved, module);
    }
  }, 300_000);

  it('refuses a changed module, and a missing one, with exit 2 and one line naming it and both hashes', () => {
    const recorded = sha(module);
    appendFileSync(module, '// changed after recording\n');
    const now = sha(module);
    for (const args of [['replay', rec, '-q'], ['verify', rec, '--parallel', '2'], ['seek', rec, '--icount', '5000000']]) {
      const r = prnr(...args);
      expect(r.status, `${args[0]}: ${r.stderr}`).toBe(2);
      expect(r.stderr.trim()).toBe(`prnr: ${join(rec, 'recording.json')}: device module ${module} has changed since it was recorded (recorded sha256 ${recorded}, now ${now}); the recording keeps a copy of it, run only where recorded modules are allowed (--use-recorded-modules)`);
    }
    unlinkSync(module);
    const r = prnr('replay', rec, '-q');
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe(`prnr: ${join(rec, 'recording.json')}: device module ${module} is missing (recorded sha256 ${recorded}, now none); the recording keeps a copy of it, run only where recorded modules are allowed (--use-recorded-modules)`);
  }, 120_000);

  it('--use-recorded-modules: replay, verify and seek run the recording\'s copy of a module that is gone, or changed (the file there is not run)', () => {
    expect(existsSync(module)).toBe(false);
    const runs = [['replay', rec, '-q', '-j', '1'], ['verify', rec, '--parallel', '2', '--all-lanes'], ['seek', rec, '--icount', '5000000', '--json']];
    for (const args of runs) {
      const r = prnr(...args, '--use-recorded-modules');
      expect(r.status, `${args[0]}: ${r.stderr}`).toBe(0);
    }
    expect(prnr('verify', rec, '--parallel', '2', '--all-lanes', '--use-recorded-modules').stdout).toMatch(/^verified: \d+ slice\(s\) end in their recorded state/m);
    // A file at the module's path that is not the recorded module, and would fail the replay if it ran.
    const recorded = JSON.parse(readFileSync(join(rec, 'recording.json'), 'utf8')) as { devicePlugins: Array<{ sha256: string }> };
    appendFileSync(module, 'throw new Error("not the recorded module");\n');
    try {
      expect(sha(module)).not.toBe(recorded.devicePlugins[0].sha256);
      const r = prnr('verify', rec, '--parallel', '2', '--all-lanes', '--use-recorded-modules');
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).not.toContain('not the recorded module');
      // Without the option, that file is refused as before.
      expect(prnr('verify', rec).status).toBe(2);
    } finally {
      unlinkSync(module);
    }
  }, 300_000);

  it('`prnr serve --use-recorded-modules`: its verify jobs run the recording\'s copy of a module that is gone; without it they fail, saying why', async () => {
    expect(existsSync(module)).toBe(false);
    for (const allowed of [true, false]) {
      const port = await freePort();
      const server = spawn(process.execPath, [MAIN, 'serve', tmp, '--port', String(port), ...(allowed ? ['--use-recorded-modules'] : [])]);
      try {
        await new Promise<void>((resolve, reject) => {
          let err = '';
          server.stderr.on('data', (d) => { err += d; if (err.includes('serving')) resolve(); });
          server.on('exit', (c) => reject(new Error(`prnr serve exited (${c}): ${err}`)));
        });
        const api = `http://127.0.0.1:${port}/api`;
        const started = (await (await fetch(`${api}/recordings/dev.rec/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'verify' }) })).json()) as { id: string };
        let job: { status: string; progress: Array<{ state: string; error?: string }>; result?: { verified: boolean } };
        for (;;) {
          job = (await (await fetch(`${api}/jobs/${started.id}`)).json()) as typeof job;
          if (job.status !== 'running') break;
          await new Promise((r) => setTimeout(r, 200));
        }
        if (allowed) {
          expect(job.status, JSON.stringify(job.progress.find((x) => x.error))).toBe('done');
          expect(job.result?.verified).toBe(true);
          expect(job.progress.length).toBeGreaterThan(0);
          expect(job.progress.every((x) => x.state === 'verified')).toBe(true);
        } else {
          expect(job.status).toBe('failed');
          expect(JSON.stringify(job)).toContain('the recording keeps a copy of it, run only where recorded modules are allowed (--use-recorded-modules)');
        }
      } finally {
        server.kill();
      }
    }
  }, 300_000);

  it('slices and gc, which do not run the machine, work without the module; gc keeps the recording\'s copy of it', async () => {
    expect(existsSync(module)).toBe(false);
    const list = prnr('slices', rec, '--json');
    expect(list.status, list.stderr).toBe(0);
    expect((JSON.parse(list.stdout) as { slices: unknown[] }).slices).toHaveLength(4);
    expect(prnr('slices', rec).status).toBe(0);
    const gc = prnr('gc', rec);
    expect(gc.status, gc.stderr).toBe(0);
    expect(gc.stdout).toMatch(/^removed \d+ objects/);
    const merged = prnr('gc', rec, '--merge', '2');
    expect(merged.status, merged.stderr).toBe(0);
    expect(merged.stdout).toMatch(/^merged 4 slices into 2/);
    const m = JSON.parse(readFileSync(join(rec, 'recording.json'), 'utf8')) as { devicePlugins: Array<{ object: string; sha256: string }> };
    // The copy survives gc and merge: the module file as recorded, byte for byte.
    const copy = await new FsObjectStore(rec, { packs: true }).get(m.devicePlugins[0].object);
    expect(Buffer.from(copy)).toEqual(readFileSync(EXAMPLE));
    expect(m.devicePlugins[0].sha256).toBe(sha(EXAMPLE));
    expect(prnr('replay', rec, '-q').status).toBe(2); // still refused: replays need the module
  }, 120_000);

  it('says what is wrong with a --device value, in one line', () => {
    const missing = prnr('record', '-o', join(tmp, 'x.rec'), '--device', join(tmp, 'nope.mjs'), '--max-insns', '1000');
    expect(missing.status).toBe(2);
    expect(missing.stderr.trim()).toBe(`prnr: --device ${join(tmp, 'nope.mjs')}: device module ${join(tmp, 'nope.mjs')} is missing`);
    const bad = prnr('run', '--device', `${EXAMPLE},irq`);
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim()).toBe(`prnr: --device ${EXAMPLE},irq: 'irq' is not key=value`);
    expect(existsSync(join(tmp, 'x.rec'))).toBe(false);
  });
});
