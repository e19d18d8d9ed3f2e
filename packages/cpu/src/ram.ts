/**
 * Main memory: one WebAssembly.Memory with typed views over it, mapped at `base`.
 *
 * The hart reads and writes these views directly on its hot path, and so does
 * the code the 'wasm' engine generates, which is why the bytes live in a
 * WebAssembly memory: RAM at offset 0, then the `dirty` and `code` page maps,
 * then a small scratch area where a hart keeps its registers and TLBs
 * (`allocScratch`). Every store marks its 4 KiB page in `dirty` (one byte per
 * page), which snapshots use to capture only what changed.
 */
import { wasmApi } from './wasm/api.js';
import type { WasmMemory } from './wasm/api.js';

export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 1 << PAGE_SHIFT;
/** Bytes after the page maps for harts' registers and TLBs. */
const SCRATCH_BYTES = 16 * 1024 * 1024; // per hart: its area (~0.3 MiB) and the 'wasm' engine's lookup table (4 MiB); room for 3
const WASM_PAGE = 65536;

export class Ram {
  /** Holds RAM, the page maps and the scratch area; never grown (a grow would detach the views). */
  readonly memory: WasmMemory;
  readonly buffer: ArrayBuffer;
  readonly u8: Uint8Array;
  readonly u16: Uint16Array;
  readonly i32: Int32Array;
  readonly view: DataView;
  /** One byte per page; non-zero = written since the last clearDirty(). */
  readonly dirty: Uint8Array;
  /**
   * One byte per page; non-zero = the hart holds translated code made from this page
   * (only with the 'wasm' engine). A write to such a page calls `onCodeWrite(page)`.
   */
  readonly code: Uint8Array;
  onCodeWrite: ((page: number) => void) | null = null;
  /** Byte offset in `memory` of the dirty and code page maps. */
  readonly dirtyOffset: number;
  readonly codeOffset: number;
  private scratchNext: number;
  private readonly scratchEnd: number;

  constructor(readonly base: number, readonly size: number) {
    if (size % PAGE_SIZE !== 0 || size <= 0) throw new Error(`RAM size must be a positive multiple of ${PAGE_SIZE} bytes, got ${size}`);
    const pages = size >>> PAGE_SHIFT;
    this.dirtyOffset = size;
    this.codeOffset = size + pages;
    this.scratchNext = align(this.codeOffset + pages, 64);
    this.scratchEnd = this.scratchNext + SCRATCH_BYTES;
    const wasmPages = Math.ceil(this.scratchEnd / WASM_PAGE);
    try {
      this.memory = new wasmApi.Memory({ initial: wasmPages, maximum: wasmPages });
    } catch (e) {
      throw new Error(`cannot allocate ${Math.round(size / 1048576)} MiB of guest RAM: ${(e as Error).message}`);
    }
    this.buffer = this.memory.buffer;
    this.u8 = new Uint8Array(this.buffer, 0, size);
    this.u16 = new Uint16Array(this.buffer, 0, size >>> 1);
    this.i32 = new Int32Array(this.buffer, 0, size >>> 2);
    this.view = new DataView(this.buffer, 0, size);
    this.dirty = new Uint8Array(this.buffer, this.dirtyOffset, pages);
    this.code = new Uint8Array(this.buffer, this.codeOffset, pages);
  }

  /** Reserve `bytes` (zeroed, 64-byte aligned) of the scratch area for a hart; returns the byte offset in `memory`. */
  allocScratch(bytes: number): number {
    const at = this.scratchNext;
    if (at + bytes > this.scratchEnd) throw new Error(`RAM scratch area exhausted (${SCRATCH_BYTES} bytes; too many harts on one RAM?)`);
    this.scratchNext = align(at + bytes, 64);
    return at;
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

const align = (n: number, a: number): number => Math.ceil(n / a) * a;
