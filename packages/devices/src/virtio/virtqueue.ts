/**
 * Split virtqueue, device side.
 * Virtio 1.2, §2.7 "Split Virtqueues":
 * https://docs.oasis-open.org/virtio/virtio/v1.2/cs01/virtio-v1.2-cs01.html#x1-350007
 *
 * Layout in guest memory (all little-endian):
 *   descriptor table  num x { addr u64, len u32, flags u16, next u16 }   (§2.7.5)
 *   available ring    { flags u16, idx u16, ring[num] u16 }             (§2.7.6)
 *   used ring         { flags u16, idx u16, ring[num] { id u32, len u32 } } (§2.7.8)
 * Indirect descriptors (§2.7.5.3) are followed when negotiated. Event-index
 * suppression is not offered; VIRTQ_AVAIL_F_NO_INTERRUPT is honoured.
 * A malformed chain throws VirtqueueError; the transport then marks the
 * device DEVICE_NEEDS_RESET.
 */
import { u64FromState, u64ToState, type U64 } from '../device.js';
import type { GuestMemory } from '../ports.js';

export const VIRTQ_DESC_F_NEXT = 1;
export const VIRTQ_DESC_F_WRITE = 2;
export const VIRTQ_DESC_F_INDIRECT = 4;
export const VIRTQ_AVAIL_F_NO_INTERRUPT = 1;
export const VIRTQ_DESC_SIZE = 16;

export class VirtqueueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VirtqueueError';
  }
}

/** One guest buffer of a chain. `addr` is a guest physical address. */
export interface VirtqBuffer {
  readonly addr: number;
  readonly len: number;
}

/** A descriptor chain taken from the available ring. */
export interface VirtqChain {
  /** Index of the head descriptor: what goes back in the used ring. */
  readonly head: number;
  /** Device-readable buffers, in order. */
  readonly readable: readonly VirtqBuffer[];
  /** Device-writable buffers, in order (after all readable ones). */
  readonly writable: readonly VirtqBuffer[];
  readonly readableLength: number;
  readonly writableLength: number;
}

export interface VirtqueueState {
  /** Queue size chosen by the driver (QueueNum). */
  readonly num: number;
  readonly ready: boolean;
  readonly desc: U64;
  readonly driver: U64;
  readonly device: U64;
  /** Next available-ring index the device will consume (mod 2^16). */
  readonly lastAvail: number;
  /** Next used-ring index the device will fill (mod 2^16). */
  readonly usedIdx: number;
}

export class Virtqueue {
  num: number;
  ready = false;
  /** Guest addresses of descriptor table, available (driver) ring, used (device) ring. */
  desc = 0n;
  driver = 0n;
  device = 0n;
  lastAvail = 0;
  usedIdx = 0;
  /** Whether VIRTIO_F_INDIRECT_DESC was negotiated (set by the transport). */
  indirect = false;

  constructor(readonly maxSize: number, private readonly mem: GuestMemory) {
    this.num = maxSize;
  }

  /** Back to the state after device reset. */
  reset(): void {
    this.num = this.maxSize;
    this.ready = false;
    this.desc = this.driver = this.device = 0n;
    this.lastAvail = this.usedIdx = 0;
    this.indirect = false;
  }

  /** Called when the driver sets QueueReady: rings start empty. */
  enable(): void {
    if (this.num === 0 || this.num > this.maxSize || (this.num & (this.num - 1)) !== 0) {
      throw new VirtqueueError(`queue size ${this.num} is not a power of 2 in 1..${this.maxSize}`);
    }
    this.ready = true;
    this.lastAvail = 0;
    this.usedIdx = 0;
  }

  /** True if the driver has made a chain available that the device has not taken. */
  hasAvailable(): boolean {
    return this.ready && this.u16(addr(this.driver) + 2) !== this.lastAvail;
  }

  /** Takes the next available chain, or null if there is none. */
  pop(): VirtqChain | null {
    if (!this.ready) return null;
    const availIdx = this.u16(addr(this.driver) + 2);
    if (availIdx === this.lastAvail) return null;
    if (((availIdx - this.lastAvail) & 0xffff) > this.num) {
      throw new VirtqueueError(`available index ${availIdx} is more than ${this.num} ahead of ${this.lastAvail}`);
    }
    const head = this.u16(addr(this.driver) + 4 + 2 * (this.lastAvail % this.num));
    this.lastAvail = (this.lastAvail + 1) & 0xffff;
    return this.walk(head);
  }

  /** Returns a chain to the driver: `written` bytes were written into its writable buffers. */
  push(head: number, written: number): void {
    const base = addr(this.device);
    const entry = new Uint8Array(8);
    const dv = new DataView(entry.buffer);
    dv.setUint32(0, head, true);
    dv.setUint32(4, written, true);
    this.mem.write(base + 4 + 8 * (this.usedIdx % this.num), entry);
    this.usedIdx = (this.usedIdx + 1) & 0xffff;
    this.setU16(base + 2, this.usedIdx);
  }

  /** False when the driver asked not to be interrupted (VIRTQ_AVAIL_F_NO_INTERRUPT). */
  wantsInterrupt(): boolean {
    return (this.u16(addr(this.driver)) & VIRTQ_AVAIL_F_NO_INTERRUPT) === 0;
  }

  /** All readable bytes of a chain, concatenated (at most `limit`). */
  gather(chain: VirtqChain, limit = Infinity): Uint8Array {
    const out = new Uint8Array(Math.min(chain.readableLength, limit));
    let at = 0;
    for (const b of chain.readable) {
      if (at >= out.length) break;
      const n = Math.min(b.len, out.length - at);
      out.set(this.mem.read(b.addr, n), at);
      at += n;
    }
    return out;
  }

  /** Writes `data` into the chain's writable buffers from byte `offset` on; returns bytes written. */
  scatter(chain: VirtqChain, data: Uint8Array, offset = 0): number {
    let skip = offset;
    let from = 0;
    for (const b of chain.writable) {
      if (from >= data.length) break;
      if (skip >= b.len) {
        skip -= b.len;
        continue;
      }
      const n = Math.min(b.len - skip, data.length - from);
      this.mem.write(b.addr + skip, data.subarray(from, from + n));
      from += n;
      skip = 0;
    }
    return from;
  }

  save(): VirtqueueState {
    return {
      num: this.num,
      ready: this.ready,
      desc: u64ToState(this.desc),
      driver: u64ToState(this.driver),
      device: u64ToState(this.device),
      lastAvail: this.lastAvail,
      usedIdx: this.usedIdx,
    };
  }

  restore(s: VirtqueueState): void {
    this.num = s.num;
    this.ready = s.ready;
    this.desc = u64FromState(s.desc);
    this.driver = u64FromState(s.driver);
    this.device = u64FromState(s.device);
    this.lastAvail = s.lastAvail;
    this.usedIdx = s.usedIdx;
  }

  private walk(head: number): VirtqChain {
    const readable: VirtqBuffer[] = [];
    const writable: VirtqBuffer[] = [];
    let readableLength = 0;
    let writableLength = 0;
    let table = addr(this.desc);
    let tableSize = this.num;
    let inIndirect = false;
    let i = head;
    let seen = 0;
    if (i >= tableSize) throw new VirtqueueError(`head descriptor ${i} out of range (queue size ${tableSize})`);
    for (;;) {
      const d = this.mem.read(table + VIRTQ_DESC_SIZE * i, VIRTQ_DESC_SIZE);
      const dv = new DataView(d.buffer, d.byteOffset, d.byteLength);
      const a = dv.getUint32(0, true) + dv.getUint32(4, true) * 2 ** 32;
      const len = dv.getUint32(8, true);
      const flags = dv.getUint16(12, true);
      const next = dv.getUint16(14, true);
      if (flags & VIRTQ_DESC_F_INDIRECT) {
        if (!this.indirect) throw new VirtqueueError('indirect descriptor used but VIRTIO_F_INDIRECT_DESC not negotiated');
        if (inIndirect) throw new VirtqueueError('nested indirect descriptor');
        if (flags & VIRTQ_DESC_F_NEXT) throw new VirtqueueError('indirect descriptor with NEXT set');
        if (len === 0 || len % VIRTQ_DESC_SIZE !== 0) throw new VirtqueueError(`indirect table length ${len} is not a multiple of 16`);
        table = a;
        tableSize = len / VIRTQ_DESC_SIZE;
        inIndirect = true;
        i = 0;
        seen = 0;
        continue;
      }
      if (flags & VIRTQ_DESC_F_WRITE) {
        writable.push({ addr: a, len });
        writableLength += len;
      } else {
        if (writable.length > 0) throw new VirtqueueError('device-readable descriptor after a device-writable one');
        readable.push({ addr: a, len });
        readableLength += len;
      }
      if (!(flags & VIRTQ_DESC_F_NEXT)) break;
      if (++seen >= tableSize) throw new VirtqueueError('descriptor chain loops');
      i = next;
      if (i >= tableSize) throw new VirtqueueError(`next descriptor ${i} out of range (table size ${tableSize})`);
    }
    return { head, readable, writable, readableLength, writableLength };
  }

  private u16(a: number): number {
    const b = this.mem.read(a, 2);
    return b[0] | (b[1] << 8);
  }

  private setU16(a: number, v: number): void {
    this.mem.write(a, Uint8Array.of(v & 0xff, (v >>> 8) & 0xff));
  }
}

/** A ring address as a number (exact below 2^53; anything above is outside RAM and faults on access). */
function addr(a: bigint): number {
  return Number(a);
}
