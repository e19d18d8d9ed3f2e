/**
 * The slices of a running task, shared between the thread that runs them and
 * a coordinator in the same process: the runner claims them one by one from
 * the front, an idle lane takes a run of them from the back. Both sides work
 * on one 64-bit word in shared memory (next slice, end) with compare-and-swap,
 * so a slice is run by exactly one of them, the runner never waits for the
 * coordinator's thread, and work moves between lanes one slice at a time.
 */

export class SliceClaims {
  /** The word: next slice to claim in the high half, end (exclusive) in the low half. */
  private constructor(readonly word: BigInt64Array) {}

  /** Claims over first..last, in shared memory (`word` can be posted to a worker thread). */
  static create(first: number, last: number): SliceClaims {
    const c = new SliceClaims(new BigInt64Array(new SharedArrayBuffer(8)));
    Atomics.store(c.word, 0, pack(first, last + 1));
    return c;
  }

  /** The same claims on the other side of a postMessage. */
  static of(word: BigInt64Array): SliceClaims {
    return new SliceClaims(word);
  }

  /** Runner: claim slice `i`, the next one in order; false when it was taken (the runner stops there). */
  claim(i: number): boolean {
    for (;;) {
      const v = Atomics.load(this.word, 0);
      const [next, end] = unpack(v);
      if (next !== i || i >= end) return false;
      if (Atomics.compareExchange(this.word, 0, v, pack(i + 1, end)) === v) return true;
    }
  }

  /** The slices not claimed yet: next..end-1 (empty when next >= end). */
  left(): { next: number; end: number } {
    const [next, end] = unpack(Atomics.load(this.word, 0));
    return { next, end };
  }

  /**
   * Thief: take slices from..end-1 if they are all still unclaimed; `pick` chooses `from` out of
   * what is left (next..end-1), or returns null to take nothing. Returns the range taken, or null.
   */
  takeBack(pick: (next: number, end: number) => number | null): { first: number; last: number } | null {
    for (;;) {
      const v = Atomics.load(this.word, 0);
      const [next, end] = unpack(v);
      if (next >= end) return null;
      const from = pick(next, end);
      if (from === null) return null;
      if (!(Number.isInteger(from) && from >= next && from < end)) throw new Error(`takeBack: ${from} is not within ${next}..${end - 1}`);
      if (Atomics.compareExchange(this.word, 0, v, pack(next, from)) === v) return { first: from, last: end - 1 };
    }
  }
}

const pack = (next: number, end: number): bigint => (BigInt(next) << 32n) | BigInt(end);
const unpack = (v: bigint): [number, number] => [Number(v >> 32n), Number(v & 0xffffffffn)];
