/**
 * A bounded cache of objects already read and verified, in front of any
 * ObjectReader. Objects are immutable and named by their hash, so one cache
 * serves every store of the process: a worker that restores snapshots of the
 * same recording again and again (jumps back, several analyses, a seek
 * server) reads each page once instead of open + read + decode + verify each
 * time. Measured on the smoke recording: a repeated cold restore of a late
 * snapshot ~135 -> ~70 ms, repeated jumps between distant snapshots ~50 ->
 * ~3-11 ms. A worker that only moves forward to new snapshots gains nothing.
 */
import type { ObjectReader } from './object-store.js';
import type { Hash } from './schema.js';

/** Default size of ObjectCache.shared: about 16k pages. */
const SHARED_BYTES = 64 * 1024 * 1024;

export class ObjectCache {
  /** One cache for the process (per worker thread: threads do not share memory). */
  static readonly shared = new ObjectCache(SHARED_BYTES);

  /** Least recently used first (a Map keeps insertion order; a hit re-inserts). */
  private readonly objects = new Map<Hash, Uint8Array>();
  private held = 0;
  hits = 0;
  misses = 0;

  /** `maxBytes`: the most it holds; an object larger than 1/16 of it is never kept (a disk image would evict everything). */
  constructor(readonly maxBytes: number) {}

  /** Bytes held. */
  get bytes(): number {
    return this.held;
  }

  has(h: Hash): boolean {
    return this.objects.has(h);
  }

  /** A copy of object `h`, or undefined. */
  get(h: Hash): Uint8Array | undefined {
    const b = this.objects.get(h);
    if (!b) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.objects.delete(h);
    this.objects.set(h, b);
    return b.slice();
  }

  /** Keeps a copy of `bytes`, which the caller vouches are verified object `h`. */
  set(h: Hash, bytes: Uint8Array): void {
    if (bytes.length > this.maxBytes / 16 || this.objects.has(h)) return;
    this.objects.set(h, bytes.slice());
    this.held += bytes.length;
    for (const [k, v] of this.objects) {
      if (this.held <= this.maxBytes) break;
      this.objects.delete(k);
      this.held -= v.length;
    }
  }

  clear(): void {
    this.objects.clear();
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
}
