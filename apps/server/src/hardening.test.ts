/**
 * The server as an attacker and a careless user would use it: a page on
 * another site (DNS rebinding, cross-site posts), links and FIFOs placed in
 * the served directory, long names, a job whose slices fail, and cancelling.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readManifest } from '@prnr/recording';
import { buildApp } from './app.js';
import type { JobInfo } from './api-types.js';
import { recordFixture } from './testing/fixture-recording.js';
import { tempDir } from './testing/helpers.js';

const root = tempDir('hardening');
let app: FastifyInstance;
const LONG = `a${'b'.repeat(126)}`; // 127 characters: a valid name

beforeAll(async () => {
  await recordFixture({ dir: join(root, 'short.rec'), steps: 12_000_000, sliceSteps: 4_000_000 });
  cpSync(join(root, 'short.rec'), join(root, LONG), { recursive: true });
  // A recording whose slice 1 is said to end in another state: its replay cannot verify.
  cpSync(join(root, 'short.rec'), join(root, 'lies.rec'), { recursive: true });
  const m = readManifest(join(root, 'lies.rec'));
  m.slices[1].endState = m.slices[1].endState.replace(/^./, (c) => (c === '0' ? '1' : '0'));
  writeFileSync(join(root, 'lies.rec', 'recording.json'), JSON.stringify(m));
  // A link to a file outside, placed where a segment would be, and a directory that is a link.
  symlinkSync('/etc/passwd', join(root, 'short.rec', 'log', 'x.seg'));
  symlinkSync(join(root, 'short.rec'), join(root, 'linked.rec'));
  // A FIFO named recording.json: reading it would hang the listing.
  mkdirSync(join(root, 'fifo.rec'));
  execFileSync('mkfifo', [join(root, 'fifo.rec', 'recording.json')]);
  app = buildApp({ recordingsDir: root, host: '127.0.0.1', executor: 'inline' });
  await app.ready();
}, 120_000);

afterAll(async () => {
  await app?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('DNS rebinding and cross-site requests', () => {
  it('on loopback, a request naming another host is refused; loopback names with or without a port are served', async () => {
    for (const host of ['rebind.evil.example:8470', 'rebind.evil.example', '10.0.0.5:8470', 'localhost.evil.example']) {
      const r = await app.inject({ method: 'GET', url: '/api/recordings', headers: { host } });
      expect(r.statusCode, host).toBe(403);
      expect(JSON.parse(r.body).error).toMatch(/DNS rebinding/);
    }
    const up = await app.inject({ method: 'POST', url: '/api/recordings?name=evil.rec', headers: { host: 'rebind.evil.example:8470', 'content-type': 'application/gzip' }, payload: Buffer.alloc(10) });
    expect(up.statusCode).toBe(403);
    for (const host of ['127.0.0.1:8470', 'localhost:8470', '[::1]:8470', 'localhost', '127.0.0.2']) {
      expect((await app.inject({ method: 'GET', url: '/api/recordings', headers: { host } })).statusCode, host).toBe(200);
    }
  });

  it('a state-changing request from a page of another origin is refused; from the server\'s own page it is taken', async () => {
    const post = (origin: string) => app.inject({ method: 'POST', url: '/api/recordings/short.rec/jobs', headers: { host: '127.0.0.1:8470', origin }, payload: { type: 'seek', icount: 1000 } });
    for (const origin of ['http://rebind.evil.example:8470', 'null', 'http://127.0.0.1:9999']) {
      const r = await post(origin);
      expect(r.statusCode, origin).toBe(403);
      expect(JSON.parse(r.body).error).toMatch(/only this server's own pages/);
    }
    const ok = await post('http://127.0.0.1:8470');
    expect(ok.statusCode, ok.body).toBe(202);
    await waitFor((JSON.parse(ok.body) as JobInfo).id);
  }, 120_000);
});

describe('the served directory', () => {
  it('links are not followed: a linked segment and a linked recording directory are not served', async () => {
    const seg = await app.inject({ method: 'GET', url: '/recordings/short.rec/log/x.seg' });
    expect(seg.statusCode).toBe(404);
    expect(seg.body).not.toContain('root:');
    expect((await app.inject({ method: 'GET', url: '/recordings/linked.rec/recording.json' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/recordings/short.rec/log/000000.seg' })).statusCode).toBe(200);
  });

  it('a FIFO named recording.json does not hang the listing, and is no recording', async () => {
    const r = await app.inject({ method: 'GET', url: '/api/recordings' });
    expect(r.statusCode).toBe(200);
    const names = (JSON.parse(r.body) as { recordings: { name: string }[] }).recordings.map((x) => x.name);
    expect(names).toContain('short.rec');
    expect(names).not.toContain('fifo.rec');
    expect(names).not.toContain('linked.rec');
    expect((await app.inject({ method: 'GET', url: '/api/recordings/fifo.rec' })).statusCode).toBe(404);
  });

  it('a recording with a name of 127 characters can be reached (names and routes agree)', async () => {
    const r = await app.inject({ method: 'GET', url: `/api/recordings/${LONG}` });
    expect(r.statusCode, r.body).toBe(200);
    expect((await app.inject({ method: 'GET', url: `/recordings/${LONG}/recording.json` })).statusCode).toBe(200);
  });

  it('the code a recording carries is served to remote workers', async () => {
    const r = await app.inject({ method: 'GET', url: '/recordings/short.rec/code-cache.bin' });
    expect(r.statusCode).toBe(200);
    expect(r.rawPayload.equals(readFileSync(join(root, 'short.rec', 'code-cache.bin')))).toBe(true);
  });
});

async function waitFor(id: string): Promise<JobInfo> {
  for (let i = 0; i < 600; i++) {
    const job = JSON.parse((await app.inject({ method: 'GET', url: `/api/jobs/${id}` })).body) as JobInfo;
    if (job.status !== 'running') return job;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`job ${id} still running after 60 s`);
}

describe('jobs', () => {
  it('a verify job whose slice does not reach its recorded state ends as failed, saying which', async () => {
    const r = await app.inject({ method: 'POST', url: '/api/recordings/lies.rec/jobs', payload: { type: 'verify' } });
    expect(r.statusCode, r.body).toBe(202);
    const job = await waitFor((JSON.parse(r.body) as JobInfo).id);
    expect(job.status).toBe('failed');
    expect(job.error).toMatch(/^1 of 3 slice\(s\) did not replay to their recorded state; slice 1: /);
  }, 120_000);

  it('a running job can be cancelled; a finished one cannot', async () => {
    const r = await app.inject({ method: 'POST', url: '/api/recordings/short.rec/jobs', payload: { type: 'verify' } });
    const id = (JSON.parse(r.body) as JobInfo).id;
    const c = await app.inject({ method: 'DELETE', url: `/api/jobs/${id}` });
    expect(c.statusCode, c.body).toBe(200);
    expect((JSON.parse(c.body) as JobInfo).status).toBe('cancelled');
    expect((await waitFor(id)).status).toBe('cancelled');
    const again = await app.inject({ method: 'DELETE', url: `/api/jobs/${id}` });
    expect(again.statusCode).toBe(409);
    expect((await app.inject({ method: 'DELETE', url: '/api/jobs/no-such-job' })).statusCode).toBe(404);
  }, 120_000);
});
