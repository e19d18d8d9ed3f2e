/**
 * Jobs over a real recording: verify, replay, diagnose and seek on the inline and
 * worker-thread executors, progress as server-sent events, the limit on
 * concurrent jobs; and the recording files served to distributed workers,
 * read by @prnr/scheduler's HTTP reader and by queue workers through Redis.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRecording, readManifest, replaySlice, type RecordingManifest } from '@prnr/recording';
import { reachableObjects } from '@prnr/snapshot';
import { openHttpRecording, startQueueWorker } from '@prnr/scheduler';
import { buildApp, startServer, type ServerOptions } from './app.js';
import type { JobInfo, ReplayJobResult, SeekJobResult, SyscallTraceInfo } from './api-types.js';
import { GUEST_PROFILE, recordFixture } from './testing/fixture-recording.js';
import { parseSse, tempDir, type SseEvent } from './testing/helpers.js';
import { redis as redisTool } from './testing/host-tools.js';

const STEPS = 30_000_000;
const root = tempDir('jobs');
let manifest: RecordingManifest;
const apps: FastifyInstance[] = [];
const children: ChildProcess[] = [];

beforeAll(async () => {
  await recordFixture({ dir: join(root, 'short.rec'), steps: STEPS, sliceSteps: 6_000_000 });
  manifest = readManifest(join(root, 'short.rec'));
}, 120_000);

afterAll(async () => {
  for (const a of apps) await a.close();
  for (const c of children) c.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

async function makeApp(o: Partial<ServerOptions> = {}): Promise<FastifyInstance> {
  const app = buildApp({ recordingsDir: root, host: '127.0.0.1', executor: 'inline', ...o });
  apps.push(app);
  await app.ready();
  return app;
}

async function startJob(app: FastifyInstance, body: object, name = 'short.rec'): Promise<string> {
  const r = await app.inject({ method: 'POST', url: `/api/recordings/${name}/jobs`, payload: body });
  expect(r.statusCode, r.body).toBe(202);
  return (JSON.parse(r.body) as { id: string }).id;
}

/** Follows the job's event stream to its end (inject resolves when the server ends the stream). */
async function follow(app: FastifyInstance, id: string): Promise<{ events: SseEvent[]; job: JobInfo }> {
  const r = await app.inject({ method: 'GET', url: `/api/jobs/${id}/events` });
  expect(r.statusCode).toBe(200);
  expect(r.headers['content-type']).toMatch(/^text\/event-stream/);
  const events = parseSse(r.body);
  const job = JSON.parse((await app.inject({ method: 'GET', url: `/api/jobs/${id}` })).body) as JobInfo;
  return { events, job };
}

describe('jobs on the inline executor', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await makeApp();
  });

  it('verify: slices light up one by one over SSE, every one verified, then the job is done', async () => {
    const id = await startJob(app, { type: 'verify' });
    const { events, job } = await follow(app, id);
    expect(events[0].event).toBe('state');
    expect(events[0].data.job.progress).toHaveLength(5);
    const progress = events.filter((e) => e.event === 'progress');
    expect(new Set(progress.map((e) => e.data.slice)).size).toBe(5);
    expect(progress.every((e) => e.data.total === 6_000_000 && e.data.done <= e.data.total)).toBe(true);
    const tasks = events.filter((e) => e.event === 'task');
    expect(tasks.map((e) => e.data.slice)).toEqual([0, 1, 2, 3, 4]);
    expect(tasks.every((e) => e.data.verified && !e.data.diverged && e.data.mips > 0)).toBe(true);
    expect(events.at(-1)).toEqual({ event: 'done', data: { type: 'done', status: 'done' } });

    expect(job.status).toBe('done');
    const result = job.result as ReplayJobResult;
    expect(result.verified).toBe(true);
    expect(result.slices.map((s) => s.endState)).toEqual(manifest.slices.map((s) => s.endState));
    expect(result.mips).toBeGreaterThan(0);
    expect(job.progress.map((p) => p.state)).toEqual(Array(5).fill('verified'));
    expect(job.progress.every((p) => p.done === p.total && p.mips > 0)).toBe(true);

    // A late reader gets the final state and the end at once.
    const late = parseSse((await app.inject({ method: 'GET', url: `/api/jobs/${id}/events` })).body);
    expect(late.map((e) => e.event)).toEqual(['state', 'done']);
    expect(late[0].data.job.status).toBe('done');
    // Jobs of a recording, newest first, without their results.
    const list = JSON.parse((await app.inject({ method: 'GET', url: '/api/recordings/short.rec/jobs' })).body) as { jobs: JobInfo[] };
    expect(list.jobs[0].id).toBe(id);
    expect(list.jobs[0].result).toBeUndefined();
  });

  it('replay with analyses: the merged results come back', async () => {
    const { job } = await follow(app, await startJob(app, { type: 'replay', analyses: ['console', 'profile'], slices: [0, 1, 2] }));
    const result = job.result as ReplayJobResult;
    expect(result.slices.map((s) => s.slice)).toEqual([0, 1, 2]);
    expect((result.analyses.console as { text: string }).text).toContain('OpenSBI');
    const profile = result.analyses.profile as { steps: Record<string, number> };
    expect(profile.steps.U + profile.steps.S + profile.steps.M).toBe(18_000_000);
  });

  it('seek: the console, registers and instruction at any icount', async () => {
    const at = 17_654_321;
    const { job, events } = await follow(app, await startJob(app, { type: 'seek', icount: at }));
    expect(job.status, job.error).toBe('done');
    expect(events.at(-1)!.event).toBe('done');
    const r = job.result as SeekJobResult;
    expect(r.icount).toBe(at);
    expect(r.slice).toBe(2);
    expect(r.pc).toMatch(/^0x[0-9a-f]{16}$/);
    expect(r.registers.sp).toMatch(/^0x[0-9a-f]{16}$/);
    expect(r.disassembly.length).toBeGreaterThan(1);
    expect(r.console).toContain('OpenSBI');
    const earlier = (await follow(app, await startJob(app, { type: 'seek', icount: 1_000_000 }))).job.result as SeekJobResult;
    expect(r.console.startsWith(earlier.console)).toBe(true);
    expect(r.console.length).toBeGreaterThan(earlier.console.length);
  });

  it('diagnose: needs the syscalls analysis; without it, a 400 that says so', async () => {
    const features = JSON.parse((await app.inject({ method: 'GET', url: '/api/features' })).body) as { diagnosis: boolean };
    const r = await app.inject({ method: 'POST', url: '/api/recordings/short.rec/jobs', payload: { type: 'diagnose', slices: [4] } });
    if (!features.diagnosis) {
      expect(r.statusCode).toBe(400);
      expect(JSON.parse(r.body).error).toMatch(/^diagnosis is not available on this server: /);
      return;
    }
    expect(r.statusCode).toBe(202);
    const { job } = await follow(app, (JSON.parse(r.body) as { id: string }).id);
    expect(job.status, job.error).toBe('done');
    expect((job.result as ReplayJobResult).analyses.syscalls).toBeDefined();
    // The recording's own profile fits it.
    expect((job.result as ReplayJobResult).warnings).toEqual([]);
  });
});

describe('diagnose warnings', () => {
  it("a fallback profile that does not fit the recording: the job says so; the guest's own profile: no warning", async () => {
    const rec = join(root, 'no-profile.rec');
    // A whole run (boot, poweroff): the calls of its user processes are what a profile attributes.
    await recordFixture({ dir: rec, steps: 400_000_000, sliceSteps: 50_000_000, profile: false });
    // As another kernel's profile reads this one: task_struct 16 bytes longer before pid, tgid and comm.
    const profile = JSON.parse(readFileSync(GUEST_PROFILE, 'utf8')) as { offsets: { task_struct: Record<string, number> } };
    for (const f of ['pid', 'tgid', 'comm']) profile.offsets.task_struct[f] += 16;
    const other = join(root, 'other-kernel.json');
    writeFileSync(other, JSON.stringify(profile));
    const diagnose = async (profilePath: string) => {
      const app = await makeApp({ profilePath });
      const features = JSON.parse((await app.inject({ method: 'GET', url: '/api/features' })).body) as { diagnosis: boolean };
      if (!features.diagnosis) return null;
      const { job } = await follow(app, await startJob(app, { type: 'diagnose' }, 'no-profile.rec'));
      expect(job.status, job.error).toBe('done');
      return job.result as ReplayJobResult;
    };
    const wrong = await diagnose(other);
    if (!wrong) return; // no diagnosis on this server: the 400 is tested above
    expect(wrong.warnings).toEqual([expect.stringMatching(/^the server's guest profile \(profilePath\) looks wrong for this recording: \d+ of \d+ system calls are attributed to /)]);
    const right = (await diagnose(GUEST_PROFILE))!;
    expect((right.analyses.syscalls as SyscallTraceInfo).events.length).toBeGreaterThan(0);
    expect(right.warnings).toEqual([]);
  }, 120_000);
});

describe('limits', () => {
  it('no more than maxConcurrentJobs at once: 429 until one finishes', async () => {
    const app = await makeApp({ maxConcurrentJobs: 1 });
    const first = await startJob(app, { type: 'verify', slices: [0, 1] });
    const refused = await app.inject({ method: 'POST', url: '/api/recordings/short.rec/jobs', payload: { type: 'seek', icount: 5 } });
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['retry-after']).toBe('5');
    expect(JSON.parse(refused.body)).toEqual({ error: '1 jobs are running, the limit is 1: try again when one finishes' });
    // The server keeps answering while the job runs.
    expect((await app.inject({ method: 'GET', url: '/api/recordings' })).statusCode).toBe(200);
    await follow(app, first);
    await follow(app, await startJob(app, { type: 'seek', icount: 5 }));
  });
});

describe('jobs on worker threads', () => {
  it('verify with two threads: the same end states, per-slice speed', async () => {
    const built = fileURLToPath(new URL('../../../packages/scheduler/dist/thread-worker.js', import.meta.url));
    if (!existsSync(built)) throw new Error(`${built} is missing: run \`pnpm build\` first (\`pnpm test\` does)`);
    const app = await makeApp({ executor: 'threads' });
    // allLanes: this recording is too short for the planner to start a second lane by itself.
    const { job, events } = await follow(app, await startJob(app, { type: 'verify', parallel: 2, allLanes: true }));
    expect(job.lanes?.used).toBe(2);
    expect(job.status, job.error).toBe('done');
    const result = job.result as ReplayJobResult;
    expect(result.verified).toBe(true);
    expect(result.slices.map((s) => s.endState)).toEqual(manifest.slices.map((s) => s.endState));
    expect(events.filter((e) => e.event === 'task').map((e) => e.data.slice).sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it('takes the lanes the CLI would: one of the two asked on this short recording, the reason in the job', async () => {
    const app = await makeApp({ executor: 'threads' });
    const { job } = await follow(app, await startJob(app, { type: 'verify', parallel: 2 }));
    expect(job.status, job.error).toBe('done');
    expect(job.lanes).toEqual({ used: 1, asked: 2, reason: expect.stringMatching(/^1 lane\(s\) of 2 asked: .*too short/) });
    expect((job.result as ReplayJobResult).slices.map((s) => s.endState)).toEqual(manifest.slices.map((s) => s.endState));
  });
});

describe('verify reads back every stored snapshot, as `prnr verify` does', () => {
  it('an object only a later snapshot has, damaged in its pack: that slice fails, the job fails naming it, the others verify', async () => {
    const rec = join(root, 'packed.rec');
    await recordFixture({ dir: rec, steps: 18_000_000, sliceSteps: 6_000_000, objectLayout: 'packs' });
    const m = readManifest(rec);
    expect(m.slices).toHaveLength(3);
    const { store } = openRecording(rec);
    // Slice 2's snapshot is never restored by one lane running straight through from slice 0.
    const before = await reachableObjects([m.slices[0].snapshot, m.slices[1].snapshot], store);
    const only = [...(await reachableObjects(m.slices[2].snapshot, store))].find((h) => !before.has(h))!;
    const at = store.locate(only)!;
    expect(at.file).toMatch(/\.pack$/);
    const bytes = readFileSync(at.file);
    bytes[at.offset + at.length - 1] ^= 0x40; // the last byte of its body
    writeFileSync(at.file, bytes);

    const app = await makeApp({ executor: 'threads' });
    const { job, events } = await follow(app, await startJob(app, { type: 'verify', parallel: 1 }, 'packed.rec'));
    expect(job.lanes?.used).toBe(1);
    expect(job.status).toBe('failed');
    expect(job.error).toMatch(new RegExp(`^1 of 3 slice\\(s\\) did not replay to their recorded state; slice 2: its stored snapshot cannot be restored: .*object ${only} in packed\\.rec/objects/.*\\.pack at offset \\d+ is corrupt`));
    const result = job.result as ReplayJobResult;
    expect(result.verified).toBe(false);
    expect(result.slices.map((s) => [s.slice, s.verified])).toEqual([[0, true], [1, true], [2, false]]);
    // The replay itself reached slice 2's recorded end state; the read-back is what fails it.
    expect(result.slices[2].endState).toBe(m.slices[2].endState);
    expect(job.progress.map((p) => p.state)).toEqual(['verified', 'verified', 'failed']);
    expect(job.progress[2].error).toBe(result.slices[2].error);
    // The page following the job hears of it: the last task event for slice 2 is its failure.
    const last2 = events.filter((e) => e.event === 'task' && e.data.slice === 2).at(-1)!;
    expect(last2.data).toMatchObject({ verified: false, diverged: false, error: result.slices[2].error });
    expect(job.error).not.toContain(root);
    // A replay job does not read snapshots back: it reports what the replay did.
    const replay = await follow(app, await startJob(app, { type: 'replay', analyses: [], parallel: 1 }, 'packed.rec'));
    expect(replay.job.status, replay.job.error).toBe('done');
  }, 180_000);
});

describe('recording files for distributed workers', () => {
  it("@prnr/scheduler's HTTP reader replays a slice from a listening server", async () => {
    const server = await startServer({ recordingsDir: root, host: '127.0.0.1', port: 0, executor: 'inline' });
    apps.push(server.app);
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const source = await openHttpRecording(`${server.url}/recordings/short.rec`);
    expect(source.manifest.slices.length).toBe(5);
    expect(await source.store.has(manifest.slices[1].snapshot)).toBe(true);
    expect(await source.store.has('0'.repeat(64))).toBe(false);
    const r = await replaySlice(source, 3);
    expect(r.verified).toBe(true);
    expect(r.endState).toBe(manifest.slices[3].endState);
  });

  it.skipIf(redisTool.skip)('a verify job on Redis queue workers that read the recording over HTTP from this server', async () => {
    redisTool.require();
    const port = await freePort();
    const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']);
    children.push(redis);
    await new Promise<void>((resolve, reject) => {
      let out = '';
      redis.stdout!.on('data', (d) => {
        out += d;
        if (out.includes('Ready to accept connections')) resolve();
      });
      redis.on('exit', (c) => reject(new Error(`redis-server exited (${c}): ${out}`)));
    });
    const redisUrl = `redis://127.0.0.1:${port}`;
    const serverPort = await freePort();
    const url = `http://127.0.0.1:${serverPort}`;
    const server = await startServer({ recordingsDir: root, host: '127.0.0.1', port: serverPort, executor: { redis: redisUrl, recordingsUrl: url } });
    apps.push(server.app);
    const seen: string[] = [];
    const worker = startQueueWorker({ redis: redisUrl, onTask: (t) => seen.push('url' in t.recording ? t.recording.url : t.recording.dir) });
    try {
      const { job } = await follow(server.app, await startJob(server.app, { type: 'verify', slices: [1, 2] }));
      expect(job.status, job.error).toBe('done');
      expect((job.result as ReplayJobResult).verified).toBe(true);
      expect(seen).toEqual([`${url}/recordings/short.rec`, `${url}/recordings/short.rec`]);
    } finally {
      await worker.close();
    }
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
