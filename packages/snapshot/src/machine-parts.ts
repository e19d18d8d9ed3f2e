/**
 * What a snapshot is taken of: the machine as three parts, so this package
 * needs no machine, only these shapes (the cpu's Ram and the devices'
 * CowDisk fit them as they are).
 */

export interface MachineParts {
  /**
   * Everything that is not RAM or a disk overlay, as plain data: hart state
   * (bigints inside), device states (a device's save() leaves its disks'
   * overlay blocks out: they go in `disks`), clock fields. Encoded canonically
   * (canonical.ts): no Map, Set, class instance or typed array but Uint8Array.
   */
  meta: unknown;
  ram: RamPart;
  disks: readonly DiskPart[];
}

/** The cpu's Ram: its bytes and one dirty byte per 4 KiB page. */
export interface RamPart {
  /** Bytes; a positive multiple of 4096. */
  readonly size: number;
  readonly u8: Uint8Array;
  /**
   * One byte per 4 KiB page, non-zero = written since the last clear. The
   * snapshot writer that owns this machine clears it (see SnapshotWriter).
   */
  readonly dirty: Uint8Array;
}

/** A CowDisk's overlay. */
export interface DiskPart {
  /** Bytes. */
  readonly size: number;
  readonly blockSize: number;
  /** Overlay block `i` (blockSize bytes), or undefined if block i still reads from the base image. */
  block(i: number): Uint8Array | undefined;
  /** Block indices written since the last clearDirty(). */
  dirtyBlocks(): number[];
  clearDirty(): void;
}
