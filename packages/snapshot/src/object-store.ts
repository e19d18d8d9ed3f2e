/**
 * A content-addressed object store: bytes in, their BLAKE3 hash out. Objects
 * are immutable; putting the same bytes twice stores them once.
 *
 * Replay only reads (`ObjectReader`: get, has), so a store served over HTTP
 * needs nothing else. Writers add put; gc adds list and delete.
 */
import type { Hash } from './schema.js';

export type { Hash } from './schema.js';

export interface ObjectReader {
  /**
   * The object's uncompressed bytes, verified against `h`. Throws
   * ObjectMissingError or ObjectCorruptError. The caller owns the result.
   */
  get(h: Hash): Promise<Uint8Array>;
  has(h: Hash): Promise<boolean>;
  /**
   * Optional: many objects at once, for a reader that can fetch them cheaper
   * together (a pack store reads neighbours with one read). Calls `each`
   * once per hash given (so give each once), in any order, with the object's bytes verified against
   * it; throws as get() does. `bytes` may be a view of the reader's own
   * memory (a reused buffer, a cache entry): the callee must not write it,
   * and must copy what it keeps after it returns, unless `fresh` is true:
   * a buffer made for this call that the reader keeps no reference to.
   * Callers go through readEach() (read-object.ts), which falls back to
   * get() for readers without it.
   */
  getEach?(hashes: readonly Hash[], each: (h: Hash, bytes: Uint8Array, fresh: boolean) => void): Promise<void>;
}

export interface ObjectStore extends ObjectReader {
  /** Stores `bytes` (copied before the promise is returned); idempotent. Resolves to BLAKE3(bytes). */
  put(bytes: Uint8Array): Promise<Hash>;
  /** Every stored object (order unspecified). For gc. */
  list(): AsyncIterable<Hash>;
  /** Removes the object; removing an absent object is not an error. For gc. */
  delete(h: Hash): Promise<void>;
  /**
   * Optional fast path for writers that already hashed the bytes: stores
   * `bytes` under `h` without hashing again. The caller vouches that
   * h = BLAKE3(bytes); a wrong h is caught by get()'s verification.
   */
  putHashed?(h: Hash, bytes: Uint8Array): Promise<PutOutcome>;
  /**
   * putHashed() done before it returns, where a store can (a pack store
   * compresses and buffers the append synchronously): no promise per object
   * for a writer storing thousands (the snapshot worker). `bytes` may be
   * reused once it returns.
   */
  putHashedNow?(h: Hash, bytes: Uint8Array): PutOutcome;
  /** Objects and bytes held. */
  stats?(): Promise<StoreStats>;
}

export interface PutOutcome {
  /** False if the object was already there (nothing written). */
  added: boolean;
  /** Bytes written to the store (header + payload after compression); 0 if not added. */
  storedBytes: number;
}

export interface StoreStats {
  objects: number;
  /** Bytes the objects take in the store (after compression, with headers). */
  storedBytes: number;
  /** Bytes the objects hold (uncompressed). */
  logicalBytes: number;
}
