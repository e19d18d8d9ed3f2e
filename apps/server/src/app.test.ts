/**
 * The HTTP API through fastify.inject: listing and inspecting recordings, the
 * recording files workers fetch, and every kind of bad request (each a 4xx
 * with a JSON error, the server still serving afterwards).
 */
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { HART_BEHAVIOUR_VERSION } from '@prnr/cpu';
import { readManifest, writeManifest, type RecordingManifest } from '@prnr/recording';
import { blake3Hex, blake3Ready, decodeObjectFile } from '@prnr/snapshot';
import { buildApp } from './app.js';
import { isLoopback } from './auth.js';
import { recordFixture } from './testing/fixture-recording.js';
import { tempDir } from './testing/helpers.js';
import type { RecordingDetail, RecordingSummary } from './api-types.js';

const STEPS = 30_000_000;
const root = tempDir('api');
let manifest: RecordingManifest;
let app: FastifyInstance;

beforeAll(async () => {
  await recordFixture({ dir: join(root, 'short.rec'), steps: STEPS, sliceSteps: 6_000_000 });
  manifest = readManifest(join(root, 'short.rec'));
  // Things in the directory that are not recordings.
  mkdirSync(join(root, 'empty-dir'));
  writeFileSync(join(root, 'notes.txt'), 'not a recording');
  mkdirSync(join(root, 'UPPER.rec'));
  writeFileSync(join(root, 'UPPER.rec', 'recording.json'), '{}');
  mkdirSync(join(root, 'broken.rec'));
  writeFileSync(join(root, 'broken.rec', 'recording.json'), '{ not json');
  app = buildApp({ recordingsDir: root, host: '127.0.0.1', executor: 'inline' });
  await app.ready();
}, 120_000);

afterAll(async () => {
  await app?.close();
  rmSync(root, { recursive: true, force: true });
});

const json = (r: { body: string }) => JSON.parse(r.body) as any;

/** A 4xx whose body is exactly { error: "..." } with no trace of the server's paths or stacks. */
function expectClientError(r: { statusCode: number; body: string; headers: Record<string, unknown> }, status?: number) {
  if (status) expect(r.statusCode, r.body).toBe(status);
  else {
    expect(r.statusCode, r.body).toBeGreaterThanOrEqual(400);
    expect(r.statusCode, r.body).toBeLessThan(500);
  }
  expect(String(r.headers['content-type'])).toMatch(/^application\/json/);
  const body = json(r);
  expect(Object.keys(body)).toEqual(['error']);
  expect(typeof body.error).toBe('string');
  expect(body.error.length).toBeGreaterThan(3);
  expect(r.body).not.toContain(root);
  expect(r.body).not.toMatch(/\bat .+\.(ts|js):\d+/);
  return body.error as string;
}

describe('recordings', () => {
  it('lists the subdirectories that are recordings, with status, slices, steps and size', async () => {
    const r = await app.inject({ method: 'GET', url: '/api/recordings' });
    expect(r.statusCode).toBe(200);
    const list = json(r).recordings as RecordingSummary[];
    expect(list.map((x) => x.name)).toEqual(['broken.rec', 'short.rec']);
    const short = list.find((x) => x.name === 'short.rec')!;
    expect(short).toMatchObject({ status: 'complete', slices: manifest.slices.length, steps: STEPS });
    expect(short.slices).toBe(5);
    expect(short.sizeBytes).toBeGreaterThan(1_000_000);
    const broken = list.find((x) => x.name === 'broken.rec')!;
    expect(broken.status).toBe('invalid');
    expect(broken.error).toContain('broken.rec/recording.json: not valid JSON');
    expect(broken.error).not.toContain(root);
  });

  it('inspects one: manifest summary, slice table, space report', async () => {
    const r = await app.inject({ method: 'GET', url: '/api/recordings/short.rec' });
    expect(r.statusCode).toBe(200);
    const d = json(r) as RecordingDetail;
    expect(d.sliceTable.map((s) => [s.index, s.startIcount, s.endIcount])).toEqual(manifest.slices.map((s) => [s.index, s.startIcount, s.endIcount]));
    expect(d.sliceTable[2].snapshot).toBe(manifest.slices[2].snapshot);
    expect(d.space.snapshots).toBe(6);
    expect(d.space.logicalBytes).toBeGreaterThan(d.space.storedBytes);
    expect(d.board.devices.length).toBe(manifest.deviceVersions.length);
    expect(d.format).toEqual({ name: 'prnr-recording', version: 1 });
  });

  it('says which hart behaviour version it was recorded with: 1 for a recording made before versions were kept', async () => {
    expect(manifest.board.hartVersion).toBe(HART_BEHAVIOUR_VERSION);
    expect((json(await app.inject({ method: 'GET', url: '/api/recordings/short.rec' })) as RecordingDetail).board.hartVersion).toBe(HART_BEHAVIOUR_VERSION);
    const old = join(root, 'old.rec');
    cpSync(join(root, 'short.rec'), old, { recursive: true });
    const { hartVersion: _, ...board } = manifest.board;
    writeManifest(old, { ...manifest, board });
    try {
      expect((json(await app.inject({ method: 'GET', url: '/api/recordings/old.rec' })) as RecordingDetail).board.hartVersion).toBe(1);
    } finally {
      rmSync(old, { recursive: true, force: true });
    }
  });

  it('an unknown recording is a 404, a broken one a 422 that names the file but not the server path', async () => {
    expect(expectClientError(await app.inject({ method: 'GET', url: '/api/recordings/nope.rec' }), 404)).toBe('no recording named "nope.rec"');
    expect(expectClientError(await app.inject({ method: 'GET', url: '/api/recordings/empty-dir' }), 404)).toContain('no recording');
    expect(expectClientError(await app.inject({ method: 'GET', url: '/api/recordings/broken.rec' }), 422)).toContain('broken.rec/recording.json');
  });

  it('says what it can run', async () => {
    const r = json(await app.inject({ method: 'GET', url: '/api/features' }));
    expect(r.analyses.map((a: { name: string }) => a.name)).toEqual(expect.arrayContaining(['profile', 'console', 'watch']));
    expect(r.executor).toBe('inline');
    expect(typeof r.diagnosis).toBe('boolean');
  });
});

describe('recording files for workers', () => {
  it('objects: the raw object file, which decodes to bytes that hash to its name; HEAD answers without a body', async () => {
    await blake3Ready();
    for (const h of [manifest.slices[0].snapshot, manifest.slices[3].endState, ...Object.values(manifest.disks)]) {
      const r = await app.inject({ method: 'GET', url: `/recordings/short.rec/objects/${h}` });
      expect(r.statusCode).toBe(200);
      expect(r.headers['content-type']).toBe('application/octet-stream');
      const file = r.rawPayload;
      expect(file.equals(readFileSync(join(root, 'short.rec', 'objects', h.slice(0, 2), h.slice(2))))).toBe(true);
      expect(blake3Hex(decodeObjectFile(new Uint8Array(file)))).toBe(h);
    }
    const h = manifest.slices[1].snapshot;
    const head = await app.inject({ method: 'HEAD', url: `/recordings/short.rec/objects/${h}` });
    expect(head.statusCode).toBe(200);
    expect(head.body).toBe('');
    expect(Number(head.headers['content-length'])).toBeGreaterThan(0);
    const missing = 'f'.repeat(64);
    expect((await app.inject({ method: 'HEAD', url: `/recordings/short.rec/objects/${missing}` })).statusCode).toBe(404);
    expectClientError(await app.inject({ method: 'GET', url: `/recordings/short.rec/objects/${missing}` }), 404);
  });

  it('recording.json and log segments, byte for byte', async () => {
    const m = await app.inject({ method: 'GET', url: '/recordings/short.rec/recording.json' });
    expect(m.statusCode).toBe(200);
    expect(m.body).toBe(readFileSync(join(root, 'short.rec', 'recording.json'), 'utf8'));
    const seg = manifest.slices[2].log;
    const s = await app.inject({ method: 'GET', url: `/recordings/short.rec/${seg}` });
    expect(s.statusCode).toBe(200);
    expect(s.rawPayload.equals(readFileSync(join(root, 'short.rec', seg)))).toBe(true);
    expectClientError(await app.inject({ method: 'GET', url: '/recordings/short.rec/log/999999.seg' }), 404);
  });
});

describe('path traversal', () => {
  const outside = join(root, '..');
  it.each([
    '/api/recordings/..%2f..%2fetc',
    '/api/recordings/%2e%2e',
    '/api/recordings/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd',
    '/api/recordings/..',
    '/api/recordings/.',
    '/api/recordings/%2fetc',
    '/api/recordings/%2Fetc%2Fpasswd',
    '/api/recordings/..%5c..%5cetc',
    '/api/recordings/short.rec%00',
    '/recordings/%2e%2e/recording.json',
    '/recordings/..%2fshort.rec/recording.json',
    '/recordings/%2fetc/recording.json',
    '/recordings/short.rec/log/..%2f..%2fshort.rec%2frecording.json',
    '/recordings/short.rec/log/%2e%2e%2frecording.json',
    '/recordings/short.rec/log/%2fetc%2fpasswd',
    '/recordings/short.rec/log/..',
    '/recordings/short.rec/objects/..%2f..%2f..%2fetc%2fpasswd',
    '/recordings/short.rec/objects/%2e%2e',
    `/recordings/short.rec/objects/${'../'.repeat(3)}etc/passwd`,
    `/recordings/short.rec/objects/${'A'.repeat(64)}`,
    `/recordings/short.rec/objects/${'a'.repeat(63)}`,
    '/recordings/short.rec/../../../../etc/passwd',
    '/recordings/short.rec/..%2f..%2f..%2fetc%2fpasswd',
  ])('%s is refused', async (url) => {
    const r = await app.inject({ method: 'GET', url });
    expectClientError(r);
    expect(r.body).not.toContain('root:');
    expect(r.body).not.toContain(outside);
  });

  it('job and upload names are checked the same way', async () => {
    expectClientError(await app.inject({ method: 'POST', url: '/api/recordings/..%2fshort.rec/jobs', payload: { type: 'verify' } }), 400);
    expectClientError(await app.inject({ method: 'POST', url: `/api/recordings?name=${encodeURIComponent('../evil.rec')}`, headers: { 'content-type': 'application/gzip' }, payload: Buffer.alloc(10) }), 400);
    expectClientError(await app.inject({ method: 'POST', url: `/api/recordings?name=${encodeURIComponent('/tmp/evil')}`, headers: { 'content-type': 'application/gzip' }, payload: Buffer.alloc(10) }), 400);
  });
});

describe('bad requests', () => {
  const post = (payload: string | object, headers: Record<string, string> = { 'content-type': 'application/json' }, name = 'short.rec') =>
    app.inject({ method: 'POST', url: `/api/recordings/${name}/jobs`, headers, payload: typeof payload === 'string' ? payload : JSON.stringify(payload) });

  it('malformed JSON: the message says where', async () => {
    expect(expectClientError(await post('{"type": "verify",'), 400)).toMatch(/^malformed JSON body: .* at position 18\b/);
    expect(expectClientError(await post('{type: verify}'), 400)).toMatch(/^malformed JSON body: .* at position 1\b/);
    expect(expectClientError(await post('{"type": "verify"'), 400)).toMatch(/^malformed JSON body: .* at position 17\b/);
    expect(expectClientError(await post('{"type":'), 400)).toBe('malformed JSON body: Unexpected end of JSON input at position 8 (the end of the body)');
    // A wrong token: V8 quotes the body instead of a position, and no position is made up.
    expect(expectClientError(await post('{"type": x}'), 400)).toBe('malformed JSON body: Unexpected token \'x\', "{"type": x}" is not valid JSON');
    expect(expectClientError(await post(''), 400)).toBe('the JSON body is empty');
    // With parameters the body is still parsed as JSON (here: valid JSON, a wrong type).
    expect(expectClientError(await post('{"type": "explode"}', { 'content-type': 'application/json; charset=utf-8' }), 400)).toMatch(/^job request: type: /);
  });

  it('a __proto__ or constructor key is refused with its own message, wherever it is', async () => {
    expect(expectClientError(await post('{"type": "verify", "__proto__": {"parallel": 1}}'), 400)).toBe(
      'the JSON body has a "__proto__" key (at top level): refused, as it could change objects\' prototypes',
    );
    expect(expectClientError(await post('{"type": "verify", "slices": [{"constructor": {"prototype": {}}}]}'), 400)).toMatch(/^the JSON body has a "constructor" key \(at slices\.0\)/);
    // Deep nesting is walked without recursion: still a clear 400.
    expect(expectClientError(await post(`${'['.repeat(20_000)}{"__proto__":1}${']'.repeat(20_000)}`), 400)).toMatch(/^the JSON body has a "__proto__" key \(at 0\.0\.0\.[0.]*…[0.]*\.0\): refused/);
  });

  it('schema errors say which field', async () => {
    expect(expectClientError(await post({ type: 'explode' }), 400)).toMatch(/^job request: type: /);
    expect(expectClientError(await post({}), 400)).toMatch(/^job request: type: Required/);
    expect(expectClientError(await post([1, 2]), 400)).toMatch(/^job request: top level: Expected object/);
    expect(expectClientError(await post({ type: 'seek', icount: -1 }), 400)).toMatch(/^job request: icount/);
    expect(expectClientError(await post({ type: 'seek', icount: 1.5 }), 400)).toMatch(/^job request: icount/);
    expect(expectClientError(await post({ type: 'verify', parallel: 0 }), 400)).toMatch(/^job request: parallel/);
    expect(expectClientError(await post({ type: 'verify', extra: 1 }), 400)).toMatch(/Unrecognized key/);
    expect(expectClientError(await post({ type: 'replay', analyses: ['../x'] }), 400)).toMatch(/^job request: analyses.0/);
  });

  it('a field that does not apply to the job\'s type is refused, naming it', async () => {
    expect(expectClientError(await post({ type: 'verify', icount: 5 }), 400)).toBe('job request: icount: does not apply to a verify job (only to seek)');
    expect(expectClientError(await post({ type: 'diagnose', icount: 5 }), 400)).toMatch(/^job request: icount: does not apply to a diagnose job/);
    for (const field of ['analyses', 'parallel', 'allLanes', 'slices'] as const) {
      const value = { analyses: ['console'], parallel: 2, allLanes: true, slices: [0] }[field];
      expect(expectClientError(await post({ type: 'seek', icount: 5, [field]: value }), 400), field).toBe(`job request: ${field}: does not apply to a seek job (only to verify, replay, diagnose)`);
    }
  });

  it('requests that fit the schema but not the recording or the server', async () => {
    expect(expectClientError(await post({ type: 'seek' }), 400)).toBe('a seek job needs "icount"');
    expect(expectClientError(await post({ type: 'seek', icount: STEPS + 1 }), 400)).toBe(`icount ${STEPS + 1} is outside the recording (0..${STEPS})`);
    expect(expectClientError(await post({ type: 'replay', analyses: ['nonsense'] }), 400)).toMatch(/^analyses: unknown analysis "nonsense" \(known: /);
    expect(expectClientError(await post({ type: 'replay', analyses: ['watch'] }), 400)).toMatch(/needs a range/);
    expect(expectClientError(await post({ type: 'verify', slices: [0, 99] }), 400)).toMatch(/has no slice 99/);
    expectClientError(await post({ type: 'verify' }, undefined, 'nope.rec'), 404);
    expectClientError(await post({ type: 'verify' }, undefined, 'broken.rec'), 422);
  });

  it('a JSON body over the limit is a 413; another content type gets a clear error', async () => {
    expect(expectClientError(await post({ type: 'verify', analyses: ['x'.repeat(100_000)] }), 413)).toMatch(/larger than/);
    for (const type of ['text/plain', 'application/x-www-form-urlencoded']) {
      expect(expectClientError(await post('{"type": "verify"}', { 'content-type': type }), 415), type).toBe('unsupported content type: send JSON with Content-Type: application/json');
    }
  });

  it('unknown routes and jobs are JSON 404s', async () => {
    expectClientError(await app.inject({ method: 'GET', url: '/api/nothing-here' }), 404);
    expectClientError(await app.inject({ method: 'GET', url: '/api/jobs/not-a-job' }), 404);
    expectClientError(await app.inject({ method: 'GET', url: '/api/jobs/not-a-job/events' }), 404);
    expectClientError(await app.inject({ method: 'DELETE', url: '/api/recordings/short.rec' }), 404);
  });

  it('the server still serves after all of that', async () => {
    expect((await app.inject({ method: 'GET', url: '/api/recordings/short.rec' })).statusCode).toBe(200);
  });
});

describe('internal errors', () => {
  /** A server with a route that fails as a bug would; what it writes to stderr, and its answer. */
  async function failOnce(options: { debug?: boolean }) {
    const a = buildApp({ recordingsDir: root, host: '127.0.0.1', executor: 'inline', ...options });
    a.get('/api/fails', async () => {
      throw new TypeError('cannot read the thing\nsecond line');
    });
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const r = await a.inject({ method: 'GET', url: '/api/fails?x=1' });
      return { r, written: write.mock.calls.map((c) => String(c[0])).join('') };
    } finally {
      write.mockRestore();
      await a.close();
    }
  }

  it('without a logger, a 500 is written to stderr as one line with the route; the client gets no detail', async () => {
    const { r, written } = await failOnce({});
    expect(r.statusCode).toBe(500);
    expect(JSON.parse(r.body)).toEqual({ error: 'internal server error (see the server log)' });
    expect(written).toBe('prnr serve: internal error in GET /api/fails: cannot read the thing second line\n');
  });

  it('with debug, the stack follows the line', async () => {
    const { written } = await failOnce({ debug: true });
    const [line, ...stack] = written.trimEnd().split('\n');
    expect(line).toBe('prnr serve: internal error in GET /api/fails: cannot read the thing second line');
    expect(stack.join('\n')).toMatch(/^TypeError: cannot read the thing\nsecond line\n\s+at /);
  });
});

describe('the bearer token', () => {
  const token = 'correct-horse-battery-staple';

  it('is required to start on anything but loopback, and must not be short there', () => {
    expect(() => buildApp({ recordingsDir: root, host: '0.0.0.0' })).toThrow(/refusing to start: listening on 0\.0\.0\.0 \(not loopback\) needs a bearer token/);
    expect(() => buildApp({ recordingsDir: root, host: '192.168.1.5', token: 'short' })).toThrow(/at least 16 characters/);
    expect(() => buildApp({ recordingsDir: root, host: '::' })).toThrow(/needs a bearer token/);
    expect(() => buildApp({ recordingsDir: join(root, 'missing'), host: '127.0.0.1' })).toThrow(/does not exist/);
    expect(isLoopback('127.0.0.1') && isLoopback('::1') && isLoopback('localhost') && isLoopback('[::1]') && isLoopback('127.1.2.3')).toBe(true);
    expect(isLoopback('0.0.0.0') || isLoopback('::') || isLoopback('10.0.0.1') || isLoopback('localhost.example.com') || isLoopback('1270.0.0.1')).toBe(false);
  });

  it('when set, every /api and /recordings route wants it (however the URL is spelled); the UI itself does not', async () => {
    const guarded = buildApp({ recordingsDir: root, host: '0.0.0.0', token, executor: 'inline' });
    try {
      const urls = ['/api/recordings', '/api/recordings/short.rec', '/api/features', '/api/jobs/x', '/recordings/short.rec/recording.json', `/recordings/short.rec/objects/${manifest.slices[0].snapshot}`, `/recordings/short.rec/${manifest.slices[0].log}`, '/%61pi/recordings', '/api/recordings/%73hort.rec'];
      for (const url of urls) {
        const none = await guarded.inject({ method: 'GET', url });
        expect(expectClientError(none, 401), url).toMatch(/needs a bearer token/);
        expect(none.headers['www-authenticate']).toBe('Bearer realm="prnr"');
        expect(expectClientError(await guarded.inject({ method: 'GET', url, headers: { authorization: 'Bearer wrong-token-wrong-token' } }), 401)).toBe('the bearer token is wrong');
        expectClientError(await guarded.inject({ method: 'GET', url, headers: { authorization: `Basic ${token}` } }), 401);
        expectClientError(await guarded.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}x` } }), 401);
      }
      expect((await guarded.inject({ method: 'HEAD', url: `/recordings/short.rec/objects/${manifest.slices[0].snapshot}` })).statusCode).toBe(401);
      expectClientError(await guarded.inject({ method: 'POST', url: '/api/recordings/short.rec/jobs', payload: { type: 'verify' } }), 401);
      expectClientError(await guarded.inject({ method: 'POST', url: '/api/recordings?name=x.rec', headers: { 'content-type': 'application/gzip' }, payload: Buffer.alloc(100) }), 401);
      const ok = await guarded.inject({ method: 'GET', url: '/api/recordings', headers: { authorization: `Bearer ${token}` } });
      expect(ok.statusCode).toBe(200);
      expect(json(ok).recordings.length).toBe(2);
      const obj = await guarded.inject({ method: 'GET', url: `/recordings/short.rec/objects/${manifest.slices[0].snapshot}`, headers: { authorization: `bearer ${token}` } });
      expect(obj.statusCode).toBe(200);
      // The page is public (it asks for the token); it is served or says it is not built, never a 401.
      expect([200, 503]).toContain((await guarded.inject({ method: 'GET', url: '/' })).statusCode);
    } finally {
      await guarded.close();
    }
  });
});
