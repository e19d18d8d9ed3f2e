/**
 * The driver side of a split virtqueue, for tests: sets a queue up through the
 * MMIO registers and builds descriptor chains in fake guest memory, the way
 * Linux's virtio_ring does.
 */
import type { VirtioMmioTransport } from '../virtio/virtio-mmio-transport.js';
import {
  VIRTIO_MMIO_DRIVER_FEATURES,
  VIRTIO_MMIO_DRIVER_FEATURES_SEL,
  VIRTIO_MMIO_DEVICE_FEATURES,
  VIRTIO_MMIO_DEVICE_FEATURES_SEL,
  VIRTIO_MMIO_QUEUE_DESC_HIGH,
  VIRTIO_MMIO_QUEUE_DESC_LOW,
  VIRTIO_MMIO_QUEUE_DEVICE_HIGH,
  VIRTIO_MMIO_QUEUE_DEVICE_LOW,
  VIRTIO_MMIO_QUEUE_DRIVER_HIGH,
  VIRTIO_MMIO_QUEUE_DRIVER_LOW,
  VIRTIO_MMIO_QUEUE_NOTIFY,
  VIRTIO_MMIO_QUEUE_NUM,
  VIRTIO_MMIO_QUEUE_NUM_MAX,
  VIRTIO_MMIO_QUEUE_READY,
  VIRTIO_MMIO_QUEUE_SEL,
  VIRTIO_MMIO_STATUS,
  VIRTIO_STATUS_ACKNOWLEDGE,
  VIRTIO_STATUS_DRIVER,
  VIRTIO_STATUS_DRIVER_OK,
  VIRTIO_STATUS_FEATURES_OK,
} from '../virtio/virtio-mmio-transport.js';
import { VIRTQ_DESC_F_INDIRECT, VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE } from '../virtio/virtqueue.js';
import type { FakeMemory } from './fakes.js';

export interface Segment {
  /** Device-readable contents; or a writable buffer of `len` bytes. */
  data?: Uint8Array;
  len?: number;
  write?: boolean;
}

export interface AddedChain {
  head: number;
  /** Guest addresses of each segment's buffer. */
  addrs: number[];
}

/** Bump allocator over fake memory. */
export class Arena {
  constructor(private readonly mem: FakeMemory, private next: number) {}
  alloc(len: number, align = 16): number {
    this.next = Math.ceil(this.next / align) * align;
    const a = this.next;
    this.next += len;
    if (this.next > this.mem.base + this.mem.size) throw new Error('arena exhausted');
    return a;
  }
}

export class VirtqDriver {
  readonly desc: number;
  readonly avail: number;
  readonly used: number;
  private nextDesc = 0;
  private availIdx = 0;
  private lastUsed = 0;

  constructor(
    private readonly mem: FakeMemory,
    private readonly dev: VirtioMmioTransport,
    readonly index: number,
    readonly size: number,
    private readonly arena: Arena,
  ) {
    this.desc = arena.alloc(16 * size, 16);
    this.avail = arena.alloc(6 + 2 * size, 2);
    this.used = arena.alloc(6 + 8 * size, 4);
  }

  /** The same driver view (ring addresses and indices) over another machine's memory, e.g. after a restore. */
  cloneOnto(mem: FakeMemory, dev: VirtioMmioTransport, arena: Arena): VirtqDriver {
    const c = Object.create(VirtqDriver.prototype) as VirtqDriver;
    Object.assign(c, this, { mem, dev, arena });
    return c;
  }

  /** Programs the queue registers and sets QueueReady. */
  setup(): void {
    const w = (off: number, v: number) => this.dev.write(off, 4, v);
    w(VIRTIO_MMIO_QUEUE_SEL, this.index);
    if ((this.dev.read(VIRTIO_MMIO_QUEUE_NUM_MAX, 4) as number) < this.size) throw new Error('queue too large');
    w(VIRTIO_MMIO_QUEUE_NUM, this.size);
    w(VIRTIO_MMIO_QUEUE_DESC_LOW, this.desc);
    w(VIRTIO_MMIO_QUEUE_DESC_HIGH, 0);
    w(VIRTIO_MMIO_QUEUE_DRIVER_LOW, this.avail);
    w(VIRTIO_MMIO_QUEUE_DRIVER_HIGH, 0);
    w(VIRTIO_MMIO_QUEUE_DEVICE_LOW, this.used);
    w(VIRTIO_MMIO_QUEUE_DEVICE_HIGH, 0);
    w(VIRTIO_MMIO_QUEUE_READY, 1);
  }

  /** Places a chain in the descriptor table (or an indirect table) and makes it available. */
  add(segments: Segment[], options: { indirect?: boolean } = {}): AddedChain {
    const addrs = segments.map((s) => {
      const len = s.data?.length ?? s.len ?? 0;
      const a = this.arena.alloc(Math.max(len, 1));
      if (s.data) this.mem.write(a, s.data);
      return a;
    });
    const entries = segments.map((s, i) => ({
      addr: addrs[i],
      len: s.data?.length ?? s.len ?? 0,
      flags: (s.write ? VIRTQ_DESC_F_WRITE : 0) | (i < segments.length - 1 ? VIRTQ_DESC_F_NEXT : 0),
    }));
    let head: number;
    if (options.indirect) {
      const table = this.arena.alloc(16 * entries.length, 16);
      entries.forEach((e, i) => this.writeDesc(table + 16 * i, e.addr, e.len, e.flags, i + 1));
      head = this.take();
      this.writeDesc(this.desc + 16 * head, table, 16 * entries.length, VIRTQ_DESC_F_INDIRECT, 0);
    } else {
      const ids = entries.map(() => this.take());
      entries.forEach((e, i) => this.writeDesc(this.desc + 16 * ids[i], e.addr, e.len, e.flags, ids[i + 1] ?? 0));
      head = ids[0];
    }
    this.u16(this.avail + 4 + 2 * (this.availIdx % this.size), head);
    this.availIdx = (this.availIdx + 1) & 0xffff;
    this.u16(this.avail + 2, this.availIdx);
    return { head, addrs };
  }

  /** Writes a raw descriptor (for malformed-chain tests). */
  writeDesc(at: number, addr: number, len: number, flags: number, next: number): void {
    const b = new Uint8Array(16);
    const dv = new DataView(b.buffer);
    dv.setUint32(0, addr, true);
    dv.setUint32(4, 0, true);
    dv.setUint32(8, len, true);
    dv.setUint16(12, flags, true);
    dv.setUint16(14, next, true);
    this.mem.write(at, b);
  }

  /** Makes descriptor `head` available as is. */
  publish(head: number): void {
    this.u16(this.avail + 4 + 2 * (this.availIdx % this.size), head);
    this.availIdx = (this.availIdx + 1) & 0xffff;
    this.u16(this.avail + 2, this.availIdx);
  }

  setAvailFlags(flags: number): void {
    this.u16(this.avail, flags);
  }

  notify(): void {
    this.dev.write(VIRTIO_MMIO_QUEUE_NOTIFY, 4, this.index);
  }

  /** Used-ring entries added since the last call. */
  takeUsed(): Array<{ id: number; len: number }> {
    const dv = (a: number, n: number) => new DataView(this.mem.read(a, n).buffer);
    const idx = dv(this.used + 2, 2).getUint16(0, true);
    const out: Array<{ id: number; len: number }> = [];
    while (this.lastUsed !== idx) {
      const e = dv(this.used + 4 + 8 * (this.lastUsed % this.size), 8);
      out.push({ id: e.getUint32(0, true), len: e.getUint32(4, true) });
      this.lastUsed = (this.lastUsed + 1) & 0xffff;
    }
    return out;
  }

  private take(): number {
    const d = this.nextDesc;
    this.nextDesc = (this.nextDesc + 1) % this.size;
    return d;
  }

  private u16(a: number, v: number): void {
    this.mem.write(a, Uint8Array.of(v & 0xff, v >>> 8));
  }
}

/** Runs the §3.1.1 initialisation up to (not including) queue setup; returns the accepted features. */
export function negotiate(dev: VirtioMmioTransport, accept: (offered: bigint) => bigint = (f) => f): bigint {
  dev.write(VIRTIO_MMIO_STATUS, 4, 0);
  dev.write(VIRTIO_MMIO_STATUS, 4, VIRTIO_STATUS_ACKNOWLEDGE);
  dev.write(VIRTIO_MMIO_STATUS, 4, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
  dev.write(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 4, 1);
  const hi = dev.read(VIRTIO_MMIO_DEVICE_FEATURES, 4) as number;
  dev.write(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 4, 0);
  const lo = dev.read(VIRTIO_MMIO_DEVICE_FEATURES, 4) as number;
  const features = accept((BigInt(hi) << 32n) | BigInt(lo));
  dev.write(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 4, 1);
  dev.write(VIRTIO_MMIO_DRIVER_FEATURES, 4, Number(features >> 32n));
  dev.write(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 4, 0);
  dev.write(VIRTIO_MMIO_DRIVER_FEATURES, 4, Number(features & 0xffff_ffffn));
  dev.write(VIRTIO_MMIO_STATUS, 4, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
  return features;
}

export function driverOk(dev: VirtioMmioTransport): void {
  dev.write(VIRTIO_MMIO_STATUS, 4, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
}
