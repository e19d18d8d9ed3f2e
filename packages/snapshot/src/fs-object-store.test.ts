import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ObjectCorruptError, ObjectMissingError } from './errors.js';
import { FsObjectStore } from './fs-object-store.js';
import { blake3Hex, blake3Ready } from './hash.js';
import { MemoryObjectStore } from './memory-object-store.js';
import type { ObjectStore } from './object-store.js';
import { Codec } from './schema.js';
import { prng, randomBytes } from './test-support.js';

const dirs: string[] = [];
function tempStore(options?: ConstructorParameters<typeof FsObjectStore>[1]): FsObjectStore {
  const dir = mkdtempSync(join(tmpdir(), 'prnr-objects-'));
  dirs.push(dir);
  return new FsObjectStore(dir, options);
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
beforeAll(() => blake3Ready());

async function listed(store: ObjectStore): Promise<string[]> {
  const out: string[] = [];
  for await (const h of store.list()) out.push(h);
  return out.sort();
}

const rand = prng(7);
const samples = {
  empty: new Uint8Array(0),
  small: new TextEncoder().encode('hello, objects'),
  random: randomBytes(rand, 4096), // incompressible: stored raw
  text: new TextEncoder().encode('the quick brown fox jumps over the lazy dog. '.repeat(1500)), // compresses well
};

describe('FsObjectStore', () => {
  it('round-trips objects under objects/ab/cdef..., compressing only what compresses', async () => {
    const store = tempStore();
    for (const [name, bytes] of Object.entries(samples)) {
      const h = await store.put(bytes);
      expect(h, name).toBe(blake3Hex(bytes));
      expect(await store.has(h)).toBe(true);
      expect(Buffer.from(await store.get(h)).equals(Buffer.from(bytes)), name).toBe(true);
      const file = join(store.dir, 'objects', h.slice(0, 2), h.slice(2));
      expect(store.pathOf(h)).toBe(file);
      const head = readFileSync(file);
      expect(head.subarray(0, 4).toString('latin1')).toBe('prOB');
      expect(head.readUInt32LE(8)).toBe(bytes.length);
      expect(head[5], name).toBe(name === 'text' ? Codec.lz4 : Codec.raw);
    }
    expect(await listed(store)).toEqual(Object.values(samples).map((b) => blake3Hex(b)).sort());
    const s = await store.stats();
    expect(s.objects).toBe(4);
    expect(s.logicalBytes).toBe(Object.values(samples).reduce((n, b) => n + b.length, 0));
    expect(s.storedBytes).toBeLessThan(s.logicalBytes / 2);
  });

  it('put is idempotent and reports what it added', async () => {
    const store = tempStore();
    const h = blake3Hex(samples.text);
    const first = await store.putHashed(h, samples.text);
    expect(first.added).toBe(true);
    expect(first.storedBytes).toBe(readFileSync(store.pathOf(h)).length);
    expect(await store.putHashed(h, samples.text)).toEqual({ added: false, storedBytes: 0 });
    expect(await store.put(samples.text)).toBe(h);
    expect(await listed(store)).toEqual([h]);
  });

  it('reads objects written with another codec (deflate-raw)', async () => {
    const store = tempStore({ codec: Codec.deflateRaw, fsync: true });
    const h = await store.put(samples.text);
    expect(readFileSync(store.pathOf(h))[5]).toBe(Codec.deflateRaw);
    expect(Buffer.from(await new FsObjectStore(store.dir).get(h)).equals(Buffer.from(samples.text))).toBe(true);
  });

  it('a corrupted file is an ObjectCorruptError naming the hash and the file', async () => {
    const store = tempStore();
    for (const [name, bytes] of [['raw', samples.random], ['lz4', samples.text]] as const) {
      const h = await store.put(bytes);
      const path = store.pathOf(h);
      const file = readFileSync(path);
      file[file.length - 10] ^= 0x5a;
      writeFileSync(path, file);
      const err = await store.get(h).catch((e: unknown) => e);
      expect(err, name).toBeInstanceOf(ObjectCorruptError);
      expect((err as Error).message).toContain(h);
      expect((err as Error).message).toContain(path);
      expect((err as Error).message.split('\n')).toHaveLength(1);
    }
    // a truncated file, and a file that is not an object file at all
    const h = await store.put(samples.small);
    writeFileSync(store.pathOf(h), readFileSync(store.pathOf(h)).subarray(0, 6));
    await expect(store.get(h)).rejects.toThrow(/shorter than the 12-byte header/);
    writeFileSync(store.pathOf(h), 'not an object file at all');
    await expect(store.get(h)).rejects.toThrow(/bad magic/);
  });

  it('a deleted file is an ObjectMissingError naming the hash and the file', async () => {
    const store = tempStore();
    const h = await store.put(samples.small);
    unlinkSync(store.pathOf(h));
    const err = await store.get(h).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ObjectMissingError);
    expect((err as Error).message).toBe(`object ${h} is missing (no file ${store.pathOf(h)})`);
    expect(await store.has(h)).toBe(false);
    // delete() is idempotent
    const h2 = await store.put(samples.text);
    await store.delete(h2);
    await store.delete(h2);
    expect(await listed(store)).toEqual([]);
  });

  it('temporary files are never visible as objects, and none are left behind', async () => {
    const store = tempStore();
    const hashes = await Promise.all(Array.from({ length: 50 }, (_, i) => store.put(randomBytes(prng(i), 512 + i))));
    for (const h of hashes) {
      const names = readdirSync(join(store.objectsDir, h.slice(0, 2)));
      expect(names.every((n) => !n.includes('.tmp'))).toBe(true);
    }
    // What a writer killed between write and rename leaves behind:
    const h = blake3Hex(samples.text);
    const temp = `${store.pathOf(h)}.tmp-999-1`;
    writeFileSync(temp, readFileSync(store.pathOf(hashes[0])).subarray(0, 7));
    expect(await store.has(h)).toBe(false);
    await expect(store.get(h)).rejects.toThrow(ObjectMissingError);
    expect(await listed(store)).toEqual([...hashes].sort());
    // a later put of the same object still lands under its final name
    await store.put(samples.text);
    expect(await store.has(h)).toBe(true);
    expect(existsSync(temp)).toBe(true);
  });

  it('reads objects larger than its read buffer', async () => {
    const store = tempStore();
    for (const bytes of [randomBytes(prng(3), 200 * 1024), new Uint8Array(3 * 1024 * 1024).fill(7)]) {
      const h = await store.put(bytes);
      expect(Buffer.from(await store.get(h)).equals(Buffer.from(bytes))).toBe(true);
    }
    // a raw object read through the shared buffer is the caller's: the next read does not change it
    const a = await store.get(await store.put(samples.random));
    await store.get(await store.put(randomBytes(prng(4), 4096)));
    expect(Buffer.from(a).equals(Buffer.from(samples.random))).toBe(true);
  });

  it('sync() makes what was written durable: every new file, then the directories that name them, once', async () => {
    const store = tempStore();
    expect(await store.sync()).toEqual({ files: 0, dirs: 0 });
    const hashes = await Promise.all(Array.from({ length: 40 }, (_, i) => store.put(randomBytes(prng(i), 300))));
    const subdirs = new Set(hashes.map((h) => h.slice(0, 2)));
    // every object file, its directory objects/ab, objects/ (new subdirectories) and DIR (objects/ was created)
    expect(await store.sync()).toEqual({ files: 40, dirs: subdirs.size + 2 });
    expect(await store.sync()).toEqual({ files: 0, dirs: 0 });
    // an object already there is not written again and needs nothing; a put still in flight is waited for
    await store.put(randomBytes(prng(0), 300));
    const pending = store.put(samples.text);
    const s = await store.sync();
    expect(s.files).toBe(1);
    expect(await store.has(await pending)).toBe(true);
    // a file deleted before the sync (gc) is no error
    const gone = await store.put(samples.small);
    await store.delete(gone);
    expect((await store.sync()).files).toBe(1);
  });

  it('with fsync: true each object is synced as it is written; sync() is left with the directories', async () => {
    const store = tempStore({ fsync: true });
    await store.put(samples.small);
    expect(await store.sync()).toEqual({ files: 0, dirs: 3 });
  });

  it('refuses a malformed hash before touching the file system', async () => {
    const store = tempStore();
    await expect(store.get('../../etc/passwd')).rejects.toThrow(TypeError);
    await expect(store.has('AB'.repeat(32))).rejects.toThrow(/64 lowercase hex/);
  });
});

describe('MemoryObjectStore', () => {
  it('round-trips, copies in and out, and reports missing objects', async () => {
    const store = new MemoryObjectStore();
    const bytes = samples.small.slice();
    const h = await store.put(bytes);
    bytes[0] ^= 1;
    const got = await store.get(h);
    expect(Buffer.from(got).equals(Buffer.from(samples.small))).toBe(true);
    got[0] ^= 1;
    expect(Buffer.from(await store.get(h)).equals(Buffer.from(samples.small))).toBe(true);
    expect(await listed(store)).toEqual([h]);
    expect(await store.stats()).toEqual({ objects: 1, storedBytes: samples.small.length, logicalBytes: samples.small.length });
    await store.delete(h);
    await expect(store.get(h)).rejects.toThrow(ObjectMissingError);
    await expect(store.get(h)).rejects.toThrow(h);
  });
});
