/**
 * The packs of a store directory (`objects/pack/*.pack`, format in
 * pack-format.ts): finding an object in them, reading it, appending new
 * ones, and rewriting them without the objects gc drops.
 *
 * Reads and appends are synchronous syscalls: entries are small and in the
 * page cache, where the thread pool only adds latency. Each pack is opened
 * once and its descriptor kept until close(); a name that is not a regular
 * file (a FIFO would block the thread) is skipped and named by damage().
 * Reads that follow one another through a pack (a cold restore reads a
 * capture's pages in the order they were appended) are batched: such a read
 * fetches READ_AHEAD_BYTES at once and the next entries come from that
 * window.
 *
 * A writer appends to a pack of its own (a new file per store instance):
 * each entry is encoded straight into one reused buffer of FLUSH_BYTES
 * (no buffer per object: the snapshot worker appends ~5,000 objects per
 * recording), written when the next entry does not fit; sync() writes the
 * buffer and fsyncs the pack (and the directory the first time), close()
 * appends the index. Readers
 * that miss an object look again (new packs, packs that grew) before saying
 * it is missing, so a reader follows a live writer.
 */
import { closeSync, fstatSync, fsyncSync, mkdirSync, openSync, readdirSync, readSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { fsyncDirectory } from './durable-file.js';
import { dirname, join } from 'node:path';
import {
  checkPackHeader,
  decodeIndex,
  encodeEntryInto,
  encodeEntryOf,
  encodeIndex,
  entryBytes,
  entryBody,
  ENTRY_HEADER_BYTES,
  PACK_HEADER_BYTES,
  packHeader,
  PackFormatError,
  readTrailer,
  scanEntries,
  TRAILER_BYTES,
  type PackEntry,
} from './pack-format.js';
import { NotRegularFileError, openRegularFile } from './regular-file.js';
import type { Hash } from './schema.js';
import { copyBytes } from './copy-bytes.js';

/** Bytes of a writer's append buffer: appended entries are written when the next one does not fit (and at sync/close). */
const FLUSH_BYTES = 1 << 20;
/** A read that continues where the last one in the same pack ended fetches this much at once. */
const READ_AHEAD_BYTES = 256 * 1024;
/** How far past the last read's end a read still counts as continuing it. */
const SEQUENTIAL_GAP_BYTES = 64 * 1024;
/** readEach(): entries at most this far apart are read with one read() (the gap read through)... */
const SPAN_GAP_BYTES = 64 * 1024;
/** ...into a reused buffer of this size (an entry larger than it is read alone, into its own). */
const SPAN_BYTES = 1 << 20;
/** A writer starts a new pack past this size. */
const ROLL_BYTES = 1 << 30;
const PACK_NAME = /^[0-9a-z-]+\.pack$/;
/** What this code names the packs it makes (older packs have other names, all read alike). */
const SEQUENCED_PACK = /^pack-(\d+)\.pack$/;

/** Where an object is: a pack file and its entry. */
export interface Located {
  file: string;
  entry: PackEntry;
}

/** An object retain() copies, and where it is. */
export interface Copy {
  h: Hash;
  at: Located;
}

/** Bytes of a pack read ahead, and where its last read ended. */
interface ReadWindow {
  at: number;
  bytes: Buffer;
  lastEnd: number;
}

interface Pack {
  file: string;
  fd: number | undefined;
  window?: ReadWindow;
  entries: Map<Hash, PackEntry>;
  /** Bytes accounted for (entries scanned or indexed). */
  end: number;
  indexed: boolean;
  damage?: string;
  /** Not a regular file (a FIFO, a directory, a link): skipped, never opened again (`damage` says what it is). */
  refused?: boolean;
}

/** A pack being appended to by this process. */
interface OpenPack {
  file: string;
  fd: number;
  window?: ReadWindow;
  entries: Map<Hash, PackEntry>;
  /** Offset the next entry starts at (flushed and buffered bytes: flushed + used). */
  end: number;
  flushed: number;
  /** The append buffer (FLUSH_BYTES), reused: entries not yet written are its first `used` bytes. */
  chunk: Buffer;
  used: number;
  /** Bodies of the entries in `chunk`, as views of it (read() copies them). */
  buffered: Map<Hash, Uint8Array>;
  /** Bytes of the pack made durable by the last fsync (a sync() fsyncs only if entries were appended since, written or not). */
  syncedTo: number;
}

export class PackSet {
  private packs = new Map<string, Pack>();
  private loaded = false;
  private writing: OpenPack | undefined;
  /** readEach()'s buffer, made at its first use (a plain Uint8Array: its views are cheaper to make than a Buffer's). */
  private spanBuffer: Uint8Array | undefined;
  /** Packs this instance closed, not yet fsynced. */
  private unsynced: number[] = [];
  /** The first directory this instance created on the way to its packs, until a sync() made it durable. */
  private createdFrom: string | undefined;
  /** A pack was created since the last sync(): the directory must be synced for its name to be durable. */
  private newName = false;

  constructor(readonly dir: string) {}

  /** Packs found, and why any scan stopped early (one string per damaged pack). */
  damage(): string[] {
    this.load();
    return [...this.packs.values()].filter((p) => p.damage).map((p) => `${p.file}: ${p.damage}`);
  }

  /** Where `h` is; `lookAgain`: if it is not known, look at the directory again first (new packs, packs that grew). */
  locate(h: Hash, lookAgain: boolean): Located | undefined {
    this.load();
    let p = this.home(h);
    if (!p && lookAgain) {
      this.refresh();
      p = this.home(h);
    }
    if (!p) return undefined;
    return { file: p.file, entry: p.entries.get(h)! };
  }

  /** True if `h` is known without looking at the directory again (a writer's dedup check). */
  knows(h: Hash): boolean {
    this.load();
    return this.home(h) !== undefined;
  }

  /**
   * The pack that holds `h`: the one being written, else the first one found.
   * A look in each pack's map, not one map of every object: building a
   * second map at load cost more than the index itself (a pack set holds
   * a few packs; a writer rolls over at 1 GiB).
   */
  private home(h: Hash): Pack | OpenPack | undefined {
    if (this.writing?.entries.has(h)) return this.writing;
    for (const p of this.packs.values()) if (p.entries.has(h)) return p;
    return undefined;
  }

  /** Pack files in the directory. */
  files(): number {
    this.load();
    this.refresh();
    return this.packs.size + (this.writing ? 1 : 0);
  }

  /** Every object in the packs. */
  hashes(): Hash[] {
    this.load();
    this.refresh();
    const all = new Set<Hash>(this.writing?.entries.keys());
    for (const p of this.packs.values()) for (const h of p.entries.keys()) all.add(h);
    return [...all];
  }

  /**
   * The body (object file bytes) of `h`, checked against the entry's CRCs.
   * Throws PackFormatError saying what failed; the entry is at `at`.
   */
  read(h: Hash, at: Located): Uint8Array {
    const w = this.writing;
    if (w && w.file === at.file) {
      const b = w.buffered.get(h);
      if (b) return copyBytes(b);
    }
    const p = w && w.file === at.file ? w : this.packs.get(at.file)!;
    const n = ENTRY_HEADER_BYTES + at.entry.length;
    const start = at.entry.offset;
    const win = p.window;
    if (win && start >= win.at && start + n <= win.at + win.bytes.length) {
      win.lastEnd = start + n;
      // A copy: what is returned may be kept (an object cache) and must not hold the whole window.
      return entryBody(Buffer.from(win.bytes.subarray(start - win.at, start - win.at + n)), h, at.entry.length);
    }
    if (win && start >= win.lastEnd && start - win.lastEnd <= SEQUENTIAL_GAP_BYTES && n < READ_AHEAD_BYTES) {
      // Continues the last read: fetch ahead (entries are only ever appended, so the window stays true).
      const ahead = Buffer.allocUnsafe(READ_AHEAD_BYTES);
      const got = readFully(this.fdOf(p), ahead, start);
      p.window = { at: start, bytes: ahead.subarray(0, got), lastEnd: start + n };
      return entryBody(Buffer.from(ahead.subarray(0, Math.min(n, got))), h, at.entry.length);
    }
    const bytes = Buffer.allocUnsafe(n);
    const got = readFully(this.fdOf(p), bytes, start);
    p.window = { at: start, bytes: Buffer.alloc(0), lastEnd: start + n };
    return entryBody(bytes.subarray(0, got), h, at.entry.length);
  }

  /**
   * The bodies of many entries, each checked as read() checks it and passed
   * to `each` as a view of a reused buffer: valid only during the call, and
   * not to be written. Entries are read in file order, neighbours together
   * (one read() per span of up to SPAN_BYTES): a cold restore's ~3,000 pages
   * come in ~15 reads instead of ~3,000 reads into ~3,000 new buffers. An
   * entry that fails a check throws `corrupt(item, error)`.
   */
  readEach<T extends { h: Hash; at: Located }>(wanted: readonly T[], each: (item: T, body: Uint8Array) => void, corrupt: (item: T, e: PackFormatError) => Error): void {
    const checked = <R>(item: T, body: () => R): R => {
      try {
        return body();
      } catch (e) {
        if (e instanceof PackFormatError) throw corrupt(item, e);
        throw e;
      }
    };
    // The pack being written (entries maybe still in its append buffer): one by one, as read() does.
    const writing = this.writing?.file;
    for (const x of wanted) if (x.at.file === writing) each(x, checked(x, () => this.read(x.h, x.at)));
    const sorted = wanted.filter((x) => x.at.file !== writing);
    sorted.sort((a, b) => (a.at.file === b.at.file ? a.at.entry.offset - b.at.entry.offset : a.at.file < b.at.file ? -1 : 1));
    for (let i = 0; i < sorted.length; ) {
      const first = sorted[i];
      const start = first.at.entry.offset;
      let end = start + ENTRY_HEADER_BYTES + first.at.entry.length;
      let j = i + 1;
      for (; j < sorted.length; j++) {
        const e = sorted[j].at.entry;
        const eEnd = e.offset + ENTRY_HEADER_BYTES + e.length;
        if (sorted[j].at.file !== first.at.file || e.offset - end > SPAN_GAP_BYTES || Math.max(end, eEnd) - start > SPAN_BYTES) break;
        end = Math.max(end, eEnd);
      }
      const buf = end - start <= SPAN_BYTES ? (this.spanBuffer ??= new Uint8Array(SPAN_BYTES)) : new Uint8Array(end - start);
      const p = this.packs.get(first.at.file)!;
      // A pack cut short after it was indexed reads short: the entries past the cut fail their length check.
      const got = readFully(checked(first, () => this.fdOf(p)), buf.subarray(0, end - start), start);
      for (; i < j; i++) {
        const x = sorted[i];
        const from = x.at.entry.offset - start;
        each(x, checked(x, () => entryBody(buf.subarray(from, Math.max(from, Math.min(got, from + ENTRY_HEADER_BYTES + x.at.entry.length))), x.h, x.at.entry.length)));
      }
    }
  }

  /** Appends object `h` (its object file bytes: `body`, or parts that make it up, copied once) to this instance's pack. */
  append(h: Hash, body: Uint8Array | readonly Uint8Array[]): void {
    this.load();
    const parts = body instanceof Uint8Array ? [body] : body;
    const n = entryBytes(parts);
    let w = this.writing;
    if (w && w.end + n > ROLL_BYTES) {
      this.closeWriting();
      w = undefined;
    }
    w ??= this.openWriting();
    const offset = w.end;
    if (w.used + n > w.chunk.length) this.flush(w);
    if (n > w.chunk.length) {
      // Larger than the buffer (a base disk image): encoded on its own and written at once.
      writeFully(w.fd, encodeEntryOf(h, parts), w.flushed);
      w.flushed += n;
    } else {
      encodeEntryInto(w.chunk, w.used, h, parts);
      w.buffered.set(h, w.chunk.subarray(w.used + ENTRY_HEADER_BYTES, w.used + n));
      w.used += n;
    }
    w.end += n;
    w.entries.set(h, { offset, length: n - ENTRY_HEADER_BYTES });
  }

  /** Writes what is buffered and fsyncs every pack this instance wrote to since the last call; returns packs synced. */
  sync(): number {
    let n = this.unsynced.length;
    // Each off the list before it is closed: after a failed fsync the list holds only open descriptors.
    for (let fd = this.unsynced.shift(); fd !== undefined; fd = this.unsynced.shift()) {
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    }
    const w = this.writing;
    if (w && w.syncedTo < w.end) {
      this.flush(w);
      fsyncSync(w.fd);
      w.syncedTo = w.end;
      n++;
    }
    if (n > 0 && this.newName) {
      // A new pack's name is durable once its directory is, and each directory this instance created once its parent is.
      // A pack whose name is durable needs only its own fsync (appends and the index change no name).
      fsyncDirectory(this.dir);
      if (this.createdFrom !== undefined) for (let d = this.dir; d.length >= this.createdFrom.length; d = dirname(d)) fsyncDirectory(dirname(d));
      this.createdFrom = undefined;
      this.newName = false;
    }
    return n;
  }

  /** Appends the index to the pack being written (it is then complete) and releases every descriptor. */
  close(): void {
    this.closeWriting();
    this.sync();
    for (const p of this.packs.values()) {
      if (p.fd !== undefined) closeSync(p.fd);
      p.fd = undefined;
    }
  }

  /**
   * Rewrites the packs so that they hold only objects in `keep`: every pack
   * holding something else is copied, kept entries only, into a new pack,
   * which is fsynced and named before the old packs are removed. A crash
   * midway leaves duplicates, never a loss; an entry that fails its check
   * throws `corrupt(...)` and the new packs are removed: nothing changed.
   * Returns what was dropped.
   */
  retain(keep: ReadonlySet<Hash>, corrupt: (item: Copy, e: PackFormatError) => Error): { objectsRemoved: number; bytesFreed: number; packsRewritten: number } {
    this.closeWriting();
    this.sync();
    const { victims, copies, objectsRemoved } = this.plan(keep);
    if (victims.length === 0) return { objectsRemoved: 0, bytesFreed: 0, packsRewritten: 0 };
    const before = new Set(this.packs.keys());
    let bytesFreed = 0;
    for (const p of victims) bytesFreed += statSync(p.file).size;
    try {
      // In file order, neighbours with one read; append() copies each body out of the reused buffer.
      this.readEach(copies, (x, body) => this.append(x.h, body), corrupt);
      this.closeWriting();
      this.sync();
    } catch (e) {
      this.discardSince(before);
      throw e;
    }
    for (const [file, p] of this.packs) if (!before.has(file)) bytesFreed -= statSync(p.file).size;
    for (const p of victims) {
      if (p.fd !== undefined) closeSync(p.fd);
      unlinkSync(p.file);
      this.packs.delete(p.file);
    }
    fsyncDirectory(this.dir);
    return { objectsRemoved, bytesFreed, packsRewritten: victims.length };
  }

  /**
   * Reads what retain(keep) would copy, checking each entry as it would:
   * `corrupt(...)` for the first that fails. Lets a caller (a merge) find
   * damage before it changes anything.
   */
  checkRetain(keep: ReadonlySet<Hash>, corrupt: (item: Copy, e: PackFormatError) => Error): number {
    const { copies } = this.plan(keep);
    this.readEach(copies, () => {}, corrupt);
    return copies.length;
  }

  /** What retain(keep) would do: the packs to rewrite, the kept entries it copies (each once), the objects it drops. */
  private plan(keep: ReadonlySet<Hash>): { victims: Pack[]; copies: Copy[]; objectsRemoved: number } {
    this.load();
    this.refresh();
    const victims = [...this.packs.values()].filter((p) => [...p.entries.keys()].some((h) => !keep.has(h)));
    const victim = new Set(victims);
    const kept = [...this.packs.values()].filter((p) => !victim.has(p));
    const copies: Copy[] = [];
    const copied = new Set<Hash>();
    let objectsRemoved = 0;
    for (const p of victims) {
      for (const [h, entry] of p.entries) {
        if (!keep.has(h)) {
          objectsRemoved++;
          continue;
        }
        if (copied.has(h) || this.writing?.entries.has(h) || kept.some((q) => q.entries.has(h))) continue; // kept elsewhere
        copied.add(h);
        copies.push({ h, at: { file: p.file, entry } });
      }
    }
    return { victims, copies, objectsRemoved };
  }

  /** Removes the packs this instance made since `before` was taken (a rewrite that failed midway): written, not yet named by anything. */
  private discardSince(before: ReadonlySet<string>): void {
    const w = this.writing;
    this.writing = undefined;
    const fds = [...this.unsynced, ...(w ? [w.fd] : [])];
    this.unsynced = [];
    const files = [...this.packs.keys()].filter((f) => !before.has(f)).concat(w ? [w.file] : []);
    for (const f of files) {
      const fd = this.packs.get(f)?.fd;
      if (fd !== undefined) fds.push(fd);
      this.packs.delete(f);
    }
    // Best effort: the error that stopped the rewrite is the one to report.
    for (const fd of fds) tryIgnoring(() => closeSync(fd));
    for (const f of files) tryIgnoring(() => unlinkSync(f));
  }

  private load(): void {
    if (this.loaded) return;
    this.loaded = true;
    this.refresh();
  }

  /** Picks up packs that appeared, and entries appended to packs still being written. */
  private refresh(): void {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    for (const name of names.sort()) {
      if (!PACK_NAME.test(name)) continue;
      const file = join(this.dir, name);
      if (this.writing?.file === file) continue;
      const known = this.packs.get(file);
      if (known?.indexed || known?.refused) continue;
      const p: Pack = known ?? { file, fd: undefined, entries: new Map(), end: 0, indexed: false };
      if (!known) this.packs.set(file, p);
      let fd: number;
      try {
        fd = this.fdOf(p);
      } catch (e) {
        if (!(e instanceof PackFormatError)) throw e;
        // Skipped, said by damage(): the objects of the other packs stay readable.
        p.damage = e.message;
        p.refused = true;
        continue;
      }
      readPack(p, fd);
    }
  }

  /** The pack's descriptor, opened once and kept. One that is not a regular file is a PackFormatError (a FIFO would block the thread, a directory reads EISDIR). */
  private fdOf(p: Pack | OpenPack): number {
    if (p.fd === undefined) {
      try {
        p.fd = openRegularFile(p.file).fd;
      } catch (e) {
        if (e instanceof NotRegularFileError) throw new PackFormatError(`${e.kind}, not a regular file`);
        throw e;
      }
    }
    return p.fd;
  }

  private openWriting(): OpenPack {
    const created = mkdirSync(this.dir, { recursive: true });
    if (created !== undefined) this.createdFrom = created;
    // Packs are numbered in the order they were made: the next number after those here; 'wx'
    // refuses a name another writer took in the meantime, and the one after is tried.
    let seq = Math.max(0, ...readdirSync(this.dir).map((n) => Number(SEQUENCED_PACK.exec(n)?.[1] ?? 0)));
    let file: string;
    let fd: number;
    for (;;) {
      file = join(this.dir, `pack-${String(++seq).padStart(6, '0')}.pack`);
      try {
        fd = openSync(file, 'wx+');
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
    }
    this.newName = true;
    writeSync(fd, packHeader());
    const w: OpenPack = { file, fd, entries: new Map(), end: PACK_HEADER_BYTES, flushed: PACK_HEADER_BYTES, chunk: Buffer.allocUnsafeSlow(FLUSH_BYTES), used: 0, buffered: new Map(), syncedTo: 0 };
    this.writing = w;
    return w;
  }

  /** Writes the buffered entries (one write; the buffer is then reused). */
  private flush(w: OpenPack): void {
    if (w.used === 0) return;
    writeFully(w.fd, w.chunk.subarray(0, w.used), w.flushed);
    w.flushed += w.used;
    w.used = 0;
    w.buffered.clear();
  }

  /** Flushes the pack being written, appends its index, and makes it an ordinary (indexed) pack; fsynced at the next sync(). */
  private closeWriting(): void {
    const w = this.writing;
    if (!w) return;
    this.writing = undefined;
    this.flush(w);
    writeFully(w.fd, encodeIndex(w.entries, w.end), w.end);
    const p: Pack = { file: w.file, fd: undefined, entries: w.entries, end: w.end, indexed: true };
    this.packs.set(w.file, p);
    this.unsynced.push(w.fd);
  }
}

/** Fills `p` from its file: the index if the trailer is whole and its checksum right, else a scan of the entries from where it stopped. */
function readPack(p: Pack, fd: number): void {
  const size = fstatSync(fd).size;
  if (size === p.end && p.end > 0) return;
  if (p.end === 0) {
    const head = Buffer.alloc(PACK_HEADER_BYTES);
    const n = readFully(fd, head, 0);
    try {
      checkPackHeader(head.subarray(0, n));
    } catch (e) {
      p.damage = (e as Error).message;
      // Empty: a pack a writer has just created (looked at again later), or one cut to nothing.
      if (n > 0) p.end = size;
      return;
    }
    p.damage = undefined;
    p.end = PACK_HEADER_BYTES;
    if (size >= PACK_HEADER_BYTES + 4 + TRAILER_BYTES) {
      const tail = Buffer.alloc(TRAILER_BYTES);
      readFully(fd, tail, size - TRAILER_BYTES);
      const t = readTrailer(tail, size);
      if (t) {
        const index = Buffer.alloc(size - t.indexAt);
        readFully(fd, index, t.indexAt);
        try {
          p.entries = decodeIndex(index, t.indexAt); // p.end was 0: nothing was known of this pack
          p.end = size;
          p.indexed = true;
          return;
        } catch {
          // a damaged index: the entries say the same, scan them
        }
      }
    }
  }
  const rest = Buffer.allocUnsafe(size - p.end);
  const n = readFully(fd, rest, p.end);
  const r = scanEntries(rest.subarray(0, n), p.end, p.entries);
  p.end = r.end;
  p.indexed = r.atIndex;
  p.damage = r.damage;
}

/** Writes all of `buf` at `at` (a short write, rare, is continued). */
function writeFully(fd: number, buf: Uint8Array, at: number): void {
  for (let done = 0; done < buf.length; ) done += writeSync(fd, buf, done, buf.length - done, at + done);
}

function readFully(fd: number, buf: Uint8Array, at: number): number {
  let n = 0;
  for (let k; n < buf.length && (k = readSync(fd, buf, n, buf.length - n, at + n)) > 0; ) n += k;
  return n;
}

function tryIgnoring(f: () => void): void {
  try {
    f();
  } catch {
    // see the caller
  }
}
