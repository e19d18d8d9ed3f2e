/**
 * An object store in a directory. New objects go into pack files
 * (`DIR/objects/pack/*.pack`, pack-format.ts: append-only, indexed,
 * checksummed), so a recording is a few files and one fsync makes a batch
 * durable. Objects as files of their own (`DIR/objects/ab/cdef...`, the
 * hash split after two hex chars, each an object file: object-file.ts) are
 * what recordings made before packs hold: they are still read, and written
 * when the store is created with `packs: false`. get() verifies the content
 * hash wherever the object lies.
 *
 * A loose file is written under a temporary name in its final directory and
 * renamed, so a crash never leaves a partial object under an object's name.
 * A pack that a crash cut short is read up to the cut (pack-set.ts).
 *
 * Existence checks and reads are synchronous syscalls inside the async API:
 * for small objects in the page cache they are several times faster than
 * the thread pool. Loose writes stay asynchronous, so several are in flight.
 *
 * Durability: neither a rename nor an append makes an object durable.
 * sync() makes everything written so far durable (the pack or the files,
 * then their directories), so a manifest that names objects is written only
 * after sync() resolves. close() completes the pack (appends its index).
 */
import { closeSync, existsSync, readSync, statSync } from 'node:fs';
import { mkdir, open, readdir, rename, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import { forEachLimit } from './concurrency.js';
import { ObjectCorruptError, ObjectMissingError } from './errors.js';
import { assertHash, blake3Bin, blake3Hex, blake3IsReady, blake3Ready, fromHex, hashEquals, toHex } from './hash.js';
import { decodeObjectFile, decodeObjectFileAsync, encodeObjectFile, encodeObjectParts, isLz4AtLeast, ObjectFileError, objectFileLength } from './object-file.js';
import type { ObjectStore, PutOutcome, StoreStats } from './object-store.js';
import { ENTRY_HEADER_BYTES, PackFormatError } from './pack-format.js';
import { PackSet, type Located } from './pack-set.js';
import { NotRegularFileError, openRegularFile } from './regular-file.js';
import { Codec, OBJECT_HEADER_BYTES, type CodecId, type Hash } from './schema.js';
import { copyBytes } from './copy-bytes.js';

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
  /** Write new objects into a pack (default false: one file per object, the layout before packs; a recorder asks for packs). Both are always read. */
  packs?: boolean;
}

/** Where an object's bytes (an object file, as a loose file holds them) lie. */
export interface ObjectLocation {
  file: string;
  /** Offset of the object file's bytes within `file` (0 for a loose file). */
  offset: number;
  length: number;
}

/** What retainOnly() dropped. */
export interface RetainResult {
  objectsRemoved: number;
  bytesFreed: number;
  packsRewritten: number;
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
/** Objects up to this size are decoded into a reused buffer; larger ones (disk images) by lz4-napi into their own. */
const DECODE_BUFFER_BYTES = 64 * 1024;
/** get() decodes LZ4 objects from this size up on the thread pool (decodeObjectFileAsync). */
const ASYNC_DECODE_BYTES = 1 << 20;

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
  private readonly hashScratch = new Uint8Array(32);
  /** Where objects up to DECODE_BUFFER_BYTES are decoded (pages, nodes): no buffer per object; get() copies out of it. */
  private readonly decodeBuffer = new Uint8Array(DECODE_BUFFER_BYTES);
  /** Scratch for a packed put's object header (copied into the pack's buffer at once). */
  private readonly header = new Uint8Array(OBJECT_HEADER_BYTES);
  private readonly packs: PackSet;
  private readonly packed: boolean;
  /** Present when new objects go into packs (appended synchronously): ObjectStore.putHashedNow. */
  readonly putHashedNow?: (h: Hash, bytes: Uint8Array) => PutOutcome;

  constructor(
    readonly dir: string,
    options: FsObjectStoreOptions = {},
  ) {
    this.objectsDir = join(dir, 'objects');
    this.codec = options.codec ?? Codec.lz4;
    this.fsync = options.fsync ?? false;
    this.packed = options.packs ?? false;
    this.packs = new PackSet(join(this.objectsDir, 'pack'));
    if (this.packed) this.putHashedNow = (h, bytes) => this.putPacked(h, bytes);
  }

  /** The file that holds (or would hold) object `h`. */
  pathOf(h: Hash): string {
    assertHash(h);
    return this.objectsDir + sep + h.slice(0, 2) + sep + h.slice(2);
  }

  put(bytes: Uint8Array): Promise<Hash> {
    if (this.packed && blake3IsReady()) {
      // Hashed and appended (compressed, copied) at once: no copy of `bytes` to keep meanwhile.
      try {
        const h = blake3Hex(bytes);
        this.putPacked(h, bytes);
        return Promise.resolve(h);
      } catch (e) {
        return Promise.reject(e);
      }
    }
    const copy = copyBytes(bytes);
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
    if (this.packed) return this.putPacked(h, bytes);
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

  /** Synchronous: compresses `bytes` and buffers their append (written at 1 MiB, at sync() and at close()). */
  private putPacked(h: Hash, bytes: Uint8Array): PutOutcome {
    // `h` is checked where it is written (fromHex in the entry), once.
    if (this.packs.knows(h)) return { added: false, storedBytes: 0 };
    const { header, payload } = encodeObjectParts(bytes, this.codec, this.header);
    this.packs.append(h, [header, payload]); // copies both before the next put reuses the header
    return { added: true, storedBytes: ENTRY_HEADER_BYTES + header.length + payload.length };
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
    return this.syncLoose(() => this.packs.sync());
  }

  /** Waits for puts under way, runs `packs` (the packs' part), then fsyncs loose files and their directories. */
  private async syncLoose(packs: () => number = () => 0): Promise<SyncStats> {
    await Promise.allSettled([...this.starting]);
    await Promise.allSettled([...this.inFlight.values()]);
    const packsSynced = packs();
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
    return { files: files.length + packsSynced, dirs: dirs.length };
  }

  /**
   * Makes everything durable like sync() and completes the pack being
   * written (its index), with one fsync of the pack for both; releases open
   * descriptors. The store stays usable.
   */
  async close(): Promise<void> {
    await this.syncLoose();
    this.packs.close();
  }

  /** Where object `h`'s bytes lie (for serving them as they are), or undefined if it is not in the store. */
  locate(h: Hash): ObjectLocation | undefined {
    const at = this.packs.locate(h, false);
    if (at) return { file: at.file, offset: at.entry.offset + ENTRY_HEADER_BYTES, length: at.entry.length };
    const path = this.pathOf(h);
    if (existsSync(path)) return { file: path, offset: 0, length: statSync(path).size };
    const again = this.packs.locate(h, true);
    return again && { file: again.file, offset: again.entry.offset + ENTRY_HEADER_BYTES, length: again.entry.length };
  }

  /** Packs (files) and loose object files in the store: what a copy or an upload moves. */
  async fileCount(): Promise<{ packs: number; loose: number }> {
    let loose = 0;
    for await (const _ of this.listLoose()) loose++;
    return { packs: this.packs.files(), loose };
  }

  /** Why any pack could not be read to its end (file and offset), one line each; empty if none. */
  packDamage(): string[] {
    return this.packs.damage();
  }

  /**
   * Removes every object not in `keep`: loose files are unlinked, packs that
   * hold anything else are rewritten with the kept objects only (the new pack
   * is durable before an old one goes). For gc.
   */
  async retainOnly(keep: ReadonlySet<Hash>): Promise<RetainResult> {
    await this.sync();
    let objectsRemoved = 0;
    let bytesFreed = 0;
    for await (const h of this.listLoose()) {
      if (keep.has(h)) continue;
      const path = this.pathOf(h);
      try {
        bytesFreed += statSync(path).size;
        await unlink(path);
        objectsRemoved++;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    }
    const r = this.packs.retain(keep, corruptAt);
    return { objectsRemoved: objectsRemoved + r.objectsRemoved, bytesFreed: bytesFreed + r.bytesFreed, packsRewritten: r.packsRewritten };
  }

  /**
   * Reads every object that retainOnly(keep) would copy (the kept objects
   * in packs it would rewrite), checking each as the copy would; throws
   * ObjectCorruptError naming the pack and offset of the first that fails.
   * A merge calls it before it changes anything. Returns objects checked.
   */
  async checkRetain(keep: ReadonlySet<Hash>): Promise<number> {
    return this.packs.checkRetain(keep, corruptAt);
  }

  async get(h: Hash): Promise<Uint8Array> {
    // Read at once, synchronously: the read buffer is shared, and small objects from the page cache come back ~3x faster than through the thread pool.
    const { file, where } = this.fileOf(h);
    if (file.buffer !== this.readBuffer.buffer && isLz4AtLeast(file, ASYNC_DECODE_BYTES)) {
      // A large object (a base disk image) is decoded on the thread pool, its page faults too, while this thread goes on (a replay's machine build runs the hart's primer meanwhile).
      const [bytes] = await Promise.all([decodeObjectFileAsync(file).catch((e) => { throw e instanceof ObjectFileError ? new ObjectCorruptError(h, where, e.message) : e; }), blake3Ready()]);
      return this.checked(h, bytes, where);
    }
    let own = file;
    if (!blake3IsReady()) {
      // The thread's first read waits for the hasher: out of the shared buffer first.
      if (own.buffer === this.readBuffer.buffer) own = copyBytes(own);
      await blake3Ready();
    }
    const bytes = this.verified(h, own, where);
    // The caller owns what get() returns: not a view of a buffer the next read reuses.
    return bytes.buffer === this.readBuffer.buffer || bytes.buffer === this.decodeBuffer.buffer ? copyBytes(bytes) : bytes;
  }

  /** Object `h`'s file bytes (in the read buffer when they fit, valid until the next read) and where they are, for errors. */
  private fileOf(h: Hash): { file: Uint8Array; where: string } {
    const path = this.pathOf(h);
    const at = this.packs.locate(h, false) ?? (existsSync(path) ? undefined : this.packs.locate(h, true));
    if (!at) return { file: this.readObjectFile(h, path), where: path };
    try {
      return { file: this.packs.read(h, at), where: packWhere(at) };
    } catch (e) {
      if (e instanceof PackFormatError) throw corruptAt({ h, at }, e);
      throw e;
    }
  }

  /**
   * Many objects: those in packs read in file order, neighbours with one
   * read (PackSet.readEach), each decoded into one reused buffer and
   * verified there (a raw one where it was read), and lent to `each`; the
   * rest one by one through get(). Only an object too large for that buffer
   * gets a buffer of its own (`fresh`).
   */
  async getEach(hashes: readonly Hash[], each: (h: Hash, bytes: Uint8Array, fresh: boolean) => void): Promise<void> {
    await blake3Ready();
    const packed: Array<{ h: Hash; at: Located }> = [];
    const rest: Hash[] = [];
    for (const h of hashes) {
      const at = this.packs.locate(h, false);
      if (at) packed.push({ h, at });
      else rest.push(h);
    }
    this.packs.readEach(
      packed,
      (x, file) => {
        const bytes = this.verified(x.h, file, packWhere(x.at));
        const lent = bytes.buffer === file.buffer || bytes.buffer === this.decodeBuffer.buffer;
        each(x.h, bytes, !lent && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength);
      },
      corruptAt,
    );
    for (const h of rest) each(h, await this.get(h), true);
  }

  /** Object `h` decoded from its object file bytes and checked against its hash; `where` names the file for an error. Raw: a view of `file`. */
  private verified(h: Hash, file: Uint8Array, where: string): Uint8Array {
    let bytes: Uint8Array;
    try {
      bytes = decodeObjectFile(file, this.decodeBuffer);
    } catch (e) {
      if (e instanceof ObjectFileError) throw new ObjectCorruptError(h, where, e.message);
      throw e;
    }
    return this.checked(h, bytes, where);
  }

  /** `bytes` if they hash to `h`, else ObjectCorruptError naming `where`. */
  private checked(h: Hash, bytes: Uint8Array, where: string): Uint8Array {
    const actual = blake3Bin(bytes);
    if (!hashEquals(actual, 0, fromHex(h, this.hashScratch), 0)) throw new ObjectCorruptError(h, where, `its content hashes to ${toHex(actual)}`);
    return bytes;
  }

  /**
   * The file's bytes: in the read buffer (valid until the next read) when they fit, else a new buffer.
   * One open, one fstat (a FIFO or a directory under the name is corrupt, never waited on), one read, one close for small objects.
   */
  private readObjectFile(h: Hash, path: string): Uint8Array {
    let fd: number;
    let size: number;
    try {
      ({ fd, size } = openRegularFile(path));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
        const damage = this.packs.damage();
        const inPacks = this.packs.files() > 0 ? ` and in no pack${damage.length ? `; ${damage.join('; ')}` : ''}` : '';
        throw new ObjectMissingError(h, `no file ${path}${inPacks}`);
      }
      if (e instanceof NotRegularFileError) throw new ObjectCorruptError(h, path, `it is ${e.kind}, not a regular file`);
      throw e;
    }
    try {
      const buf = this.readBuffer;
      let n = readSync(fd, buf, 0, buf.length, 0);
      if (n < buf.length) return buf.subarray(0, n);
      const big = Buffer.allocUnsafe(Math.max(size, n));
      buf.copy(big, 0, 0, n);
      for (let k; n < big.length && (k = readSync(fd, big, n, big.length - n, n)) > 0; ) n += k;
      return big.subarray(0, n);
    } finally {
      closeSync(fd);
    }
  }

  async has(h: Hash): Promise<boolean> {
    const path = this.pathOf(h);
    return this.packs.locate(h, false) !== undefined || existsSync(path) || this.packs.locate(h, true) !== undefined;
  }

  /** Every object, in packs or loose (one that is in both is listed twice). */
  async *list(): AsyncIterable<Hash> {
    yield* this.packs.hashes();
    yield* this.listLoose();
  }

  private async *listLoose(): AsyncIterable<Hash> {
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

  /** Removes one object; one in a pack costs a rewrite of that pack (gc calls retainOnly once instead). */
  async delete(h: Hash): Promise<void> {
    if (this.packs.locate(h, true)) this.packs.retain(new Set(this.packs.hashes().filter((x) => x !== h)), corruptAt);
    try {
      await unlink(this.pathOf(h));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }

  /** Scans the store: every object's stored size and header (one read each). Objects whose header is unreadable count as stored only. */
  async stats(): Promise<StoreStats> {
    const seen = new Set<Hash>();
    for await (const h of this.list()) seen.add(h);
    let storedBytes = 0;
    let logicalBytes = 0;
    let objects = 0;
    const head = Buffer.alloc(OBJECT_HEADER_BYTES);
    for (const h of seen) {
      const at = this.locate(h);
      if (!at) continue; // deleted meanwhile
      let fd: number;
      try {
        ({ fd } = openRegularFile(at.file));
      } catch (e) {
        if (e instanceof NotRegularFileError) continue; // get() says so; stats counts what can be read
        throw e;
      }
      try {
        const n = readSync(fd, head, 0, OBJECT_HEADER_BYTES, at.offset);
        objects++;
        storedBytes += at.length + (at.offset > 0 ? ENTRY_HEADER_BYTES : 0);
        try {
          logicalBytes += objectFileLength(head.subarray(0, n));
        } catch {
          // corrupt header: get() will say so; stats only counts what is there
        }
      } finally {
        closeSync(fd);
      }
    }
    return { objects, storedBytes, logicalBytes };
  }
}

/** Where a packed object lies, as errors name it. */
function packWhere(at: Located): string {
  return `${at.file} at offset ${at.entry.offset}`;
}

/** A pack entry that failed its check, as the store reports it. */
function corruptAt(x: { h: Hash; at: Located }, e: PackFormatError): ObjectCorruptError {
  return new ObjectCorruptError(x.h, packWhere(x.at), e.message);
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
