/**
 * The bytes of a pack file: many objects in one append-only file, so a
 * recording is a few files instead of one per object, and one fsync makes a
 * whole batch durable. Pure functions over buffers; pack-set.ts does the I/O.
 *
 *   header   8 bytes   "prPK", version u8 (PACK_VERSION), 3 bytes 0
 *   entry*             one per object, appended:
 *     0   magic     4  "prPE"
 *     4   hash     32  BLAKE3 of the object's uncompressed bytes (its name)
 *     36  length    4  u32 LE: bytes of the body
 *     40  bodyCrc   4  u32 LE: CRC-32 of the body
 *     44  headCrc   4  u32 LE: CRC-32 of bytes 0..44 of this entry
 *     48  body         an object file (object-file.ts): header + payload
 *   index              appended once, when the writer closes the pack:
 *     "prPI", then count × (hash 32, entry offset u32 LE, body length u32 LE), sorted by hash
 *   trailer  16 bytes  count u32, index offset u32, CRC-32 of index..count..offset u32, "prPX"
 *
 * A pack that a crash cut short has no trailer (or a torn one): a reader
 * scans its entries from the start and keeps every whole entry before the
 * cut (headCrc tells a whole header from a torn one). The body is checked
 * twice on read: its CRC-32 (a flipped byte is reported with the file and
 * offset), then the content hash after decoding.
 */
import { crc32 } from 'node:zlib';
import { fromHex, hashEquals, toHex } from './hash.js';
import { u32 } from './object-file.js';
import { HASH_BYTES, type Hash } from './schema.js';

export const PACK_MAGIC = [0x70, 0x72, 0x50, 0x4b] as const; // "prPK"
export const PACK_VERSION = 1;
export const PACK_HEADER_BYTES = 8;
const ENTRY_MAGIC = [0x70, 0x72, 0x50, 0x45] as const; // "prPE"
export const ENTRY_HEADER_BYTES = 48;
const INDEX_MAGIC = [0x70, 0x72, 0x50, 0x49] as const; // "prPI"
const INDEX_ROW_BYTES = HASH_BYTES + 8;
const TRAILER_MAGIC = [0x70, 0x72, 0x50, 0x58] as const; // "prPX"
export const TRAILER_BYTES = 16;
/** Entries are addressed by u32 offsets: a writer starts a new pack well before this. */
export const MAX_PACK_BYTES = 0xffff_0000;

/** entryBody()'s binary form of the hash it checks (no hex string per entry read). */
const hashScratch = new Uint8Array(HASH_BYTES);

/** Where an object's entry lies in its pack. */
export interface PackEntry {
  offset: number;
  /** Body bytes (the object file). */
  length: number;
}

/** What a pack holds, from its index or from a scan. */
export interface PackContents {
  entries: Map<Hash, PackEntry>;
  /** Bytes of entries read (the offset the next entry would start at). */
  end: number;
  /** True if the trailer and index were read; false if entries were scanned (a pack still open, or cut short). */
  indexed: boolean;
  /** Why a scan stopped before the end of the file, with the offset; undefined if it reached the end cleanly. */
  damage?: string;
}

/** A pack's bytes cannot be read as one (the caller adds the file). */
export class PackFormatError extends Error {
  override readonly name = 'PackFormatError';
}

export function packHeader(): Uint8Array {
  const b = new Uint8Array(PACK_HEADER_BYTES);
  b.set(PACK_MAGIC, 0);
  b[4] = PACK_VERSION;
  return b;
}

/** Checks a pack's first bytes; throws PackFormatError naming what is wrong (another version included). */
export function checkPackHeader(head: Uint8Array): void {
  if (head.length < PACK_HEADER_BYTES) throw new PackFormatError(`${head.length} bytes, shorter than the ${PACK_HEADER_BYTES}-byte pack header`);
  if (!matches(head, 0, PACK_MAGIC)) throw new PackFormatError('bad magic at offset 0 (not a prnr pack)');
  if (head[4] !== PACK_VERSION) throw new PackFormatError(`pack format version ${head[4]}; this reader understands version ${PACK_VERSION}`);
}

/** One entry: header and body, ready to append. */
export function encodeEntry(h: Hash, body: Uint8Array): Uint8Array {
  return encodeEntryOf(h, [body]);
}

/**
 * One entry whose body is `parts` one after the other (an object file's
 * header and payload), copied once into the entry: the same bytes as
 * encodeEntry(h, concatenation of parts).
 */
export function encodeEntryOf(h: Hash, parts: readonly Uint8Array[]): Uint8Array {
  const e = new Uint8Array(entryBytes(parts));
  encodeEntryInto(e, 0, h, parts);
  return e;
}

/** Bytes of the entry whose body is `parts`. */
export function entryBytes(parts: readonly Uint8Array[]): number {
  let length = ENTRY_HEADER_BYTES;
  for (const p of parts) length += p.length;
  return length;
}

/**
 * encodeEntryOf() written into `out` at `at` (a writer's append buffer, so
 * that no buffer is allocated per entry); `out` must have entryBytes(parts)
 * bytes there. Returns the bytes written.
 */
export function encodeEntryInto(out: Uint8Array, at: number, h: Hash, parts: readonly Uint8Array[]): number {
  const n = entryBytes(parts);
  if (at + n > out.length) throw new RangeError(`an entry of ${n} bytes does not fit at ${at} of ${out.length}`);
  const e = out.subarray(at, at + n);
  const dv = new DataView(e.buffer, e.byteOffset, n);
  e.set(ENTRY_MAGIC, 0);
  fromHex(h, e, 4);
  dv.setUint32(36, n - ENTRY_HEADER_BYTES, true);
  let o = ENTRY_HEADER_BYTES;
  for (const p of parts) {
    e.set(p, o);
    o += p.length;
  }
  dv.setUint32(40, crc32(e.subarray(ENTRY_HEADER_BYTES)), true);
  dv.setUint32(44, crc32(e.subarray(0, 44)), true);
  return n;
}

/**
 * The body of the entry in `bytes` (header and body, read at the index's
 * offset), checked: header CRC, hash, length, body CRC. Throws
 * PackFormatError saying which check failed and at which offset within the
 * entry, so the caller can name file and absolute offset.
 */
export function entryBody(bytes: Uint8Array, h: Hash, length: number): Uint8Array {
  if (bytes.length < ENTRY_HEADER_BYTES + length) throw new PackFormatError(`entry cut short: ${bytes.length} of ${ENTRY_HEADER_BYTES + length} bytes`);
  if (!matches(bytes, 0, ENTRY_MAGIC)) throw new PackFormatError('no entry magic');
  if (u32(bytes, 44) !== crc32(bytes.subarray(0, 44))) throw new PackFormatError('entry header checksum mismatch');
  if (!hashEquals(bytes, 4, fromHex(h, hashScratch), 0)) throw new PackFormatError(`the entry holds object ${toHex(bytes, 4)}`);
  if (u32(bytes, 36) !== length) throw new PackFormatError(`the entry is ${u32(bytes, 36)} bytes, the index says ${length}`);
  const body = bytes.subarray(ENTRY_HEADER_BYTES, ENTRY_HEADER_BYTES + length);
  if (u32(bytes, 40) !== crc32(body)) throw new PackFormatError(`body checksum mismatch (bytes ${ENTRY_HEADER_BYTES}..${ENTRY_HEADER_BYTES + length} of the entry)`);
  return body;
}

/** Index and trailer for `entries` (appended at `at`, where the entries end). */
export function encodeIndex(entries: Map<Hash, PackEntry>, at: number): Uint8Array {
  const sorted = [...entries.keys()].sort();
  const out = new Uint8Array(4 + sorted.length * INDEX_ROW_BYTES + TRAILER_BYTES);
  const dv = new DataView(out.buffer);
  out.set(INDEX_MAGIC, 0);
  let o = 4;
  for (const h of sorted) {
    const e = entries.get(h)!;
    fromHex(h, out, o);
    dv.setUint32(o + HASH_BYTES, e.offset, true);
    dv.setUint32(o + HASH_BYTES + 4, e.length, true);
    o += INDEX_ROW_BYTES;
  }
  dv.setUint32(o, sorted.length, true);
  dv.setUint32(o + 4, at, true);
  dv.setUint32(o + 8, crc32(out.subarray(0, o + 8)), true);
  out.set(TRAILER_MAGIC, o + 12);
  return out;
}

/**
 * The trailer at the end of a pack of `size` bytes: where the index starts
 * and how many rows it has, or undefined if there is no whole trailer (a pack
 * still being written, or cut short).
 */
export function readTrailer(trailer: Uint8Array, size: number): { count: number; indexAt: number } | undefined {
  if (trailer.length !== TRAILER_BYTES || !matches(trailer, 12, TRAILER_MAGIC)) return undefined;
  const dv = new DataView(trailer.buffer, trailer.byteOffset, trailer.byteLength);
  const count = dv.getUint32(0, true);
  const indexAt = dv.getUint32(4, true);
  if (indexAt < PACK_HEADER_BYTES || indexAt + 4 + count * INDEX_ROW_BYTES + TRAILER_BYTES !== size) return undefined;
  return { count, indexAt };
}

/**
 * The entries of an index (the bytes from its offset to the end of the
 * pack, trailer included). Throws PackFormatError if its checksum or any
 * row is wrong (the caller may then scan the entries instead).
 */
export function decodeIndex(bytes: Uint8Array, indexAt: number): Map<Hash, PackEntry> {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = bytes.length - TRAILER_BYTES;
  if (!matches(bytes, 0, INDEX_MAGIC)) throw new PackFormatError(`no index magic at offset ${indexAt}`);
  if (dv.getUint32(n + 8, true) !== crc32(bytes.subarray(0, n + 8))) throw new PackFormatError(`index checksum mismatch (index at offset ${indexAt})`);
  const entries = new Map<Hash, PackEntry>();
  // One hex string for the whole index, each name a slice of it: a conversion per row made loading a 6k-object index ~3x slower.
  const hex = Buffer.from(bytes.buffer, bytes.byteOffset, n).toString('hex');
  for (let o = 4; o < n; o += INDEX_ROW_BYTES) {
    const offset = dv.getUint32(o + HASH_BYTES, true);
    const length = dv.getUint32(o + HASH_BYTES + 4, true);
    if (offset < PACK_HEADER_BYTES || offset + ENTRY_HEADER_BYTES + length > indexAt) throw new PackFormatError(`index row at offset ${indexAt + o} points outside the entries`);
    entries.set(hex.slice(2 * o, 2 * o + 2 * HASH_BYTES), { offset, length });
  }
  return entries;
}

/**
 * Scans entries in `bytes` (a pack's bytes from offset `base`), adding
 * whole ones to `into`. Stops at the index, at the end, or at the first
 * entry that is cut short or whose header is torn: a crashed writer's tail.
 * Returns where it stopped and, if it stopped before the end of `bytes` for
 * another reason than an index, why.
 */
export function scanEntries(bytes: Uint8Array, base: number, into: Map<Hash, PackEntry>): { end: number; damage?: string; atIndex: boolean } {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let o = 0;
  while (o < bytes.length) {
    if (bytes.length - o >= 4 && matches(bytes, o, INDEX_MAGIC)) return { end: base + o, atIndex: true };
    if (bytes.length - o < ENTRY_HEADER_BYTES) return { end: base + o, atIndex: false, damage: `an entry header cut short at offset ${base + o}` };
    if (!matches(bytes, o, ENTRY_MAGIC) || dv.getUint32(o + 44, true) !== crc32(bytes.subarray(o, o + 44))) {
      return { end: base + o, atIndex: false, damage: `no whole entry header at offset ${base + o}` };
    }
    const length = dv.getUint32(o + 36, true);
    if (o + ENTRY_HEADER_BYTES + length > bytes.length) return { end: base + o, atIndex: false, damage: `the entry at offset ${base + o} is cut short` };
    into.set(toHex(bytes, o + 4), { offset: base + o, length });
    o += ENTRY_HEADER_BYTES + length;
  }
  return { end: base + o, atIndex: false };
}

function matches(b: Uint8Array, at: number, magic: readonly number[]): boolean {
  for (let i = 0; i < magic.length; i++) if (b[at + i] !== magic[i]) return false;
  return true;
}
