/**
 * The translated code a recording was made with, kept beside it
 * (code-cache.bin) so that every replay of it, in any thread or on any host,
 * starts hot. It is a hint, never trusted: recording.json does not name it,
 * the cpu checks every cached block against the guest bytes before using it,
 * and a damaged file is ignored with one warning.
 *
 * The file: an 8-byte header ("prCZ", version, codec 1 = LZ4, 2 bytes 0), then
 * - version 2: pieces, appended while the recording runs (CodeCacheWriter):
 *   each a u32 LE length, then that many bytes of one LZ4 block (lz4-napi's:
 *   its own u32 LE length first) holding a serialized cache (@prnr/cpu's
 *   CodeCache.serializeUsed: the modules the recording's machine translated or
 *   found in the cache since the piece before; what a loaded per-user cache
 *   holds and the run never used stays out).
 *   A crash can cut the last piece short; the reader uses the pieces before.
 * - version 1 (one piece written at the end): 4 more header bytes, the
 *   serialized cache's length u32 LE, then the whole cache as one LZ4 block.
 *   Recordings for older readers (objectLayout 'loose') are still written so.
 * Files written before the header (raw deflate, no header) are still read: a
 * deflate stream cannot start with "prCZ" (a stored block would need bytes
 * 3..4 to be the complement of bytes 1..2). LZ4 rather than deflate (level 1):
 * on the smoke workload's 16.8 MB cache it compressed in 63-76 ms against
 * 173-205 ms and decompressed in 15 ms against 150-480 ms, for 3.8 MB against
 * 3.0 MB. Pieces: a recording's end then compresses and writes only the last
 * slice's code instead of the whole cache (~0.1 s it waited for).
 */
import { open, rename, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { inflateRaw, inflateRawSync } from 'node:zlib';
import { compress as lz4Compress, uncompress as lz4UncompressAsync, uncompressSync as lz4Uncompress } from 'lz4-napi';
import { CodeCache, type CodeCacheCursor } from '@prnr/cpu';
import { NotRegularFileError, readRegularFileSync } from '@prnr/snapshot';
import type { RecordingSource } from './replay-session.js';
import { prefaultedBuffer } from './pool-prefault.js';

export const CODE_CACHE_FILE = 'code-cache.bin';

const MAGIC = [0x70, 0x72, 0x43, 0x5a] as const; // "prCZ"
const VERSION_WHOLE = 1;
const VERSION_PIECES = 2;
const CODEC_LZ4 = 1;
/** magic 4, version u8, codec u8, 2 bytes 0 (version 1: then the serialized length u32 LE). */
const HEADER_BYTES = 8;
const WHOLE_HEADER_BYTES = 12;
/** A piece longer than this is damage, not code (the smoke workload's whole cache is ~4 MB packed). */
const MAX_PIECE_BYTES = 1 << 30;

function header(version: number, extra = 0): Uint8Array {
  const h = new Uint8Array(HEADER_BYTES + extra);
  h.set(MAGIC, 0);
  h[4] = version;
  h[5] = CODEC_LZ4;
  return h;
}

/** Writes this thread's shared code cache into the recording directory as one piece (version 1: compressed on the thread pool; atomically). */
export function saveCodeCache(dir: string, cache: CodeCache = CodeCache.shared): Promise<void> {
  return writeWholeCodeCacheFile(join(dir, CODE_CACHE_FILE), join(dir, `${CODE_CACHE_FILE}.partial`), cache.serialize());
}

/** `serialized` (CodeCache.serialize's bytes) as a version 1 file at `file`, through `tmp` and a rename: readers see the old file or the new one. */
export async function writeWholeCodeCacheFile(file: string, tmp: string, serialized: Uint8Array): Promise<void> {
  const head = header(VERSION_WHOLE, WHOLE_HEADER_BYTES - HEADER_BYTES);
  new DataView(head.buffer).setUint32(8, serialized.length, true);
  const body = await lz4Compress(Buffer.from(serialized.buffer, serialized.byteOffset, serialized.length));
  const fh = await open(tmp, 'w');
  try {
    await fh.writev([head, body]);
  } finally {
    await fh.close();
  }
  await rename(tmp, file);
}

/**
 * A buffer the next piece (of any writer in this thread) is serialized into, once the piece that
 * used it is compressed; null meanwhile. Fresh memory costs a page fault per 4 KiB written (~12 us
 * each on a VM), on the machine's thread, and the pieces add up to the whole cache (~14 MB for
 * the smoke workload; a recorder's first piece holds what it found of a warm process's code). Kept for
 * the thread's next recording: the size of the largest piece.
 */
let spare: Uint8Array | null = null;
/**
 * The first spare buffer of a thread is made with its pages faulted in on the thread pool, while
 * the first slice runs: in a fresh `prnr record` with a per-user cache loaded, the first two pieces
 * (1.5-2 and 5-5.5 MB on the smoke workload) were written into fresh memory, 20-30 ms of page
 * faults on the machine's thread.
 */
const FIRST_SPARE_BYTES = 8 << 20;
let firstSpare: Promise<unknown> | undefined;

/**
 * Writes code-cache.bin while a recording runs: `append` (at each slice's end)
 * adds the code translated or found in the cache since the last piece, serialized on this thread,
 * compressed and written on the thread pool, in order; `close` adds the last.
 * Not fsynced: the file is a hint, and a piece a crash cut short is dropped by
 * the reader, so the code of the slices closed before the crash stays usable.
 */
export class CodeCacheWriter {
  /** From the writer's start: modules that machines of this thread add or find from then on, each once. */
  private readonly cursor: CodeCacheCursor;
  private readonly file: Promise<FileHandle>;
  private written: Promise<void>;

  constructor(dir: string, private readonly cache: CodeCache = CodeCache.shared) {
    this.cursor = cache.cursor();
    firstSpare ??= prefaultedBuffer(FIRST_SPARE_BYTES).then((b) => {
      if (b !== null && (spare === null || spare.length < b.length)) spare = b; // not lent before now: append() takes spare only when set
    });
    this.file = open(join(dir, CODE_CACHE_FILE), 'w');
    this.written = this.file.then(async (fh) => void (await fh.write(header(VERSION_PIECES))));
    this.written.catch(() => {}); // thrown by close()
  }

  append(): void {
    const held = spare;
    spare = null; // lent to this piece until its compression is done
    // A new buffer with room to spare: the next recording's first piece (what it finds of a warm process's code) may be a little larger.
    const bytes = this.cache.serializeUsed(this.cursor, (n) => (held && held.length >= n ? held : new Uint8Array(n + (n >>> 3))));
    if (bytes === null) {
      spare = held;
      return;
    }
    const body = lz4Compress(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length)); // starts on the pool now
    // Then the larger of the two buffers serves the next piece.
    const used = new Uint8Array(bytes.buffer);
    body.then(() => { if (spare === null || spare.length < used.length) spare = used; }, () => {});
    this.written = this.written.then(async () => {
      const b = await body;
      const length = Buffer.alloc(4);
      length.writeUInt32LE(b.length);
      await (await this.file).writev([length, b]);
    });
    this.written.catch(() => {});
  }

  /** Appends the last piece and closes the file; rejects if a write failed. */
  async close(): Promise<void> {
    this.append();
    try {
      await this.written;
    } finally {
      await this.abort();
    }
  }

  /** Closes the file as it is (after the writes under way). */
  async abort(): Promise<void> {
    const fh = await this.file.catch(() => undefined);
    await fh?.close().catch(() => {});
  }
}

/**
 * The serialized caches in a code-cache.bin (any layout), and what is wrong
 * with it if something is. Pieces before damage are still given: each is
 * checked again by the cpu (CRC, translator, every block against the guest).
 * Decompressed on this thread; decodeCodeCacheFileAsync does it on the pool.
 */
export function decodeCodeCacheFile(file: Uint8Array): { caches: Uint8Array[]; damage?: string } {
  const p = pieces(file);
  if (p.deflated) {
    try {
      return { caches: [inflateRawSync(file)] };
    } catch (e) {
      return { caches: [], damage: (e as Error).message };
    }
  }
  return collected(p, p.pieces.map((piece) => unpackSync(file, piece)));
}

const inflateRawAsync = promisify(inflateRaw);

/** decodeCodeCacheFile with the decompression on the thread pool (every piece at once), off this thread. */
export async function decodeCodeCacheFileAsync(file: Uint8Array): Promise<{ caches: Uint8Array[]; damage?: string }> {
  const p = pieces(file);
  if (p.deflated) {
    try {
      return { caches: [await inflateRawAsync(file)] };
    } catch (e) {
      return { caches: [], damage: (e as Error).message };
    }
  }
  return collected(p, await Promise.all(p.pieces.map((piece) => unpackAsync(file, piece))));
}

/** One LZ4 block of the file: where it lies, the size it must unpack to, and how to name it in a message ('' for version 1's only block). */
interface Piece { at: number; length: number; prefix: number; expected: number | undefined; where: string }

/**
 * The LZ4 blocks of a file, up to the first damage that can be seen without
 * decompressing (then `damage` says what and where); `deflated` for a file
 * written before the header.
 */
function pieces(file: Uint8Array): { deflated: boolean; pieces: Piece[]; damage?: string } {
  if (!MAGIC.every((b, i) => file[i] === b)) return { deflated: true, pieces: [] }; // written before the header: raw deflate
  const none = (damage: string) => ({ deflated: false, pieces: [], damage });
  if (file.length < HEADER_BYTES) return none(`${file.length} bytes, shorter than the ${HEADER_BYTES}-byte header`);
  if (file[4] !== VERSION_WHOLE && file[4] !== VERSION_PIECES) return none(`code cache file version ${file[4]}; this reader understands ${VERSION_WHOLE} and ${VERSION_PIECES}`);
  if (file[5] !== CODEC_LZ4) return none(`unknown codec ${file[5]}`);
  const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
  if (file[4] === VERSION_WHOLE) {
    if (file.length < WHOLE_HEADER_BYTES) return none(`${file.length} bytes, shorter than the ${WHOLE_HEADER_BYTES}-byte header`);
    const p = piece(file, WHOLE_HEADER_BYTES, file.length - WHOLE_HEADER_BYTES, dv.getUint32(8, true), '');
    return typeof p === 'string' ? none(p) : { deflated: false, pieces: [p] };
  }
  const found: Piece[] = [];
  for (let at = HEADER_BYTES; at < file.length;) {
    const where = `piece ${found.length + 1} at byte ${at}: `;
    const length = at + 4 <= file.length ? dv.getUint32(at, true) : -1;
    if (length < 0 || at + 4 + length > file.length) return { deflated: false, pieces: found, damage: `${where.slice(0, -2)} is cut short (the recording was interrupted, or is still being written)` };
    const p = piece(file, at + 4, length, undefined, where);
    if (typeof p === 'string') return { deflated: false, pieces: found, damage: p };
    found.push(p);
    at += 4 + length;
  }
  return { deflated: false, pieces: found };
}

/** The LZ4 block at `at` (`length` bytes), its size prefix checked (against `expected` when known), or what is wrong with it. */
function piece(file: Uint8Array, at: number, length: number, expected: number | undefined, where: string): Piece | string {
  // The block's own prefix is what lz4 allocates: checked before a corrupt one asks for gigabytes.
  const prefix = length >= 4 ? new DataView(file.buffer, file.byteOffset + at, 4).getUint32(0, true) : -1;
  if (expected !== undefined && prefix !== expected) return `${where}the LZ4 block says ${prefix} bytes, the header ${expected}`;
  if (prefix < 0 || prefix > MAX_PIECE_BYTES) return `${where}the LZ4 block says ${prefix} bytes`;
  return { at, length, prefix, expected, where };
}

const block = (file: Uint8Array, p: Piece) => Buffer.from(file.buffer, file.byteOffset + p.at, p.length);

/** A piece decompressed, or the error lz4 gave. */
function unpackSync(file: Uint8Array, p: Piece): Uint8Array | Error {
  try {
    return lz4Uncompress(block(file, p));
  } catch (e) {
    return e as Error;
  }
}

function unpackAsync(file: Uint8Array, p: Piece): Promise<Uint8Array | Error> {
  return lz4UncompressAsync(block(file, p)).catch((e: Error) => e);
}

/** The pieces' decompressed bytes up to the first that is wrong, and what is wrong (that piece, else the damage pieces() saw). */
function collected(p: { pieces: Piece[]; damage?: string }, outs: (Uint8Array | Error)[]): { caches: Uint8Array[]; damage?: string } {
  const caches: Uint8Array[] = [];
  for (const [i, piece] of p.pieces.entries()) {
    const r = unpacked(piece, outs[i]);
    if (typeof r === 'string') return { caches, damage: r };
    caches.push(r);
  }
  return p.damage === undefined ? { caches } : { caches, damage: p.damage };
}

/** What decompressing a piece gave, checked against its prefix: its bytes, or what is wrong. */
function unpacked(p: Piece, out: Uint8Array | Error): Uint8Array | string {
  if (out instanceof Error) return `${p.where}the LZ4 block does not decompress (${out.message})`;
  if (out.length !== p.prefix) return `${p.where}${out.length} bytes uncompressed, the block says ${p.prefix}`;
  return out;
}

const isLocal = (s: RecordingSource): s is RecordingSource & { dir: string } => typeof (s as { dir?: unknown }).dir === 'string';

const loaded = new WeakMap<RecordingSource, Promise<void>>();

/**
 * Merges the recording's code cache into this thread's shared one, once per
 * recording per thread. A missing file is fine; anything wrong with it is
 * told to `onWarning` in one line (the same message from several pieces,
 * once) and what is wrong is ignored.
 */
export function loadCodeCache(source: RecordingSource, onWarning: (message: string) => void, cache: CodeCache = CodeCache.shared): Promise<void> {
  let p = loaded.get(source);
  if (!p) {
    p = (async () => {
      const where = `${source.location}/${CODE_CACHE_FILE}`;
      let packed: Uint8Array;
      try {
        // A local file is read at once, on this thread (~2 ms for the smoke recording's 3.4 MB), so
        // that its decompression is on the pool before the caller goes on: a machine's build keeps
        // this thread from its event loop until it is done, so a read on the pool (fs's readFile:
        // 512 KiB at a time, each next read started from the loop) would only arrive after it.
        // Only a regular file: a FIFO there would block this thread.
        packed = isLocal(source) ? readRegularFileSync(join(source.dir, CODE_CACHE_FILE)) : await source.readFile(CODE_CACHE_FILE);
      } catch (e) {
        if (e instanceof NotRegularFileError) onWarning(`${where} is ${e.kind}, not a regular file: ignored, the replay translates code afresh`);
        return; // none: the replay translates as it goes
      }
      await loadCodeCacheFile(packed, where, 'the replay', onWarning, cache);
    })();
    loaded.set(source, p);
  }
  return p;
}

/**
 * Merges a code-cache.bin's content (`packed`, read from `where`) into `cache`. Anything wrong
 * is told to `onWarning` in one line naming `where` (`who` translates afresh when none of it is
 * usable), and ignored. Returns the blocks added.
 */
export async function loadCodeCacheFile(packed: Uint8Array, where: string, who: string, onWarning: (message: string) => void, cache: CodeCache = CodeCache.shared): Promise<number> {
  const { caches, damage } = await decodeCodeCacheFileAsync(packed);
  if (damage !== undefined) {
    onWarning(caches.length === 0
      ? `${where} is damaged (${damage}): ignored, ${who} translates code afresh`
      : `${where}: ${damage}; the ${caches.length} piece(s) before it are used`);
  }
  // Each piece is checked alone, and pieces made by another translator (a recording from before
  // an upgrade) all say so: one line per distinct message, not one per piece.
  const told = new Set<string>();
  const warn = (m: string) => {
    if (told.has(m)) return;
    told.add(m);
    onWarning(`${where}: ${m}`);
  };
  let blocks = 0;
  for (const bytes of caches) blocks += cache.load(bytes, { onWarning: warn });
  return blocks;
}
