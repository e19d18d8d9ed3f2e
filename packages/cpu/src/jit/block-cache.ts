/**
 * Translated blocks of the 'wasm' engine, keyed by physical location.
 *
 * A block is found by its RAM byte offset (the exec TLB gives it for the
 * current pc) and is valid only for the virtual pc it was translated at (pc
 * values are constants in its code). Translations never go stale by address
 * mapping changes (the dispatcher reaches a block through the exec TLB, which
 * sfence.vma, satp and privilege changes flush as before); they go stale only
 * when their bytes change, so every page holding translated code is flagged in
 * `Ram.code` and any write to it drops that page's blocks (`invalidatePage`).
 *
 * Code is translated once a jump has reached it `threshold` times (counted
 * by the interpreter in `hot`, from `hotStart`); colder code runs in the
 * interpreter. What a translation is (for the 'wasm' engine, a table slot) is
 * the engine's business.
 */

export interface BlockEvents<F> {
  installed(b: Block<F>, li: number): void;
  removed(b: Block<F>, li: number): void;
  /** Page `page` (RAM page number) was written, or everything was dropped (page -1). */
  pageDropped?(page: number): void;
}

export interface Block<F = unknown> {
  /** RAM byte offset of the first instruction. */
  readonly off: number;
  /** Virtual pc it was translated for. */
  readonly plo: number;
  readonly phi: number;
  /** Most steps one pass takes; 0 = nothing translatable here (the interpreter runs it). */
  readonly n: number;
  readonly fn: F | null;
}

// 2^18 entries (4 MiB in WebAssembly memory, 16 bytes each): with 2^16, blocks whose RAM offsets
// differ by a multiple of 128 KiB evicted each other, and the smoke workload (BENCHMARKS.md §3)
// installed 102,000 blocks (90,000 of them again from the code cache) for 12,000 translated; now
// 12,700.
const LOOKUP_BITS = 18;
/** `lookup` and `hot` are indexed by (off >>> 1) & LOOKUP_MASK. */
export const LOOKUP_MASK = (1 << LOOKUP_BITS) - 1;

export class BlockCache<F = unknown> {
  /** Direct-mapped: the block translated for a location (a later one evicts an earlier one at the same index). */
  readonly lookup: (Block<F> | undefined)[] = new Array<Block<F> | undefined>(LOOKUP_MASK + 1).fill(undefined);
  /** Jump counts per lookup index for locations without a block (from hotStart up to threshold). */
  readonly hot: Uint16Array;
  private readonly byPage = new Map<number, Block<F>[]>();
  /** Counters, for tests and benchmarks. */
  compiled = 0;
  invalidations = 0;

  /**
   * @param threshold jumps to a location before it is translated (1..65535)
   * @param events told when a block enters the lookup table and when it leaves it (replaced,
   *   invalidated, cleared): the 'wasm' engine mirrors the table in WebAssembly memory
   * @param hotStart where counts start (0..threshold-1): the engine is asked about a location
   *   after threshold - hotStart jumps (the 'wasm' engine then looks in its code cache first)
   */
  constructor(
    private readonly code: Uint8Array,
    readonly threshold: number,
    private readonly events: BlockEvents<F>,
    readonly hotStart = 0,
  ) {
    if (!(threshold >= 1 && threshold <= 65535)) throw new RangeError(`block translation threshold must be 1..65535, got ${threshold}`);
    if (!(hotStart >= 0 && hotStart < threshold)) throw new RangeError(`hotStart must be 0..${threshold - 1}, got ${hotStart}`);
    this.hot = new Uint16Array(LOOKUP_MASK + 1).fill(hotStart);
  }

  /** Install the block translated for RAM offset `off` and virtual pc (plo, phi), replacing what its lookup slot held. */
  insert(off: number, plo: number, phi: number, n: number, fn: F | null): Block<F> {
    const b: Block<F> = { off, plo, phi, n, fn };
    this.compiled++;
    const li = (off >>> 1) & LOOKUP_MASK;
    const old = this.lookup[li];
    if (old !== undefined) { this.unlist(old); this.events.removed(old, li); }
    this.lookup[li] = b;
    this.events.installed(b, li);
    this.hot[li] = this.hotStart;
    // A block never crosses a page; an empty one still depends on its first instruction's bytes.
    const page = off >>> 12;
    let list = this.byPage.get(page);
    if (list === undefined) { list = []; this.byPage.set(page, list); }
    list.push(b);
    this.code[page] = 1;
    return b;
  }

  private unlist(b: Block<F>): void {
    const list = this.byPage.get(b.off >>> 12);
    if (list === undefined) return;
    const i = list.indexOf(b);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) {
      this.byPage.delete(b.off >>> 12);
      this.code[b.off >>> 12] = 0;
    }
  }

  /** Page `page` (RAM page number) was written: drop its blocks. */
  invalidatePage(page: number): void {
    this.code[page] = 0;
    const list = this.byPage.get(page);
    if (list === undefined) return;
    this.byPage.delete(page);
    this.invalidations++;
    for (const b of list) {
      const li = (b.off >>> 1) & LOOKUP_MASK;
      if (this.lookup[li] === b) { this.lookup[li] = undefined; this.events.removed(b, li); }
    }
    this.events.pageDropped?.(page);
  }

  /** Drop every block (state restored, engine switched). */
  clear(): void {
    // Every block in `lookup` is listed in byPage (insert lists it, eviction and invalidation unlist
    // it), so this visits only the installed blocks, not all 2^18 entries (restore() calls this).
    for (const [page, list] of this.byPage) {
      this.code[page] = 0;
      for (const b of list) {
        const li = (b.off >>> 1) & LOOKUP_MASK;
        if (this.lookup[li] === b) { this.lookup[li] = undefined; this.events.removed(b, li); }
      }
    }
    this.byPage.clear();
    this.hot.fill(this.hotStart);
    this.events.pageDropped?.(-1);
  }
}
