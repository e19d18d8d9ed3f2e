/**
 * A bounded cache of objects already read and verified, in front of any
 * ObjectReader. Objects are immutable and named by their hash, so one cache
 * serves every store of the process: a worker that restores snapshots of the
 * same recording again and again (jumps back, several analyses, a seek
 * server) reads each page once instead of open + read + decode + verify each
 * time. Measured on the smoke recording: repeated jumps between distant
 * snapshots ~50 -> ~2-11 ms. A worker that only moves forward to new
 * snapshots gains nothing.
 *
 * Bulk reads (getEach) are lent: what the cache holds is handed out as it
 * is, for the caller to read only (ObjectReader.getEach's contract; restores
 * copy pages into RAM and disk blocks into new buffers). The cache never
 * writes what it holds, so a lent view stays right after an eviction.
 */
import type { ObjectReader } from './object-store.js';
import { readEach } from './read-object.js';
import type { Hash } from './schema.js';
import { copyBytes } from './copy-bytes.js';

/** Gets in flight for an inner reader without getEach (an HTTP reader). */
const GET_CONCURRENCY = 32;
/** Default size of ObjectCache.shared: about 16k pages. */
const SHARED_BYTES = 64 * 1024 * 1024;

export class ObjectCache {
  /** One cache for the process (per worker thread: threads do not share memory). */
  static readonly shared = new ObjectCache(SHARED_BYTES);

  /** Least recently used first (a Map keeps insertion order; a hit re-inserts). */
  private readonly objects = new Map<Hash, Uint8Array>();
  /** Objects lent to the cache once and not kept (seenBefore()); cleared when it reaches maxSeen. */
  private readonly seen = new Set<Hash>();
  private readonly maxSeen: number;
  private held = 0;
  hits = 0;
  misses = 0;

  /** `maxBytes`: the most it holds; an object larger than 1/16 of it is never kept (a disk image would evict everything). */
  constructor(readonly maxBytes: number) {
    this.maxSeen = Math.max(1024, (maxBytes / 4096) * 2);
  }

  /** Bytes held. */
  get bytes(): number {
    return this.held;
  }

  has(h: Hash): boolean {
    return this.objects.has(h);
  }

  /** A copy of object `h`, or undefined. */
  get(h: Hash): Uint8Array | undefined {
    const b = this.view(h);
    return b && copyBytes(b);
  }

  /**
   * Object `h` itself, not a copy, or undefined: for a reader that only
   * reads it (ObjectReader.getEach's contract). The cache never writes what
   * it holds, so a view stays right after the object is evicted.
   */
  view(h: Hash): Uint8Array | undefined {
    const b = this.objects.get(h);
    if (!b) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.objects.delete(h);
    this.objects.set(h, b);
    return b;
  }

  /** Keeps a copy of `bytes`, which the caller vouches are verified object `h`. */
  set(h: Hash, bytes: Uint8Array): void {
    if (this.wants(h, bytes)) this.keep(h, copyBytes(bytes));
  }

  /**
   * Keeps `bytes` itself, no copy: the caller hands it over (a buffer a
   * store just made and no one else holds) and never writes it again.
   * Returns false if the cache did not take it (too large, or already held).
   */
  adopt(h: Hash, bytes: Uint8Array): boolean {
    if (!this.wants(h, bytes)) return false;
    this.keep(h, bytes);
    return true;
  }

  /**
   * True if `h` was asked about before (since the last clear); else
   * remembers it. Keeping an object that is only lent costs a copy into new
   * memory; CachedObjectReader.getEach keeps one only the second time it
   * is read, so a cold restore does not copy thousands of pages that no
   * later restore may ask for (on a VM, each new page of memory is a page
   * fault: ~12 us).
   */
  seenBefore(h: Hash): boolean {
    if (this.seen.delete(h)) return true;
    if (this.seen.size >= this.maxSeen) this.seen.clear();
    this.seen.add(h);
    return false;
  }

  private wants(h: Hash, bytes: Uint8Array): boolean {
    return bytes.length <= this.maxBytes / 16 && !this.objects.has(h);
  }

  private keep(h: Hash, bytes: Uint8Array): void {
    this.objects.set(h, bytes);
    this.held += bytes.length;
    for (const [k, v] of this.objects) {
      if (this.held <= this.maxBytes) break;
      this.objects.delete(k);
      this.held -= v.length;
    }
  }

  clear(): void {
    this.objects.clear();
    this.seen.clear();
    this.held = 0;
  }
}

/** An ObjectReader that asks `cache` first and keeps what `inner` returns (inner verifies it). */
export class CachedObjectReader implements ObjectReader {
  constructor(
    readonly inner: ObjectReader,
    readonly cache: ObjectCache = ObjectCache.shared,
  ) {}

  async get(h: Hash): Promise<Uint8Array> {
    const hit = this.cache.get(h);
    if (hit) return hit;
    const bytes = await this.inner.get(h);
    this.cache.set(h, bytes);
    return bytes;
  }

  async has(h: Hash): Promise<boolean> {
    return this.cache.has(h) || this.inner.has(h);
  }

  /**
   * Cached objects as views of the cache's own (read-only by getEach's
   * contract), the rest from `inner` in one getEach: a buffer it made is
   * kept as it is; one it only lends is copied into the cache the second
   * time it is read (ObjectCache.seenBefore), not the first.
   */
  async getEach(hashes: readonly Hash[], each: (h: Hash, bytes: Uint8Array, fresh: boolean) => void): Promise<void> {
    const missing: Hash[] = [];
    for (const h of hashes) {
      const b = this.cache.view(h);
      if (b) each(h, b, false);
      else missing.push(h);
    }
    if (missing.length === 0) return;
    await readEach(this.inner, missing, (h, bytes, fresh) => {
      if (!fresh) {
        if (this.cache.seenBefore(h)) this.cache.set(h, bytes);
      } else if (this.cache.adopt(h, bytes)) fresh = false; // the cache holds it now
      each(h, bytes, fresh);
    }, { concurrency: GET_CONCURRENCY });
  }
}
