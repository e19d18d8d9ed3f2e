/** Test doubles shared by the device tests. Not exported from the package. */
import type { IrqSource } from '../device.js';
import type { GuestMemory } from '../ports.js';

/** Guest RAM as a plain byte array at `base`; throws RangeError outside, like Ram. */
export class FakeMemory implements GuestMemory {
  readonly u8: Uint8Array;
  constructor(readonly base: number, readonly size: number) {
    this.u8 = new Uint8Array(size);
  }
  read(paddr: number, len: number): Uint8Array {
    this.check(paddr, len);
    return this.u8.slice(paddr - this.base, paddr - this.base + len);
  }
  write(paddr: number, bytes: Uint8Array): void {
    this.check(paddr, bytes.length);
    this.u8.set(bytes, paddr - this.base);
  }
  private check(paddr: number, len: number): void {
    if (paddr < this.base || paddr + len > this.base + this.size) throw new RangeError(`fake memory access at 0x${paddr.toString(16)}+${len}`);
  }
}

/** An interrupt line that remembers its level and every change. */
export class FakeIrq implements IrqSource {
  level = false;
  readonly history: boolean[] = [];
  constructor(readonly id = 0) {}
  set(level: boolean): void {
    this.level = level;
    this.history.push(level);
  }
}

/** Fast byte comparison for big buffers (vitest's deep equality is slow on them). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;
}
