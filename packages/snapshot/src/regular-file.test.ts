/**
 * Files a reader finds inside a recording that are not regular files (a FIFO,
 * a directory, a symbolic link): refused at once with one line naming the path
 * and what it is, never waited on; a pack that is one is skipped, so the
 * objects of the other packs stay readable.
 */
import { closeSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ObjectCorruptError, ObjectMissingError } from './errors.js';
import { FsObjectStore } from './fs-object-store.js';
import { blake3Ready } from './hash.js';
import { NotRegularFileError, openRegularFile, readRegularFile, readRegularFileSync } from './regular-file.js';
import { makeFifo } from '@prnr/test-env/fifo';
import { prng, randomBytes } from './test-support.js';

const dirs: string[] = [];
const cleanups: Array<() => void> = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'prnr-regular-'));
  dirs.push(dir);
  return dir;
}
function fifo(path: string): void {
  cleanups.push(makeFifo(path).stop);
}
afterEach(() => {
  for (const stop of cleanups.splice(0)) stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
beforeAll(() => blake3Ready());

const rand = prng(5);

/** Each kind of thing that is not a regular file, made at a path. */
const NOT_REGULAR: Array<[kind: string, make: (path: string, dir: string) => void]> = [
  ['a FIFO', (path) => fifo(path)],
  ['a directory', (path) => mkdirSync(path)],
  ['a symbolic link', (path, dir) => { writeFileSync(join(dir, 'target'), 'bytes'); symlinkSync(join(dir, 'target'), path); }],
];

describe('openRegularFile, readRegularFile', () => {
  it('read a regular file, also through a directory that is a symbolic link (the recording may be reached by one)', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'real'));
    writeFileSync(join(dir, 'real', 'f'), 'hello');
    symlinkSync(join(dir, 'real'), join(dir, 'via'));
    const { fd, size } = openRegularFile(join(dir, 'via', 'f'));
    closeSync(fd);
    expect(size).toBe(5);
    expect(readRegularFileSync(join(dir, 'via', 'f')).toString()).toBe('hello');
    expect((await readRegularFile(join(dir, 'via', 'f'))).toString()).toBe('hello');
  });

  it.each(NOT_REGULAR)('refuse %s at once, in one line naming the path and what it is', async (kind, make) => {
    const dir = tempDir();
    const path = join(dir, 'x');
    make(path, dir);
    const message = `${path} is ${kind}, not a regular file`;
    expect(() => openRegularFile(path)).toThrow(new NotRegularFileError(path, kind));
    expect(() => openRegularFile(path)).toThrow(message);
    expect(() => readRegularFileSync(path)).toThrow(message);
    await expect(readRegularFile(path)).rejects.toThrow(message);
    await expect(readRegularFile(path)).rejects.toBeInstanceOf(NotRegularFileError);
  });

  it('a missing file is Node\'s ENOENT, as before', async () => {
    const path = join(tempDir(), 'none');
    expect(() => openRegularFile(path)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    await expect(readRegularFile(path)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('FsObjectStore and files that are not regular files', () => {
  /** A store of two closed packs (pack-000001, pack-000002), and the hashes in each. */
  async function twoPacks(dir: string): Promise<{ first: string[]; second: string[] }> {
    const a = new FsObjectStore(dir, { packs: true });
    const first = [await a.put(randomBytes(rand, 4096)), await a.put(randomBytes(rand, 300))];
    await a.close();
    const b = new FsObjectStore(dir, { packs: true });
    const second = [await b.put(randomBytes(rand, 4096)), await b.put(randomBytes(rand, 300))];
    await b.close();
    expect(readdirSync(join(dir, 'objects', 'pack'))).toEqual(['pack-000001.pack', 'pack-000002.pack']);
    return { first, second };
  }

  it.each(NOT_REGULAR)('a pack that is %s is skipped and named in packDamage(): the other packs read, gc works', async (kind, make) => {
    const dir = tempDir();
    const { first, second } = await twoPacks(dir);
    const pack = join(dir, 'objects', 'pack', 'pack-000001.pack');
    rmSync(pack);
    make(pack, dir);
    const store = new FsObjectStore(dir);
    for (const h of second) expect((await store.get(h)).length).toBeGreaterThan(0);
    expect(store.packDamage()).toEqual([`${pack}: ${kind}, not a regular file`]);
    const err = await store.get(first[0]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ObjectMissingError);
    expect((err as Error).message).toContain(`${pack}: ${kind}, not a regular file`);
    expect(await store.fileCount()).toEqual({ packs: 2, loose: 0 });
    // The skipped pack holds nothing gc knows of: it is left as it is, the other rewritten.
    expect(await store.retainOnly(new Set([second[0]]))).toMatchObject({ objectsRemoved: 1, packsRewritten: 1 });
    expect((await new FsObjectStore(dir).get(second[0])).length).toBe(4096);
  });

  it.each(NOT_REGULAR)('a loose object that is %s is corrupt, named with its file; has() still says it is there', async (kind, make) => {
    const dir = tempDir();
    const store = new FsObjectStore(dir);
    const h = await store.put(randomBytes(rand, 4096));
    const path = store.pathOf(h);
    rmSync(path);
    make(path, dir);
    const reader = new FsObjectStore(dir);
    expect(await reader.has(h)).toBe(true);
    const err = await reader.get(h).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ObjectCorruptError);
    expect((err as Error).message).toBe(`object ${h} in ${path} is corrupt: it is ${kind}, not a regular file`);
    expect((await reader.stats()).objects).toBe(0); // counted only where it can be read
  });
});
