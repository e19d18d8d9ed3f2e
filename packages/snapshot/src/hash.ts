/**
 * BLAKE3-256 and hash helpers. Binary hashes are 32-byte Uint8Arrays; at
 * interfaces they are `Hash`, hex.
 *
 * Two implementations of the same function, checked against each other and
 * the BLAKE3 test vectors (hash.test.ts):
 * - native (@napi-rs/blake-hash: Rust's blake3 crate, with SIMD), where this
 *   platform has a prebuilt binding: ~10x hash-wasm on 16 MiB (4.9 against
 *   0.4-0.6 GB/s) and ~2x on a 4 KiB page, and it loads in ~4 ms in a new
 *   thread. Replay lanes verify every object they read (base disk images of
 *   tens of MiB) and the snapshot worker hashes every page it stores;
 * - hash-wasm elsewhere, or with PRNR_BLAKE3=wasm. Its BLAKE3-only bundle,
 *   not its main entry (a 284 KB CommonJS bundle of every algorithm that
 *   Node compiles on every import), loaded with require(): an ESM import of
 *   CommonJS runs Node's lexer over the whole source in every worker.
 *
 * `blake3Ready()` resolves once hashing works (at once when native; hash-wasm
 * needs one async initialisation); after it, hashing is synchronous.
 */
import { createRequire } from 'node:module';
import type { createBLAKE3, IHasher } from 'hash-wasm';
import { HASH_BYTES, type Hash } from './schema.js';

const require = createRequire(import.meta.url);

/** The native BLAKE3, or undefined where there is no binding for this platform (or PRNR_BLAKE3=wasm). */
const native: ((bytes: Uint8Array) => Buffer) | undefined = (() => {
  if (process.env.PRNR_BLAKE3 === 'wasm') return undefined;
  try {
    return (require('@napi-rs/blake-hash') as { blake3: (bytes: Uint8Array) => Buffer }).blake3;
  } catch {
    return undefined; // no prebuilt binding here: hash-wasm
  }
})();

let hasherPromise: Promise<IHasher | undefined> | undefined;
/** hash-wasm's hasher, shared: each use is synchronous (init, update, digest with no await between). */
let hasher: IHasher | undefined;

/** Which implementation hashes in this thread. */
export const blake3Implementation: 'native' | 'wasm' = native ? 'native' : 'wasm';

/** Resolves once hashing is synchronous in this thread. */
export function blake3Ready(): Promise<unknown> {
  hasherPromise ??= native
    ? Promise.resolve(undefined)
    : (require('hash-wasm/dist/blake3.umd.min.js') as { createBLAKE3: typeof createBLAKE3 }).createBLAKE3(256).then((h) => (hasher = h));
  return hasherPromise;
}

/** True once blake3Ready() has resolved (hashing is then synchronous). */
export function blake3IsReady(): boolean {
  return native !== undefined || hasher !== undefined;
}

function ready(): IHasher {
  if (!hasher) throw new Error('BLAKE3 is not initialised: await blake3Ready() first');
  return hasher;
}

/** BLAKE3-256 of `bytes`, binary. Needs blake3Ready(). */
export function blake3Bin(bytes: Uint8Array): Uint8Array {
  if (native) return native(bytes);
  const h = ready();
  h.init();
  h.update(bytes);
  return h.digest('binary');
}

/** BLAKE3-256 of `bytes`, hex. Needs blake3Ready(). */
export function blake3Hex(bytes: Uint8Array): Hash {
  if (native) return native(bytes).toString('hex');
  const h = ready();
  h.init();
  h.update(bytes);
  return h.digest('hex');
}

/** Scratch for hex conversions: a Buffer view made per call (a Buffer subclass instance) cost the snapshot worker more than the copy. */
const hexScratch = Buffer.allocUnsafeSlow(HASH_BYTES);

/** 32 bytes at `off` of `buf` as 64 hex chars (one flat string: maps and regexes would otherwise flatten a concatenation on every use). */
export function toHex(buf: Uint8Array, off = 0): Hash {
  if (off < 0 || off + HASH_BYTES > buf.length) throw new RangeError(`no hash at ${off} of ${buf.length} bytes`);
  for (let i = 0; i < HASH_BYTES; i++) hexScratch[i] = buf[off + i];
  return hexScratch.toString('hex');
}

/** True if `h` is 64 lowercase hex chars. A char loop: restores check every hash they read. */
export function isHash(h: unknown): h is Hash {
  if (typeof h !== 'string' || h.length !== HASH_BYTES * 2) return false;
  for (let i = 0; i < h.length; i++) {
    const c = h.charCodeAt(i);
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return false;
  }
  return true;
}

/** Throws TypeError unless `h` is 64 lowercase hex chars (stores call it before using h in a path). */
export function assertHash(h: unknown): asserts h is Hash {
  if (!isHash(h)) throw new TypeError(`not a hash (64 lowercase hex chars): ${JSON.stringify(h)}`);
}

/** Writes hex hash `h` as 32 bytes into `out` at `off`. Node's hex decoder: a JavaScript loop here costs the snapshot worker a compile in every new thread. */
export function fromHex(h: Hash, out: Uint8Array = new Uint8Array(HASH_BYTES), off = 0): Uint8Array {
  assertHash(h);
  if (off < 0 || off + HASH_BYTES > out.length) throw new RangeError(`no room for a hash at ${off} of ${out.length} bytes`);
  hexScratch.write(h, 'hex');
  for (let i = 0; i < HASH_BYTES; i++) out[off + i] = hexScratch[i];
  return out;
}

/** True if bytes a[ao..ao+32) equal b[bo..bo+32). */
export function hashEquals(a: Uint8Array, ao: number, b: Uint8Array, bo: number): boolean {
  for (let i = 0; i < HASH_BYTES; i++) if (a[ao + i] !== b[bo + i]) return false;
  return true;
}

/** True if the 32 bytes at `off` are all zero (NULL_HASH). */
export function isNullAt(buf: Uint8Array, off: number): boolean {
  for (let i = 0; i < HASH_BYTES; i++) if (buf[off + i] !== 0) return false;
  return true;
}

const zeroHashes = new Map<number, Uint8Array>();

/** BLAKE3 of `len` zero bytes, binary: the leaf hash of a zero page or block. No object is ever stored for it. */
export function zeroHashBin(len: number): Uint8Array {
  let z = zeroHashes.get(len);
  if (!z) {
    z = blake3Bin(new Uint8Array(len));
    zeroHashes.set(len, z);
  }
  return z;
}

/** BLAKE3 of `len` zero bytes, hex. Needs blake3Ready(). */
export function zeroHash(len: number): Hash {
  return toHex(zeroHashBin(len));
}
