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
 * Durability: a rename makes an object visible, not durable. sync() makes
 * everything written so far durable (the files, then their directories), so
 * a manifest that names objects is written only after sync() resolves.
 *
 * The directory can be copied, served over HTTP or synced to object storage
 * as it is.
 */
import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import { mkdir, open, readdir, rename, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import { forEachLimit } from './concurrency.js';
import { ObjectCorruptError, ObjectMissingError } from './errors.js';
import { assertHash, blake3Bin, blake3Hex, blake3Ready, fromHex, hashEquals, toHex } from './hash.js';
import { decodeObjectFile, encodeObjectFile, ObjectFileError, objectFileLength } from './object-file.js';
import type { ObjectStore, PutOutcome, StoreStats } from './object-store.js';
import { Codec, OBJECT_HEADER_BYTES, type CodecId, type Hash } from './schema.js';

export interface FsObjectStoreOptions {
  /** Codec for new objects (default lz4). Every codec is always readable. */
  codec?: CodecId;
  /**
   * fsync each object before renaming it into place (default false). Without
   * it a crashed process still never leaves a partial object, but a power
   * loss can (get() would then report it as corrupt) until sync() has run:
   * sync() does the same for a whole batch, cheaper.
   */
  fsync?: boolean;
}

/** What sync() made durable. */
export interface SyncStats {
  /** Object files fsynced. */
  files: number;
  /** Directories fsynced (the objects' directories, and their parents where a directory was created). */
  dirs: number;
}

/** Files synced at once: enough to keep the device's queue busy through the thread pool. */
const SYNC_CONCURRENCY = 16;
/** get() reads objects up to this size with one read() into a reused buffer (pages and nodes are ~4-8 KiB). */
const READ_BUFFER_BYTES = 64 * 1024;

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
  private readonly starting = new Set<Promise<Hash>>();
  /** Written since the last sync(): object files, and directories whose entries changed. */
  private unsyncedFiles = new Set<string>();
  private unsyncedDirs = new Set<string>();
  private readonly readBuffer = Buffer.allocUnsafeSlow(READ_BUFFER_BYTES);

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
    return this.objectsDir + sep + h.slice(0, 2) + sep + h.slice(2);
  }

  put(bytes: Uint8Array): Promise<Hash> {
    const copy = bytes.slice();
    // Known to sync() from this moment, before it has a hash (and so an entry in inFlight).
    const p = blake3Ready().then(async () => {
      const h = blake3Hex(copy);
      await this.putHashed(h, copy);
      return h;
    });
    this.starting.add(p);
    const done = () => this.starting.delete(p);
    p.then(done, done);
    return p;
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
      // The first directory it created, if any: its parent's entry changed too (and objects/ in DIR, the first time).
      const created = await mkdir(sub, { recursive: true });
      if (created !== undefined) for (let d = sub; d.length >= created.length; d = dirname(d)) this.unsyncedDirs.add(dirname(d));
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
    if (!this.fsync) this.unsyncedFiles.add(path);
    this.unsyncedDirs.add(sub);
    return { added: true, storedBytes: file.length };
  }

  /**
   * Makes every object written so far (puts already started included)
   * durable: fsyncs the object files, then the directories that name them,
   * many at once. Call it before writing anything that names the objects
   * (a recording's manifest). After a failure, the next call retries.
   */
  async sync(): Promise<SyncStats> {
    await Promise.allSettled([...this.starting]);
    await Promise.allSettled([...this.inFlight.values()]);
    const files = [...this.unsyncedFiles];
    const dirs = [...this.unsyncedDirs];
    this.unsyncedFiles = new Set();
    this.unsyncedDirs = new Set();
    try {
      await forEachLimit(files, SYNC_CONCURRENCY, fsyncPath);
      // Deepest first: an objects/ab entry is durable before objects/ is synced with the name of ab.
      dirs.sort((a, b) => b.length - a.length);
      await forEachLimit(dirs, SYNC_CONCURRENCY, fsyncPath);
    } catch (e) {
      for (const f of files) this.unsyncedFiles.add(f);
      for (const d of dirs) this.unsyncedDirs.add(d);
      throw e;
    }
    return { files: files.length, dirs: dirs.length };
  }

  async get(h: Hash): Promise<Uint8Array> {
    await blake3Ready();
    // Synchronous from here: the read buffer is shared, and small objects from the page cache come back ~3x faster than through the thread pool.
    const path = this.pathOf(h);
    const file = this.readObjectFile(h, path);
    let bytes: Uint8Array;
    try {
      bytes = decodeObjectFile(file);
    } catch (e) {
      if (e instanceof ObjectFileError) throw new ObjectCorruptError(h, path, e.message);
      throw e;
    }
    if (bytes.buffer === this.readBuffer.buffer) bytes = bytes.slice(); // a raw object still in the read buffer
    const actual = blake3Bin(bytes);
    if (!hashEquals(actual, 0, fromHex(h), 0)) throw new ObjectCorruptError(h, path, `its content hashes to ${toHex(actual)}`);
    return bytes;
  }

  /** The file's bytes: in the read buffer (valid until the next read) when they fit, else a new buffer. One open, one read, one close for small objects. */
  private readObjectFile(h: Hash, path: string): Uint8Array {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new ObjectMissingError(h, `no file ${path}`);
      throw e;
    }
    try {
      const buf = this.readBuffer;
      let n = readSync(fd, buf, 0, buf.length, 0);
      if (n < buf.length) return buf.subarray(0, n);
      const size = fstatSync(fd).size;
      const big = Buffer.allocUnsafe(Math.max(size, n));
      buf.copy(big, 0, 0, n);
      for (let k; n < big.length && (k = readSync(fd, big, n, big.length - n, n)) > 0; ) n += k;
      return big.subarray(0, n);
    } finally {
      closeSync(fd);
    }
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

/** fsync a file or a directory (Linux syncs a directory opened read-only). One deleted meanwhile (gc) needs nothing. */
async function fsyncPath(path: string): Promise<void> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
