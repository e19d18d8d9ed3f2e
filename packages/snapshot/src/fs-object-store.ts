/**
 * An object store in a directory: `DIR/objects/ab/cdef...` (the hash split
 * after two hex chars), each file an object file (object-file.ts). A file
 * is written under a temporary name in its final directory and renamed, so a
 * crash never leaves a partial object under an object's name; list() and
 * has() see only final names. get() verifies the content hash.
 *
 * Existence checks and reads are synchronous syscalls inside the async API:
 * for small objects in the page cache they are several times faster than
 * the thread pool. Writes stay asynchronous, so several are in flight.
 *
 * The directory can be copied, served over HTTP or synced to object storage
 * as it is.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, open, readdir, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { forEachLimit } from './concurrency.js';
import { ObjectCorruptError, ObjectMissingError } from './errors.js';
import { assertHash, blake3Hex, blake3Ready } from './hash.js';
import { decodeObjectFile, encodeObjectFile, ObjectFileError, objectFileLength } from './object-file.js';
import type { ObjectStore, PutOutcome, StoreStats } from './object-store.js';
import { Codec, OBJECT_HEADER_BYTES, type CodecId, type Hash } from './schema.js';

export interface FsObjectStoreOptions {
  /** Codec for new objects (default lz4). Every codec is always readable. */
  codec?: CodecId;
  /**
   * fsync each object before renaming it into place (default false). Without
   * it a crashed process still never leaves a partial object, but a power
   * loss can; get() would then report it as corrupt.
   */
  fsync?: boolean;
}

const NAME_RE = /^[0-9a-f]{62}$/;
const DIR_RE = /^[0-9a-f]{2}$/;

let tempCounter = 0;

export class FsObjectStore implements ObjectStore {
  /** The objects directory (`DIR/objects`). */
  readonly objectsDir: string;
  private readonly codec: CodecId;
  private readonly fsync: boolean;
  private readonly madeDirs = new Set<string>();
  private readonly inFlight = new Map<Hash, Promise<PutOutcome>>();

  constructor(
    readonly dir: string,
    options: FsObjectStoreOptions = {},
  ) {
    this.objectsDir = join(dir, 'objects');
    this.codec = options.codec ?? Codec.lz4;
    this.fsync = options.fsync ?? false;
  }

  /** The file that holds (or would hold) object `h`. */
  pathOf(h: Hash): string {
    assertHash(h);
    return join(this.objectsDir, h.slice(0, 2), h.slice(2));
  }

  async put(bytes: Uint8Array): Promise<Hash> {
    const copy = bytes.slice();
    await blake3Ready();
    const h = blake3Hex(copy);
    await this.putHashed(h, copy);
    return h;
  }

  async putHashed(h: Hash, bytes: Uint8Array): Promise<PutOutcome> {
    const path = this.pathOf(h);
    const pending = this.inFlight.get(h);
    if (pending) {
      await pending; // the same object is being written: one file, counted once
      return { added: false, storedBytes: 0 };
    }
    // Checked and encoded (copied, compressed) before the first await: the caller may reuse `bytes` at once.
    if (existsSync(path)) return { added: false, storedBytes: 0 };
    const file = encodeObjectFile(bytes, this.codec);
    const write = this.write(h, path, file);
    this.inFlight.set(h, write);
    try {
      return await write;
    } finally {
      this.inFlight.delete(h);
    }
  }

  private async write(h: Hash, path: string, file: Uint8Array): Promise<PutOutcome> {
    const sub = join(this.objectsDir, h.slice(0, 2));
    if (!this.madeDirs.has(sub)) {
      await mkdir(sub, { recursive: true });
      this.madeDirs.add(sub);
    }
    const temp = `${path}.tmp-${process.pid}-${++tempCounter}`;
    try {
      if (this.fsync) {
        const fh = await open(temp, 'wx');
        try {
          await fh.writeFile(file);
          await fh.sync();
        } finally {
          await fh.close();
        }
      } else {
        await writeFile(temp, file, { flag: 'wx' });
      }
      await rename(temp, path);
    } catch (e) {
      await unlink(temp).catch(() => {});
      throw e;
    }
    return { added: true, storedBytes: file.length };
  }

  async get(h: Hash): Promise<Uint8Array> {
    const path = this.pathOf(h);
    let file: Uint8Array;
    try {
      // A synchronous read: small objects from the page cache come back ~3x faster than through the thread pool.
      file = readFileSync(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new ObjectMissingError(h, `no file ${path}`);
      throw e;
    }
    let bytes: Uint8Array;
    try {
      bytes = decodeObjectFile(file);
    } catch (e) {
      if (e instanceof ObjectFileError) throw new ObjectCorruptError(h, path, e.message);
      throw e;
    }
    await blake3Ready();
    const actual = blake3Hex(bytes);
    if (actual !== h) throw new ObjectCorruptError(h, path, `its content hashes to ${actual}`);
    return bytes;
  }

  async has(h: Hash): Promise<boolean> {
    return existsSync(this.pathOf(h));
  }

  async *list(): AsyncIterable<Hash> {
    let dirs: string[];
    try {
      dirs = await readdir(this.objectsDir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    for (const d of dirs.sort()) {
      if (!DIR_RE.test(d)) continue;
      let names: string[];
      try {
        names = await readdir(join(this.objectsDir, d));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') continue;
        throw e;
      }
      for (const n of names.sort()) if (NAME_RE.test(n)) yield d + n;
    }
  }

  async delete(h: Hash): Promise<void> {
    try {
      await unlink(this.pathOf(h));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }

  /** Scans the directory: reads every object's size and header. Objects whose header is unreadable count as stored only. */
  async stats(): Promise<StoreStats> {
    const hashes: Hash[] = [];
    for await (const h of this.list()) hashes.push(h);
    let storedBytes = 0;
    let logicalBytes = 0;
    let objects = 0;
    await forEachLimit(hashes, 16, async (h) => {
      const path = this.pathOf(h);
      let fh;
      try {
        fh = await open(path, 'r');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return; // deleted meanwhile
        throw e;
      }
      try {
        const size = (await fh.stat()).size;
        const head = new Uint8Array(OBJECT_HEADER_BYTES);
        const { bytesRead } = await fh.read(head, 0, OBJECT_HEADER_BYTES, 0);
        objects++;
        storedBytes += size;
        try {
          logicalBytes += objectFileLength(head.subarray(0, bytesRead));
        } catch {
          // corrupt header: get() will say so; stats only counts what is there
        }
      } finally {
        await fh.close();
      }
    });
    return { objects, storedBytes, logicalBytes };
  }
}
