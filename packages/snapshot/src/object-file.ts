/**
 * One object as a file: header (magic, version, codec, uncompressed length)
 * and payload (schema.ts has the layout). LZ4 is the default codec: see
 * README.md for the measurements behind the choice.
 */
import { createRequire } from 'node:module';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type * as Lz4 from 'lz4-napi';
import { lz4DecodeBlock } from './lz4-block.js';

// require(), not import: an ESM import of this CommonJS module runs Node's export lexer over it in every new snapshot worker (hash.ts says what that costs).
const { compressSync: lz4Compress, uncompressSync: lz4Uncompress, uncompress: lz4UncompressAsync } = createRequire(import.meta.url)('lz4-napi') as typeof Lz4;
import { Codec, OBJECT_FILE_VERSION, OBJECT_HEADER_BYTES, OBJECT_MAGIC, type CodecId } from './schema.js';

/** Objects smaller than this are stored raw: compressing them saves nothing worth a decode. */
const MIN_COMPRESS_BYTES = 128;

/** Why the bytes of an object file cannot be read (the caller adds hash and file). */
export class ObjectFileError extends Error {
  override readonly name = 'ObjectFileError';
}

function compress(codec: CodecId, bytes: Uint8Array): Uint8Array {
  if (codec === Codec.lz4) return lz4Compress(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  if (codec === Codec.deflateRaw) return deflateRawSync(bytes, { level: 1 });
  return bytes;
}

/**
 * The whole file for `bytes`: compressed with `codec` unless that saves less
 * than 1/16, then raw. Always a fresh buffer (never aliases `bytes`).
 */
export function encodeObjectFile(bytes: Uint8Array, codec: CodecId = Codec.lz4): Uint8Array {
  const { header, payload } = encodeObjectParts(bytes, codec);
  const file = new Uint8Array(OBJECT_HEADER_BYTES + payload.length);
  file.set(header, 0);
  file.set(payload, OBJECT_HEADER_BYTES);
  return file;
}

/**
 * The file for `bytes` in two parts, header and payload, for a writer that
 * copies them into a larger buffer itself (a pack entry) instead of building
 * the file first. `payload` may be `bytes` itself (stored raw). `header`: 12
 * bytes to write the header into (a writer's scratch, copied before the next
 * call) instead of a new buffer.
 */
export function encodeObjectParts(bytes: Uint8Array, codec: CodecId = Codec.lz4, header = new Uint8Array(OBJECT_HEADER_BYTES)): { header: Uint8Array; payload: Uint8Array } {
  if (bytes.length > 0xffff_ffff) throw new RangeError(`object of ${bytes.length} bytes is larger than 4 GiB - 1`);
  let payload = bytes;
  let used: CodecId = Codec.raw;
  if (codec !== Codec.raw && bytes.length >= MIN_COMPRESS_BYTES) {
    const c = compress(codec, bytes);
    if (c.length <= bytes.length - (bytes.length >>> 4)) {
      payload = c;
      used = codec;
    }
  }
  if (header.length !== OBJECT_HEADER_BYTES) throw new RangeError(`an object header is ${OBJECT_HEADER_BYTES} bytes, not ${header.length}`);
  header.set(OBJECT_MAGIC, 0);
  header[4] = OBJECT_FILE_VERSION;
  header[5] = used;
  header[6] = header[7] = 0;
  header[8] = bytes.length & 0xff;
  header[9] = (bytes.length >>> 8) & 0xff;
  header[10] = (bytes.length >>> 16) & 0xff;
  header[11] = bytes.length >>> 24;
  return { header, payload };
}

/** Uncompressed length from a file's header (for stats), or throws ObjectFileError. */
export function objectFileLength(file: Uint8Array): number {
  checkHeader(file);
  return new DataView(file.buffer, file.byteOffset, file.byteLength).getUint32(8, true);
}

function checkHeader(file: Uint8Array): void {
  if (file.length < OBJECT_HEADER_BYTES) throw new ObjectFileError(`${file.length} bytes, shorter than the ${OBJECT_HEADER_BYTES}-byte header`);
  for (let i = 0; i < 4; i++) if (file[i] !== OBJECT_MAGIC[i]) throw new ObjectFileError('bad magic (not a prnr object file)');
  if (file[4] !== OBJECT_FILE_VERSION) throw new ObjectFileError(`object file version ${file[4]}; this reader understands ${OBJECT_FILE_VERSION}`);
}

/**
 * The uncompressed bytes of an object file. Does not verify the hash (the
 * store does). `scratch`: where an LZ4 object that fits is decoded (the
 * result is then a view of it, valid until the caller reuses it) instead of
 * a new buffer. A raw object is always a view of `file`.
 */
export function decodeObjectFile(file: Uint8Array, scratch?: Uint8Array): Uint8Array {
  checkHeader(file);
  const length = u32(file, 8);
  const payload = file.subarray(OBJECT_HEADER_BYTES);
  let out: Uint8Array;
  try {
    switch (file[5]) {
      case Codec.raw:
        out = payload;
        break;
      case Codec.lz4: {
        checkLz4Prefix(payload, length);
        out = scratch && length <= scratch.length ? scratch.subarray(0, lz4DecodeBlock(payload, 4, payload.length, scratch.subarray(0, length))) : lz4Uncompress(payload);
        break;
      }
      case Codec.deflateRaw:
        out = inflateRawSync(payload);
        break;
      default:
        throw new ObjectFileError(`unknown codec ${file[5]}`);
    }
  } catch (e) {
    if (e instanceof ObjectFileError) throw e;
    throw new ObjectFileError(`payload does not decompress (${(e as Error).message})`);
  }
  return sized(out, length);
}

/** True if `file` is an LZ4 object of `bytes` or more uncompressed (false for a header that does not parse: decoding says why). */
export function isLz4AtLeast(file: Uint8Array, bytes: number): boolean {
  return file.length >= OBJECT_HEADER_BYTES && file[5] === Codec.lz4 && u32(file, 8) >= bytes;
}

/**
 * decodeObjectFile() for a large object, with an LZ4 payload decoded on the
 * thread pool: the caller's thread goes on meanwhile, and the page faults of
 * the new buffer (an 8 MiB base disk image: ~2,000 of them) are taken
 * there. `file` must stay unchanged until the promise settles. Other codecs
 * decode here, as decodeObjectFile() does.
 */
export async function decodeObjectFileAsync(file: Uint8Array): Promise<Uint8Array> {
  checkHeader(file);
  if (file[5] !== Codec.lz4) return decodeObjectFile(file);
  const length = u32(file, 8);
  const payload = file.subarray(OBJECT_HEADER_BYTES);
  checkLz4Prefix(payload, length);
  let out: Uint8Array;
  try {
    out = await lz4UncompressAsync(payload);
  } catch (e) {
    throw new ObjectFileError(`payload does not decompress (${(e as Error).message})`);
  }
  return sized(out, length);
}

/** `out` as a plain Uint8Array, if it is the `length` bytes the header says. */
function sized(out: Uint8Array, length: number): Uint8Array {
  if (out.length !== length) throw new ObjectFileError(`payload is ${out.length} bytes uncompressed, header says ${length}`);
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** The prefix is what lz4-napi allocates: checked before a corrupt one asks for gigabytes. */
function checkLz4Prefix(payload: Uint8Array, length: number): void {
  const prefix = payload.length >= 4 ? u32(payload, 0) : -1;
  if (prefix !== length) throw new ObjectFileError(`lz4 payload says ${prefix} bytes, header says ${length}`);
}

/** u32 LE at `at` (no DataView per object or pack entry: a restore reads thousands). */
export function u32(b: Uint8Array, at: number): number {
  return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
}
