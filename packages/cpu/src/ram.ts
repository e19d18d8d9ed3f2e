/**
 * Main memory: one ArrayBuffer with typed views over it, mapped at `base`.
 *
 * The hart reads and writes these views directly on its hot path. Every store
 * marks its 4 KiB page in `dirty` (one byte per page), which snapshots use to
 * capture only what changed.
 */
export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 1 << PAGE_SHIFT;

export class Ram {
  readonly buffer: ArrayBuffer;
  readonly u8: Uint8Array;
  readonly u16: Uint16Array;
  readonly i32: Int32Array;
  readonly view: DataView;
  /** One byte per page; non-zero = written since the last clearDirty(). */
  readonly dirty: Uint8Array;
  /**
   * One byte per page; non-zero = the hart holds translated code made from this page
   * (only with the 'fast' engine). A write to such a page calls `onCodeWrite(page)`.
   */
  readonly code: Uint8Array;
  onCodeWrite: ((page: number) => void) | null = null;

  constructor(readonly base: number, readonly size: number) {
    if (size % PAGE_SIZE !== 0 || size <= 0) throw new Error(`RAM size must be a positive multiple of ${PAGE_SIZE} bytes, got ${size}`);
    this.buffer = new ArrayBuffer(size);
    this.u8 = new Uint8Array(this.buffer);
    this.u16 = new Uint16Array(this.buffer);
    this.i32 = new Int32Array(this.buffer);
    this.view = new DataView(this.buffer);
    this.dirty = new Uint8Array(size >>> PAGE_SHIFT);
    this.code = new Uint8Array(size >>> PAGE_SHIFT);
  }

  /** True if [paddr, paddr+len) lies inside RAM. */
  contains(paddr: number, len = 1): boolean {
    return paddr >= this.base && paddr + len <= this.base + this.size;
  }

  /** Copy bytes in (loaders, DMA). Marks pages dirty. */
  write(paddr: number, bytes: Uint8Array): void {
    if (!this.contains(paddr, bytes.length)) throw new RangeError(`RAM write of ${bytes.length} bytes at 0x${paddr.toString(16)} is outside RAM`);
    const off = paddr - this.base;
    this.u8.set(bytes, off);
    this.markDirty(off, bytes.length);
  }

  /** Copy bytes out (DMA, analyses). */
  read(paddr: number, len: number): Uint8Array {
    if (!this.contains(paddr, len)) throw new RangeError(`RAM read of ${len} bytes at 0x${paddr.toString(16)} is outside RAM`);
    const off = paddr - this.base;
    return this.u8.slice(off, off + len);
  }

  markDirty(off: number, len: number): void {
    if (len <= 0) return;
    const last = (off + len - 1) >>> PAGE_SHIFT;
    for (let p = off >>> PAGE_SHIFT; p <= last; p++) {
      this.dirty[p] = 1;
      if (this.code[p] !== 0) this.onCodeWrite?.(p);
    }
  }

  clearDirty(): void {
    this.dirty.fill(0);
  }
}
