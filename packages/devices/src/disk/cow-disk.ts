/**
 * A disk as a read-only base image plus a copy-on-write overlay of fixed-size
 * blocks. The base is never written; the overlay is machine state (it goes
 * into snapshots). Blocks written since the last `clearDirty()` are tracked
 * for incremental snapshots.
 */
import { DeviceStateError } from '../device.js';

export type CowBlockSize = 512 | 4096;

export interface CowDiskOptions {
  /** The base image; its length must be a multiple of 512. Never modified. */
  base: Uint8Array;
  /** Overlay granularity in bytes. Default 4096. */
  blockSize?: CowBlockSize;
  /** Names the base image (e.g. its content hash); saved and checked on restore. */
  imageId?: string;
}

export interface CowBlock {
  readonly index: number;
  readonly data: Uint8Array;
}

export interface CowDiskState {
  readonly blockSize: number;
  /** Disk size in bytes. */
  readonly size: number;
  readonly imageId: string | null;
  /** Every overlay block, ascending by index. */
  readonly blocks: CowBlock[];
}

export class CowDisk {
  readonly size: number;
  readonly blockSize: CowBlockSize;
  readonly imageId: string | null;
  private readonly base: Uint8Array;
  private overlay = new Map<number, Uint8Array>();
  private dirty = new Set<number>();

  constructor(options: CowDiskOptions) {
    if (options.base.length % 512 !== 0) throw new RangeError(`disk image size ${options.base.length} is not a multiple of 512`);
    this.base = options.base;
    this.size = options.base.length;
    this.blockSize = options.blockSize ?? 4096;
    this.imageId = options.imageId ?? null;
  }

  /** Copies `len` bytes at byte `offset`. */
  read(offset: number, len: number): Uint8Array {
    this.check(offset, len);
    const out = new Uint8Array(len);
    let at = 0;
    while (at < len) {
      const pos = offset + at;
      const index = Math.floor(pos / this.blockSize);
      const inBlock = pos - index * this.blockSize;
      const n = Math.min(this.blockSize - inBlock, len - at);
      const block = this.overlay.get(index);
      if (block) out.set(block.subarray(inBlock, inBlock + n), at);
      else out.set(this.base.subarray(pos, pos + n), at);
      at += n;
    }
    return out;
  }

  /** Writes `data` at byte `offset` into the overlay. */
  write(offset: number, data: Uint8Array): void {
    this.check(offset, data.length);
    let at = 0;
    while (at < data.length) {
      const pos = offset + at;
      const index = Math.floor(pos / this.blockSize);
      const inBlock = pos - index * this.blockSize;
      const n = Math.min(this.blockSize - inBlock, data.length - at);
      let block = this.overlay.get(index);
      if (!block) {
        const start = index * this.blockSize;
        block = new Uint8Array(this.blockSize);
        block.set(this.base.subarray(start, Math.min(start + this.blockSize, this.size)));
        this.overlay.set(index, block);
      }
      block.set(data.subarray(at, at + n), inBlock);
      this.dirty.add(index);
      at += n;
    }
  }

  /** Overlay block indices written since the last clearDirty(), ascending. */
  dirtyBlocks(): number[] {
    return [...this.dirty].sort((a, b) => a - b);
  }

  clearDirty(): void {
    this.dirty.clear();
  }

  /** A copy of overlay block `index`, or undefined if it still reads from the base. */
  block(index: number): Uint8Array | undefined {
    const b = this.overlay.get(index);
    return b ? b.slice() : undefined;
  }

  get overlayBlockCount(): number {
    return this.overlay.size;
  }

  /**
   * The disk without its overlay (`blocks` empty): what a device's own state
   * records of it. The overlay is machine state of its own, saved block by
   * block through the board's disk list (snapshots store each block as an object).
   */
  layout(): CowDiskState {
    return { blockSize: this.blockSize, size: this.size, imageId: this.imageId, blocks: [] };
  }

  /** Throws DeviceStateError unless `state` is of this disk: same block size, size and base image. */
  checkLayout(state: CowDiskState): void {
    if (state.blockSize !== this.blockSize || state.size !== this.size) {
      throw new DeviceStateError(`disk state is ${state.size} bytes in ${state.blockSize}-byte blocks, disk is ${this.size} in ${this.blockSize}`);
    }
    if (state.imageId !== this.imageId) throw new DeviceStateError(`disk state is for image ${state.imageId}, disk has ${this.imageId}`);
  }

  /** Layout and every overlay block. */
  save(): CowDiskState {
    const blocks = [...this.overlay.keys()].sort((a, b) => a - b).map((index) => ({ index, data: (this.overlay.get(index) as Uint8Array).slice() }));
    return { blockSize: this.blockSize, size: this.size, imageId: this.imageId, blocks };
  }

  /** Replaces the overlay; afterwards no block is dirty. */
  restore(state: CowDiskState): void {
    this.checkLayout(state);
    const overlay = new Map<number, Uint8Array>();
    for (const b of state.blocks) {
      if (b.data.length !== this.blockSize) throw new DeviceStateError(`disk state block ${b.index} has ${b.data.length} bytes`);
      overlay.set(b.index, Uint8Array.from(b.data));
    }
    this.overlay = overlay;
    this.dirty = new Set();
  }

  private check(offset: number, len: number): void {
    if (!Number.isInteger(offset) || !Number.isInteger(len) || offset < 0 || len < 0 || offset + len > this.size) {
      throw new RangeError(`disk access of ${len} bytes at ${offset} is outside the ${this.size}-byte disk`);
    }
  }
}
