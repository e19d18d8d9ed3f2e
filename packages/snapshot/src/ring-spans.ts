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
    const taken = Math.ceil(bytes / this.align) * this.align;
    if (bytes <= 0 || taken > this.size) return undefined;
    let offset: number;
    if (this.spans.length === 0) {
      offset = 0;
    } else {
      const tail = this.spans[0].offset;
      if (this.head > tail) {
        // In use: [tail, head). Free: [head, size), then [0, tail).
        if (this.size - this.head >= taken) offset = this.head;
        else if (tail >= taken) offset = 0;
        else return undefined;
      } else if (tail - this.head >= taken) {
        // Wrapped: in use [tail, size) and [0, head); free: [head, tail).
        offset = this.head;
      } else {
        return undefined;
      }
      if (offset === 0) this.wraps++;
    }
    const span = { offset, length: bytes };
    this.spans.push(span);
    this.head = offset + taken;
    return span;
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
