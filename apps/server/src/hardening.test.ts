/**
 * The server as an attacker and a careless user would use it: a page on
 * another site (DNS rebinding, cross-site posts), links, FIFOs and oversized
 * manifests placed in the served directory, long names, malformed HTTP, jobs
 * whose slices fail, cancelling (and that a cancelled job really stops), and
 * two jobs at once in the server's own thread.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MANIFEST_FILE, readManifest } from '@prnr/recording';
import { buildApp, startServer, type RunningServer } from './app.js';
import type { JobInfo, RecordingSummary } from './api-types.js';
import { recordFixture } from './testing/fixture-recording.js';
import { tempDir } from './testing/helpers.js';

const root = tempDir('hardening');
/** Outside the served directory: where links placed in it lead. */
const outside = tempDir('hardening-outside');
let app: FastifyInstance;
const LONGEST = `a${'b'.repeat(127)}`; // 128 characters: the longest valid name
/** Long enough that a job cancelled early has seconds of work left: 15 slices of 8M steps. */
const LONG_STEPS = 120_000_000;
const LONG_SLICE = 8_000_000;

beforeAll(async () => {
  await recordFixture({ dir: join(root, 'short.rec'), steps: 12_000_000, sliceSteps: 4_000_000 });
  await recordFixture({ dir: join(root, 'long.rec'), steps: LONG_STEPS, sliceSteps: LONG_SLICE });
  cpSync(join(root, 'short.rec'), join(root, LONGEST), { recursive: true });
  // A recording whose last slice is said to end in another state: its replay cannot verify (the last, since a slice must start from the one before's end state).
  cpSync(join(root, 'short.rec'), join(root, 'lies.rec'), { recursive: true });
  const m = readManifest(join(root, 'lies.rec'));
  m.slices[2].endState = m.slices[2].endState.replace(/^./, (c) => (c === '0' ? '1' : '0'));
  writeFileSync(join(root, 'lies.rec', 'recording.json'), JSON.stringify(m));
  // A recording that keeps 11 of its objects (the issue's: 11 of 3,929), placed straight into the served directory.
  cpSync(join(root, 'short.rec'), join(root, 'hollow.rec'), { recursive: true });
  let kept = 0;
  for (const sub of readdirSync(join(root, 'hollow.rec', 'objects'))) {
    for (const f of readdirSync(join(root, 'hollow.rec', 'objects', sub))) if (++kept > 11) rmSync(join(root, 'hollow.rec', 'objects', sub, f));
  }
  // Links to files outside, placed where a segment and an object directory would be, and a directory that is a link.
  cpSync(join(root, 'short.rec'), join(root, 'traps.rec'), { recursive: true });
  symlinkSync('/etc/passwd', join(root, 'traps.rec', 'log', 'x.seg'));
  symlinkSync(join(root, 'short.rec'), join(root, 'linked.rec'));
  cpSync(join(root, 'short.rec'), join(root, 'linkdir.rec'), { recursive: true });
  const hash = m.slices[0].snapshot;
  const linkedObjects = join(root, 'linkdir.rec', 'objects', hash.slice(0, 2));
  rmSync(linkedObjects, { recursive: true });
  symlinkSync(join(root, 'short.rec', 'objects', hash.slice(0, 2)), linkedObjects);
  // Recordings whose log/ is a link to a directory outside, and whose code-cache.bin is a link to a file.
  cpSync(join(root, 'short.rec'), join(root, 'linklog.rec'), { recursive: true });
  cpSync(join(root, 'short.rec', 'log'), join(outside, 'log'), { recursive: true });
  rmSync(join(root, 'linklog.rec', 'log'), { recursive: true });
  symlinkSync(join(outside, 'log'), join(root, 'linklog.rec', 'log'));
  cpSync(join(root, 'short.rec'), join(root, 'linkcache.rec'), { recursive: true });
  cpSync(join(root, 'short.rec', 'code-cache.bin'), join(outside, 'code-cache.bin'));
  rmSync(join(root, 'linkcache.rec', 'code-cache.bin'));
  symlinkSync(join(outside, 'code-cache.bin'), join(root, 'linkcache.rec', 'code-cache.bin'));
  // A FIFO named recording.json would hang a read of it; a FIFO where a segment would be, too.
  mkdirSync(join(root, 'fifo.rec'));
  execFileSync('mkfifo', [join(root, 'fifo.rec', 'recording.json')]);
  execFileSync('mkfifo', [join(root, 'traps.rec', 'log', 'fifo.seg')]);
  // A recording.json over the size limit (a valid manifest, padded with spaces).
  mkdirSync(join(root, 'huge.rec'));
  writeFileSync(join(root, 'huge.rec', MANIFEST_FILE), JSON.stringify(m) + ' '.repeat(17 * 1024 * 1024));
  app = buildApp({ recordingsDir: root, host: '127.0.0.1', executor: 'inline' });
  await app.ready();
}, 180_000);

afterAll(async () => {
  await app?.close();
  rmSync(root, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

const json = (r: { body: string }) => JSON.parse(r.body) as any;

/** One raw HTTP exchange over TCP with a listening server: whatever it answers before it closes (bounded by a timer). */
function rawRequest(url: string, request: string | Buffer): Promise<{ status: number; headers: string; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname.replace(/^\[|\]$/g, ''), port: Number(port) });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(new Error(`no complete answer in 10 s; got: ${Buffer.concat(chunks).toString().slice(0, 200)}`)), 10_000);
    socket.on('connect', () => socket.write(request));
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('utf8');
      const [head, ...rest] = text.split('\r\n\r\n');
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), headers: head, body: rest.join('\r\n\r\n') });
    });
  });
}

/** A 4xx whose body is exactly { error: "one line" }, and no stack. */
function expectOneLineError(r: { status?: number; statusCode?: number; body: string }, status: number): string {
  expect(r.status ?? r.statusCode, r.body).toBe(status);
  const body = JSON.parse(r.body) as { error: string };
  expect(Object.keys(body)).toEqual(['error']);
  expect(body.error).not.toMatch(/\n/);
  expect(body.error.length).toBeGreaterThan(3);
  expect(r.body).not.toMatch(/\bat .+\.(ts|js):\d+/);
  expect(r.body).not.toContain(root);
  return body.error;
}

describe('DNS rebinding and cross-site requests', () => {
  it('on loopback, a request naming another host is refused; loopback names with or without a port are served', async () => {
    for (const host of ['rebind.evil.example:8470', 'rebind.evil.example', '10.0.0.5:8470', 'localhost.evil.example', '127.0.0.1.evil.example', '127.999.0.1:8470', 'localhost:8470:1']) {
      const r = await app.inject({ method: 'GET', url: '/api/recordings', headers: { host } });
      expect(r.statusCode, host).toBe(403);
      expect(json(r).error).toMatch(/DNS rebinding/);
    }
    const up = await app.inject({ method: 'POST', url: '/api/recordings?name=evil.rec', headers: { host: 'rebind.evil.example:8470', 'content-type': 'application/gzip' }, payload: Buffer.alloc(10) });
    expect(up.statusCode).toBe(403);
    for (const host of ['127.0.0.1:8470', 'localhost:8470', '[::1]:8470', 'localhost', '127.0.0.2', 'LOCALHOST:8470']) {
      expect((await app.inject({ method: 'GET', url: '/api/recordings', headers: { host } })).statusCode, host).toBe(200);
    }
  });

  it('through a real socket, a rebound name reaches neither the recordings, their files, jobs, uploads nor the page', async () => {
    const server = await startServer({ recordingsDir: root, host: '127.0.0.1', port: 0, executor: 'inline' });
    try {
      const port = new URL(server.url).port;
      const evil = `rebind.evil.example:${port}`;
      const requests = [
        `GET /api/recordings HTTP/1.1\r\nHost: ${evil}\r\nConnection: close\r\n\r\n`,
        `GET /recordings/short.rec/recording.json HTTP/1.1\r\nHost: ${evil}\r\nConnection: close\r\n\r\n`,
        `GET / HTTP/1.1\r\nHost: ${evil}\r\nConnection: close\r\n\r\n`,
        'GET /api/recordings HTTP/1.0\r\n\r\n', // no Host at all
        `POST /api/recordings/short.rec/jobs HTTP/1.1\r\nHost: ${evil}\r\nOrigin: http://${evil}\r\nContent-Type: application/json\r\nContent-Length: 17\r\nConnection: close\r\n\r\n{"type":"verify"}`,
        `POST /api/recordings?name=evil.rec HTTP/1.1\r\nHost: ${evil}\r\nOrigin: http://${evil}\r\nContent-Type: application/gzip\r\nContent-Length: 4\r\nConnection: close\r\n\r\nabcd`,
      ];
      for (const req of requests) expect(expectOneLineError(await rawRequest(server.url, req), 403), req.split('\r\n')[0]).toMatch(/DNS rebinding/);
      const jobs = json(await server.app.inject({ method: 'GET', url: '/api/jobs' })).jobs as JobInfo[];
      expect(jobs).toEqual([]);
      expect(readdirSync(root)).not.toContain('evil.rec');
    } finally {
      await server.close();
    }
  });

  it('a state-changing request from a page of another origin is refused; from the server\'s own page it is taken', async () => {
    const post = (headers: Record<string, string>) => app.inject({ method: 'POST', url: '/api/recordings/short.rec/jobs', headers: { host: '127.0.0.1:8470', ...headers }, payload: { type: 'seek', icount: 1000 } });
    for (const origin of ['http://rebind.evil.example:8470', 'null', 'http://127.0.0.1:9999', 'http://localhost:8470', 'http://127.0.0.1:8470/path', 'garbage']) {
      const r = await post({ origin });
      expect(r.statusCode, origin).toBe(403);
      expect(json(r).error).toMatch(/only this server's own pages/);
    }
    // No Origin, but the browser's Fetch Metadata says another site sent it.
    for (const site of ['cross-site', 'same-site']) expect((await post({ 'sec-fetch-site': site })).statusCode, site).toBe(403);
    // Cancelling is a change too.
    const del = await app.inject({ method: 'DELETE', url: '/api/jobs/some-job', headers: { host: '127.0.0.1:8470', origin: 'http://rebind.evil.example:8470' } });
    expect(del.statusCode).toBe(403);
    const ok = await post({ origin: 'http://127.0.0.1:8470', 'sec-fetch-site': 'same-origin' });
    expect(ok.statusCode, ok.body).toBe(202);
    await waitFor(json(ok).id);
    // Port 80 is the scheme's default: the browser leaves it out of Origin, some clients keep it in Host.
    const port80 = await app.inject({ method: 'POST', url: '/api/recordings/short.rec/jobs', headers: { host: '127.0.0.1:80', origin: 'http://127.0.0.1' }, payload: { type: 'seek', icount: 1000 } });
    expect(port80.statusCode, port80.body).toBe(202);
    await waitFor(json(port80).id);
  }, 120_000);

  it('off loopback the bearer token guards instead: any Host name, the token required; foreign origins still refused', async () => {
    const token = 'correct-horse-battery-staple';
    const open = buildApp({ recordingsDir: root, host: '0.0.0.0', token, executor: 'inline' });
    try {
      const auth = { authorization: `Bearer ${token}` };
      expect((await open.inject({ method: 'GET', url: '/api/recordings', headers: { host: 'prnr.example.org:8470', ...auth } })).statusCode).toBe(200);
      expect((await open.inject({ method: 'GET', url: '/api/recordings', headers: { host: 'prnr.example.org:8470' } })).statusCode).toBe(401);
      const cross = await open.inject({ method: 'POST', url: '/api/recordings/short.rec/jobs', headers: { host: 'prnr.example.org:8470', origin: 'http://evil.example', ...auth }, payload: { type: 'verify' } });
      expect(cross.statusCode).toBe(403);
    } finally {
      await open.close();
    }
  });
});

describe('the served directory', () => {
  it('links are not followed: a linked segment, a linked object directory and a linked recording directory are not served', async () => {
    const seg = await app.inject({ method: 'GET', url: '/recordings/traps.rec/log/x.seg' });
    expect(seg.statusCode).toBe(404);
    expect(seg.body).not.toContain('root:');
    expect((await app.inject({ method: 'GET', url: '/recordings/linked.rec/recording.json' })).statusCode).toBe(404);
    const h = readManifest(join(root, 'short.rec')).slices[0].snapshot;
    expect((await app.inject({ method: 'GET', url: `/recordings/linkdir.rec/objects/${h}` })).statusCode).toBe(404);
    expect((await app.inject({ method: 'HEAD', url: `/recordings/linkdir.rec/objects/${h}` })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: `/recordings/short.rec/objects/${h}` })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/recordings/short.rec/log/000000.seg' })).statusCode).toBe(200);
  });

  it('a FIFO named recording.json does not hang the listing and is no recording; a FIFO segment is not served', async () => {
    const r = await app.inject({ method: 'GET', url: '/api/recordings' });
    expect(r.statusCode).toBe(200);
    const names = (json(r) as { recordings: { name: string }[] }).recordings.map((x) => x.name);
    expect(names).toContain('short.rec');
    expect(names).not.toContain('fifo.rec');
    expect(names).not.toContain('linked.rec');
    expect((await app.inject({ method: 'GET', url: '/api/recordings/fifo.rec' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/recordings/fifo.rec/recording.json' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/recordings/traps.rec/log/fifo.seg' })).statusCode).toBe(404);
  });

  it('a job on a recording holding a link (to a directory or a file) or a FIFO is refused up front, naming the entry', async () => {
    const h = readManifest(join(root, 'short.rec')).slices[0].snapshot;
    const cases: [string, string][] = [
      ['linklog.rec', 'log is a symbolic link'],
      ['linkdir.rec', `objects/${h.slice(0, 2)} is a symbolic link`],
      ['linkcache.rec', 'code-cache.bin is a symbolic link'],
      ['traps.rec', 'log/fifo.seg is a FIFO'],
    ];
    for (const [name, what] of cases) {
      for (const payload of [{ type: 'seek', icount: 1000 }, { type: 'verify' }, { type: 'replay', analyses: ['console'] }]) {
        const r = await app.inject({ method: 'POST', url: `/api/recordings/${name}/jobs`, payload });
        const error = expectOneLineError(r, 422);
        expect(error, `${name} ${payload.type}`).toBe(`recording "${name}": ${what}: a job reads only regular files and directories, never through a link`);
        expect(r.body).not.toContain(outside);
      }
      // No job was started.
      expect(json(await app.inject({ method: 'GET', url: `/api/recordings/${name}/jobs` })).jobs).toEqual([]);
    }
    // The recording they were copied from, with no link in it, runs.
    const ok = await app.inject({ method: 'POST', url: '/api/recordings/short.rec/jobs', payload: { type: 'seek', icount: 1000 } });
    expect(ok.statusCode, ok.body).toBe(202);
    expect((await waitFor(json(ok).id)).status).toBe('done');
  }, 120_000);

  it('a recording.json over 16 MiB is not parsed: listed as invalid, a 422 to inspect, no job', async () => {
    const list = (json(await app.inject({ method: 'GET', url: '/api/recordings' })) as { recordings: RecordingSummary[] }).recordings;
    const huge = list.find((x) => x.name === 'huge.rec')!;
    expect(huge.status).toBe('invalid');
    expect(huge.error).toMatch(/recording\.json: \d+ bytes, more than the 16777216 a recording\.json may have/);
    expect(expectOneLineError(await app.inject({ method: 'GET', url: '/api/recordings/huge.rec' }), 422)).toMatch(/more than the 16777216/);
    expectOneLineError(await app.inject({ method: 'POST', url: '/api/recordings/huge.rec/jobs', payload: { type: 'verify' } }), 422);
  });

  it('a recording with a name of 128 characters (the longest) is reached by every route; 129 is a 400, never a 414', async () => {
    const r = await app.inject({ method: 'GET', url: `/api/recordings/${LONGEST}` });
    expect(r.statusCode, r.body).toBe(200);
    expect((await app.inject({ method: 'GET', url: `/recordings/${LONGEST}/recording.json` })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: `/recordings/${LONGEST}/log/000000.seg` })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: `/api/recordings/${LONGEST}/jobs` })).statusCode).toBe(200);
    const job = await app.inject({ method: 'POST', url: `/api/recordings/${LONGEST}/jobs`, payload: { type: 'verify' } });
    expect(job.statusCode, job.body).toBe(202);
    expect((await waitFor(json(job).id)).status).toBe('done');
    expect(expectOneLineError(await app.inject({ method: 'GET', url: `/api/recordings/${LONGEST}b` }), 400)).toMatch(/invalid recording name/);
    expectOneLineError(await app.inject({ method: 'GET', url: `/recordings/${LONGEST}b/recording.json` }), 400);
  }, 120_000);

  it('the code a recording carries is served to remote workers', async () => {
    const r = await app.inject({ method: 'GET', url: '/recordings/short.rec/code-cache.bin' });
    expect(r.statusCode).toBe(200);
    expect(r.rawPayload.equals(readFileSync(join(root, 'short.rec', 'code-cache.bin')))).toBe(true);
  });
});

describe('malformed HTTP', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer({ recordingsDir: root, host: '127.0.0.1', port: 0, executor: 'inline' });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('what the HTTP parser refuses is a 4xx with a one-line JSON error, and the server serves on', async () => {
    const cases: [string, string, number][] = [
      ['garbage', 'THIS IS NOT HTTP\r\n\r\n', 400],
      ['a header without a colon', 'GET /api/recordings HTTP/1.1\r\nHost: 127.0.0.1\r\nno colon here\r\n\r\n', 400],
      ['a bad Content-Length', 'POST /api/recordings/short.rec/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: abc\r\n\r\n', 400],
      ['a bad chunk', 'POST /api/recordings/short.rec/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n', 400],
      ['both Content-Length and chunked', 'POST /api/recordings/short.rec/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400],
      ['headers too large', `GET /api/recordings HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431],
      ['a URL too long', `GET /api/recordings/${'a'.repeat(20_000)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`, 414],
      ['a URL too long, its request line not ended', `GET /api/recordings/${'a'.repeat(20_000)}`, 414],
    ];
    const messages: Record<number, string> = { 400: 'malformed HTTP request', 414: 'the URL is too long', 431: 'the request headers are too large' };
    for (const [what, request, status] of cases) {
      const r = await rawRequest(server.url, request);
      expect(r.headers, what).toMatch(/content-type: application\/json/i);
      expect(expectOneLineError(r, status), what).toMatch(new RegExp(`^${messages[status]}`));
    }
    const ok = await rawRequest(server.url, 'GET /api/recordings HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
    expect(ok.status).toBe(200);
  });

  it('an HTTP/1.1 request without Host gets the host guard\'s answer, not Node\'s bare 400', async () => {
    const r = await rawRequest(server.url, 'GET /api/features HTTP/1.1\r\nConnection: close\r\n\r\n');
    expect(expectOneLineError(r, 403)).toBe('the request has no Host header: this server answers only to 127.0.0.1, localhost and [::1] (a guard against DNS rebinding)');
  });

  it('a URL the router cannot decode and a JSON body that is not JSON are 400s with one line', async () => {
    const cases = [
      'GET /api/recordings/%E0%A4%A HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n',
      'GET /recordings/%/recording.json HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n',
      'POST /api/recordings/short.rec/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 9\r\nConnection: close\r\n\r\n{"type":\n',
      `GET /recordings/${'a'.repeat(300)}/recording.json HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`,
    ];
    for (const request of cases) expectOneLineError(await rawRequest(server.url, request), 400);
  });
});

async function waitFor(id: string, a = app): Promise<JobInfo> {
  for (let i = 0; i < 1200; i++) {
    const job = json(await a.inject({ method: 'GET', url: `/api/jobs/${id}` })) as JobInfo;
    if (job.status !== 'running') return job;
    await sleep(100);
  }
  throw new Error(`job ${id} still running after 120 s`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until some slice of the job has made progress (so it is well under way). */
async function waitForProgress(a: FastifyInstance, id: string): Promise<JobInfo> {
  for (let i = 0; i < 1200; i++) {
    const job = json(await a.inject({ method: 'GET', url: `/api/jobs/${id}` })) as JobInfo;
    if (job.status !== 'running' || job.progress.some((p) => p.done > 0)) return job;
    await sleep(25);
  }
  throw new Error(`job ${id} made no progress in 30 s`);
}

/** CPU seconds this process (all its threads) spends over `ms`. */
async function cpuOver(ms: number): Promise<number> {
  const before = process.cpuUsage();
  await sleep(ms);
  const d = process.cpuUsage(before);
  return (d.user + d.system) / 1e6;
}

describe('jobs', () => {
  it('a verify job whose slice does not reach its recorded state ends as failed, saying which', async () => {
    const r = await app.inject({ method: 'POST', url: '/api/recordings/lies.rec/jobs', payload: { type: 'verify' } });
    expect(r.statusCode, r.body).toBe(202);
    const job = await waitFor(json(r).id);
    expect(job.status).toBe('failed');
    expect(job.error).toMatch(/^1 of 3 slice\(s\) did not replay to their recorded state; slice 2: /);
  }, 120_000);

  it('a verify job on a recording that lacks its objects ends as failed, every slice failed, naming a missing object', async () => {
    // On worker threads of its own: a thread that replayed another recording of the same guest holds most of these objects in its cache.
    const threads = buildApp({ recordingsDir: root, host: '127.0.0.1', executor: 'threads' });
    try {
      const r = await threads.inject({ method: 'POST', url: '/api/recordings/hollow.rec/jobs', payload: { type: 'verify', parallel: 1 } });
      expect(r.statusCode, r.body).toBe(202);
      await checkHollow(await waitFor(json(r).id, threads));
    } finally {
      await threads.close();
    }
  }, 120_000);

  async function checkHollow(job: JobInfo): Promise<void> {
    expect(job.status).toBe('failed');
    expect(job.error).toMatch(/^3 of 3 slice\(s\) did not replay to their recorded state; slice 0: .*missing/);
    expect(job.progress.map((p) => p.state)).toEqual(['failed', 'failed', 'failed']);
    expect(job.error).not.toContain(root);
  }

  it('a job that is not running cannot be cancelled (409), an unknown one is a 404', async () => {
    const r = await app.inject({ method: 'POST', url: '/api/recordings/short.rec/jobs', payload: { type: 'verify' } });
    const id = json(r).id as string;
    const c = await app.inject({ method: 'DELETE', url: `/api/jobs/${id}` });
    expect(c.statusCode, c.body).toBe(200);
    expect((json(c) as JobInfo).status).toBe('cancelled');
    const again = await app.inject({ method: 'DELETE', url: `/api/jobs/${id}` });
    expect(again.statusCode).toBe(409);
    expect(json(again).error).toMatch(/already ended \(cancelled\)/);
    expect((await app.inject({ method: 'DELETE', url: '/api/jobs/no-such-job' })).statusCode).toBe(404);
  }, 120_000);

  /** Cancels a verify of long.rec once it is under way; checks it stops (no CPU, no report after the cancel, its place free). */
  async function cancelAndCheck(a: FastifyInstance): Promise<void> {
    const r = await a.inject({ method: 'POST', url: '/api/recordings/long.rec/jobs', payload: { type: 'verify', parallel: 2 } });
    expect(r.statusCode, r.body).toBe(202);
    const id = json(r).id as string;
    const under = await waitForProgress(a, id);
    expect(under.status, 'the job ended before it could be cancelled: make long.rec longer').toBe('running');
    const c = await a.inject({ method: 'DELETE', url: `/api/jobs/${id}` });
    expect(c.statusCode, c.body).toBe(200);
    const atCancel = json(c) as JobInfo;
    expect(atCancel.status).toBe('cancelled');
    await sleep(300);
    // Seconds of replay were left: a job still replaying would take most of a core.
    expect(await cpuOver(1200)).toBeLessThan(0.4);
    const after = json(await a.inject({ method: 'GET', url: `/api/jobs/${id}` })) as JobInfo;
    expect(after.status).toBe('cancelled');
    expect(after.result).toBeUndefined();
    const finished = (j: JobInfo) => j.progress.filter((p) => p.state !== 'pending' && p.state !== 'running').length;
    expect(finished(after)).toBe(finished(atCancel));
    expect(finished(after)).toBeLessThan(LONG_STEPS / LONG_SLICE);
    // Its place is free (the limit is one job).
    const next = await a.inject({ method: 'POST', url: '/api/recordings/short.rec/jobs', payload: { type: 'verify' } });
    expect(next.statusCode, next.body).toBe(202);
    expect((await waitFor(json(next).id, a)).status).toBe('done');
  }

  it('cancelling a job replaying in the server\'s thread stops it: no more CPU, no slice reported after, it stays cancelled', async () => {
    const inline = buildApp({ recordingsDir: root, host: '127.0.0.1', executor: 'inline', maxConcurrentJobs: 1 });
    try {
      await inline.ready();
      await cancelAndCheck(inline);
    } finally {
      await inline.close();
    }
  }, 180_000);

  it('cancelling a job on worker threads terminates them: no more CPU, no slice reported after', async () => {
    const threads = buildApp({ recordingsDir: root, host: '127.0.0.1', executor: 'threads', maxConcurrentJobs: 1 });
    try {
      await threads.ready();
      await cancelAndCheck(threads);
    } finally {
      await threads.close();
    }
  }, 180_000);

  it('a cancelled seek stays cancelled: the seek thread finishes it, its result is dropped', async () => {
    const icount = 5 * LONG_SLICE - 1; // a whole slice to replay from the nearest snapshot
    const r = await app.inject({ method: 'POST', url: '/api/recordings/long.rec/jobs', payload: { type: 'seek', icount } });
    expect(r.statusCode, r.body).toBe(202);
    const id = json(r).id as string;
    expect((await app.inject({ method: 'DELETE', url: `/api/jobs/${id}` })).statusCode).toBe(200);
    // The seek thread takes one seek at a time: when the next is done, the cancelled one has ended.
    const next = await app.inject({ method: 'POST', url: '/api/recordings/long.rec/jobs', payload: { type: 'seek', icount: 1000 } });
    expect((await waitFor(json(next).id)).status).toBe('done');
    const job = json(await app.inject({ method: 'GET', url: `/api/jobs/${id}` })) as JobInfo;
    expect(job.status).toBe('cancelled');
    expect(job.result).toBeUndefined();
  }, 120_000);

  it('two jobs at once in the server\'s thread both verify (they never share a replay session mid-slice)', async () => {
    const start = async () => {
      const r = await app.inject({ method: 'POST', url: '/api/recordings/long.rec/jobs', payload: { type: 'verify', slices: [0, 1, 2, 3] } });
      expect(r.statusCode, r.body).toBe(202);
      return json(r).id as string;
    };
    const [a, b] = [await start(), await start()];
    const [ja, jb] = [await waitFor(a), await waitFor(b)];
    expect([ja.status, ja.error ?? '']).toEqual(['done', '']);
    expect([jb.status, jb.error ?? '']).toEqual(['done', '']);
  }, 180_000);
});
