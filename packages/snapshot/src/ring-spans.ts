/**
 * Where the next copy goes in a ring of shared memory (background-writer.ts):
 * spans are reserved at the head and released oldest first, as the worker
 * answers requests in the order they were posted. Plain bookkeeping, no
 * memory of its own.
 */

/** Bytes `offset .. offset + length` of the ring. */
export interface RingSpan {
  offset: number;
  length: number;
}

export class RingSpans {
  /** Spans in use, oldest first. */
  private readonly spans: RingSpan[] = [];
  /** Where the next span starts. */
  private head = 0;
  /** Spans that started over at the ring's beginning while others were in use. */
  wraps = 0;

  /** `size`: the ring's bytes; spans start at multiples of `align`. */
  constructor(
    readonly size: number,
    private readonly align = 4096,
  ) {}

  /** A free span of `bytes`, or undefined when there is no room for it now. */
  reserve(bytes: number): RingSpan | undefined {
    const offset = this.place(bytes, this.size);
    if (offset === undefined) return undefined;
    if (offset === 0 && this.spans.length > 0) this.wraps++;
    const span = { offset, length: bytes };
    this.spans.push(span);
    this.head = offset + Math.ceil(bytes / this.align) * this.align;
    return span;
  }

  /**
   * True if reserve(bytes) would give a span now that lies within the
   * ring's first `limit` bytes (the part touched so far, say).
   */
  fits(bytes: number, limit = this.size): boolean {
    return this.place(bytes, limit) !== undefined;
  }

  /** Where a span of `bytes` would go now, using the ring's first `limit` bytes only. */
  private place(bytes: number, limit: number): number | undefined {
    const taken = Math.ceil(bytes / this.align) * this.align;
    const size = Math.min(limit, this.size);
    if (bytes <= 0 || taken > size) return undefined;
    if (this.spans.length === 0) return 0;
    const tail = this.spans[0].offset;
    if (this.head > tail) {
      // In use: [tail, head). Free: [head, size), then [0, tail).
      if (size - this.head >= taken) return this.head;
      if (tail >= taken) return 0;
      return undefined;
    }
    // Wrapped: in use [tail, size) and [0, head); free: [head, tail).
    return tail - this.head >= taken && this.head + taken <= size ? this.head : undefined;
  }

  /** Releases `span`, which must be the oldest in use. */
  release(span: RingSpan): void {
    if (this.spans[0] !== span) throw new Error('ring spans released out of order');
    this.spans.shift();
    if (this.spans.length === 0) this.head = 0;
  }

  /** Spans in use. */
  get inUse(): number {
    return this.spans.length;
  }
}
