/**
 * The translated code a recording was made with, kept beside it
 * (code-cache.bin) so that every replay of it, in any thread or on any host,
 * starts hot. It is a hint, never trusted: recording.json does not name it,
 * the cpu checks every cached block against the guest bytes before using it,
 * and a damaged file is ignored with one warning.
 *
 * The file: a 12-byte header ("prCZ", version 1, codec 1 = LZ4, 2 bytes 0,
 * the serialized cache's length u32 LE), then the serialized cache as one
 * LZ4 block (lz4-napi's: its own u32 LE length first). Files written before the header (raw deflate, no header)
 * are still read: a deflate stream cannot start with "prCZ" (a stored block
 * would need bytes 3..4 to be the complement of bytes 1..2). LZ4 rather than
 * deflate (level 1): on the smoke workload's 16.8 MB cache it compressed in
 * 63-76 ms against 173-205 ms and decompressed in 15 ms against 150-480 ms,
 * for 3.8 MB against 3.0 MB; the compression is the last thing a recording
 * waits for.
 */
import { open, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { compress as lz4Compress, uncompressSync as lz4Uncompress } from 'lz4-napi';
import { CodeCache, type CodeCacheSnapshot } from '@prnr/cpu';
import type { RecordingSource } from './replay-session.js';

export const CODE_CACHE_FILE = 'code-cache.bin';

const MAGIC = [0x70, 0x72, 0x43, 0x5a] as const; // "prCZ"
const FILE_VERSION = 1;
const CODEC_LZ4 = 1;
/** magic 4, version u8, codec u8, 2 bytes 0, serialized length u32 LE. */
const CODE_CACHE_HEADER_BYTES = 12;

/** Writes this thread's shared code cache into the recording directory (compressed on the thread pool; atomically). */
export async function saveCodeCache(dir: string, cache: CodeCache = CodeCache.shared): Promise<void> {
  const tmp = join(dir, `${CODE_CACHE_FILE}.partial`);
  const bytes = cache.serialize();
  const header = new Uint8Array(CODE_CACHE_HEADER_BYTES);
  header.set(MAGIC, 0);
  header[4] = FILE_VERSION;
  header[5] = CODEC_LZ4;
  new DataView(header.buffer).setUint32(8, bytes.length, true);
  const body = await lz4Compress(bytes);
  const fh = await open(tmp, 'w');
  try {
    await fh.writev([header, body]);
  } finally {
    await fh.close();
  }
  await rename(tmp, join(dir, CODE_CACHE_FILE));
}

/** The serialized cache in a code-cache.bin (either layout); throws saying what is wrong. */
export function decodeCodeCacheFile(file: Uint8Array): Uint8Array {
  if (!MAGIC.every((b, i) => file[i] === b)) return inflateRawSync(file); // written before the header: raw deflate
  if (file.length < CODE_CACHE_HEADER_BYTES) throw new Error(`${file.length} bytes, shorter than the ${CODE_CACHE_HEADER_BYTES}-byte header`);
  if (file[4] !== FILE_VERSION) throw new Error(`code cache file version ${file[4]}; this reader understands ${FILE_VERSION}`);
  if (file[5] !== CODEC_LZ4) throw new Error(`unknown codec ${file[5]}`);
  const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const length = dv.getUint32(8, true);
  // The block's own prefix is what lz4 allocates: checked before a corrupt one asks for gigabytes.
  const prefix = file.length >= CODE_CACHE_HEADER_BYTES + 4 ? dv.getUint32(CODE_CACHE_HEADER_BYTES, true) : -1;
  if (prefix !== length) throw new Error(`the LZ4 block says ${prefix} bytes, the header ${length}`);
  const out = lz4Uncompress(Buffer.from(file.buffer, file.byteOffset + CODE_CACHE_HEADER_BYTES, file.length - CODE_CACHE_HEADER_BYTES));
  if (out.length !== length) throw new Error(`${out.length} bytes uncompressed, the header says ${length}`);
  return out;
}

const loaded = new WeakMap<RecordingSource, Promise<void>>();

/**
 * Merges the recording's code cache into this thread's shared one, once per
 * recording per thread. A missing file is fine; anything wrong with it is
 * told to `onWarning` in one line and the file is ignored.
 */
export function loadCodeCache(source: RecordingSource, onWarning: (message: string) => void, cache: CodeCache = CodeCache.shared): Promise<void> {
  let p = loaded.get(source);
  if (!p) {
    p = (async () => {
      let packed: Uint8Array;
      try {
        packed = await source.readFile(CODE_CACHE_FILE);
      } catch {
        return; // none: the replay translates as it goes
      }
      const where = `${source.location}/${CODE_CACHE_FILE}`;
      let bytes: Uint8Array;
      try {
        bytes = decodeCodeCacheFile(packed);
      } catch (e) {
        onWarning(`${where} is damaged (${(e as Error).message}): ignored, the replay translates code afresh`);
        return;
      }
      cache.load(bytes, { onWarning: (m) => onWarning(`${where}: ${m}`) });
    })();
    loaded.set(source, p);
  }
  return p;
}

/**
 * Takes the recording's code from another thread of this process instead of
 * reading the file here: `snapshot` is that thread's CodeCache.snapshot() with
 * its modules compiled (@prnr/scheduler's shared-code.ts), so this thread
 * compiles none of them and runs the same machine code. Call it before the
 * recording's first session in this thread builds its machine (which waits
 * for it); where the snapshot does not come (null, or a failure) the file is
 * loaded as usual. Does nothing if the code cache is already loaded here.
 */
export function adoptCodeCache(source: RecordingSource, snapshot: Promise<CodeCacheSnapshot | null>, onWarning: (message: string) => void, cache: CodeCache = CodeCache.shared): void {
  if (loaded.has(source)) return;
  loaded.set(source, snapshot.then(
    (s) => (s ? void cache.merge(s, { onWarning: (m) => onWarning(`${source.location}: ${m}`) }) : fromFile()),
    () => fromFile(),
  ));
  function fromFile(): Promise<void> {
    loaded.delete(source);
    return loadCodeCache(source, onWarning, cache);
  }
}
