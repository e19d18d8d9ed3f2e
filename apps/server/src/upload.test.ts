/**
 * Uploading a recording: a tar.gz of a real recording arrives whole and
 * replays; oversized, malformed, malicious or incomplete uploads are refused
 * with a 4xx and leave nothing behind.
 */
import { cpSync, existsSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { create as tarCreate } from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRecording, readManifest, replaySlice } from '@prnr/recording';
import { FsObjectStore, reachableObjects } from '@prnr/snapshot';
import { buildApp, type ServerOptions } from './app.js';
import { recordFixture } from './testing/fixture-recording.js';
import { rawTar, tempDir } from './testing/helpers.js';

const source = tempDir('upload-src');
const root = tempDir('upload');
let app: FastifyInstance;
let tarGz: Buffer;
let manifestText: string;
const ROOM = 64 * 1024;

async function tarOf(cwd: string, paths: string[], gzip = true): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of tarCreate({ cwd, gzip, portable: true }, paths)) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks);
}

beforeAll(async () => {
  await recordFixture({ dir: join(source, 'up.rec'), steps: 12_000_000, sliceSteps: 4_000_000 });
  tarGz = await tarOf(source, ['up.rec']);
  manifestText = JSON.stringify(readManifest(join(source, 'up.rec')));
  // Room for what the tests below add to the fixture (a stray object: its tar entry does not always
  // compress against the original, and 1,000 bytes were sometimes too few). The limit itself is tested apart.
  app = buildApp({ recordingsDir: root, host: '127.0.0.1', executor: 'inline', maxUploadBytes: tarGz.length + ROOM });
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

  it('a recording in a pack uploads, replays and is served object by object out of the pack; a pack cut short is refused naming it', async () => {
    const packed = join(source, 'packed.rec');
    await recordFixture({ dir: packed, steps: 8_000_000, sliceSteps: 4_000_000, objectLayout: 'packs' });
    expect(readdirSync(join(packed, 'objects'))).toEqual(['pack']);
    const tar = await tarOf(source, ['packed.rec']);
    const big = buildApp({ recordingsDir: root, host: '127.0.0.1', executor: 'inline', maxUploadBytes: tar.length * 2 + 1000 });
    try {
      const r = await upload('packed.rec', tar, 'application/gzip', big);
      expect(r.statusCode, r.body).toBe(201);
      expect((await replaySlice(openRecording(join(root, 'packed.rec')), 1)).verified).toBe(true);
      // GET objects/HASH: the object file's bytes, as a loose file would hold them.
      const m = readManifest(join(root, 'packed.rec'));
      const h = m.slices[1].snapshot;
      const got = await big.inject({ method: 'GET', url: `/recordings/packed.rec/objects/${h}` });
      expect(got.statusCode).toBe(200);
      const store = new FsObjectStore(join(root, 'packed.rec'));
      const at = store.locate(h)!;
      expect(at.offset).toBeGreaterThan(0);
      expect(got.rawPayload.equals(readFileSync(at.file).subarray(at.offset, at.offset + at.length))).toBe(true);
      expect(Number(got.headers['content-length'])).toBe(at.length);
      // The same recording with its pack cut in the middle of an entry.
      const cut = join(source, 'cut.rec');
      cpSync(packed, cut, { recursive: true });
      const pack = join(cut, 'objects', 'pack', readdirSync(join(cut, 'objects', 'pack'))[0]);
      truncateSync(pack, at.offset + 10);
      const refused = await upload('cut.rec', await tarOf(source, ['cut.rec']), 'application/gzip', big);
      expectRefused(refused, 400, /^not a valid prnr recording: a pack is damaged: objects\/pack\/[0-9a-z-]+\.pack: the entry at offset \d+ is cut short$/);
    } finally {
      await big.close();
    }
  }, 120_000);

  it('a plain tar of the directory contents works too (the code cache first or anywhere; a demo recording\'s mark)', async () => {
    const demo = join(source, 'demo-mark');
    cpSync(join(source, 'up.rec'), demo, { recursive: true });
    writeFileSync(join(demo, '.prnr-demo'), 'made by prnr demo\n');
    const tar = await tarOf(demo, ['code-cache.bin', '.prnr-demo', 'recording.json', 'log', 'objects'], false);
    const big = buildApp({ recordingsDir: root, host: '127.0.0.1', executor: 'inline', maxUploadBytes: tar.length + 1000 });
    try {
      const r = await upload('plain.rec', tar, 'application/x-tar', big);
      expect(r.statusCode, r.body).toBe(201);
      expect(existsSync(join(root, 'plain.rec', 'recording.json'))).toBe(true);
      expect(existsSync(join(root, 'plain.rec', 'code-cache.bin'))).toBe(true);
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
      ['two-tops', [{ path: 'a/log/000000.seg', body: 'x' }, { path: 'b/log/000000.seg', body: 'x' }], /one recording directory/],
      ['dup', [{ path: 'recording.json', body: manifestText }, { path: 'recording.json', body: manifestText }], /appears twice/],
      ['dup-seg', [{ path: 'log/000000.seg', body: 'x' }, { path: 'log/000000.seg', body: 'x' }], /appears twice/],
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

  it('a body of another content type, or none, gets the upload\'s own 415 (never the JSON routes\' advice or a JSON parse error)', async () => {
    const advice = 'send the recording as a tar or tar.gz with Content-Type application/gzip';
    const post = (headers: Record<string, string>, payload: Buffer | string) => app.inject({ method: 'POST', url: '/api/recordings?name=x.rec', headers, payload });
    for (const type of ['application/json', 'text/plain', 'application/x-www-form-urlencoded', 'not a type']) {
      expectRefused(await post({ 'content-type': type }, '{bad'), 415, new RegExp(`^${advice}$`));
      expectRefused(await post({ 'content-type': type }, tarGz), 415, new RegExp(`^${advice}$`));
    }
    // No Content-Type at all (inject sets none for a Buffer), with a body and without.
    expectRefused(await post({}, tarGz), 415, new RegExp(`^${advice}$`));
    expectRefused(await post({}, ''), 415, new RegExp(`^${advice}$`));
    expect(existsSync(join(root, 'x.rec'))).toBe(false);
  });
});

/** The source recording copied and changed by `change`, as a tar.gz (its directory dropped afterwards). */
async function alteredTar(change: (dir: string) => void): Promise<Buffer> {
  const work = tempDir('upload-alt');
  try {
    cpSync(join(source, 'up.rec'), join(work, 'up.rec'), { recursive: true });
    change(join(work, 'up.rec'));
    return await tarOf(work, ['up.rec']);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

const objectFile = (dir: string, h: string) => join(dir, 'objects', h.slice(0, 2), h.slice(2));

async function withApp(o: Partial<ServerOptions>, fn: (a: FastifyInstance) => Promise<void>): Promise<void> {
  const a = buildApp({ recordingsDir: root, host: '127.0.0.1', executor: 'inline', maxUploadBytes: tarGz.length + ROOM, ...o });
  await a.ready();
  try {
    await fn(a);
  } finally {
    await a.close();
  }
}

describe('an upload is accepted only complete', () => {
  it('a recording holding 11 of its objects is refused, naming one that is missing, and never listed', async () => {
    const tar = await alteredTar((dir) => {
      let kept = 0;
      for (const sub of readdirSync(join(dir, 'objects'))) for (const f of readdirSync(join(dir, 'objects', sub))) if (++kept > 11) rmSync(join(dir, 'objects', sub, f));
    });
    expectRefused(await upload('eleven.rec', tar), 400, /^not a valid prnr recording: .*[0-9a-f]{64}.* missing/);
    const list = JSON.parse((await app.inject({ method: 'GET', url: '/api/recordings' })).body) as { recordings: { name: string }[] };
    expect(list.recordings.map((x) => x.name)).not.toContain('eleven.rec');
    expect(existsSync(join(root, 'eleven.rec'))).toBe(false);
  });

  it('the disk image, a console and the guest profile that recording.json names must be there', async () => {
    const m = readManifest(join(source, 'up.rec'));
    const disk = Object.values(m.disks)[0];
    const consoleHash = m.slices.find((x) => x.console)?.console;
    const cases: [string, string | undefined, RegExp][] = [
      ['nodisk.rec', disk, new RegExp(`object ${disk} \\(the disk image [0-9a-f]{12}…\\) is missing`)],
      ['noprofile.rec', m.guestProfile, new RegExp(`object ${m.guestProfile} \\(the guest profile\\) is missing`)],
      ['noconsole.rec', consoleHash, new RegExp(`object ${consoleHash} \\(the console of slice \\d+\\) is missing`)],
    ];
    for (const [name, h, message] of cases) {
      expect(h, name).toBeDefined();
      expectRefused(await upload(name, await alteredTar((dir) => rmSync(objectFile(dir, h!)))), 400, message);
    }
  }, 120_000);

  it('an object no snapshot reaches must still hash to its name', async () => {
    const stray = 'ab' + 'c'.repeat(62);
    const tar = await alteredTar((dir) => writeFileSync(objectFile(dir, stray), readFileSync(objectFile(dir, readManifest(dir).slices[0].snapshot))));
    expectRefused(await upload('stray.rec', tar), 400, new RegExp(`object ${stray} \\(no snapshot reaches it\\) is damaged`));
  });

  it('a segment cut short or changed is refused, naming it', async () => {
    const cut = await alteredTar((dir) => truncateSync(join(dir, 'log', '000001.seg'), readFileSync(join(dir, 'log', '000001.seg')).length - 7));
    expectRefused(await upload('cutseg.rec', cut), 400, /^not a valid prnr recording: .*log\/000001\.seg/);
    const flipped = await alteredTar((dir) => {
      const f = join(dir, 'log', '000002.seg');
      const b = readFileSync(f);
      b[b.length >> 1] ^= 0x55;
      writeFileSync(f, b);
    });
    expectRefused(await upload('flipseg.rec', flipped), 400, /^not a valid prnr recording: .*log\/000002\.seg/);
  });

  it('recording.json is read as soon as it arrives: a bad one ends the upload before what follows is looked at', async () => {
    const tar = gzipSync(rawTar([{ path: 'recording.json', body: '{"format": "prnr-recording", "version": 1}' }, { path: 'evil.sh', body: 'rm -rf /' }, { path: 'objects/zz/nope', body: 'x' }]));
    expectRefused(await upload('badfirst.rec', tar), 400, /^not a valid prnr recording: recording\.json: /);
  });

  it('a recording.json over 16 MiB is refused before it is read', async () => {
    const big = gzipSync(rawTar([{ path: 'recording.json', body: Buffer.alloc(17 * 1024 * 1024, 0x20) }]));
    await withApp({ maxUploadBytes: 64 * 1024 * 1024 }, async (a) => {
      expectRefused(await upload('bigjson.rec', big, 'application/gzip', a), 413, /recording\.json is 17825792 bytes, more than the 16777216/);
    });
  });
});

describe('upload resources', () => {
  it('an archive of more entries than the limit is refused when the limit is passed', async () => {
    const entries = Array.from({ length: 20 }, (_, i) => ({ path: `objects/${i.toString(16).padStart(2, '0')}`, type: 'Directory' as const }));
    await withApp({ maxUploadEntries: 10 }, async (a) => {
      expectRefused(await upload('many.rec', gzipSync(rawTar(entries)), 'application/gzip', a), 413, /more than 10 entries/);
    });
  });

  it('a client that stops sending gets a 408 once the idle time is up; its place is given back', async () => {
    await withApp({ uploadIdleMs: 300 }, async (a) => {
      const body = new PassThrough();
      body.write(tarGz.subarray(0, 4096));
      const started = Date.now();
      const r = await upload('stalled.rec', body, 'application/gzip', a);
      body.end();
      expectRefused(r, 408, /no data for 300 ms/);
      expect(Date.now() - started).toBeLessThan(10_000);
      // Both places are free again.
      for (const name of ['after1.rec', 'after2.rec']) expect((await upload(name, tarGz, 'application/gzip', a)).statusCode).toBe(201);
    });
  }, 60_000);

  it('a client that trickles gets a 408 once the upload time is up', async () => {
    await withApp({ uploadTimeoutMs: 800, uploadIdleMs: 5000 }, async (a) => {
      const body = new PassThrough();
      let at = 0;
      const trickle = setInterval(() => {
        if (at < tarGz.length) body.write(tarGz.subarray(at, (at += 512)));
      }, 50);
      try {
        expectRefused(await upload('trickle.rec', body, 'application/gzip', a), 408, /took longer than 800 ms/);
      } finally {
        clearInterval(trickle);
        body.end();
      }
    });
  }, 60_000);

  it('beyond 2 uploads at once a third is a 429', async () => {
    await withApp({}, async (a) => {
      const bodies = [new PassThrough(), new PassThrough()];
      const running = bodies.map((b, i) => {
        b.write(tarGz.subarray(0, 1024));
        return upload(`slow${i}.rec`, b, 'application/gzip', a);
      });
      await new Promise((r) => setTimeout(r, 200));
      const third = await upload('third.rec', tarGz, 'application/gzip', a);
      expect(third.statusCode, third.body).toBe(429);
      expect(JSON.parse(third.body).error).toMatch(/2 uploads are running, the limit is 2/);
      expect(third.headers['retry-after']).toBe('10');
      for (const b of bodies) b.end(Buffer.from('not the rest of a tar'));
      for (const r of await Promise.all(running)) expect(r.statusCode).toBe(400);
      expect((await upload('third.rec', tarGz, 'application/gzip', a)).statusCode).toBe(201);
    });
  }, 60_000);
});
