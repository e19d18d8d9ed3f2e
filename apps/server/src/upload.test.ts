/**
 * Uploading a recording: a tar.gz of a real recording arrives whole and
 * replays; oversized, malformed, malicious or incomplete uploads are refused
 * with a 4xx and leave nothing behind.
 */
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { create as tarCreate } from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRecording, readManifest, replaySlice } from '@prnr/recording';
import { FsObjectStore, reachableObjects } from '@prnr/snapshot';
import { buildApp } from './app.js';
import { recordFixture } from './testing/fixture-recording.js';
import { rawTar, tempDir } from './testing/helpers.js';

const source = tempDir('upload-src');
const root = tempDir('upload');
let app: FastifyInstance;
let tarGz: Buffer;
let manifestText: string;

async function tarOf(cwd: string, paths: string[], gzip = true): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of tarCreate({ cwd, gzip, portable: true }, paths)) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks);
}

beforeAll(async () => {
  await recordFixture({ dir: join(source, 'up.rec'), steps: 12_000_000, sliceSteps: 4_000_000 });
  tarGz = await tarOf(source, ['up.rec']);
  manifestText = JSON.stringify(readManifest(join(source, 'up.rec')));
  app = buildApp({ recordingsDir: root, host: '127.0.0.1', executor: 'inline', maxUploadBytes: tarGz.length + 1000 });
  await app.ready();
}, 120_000);

afterAll(async () => {
  await app?.close();
  rmSync(root, { recursive: true, force: true });
  rmSync(source, { recursive: true, force: true });
});

const upload = (name: string, payload: Buffer | Readable, type = 'application/gzip', a = app) =>
  a.inject({ method: 'POST', url: `/api/recordings?name=${encodeURIComponent(name)}`, headers: { 'content-type': type }, payload });

function expectRefused(r: { statusCode: number; body: string }, status: number, message?: RegExp) {
  expect(r.statusCode, r.body).toBe(status);
  const body = JSON.parse(r.body) as { error: string };
  expect(Object.keys(body)).toEqual(['error']);
  if (message) expect(body.error).toMatch(message);
  expect(r.body).not.toContain(root);
  // Nothing half-received is left, and nothing new appears as a recording.
  expect(readdirSync(join(root, '.uploads'))).toEqual([]);
}

describe('upload', () => {
  it('a tar.gz of a recording directory becomes a recording that replays', async () => {
    const r = await upload('copy.rec', tarGz);
    expect(r.statusCode, r.body).toBe(201);
    expect(JSON.parse(r.body)).toMatchObject({ name: 'copy.rec', status: 'complete', slices: 3, steps: 12_000_000 });
    expect(JSON.stringify(readManifest(join(root, 'copy.rec')))).toBe(manifestText);
    const rec = openRecording(join(root, 'copy.rec'));
    const s = await replaySlice(rec, 2);
    expect(s.verified).toBe(true);
    expect(readdirSync(join(root, '.uploads'))).toEqual([]);
    const list = JSON.parse((await app.inject({ method: 'GET', url: '/api/recordings' })).body);
    expect(list.recordings.map((x: { name: string }) => x.name)).toEqual(['copy.rec']);
  });

  it('a plain tar of the directory contents works too', async () => {
    const tar = await tarOf(join(source, 'up.rec'), ['recording.json', 'log', 'objects'], false);
    const big = buildApp({ recordingsDir: root, host: '127.0.0.1', executor: 'inline', maxUploadBytes: tar.length + 1000 });
    try {
      const r = await upload('plain.rec', tar, 'application/x-tar', big);
      expect(r.statusCode, r.body).toBe(201);
      expect(existsSync(join(root, 'plain.rec', 'recording.json'))).toBe(true);
    } finally {
      await big.close();
    }
  });

  it('a name that is taken is a 409', async () => {
    expectRefused(await upload('copy.rec', tarGz), 409, /already exists/);
  });

  it('over the size limit is a 413: by Content-Length up front, or counted while streaming', async () => {
    const small = buildApp({ recordingsDir: root, host: '127.0.0.1', maxUploadBytes: 64 * 1024 });
    try {
      expectRefused(await upload('big.rec', tarGz, 'application/gzip', small), 413, /larger than the limit of 65536 bytes/);
      // No Content-Length: a stream, counted as it arrives.
      const stream = Readable.from((function* () { for (let i = 0; i < tarGz.length; i += 16384) yield tarGz.subarray(i, i + 16384); })());
      expectRefused(await upload('big.rec', stream, 'application/gzip', small), 413, /larger than the limit/);
      expect(existsSync(join(root, 'big.rec'))).toBe(false);
    } finally {
      await small.close();
    }
  });

  it('a decompression bomb is stopped by the limit on extracted bytes', async () => {
    const bomb = gzipSync(rawTar([{ path: 'recording.json', body: Buffer.alloc(50 * 1024 * 1024) }]));
    const small = buildApp({ recordingsDir: root, host: '127.0.0.1', maxUploadBytes: 1024 * 1024 });
    try {
      expect(bomb.length).toBeLessThan(1024 * 1024);
      expectRefused(await upload('bomb.rec', bomb, 'application/gzip', small), 413);
    } finally {
      await small.close();
    }
  });

  it('entries that would land outside the recording, links and stray files are refused', async () => {
    const cases: [string, Parameters<typeof rawTar>[0], RegExp][] = [
      ['dotdot', [{ path: '../evil.txt', body: 'x' }], /unexpected entry/],
      ['dotdot-deep', [{ path: 'log/../../evil.txt', body: 'x' }], /unexpected file/],
      ['absolute', [{ path: '/tmp/evil.txt', body: 'x' }], /unexpected file/],
      ['symlink', [{ path: 'log', type: 'Directory' }, { path: 'log/000000.seg', type: 'SymbolicLink', linkpath: '/etc/passwd' }], /unexpected SymbolicLink/],
      ['stray', [{ path: 'evil.sh', body: 'rm -rf /' }], /unexpected file "evil.sh"/],
      ['two-tops', [{ path: 'a/recording.json', body: '{}' }, { path: 'b/recording.json', body: '{}' }], /one recording directory/],
      ['dup', [{ path: 'recording.json', body: '{}' }, { path: 'recording.json', body: '{}' }], /appears twice/],
    ];
    for (const [name, entries, message] of cases) expectRefused(await upload(`${name}.rec`, gzipSync(rawTar(entries))), 400, message);
    expect(existsSync(join(root, '..', 'evil.txt'))).toBe(false);
    expect(existsSync('/tmp/evil.txt')).toBe(false);
  });

  it('what is not a tar of a valid recording is a 400 that says why', async () => {
    expectRefused(await upload('junk.rec', Buffer.from('this is not a tar file at all, just some text padding it out....'.repeat(20))), 400, /not a valid tar|empty|unexpected/);
    expectRefused(await upload('empty.rec', Buffer.alloc(0)), 400);
    expectRefused(await upload('nojson.rec', gzipSync(rawTar([{ path: 'log', type: 'Directory' }]))), 400, /no recording\.json/);
    expectRefused(await upload('badjson.rec', gzipSync(rawTar([{ path: 'recording.json', body: '{"format": "prnr-recording"}' }]))), 400, /not a valid prnr recording: recording\.json: /);
    // A real manifest without its segments and objects.
    expectRefused(await upload('hollow.rec', gzipSync(rawTar([{ path: 'recording.json', body: manifestText }]))), 400, /slice 0's segment log\/000000\.seg is missing/);
    // Segments but no objects.
    const segs = await tarOf(join(source, 'up.rec'), ['recording.json', 'log']);
    expectRefused(await upload('noobjects.rec', segs), 400, /object [0-9a-f]{64} is missing/);
  });

  it('every object a snapshot reaches must be there and hash to its name: one missing page, one damaged, are refused', async () => {
    const dir = join(source, 'up.rec');
    const m = readManifest(dir);
    const store = new FsObjectStore(dir);
    const reached = [...(await reachableObjects(m.slices.map((x) => x.endState), store))];
    const roots = new Set(m.slices.flatMap((x) => [x.snapshot, x.endState]));
    const page = reached.find((h) => !roots.has(h))!; // a tree node or a page, deep in a snapshot
    const file = store.pathOf(page);
    const bytes = readFileSync(file);
    try {
      rmSync(file);
      expectRefused(await upload('holey.rec', await tarOf(source, ['up.rec'])), 400, new RegExp(`object ${page} \\(a snapshot\\) is missing`));
      const bad = Buffer.from(bytes);
      bad[bad.length - 1] ^= 0xff;
      writeFileSync(file, bad);
      expectRefused(await upload('damaged.rec', await tarOf(source, ['up.rec'])), 400, new RegExp(`object ${page} \\(a snapshot\\) is damaged`));
    } finally {
      writeFileSync(file, bytes);
    }
  }, 120_000);

  it('a decompression bomb is refused before it is written out', async () => {
    const bomb = gzipSync(rawTar([{ path: 'log/000000.seg', body: Buffer.alloc(200 * 1024 * 1024) }]));
    const big = buildApp({ recordingsDir: root, host: '127.0.0.1', executor: 'inline', maxUploadBytes: 1 << 30 });
    await big.ready();
    try {
      expectRefused(await upload('bomb.rec', bomb, 'application/gzip', big), 413, /expands more than 16 times/);
    } finally {
      await big.close();
    }
  }, 120_000);

  it('bad names and content types', async () => {
    for (const name of ['', 'UPPER', '.hidden', '..', 'a/b', 'a b', 'x'.repeat(200)]) expectRefused(await upload(name, tarGz), 400);
    expectRefused(await app.inject({ method: 'POST', url: '/api/recordings', headers: { 'content-type': 'application/gzip' }, payload: tarGz }), 400, /query: name: Required/);
    expectRefused(await app.inject({ method: 'POST', url: '/api/recordings?name=x.rec', payload: { not: 'a tar' } }), 415, /tar/);
  });
});
