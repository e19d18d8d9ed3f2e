import { describe, expect, it } from 'vitest';
import { FakeIrq, FakeMemory } from '../test-support/fakes.js';
import { Arena, driverOk, negotiate, VirtqDriver } from '../test-support/virtq-driver.js';
import { featureBit, VIRTIO_F_INDIRECT_DESC, VIRTIO_F_VERSION_1 } from './virtio-device-model.js';
import {
  VirtioMmioTransport,
  VIRTIO_MMIO_CONFIG,
  VIRTIO_MMIO_CONFIG_GENERATION,
  VIRTIO_MMIO_DEVICE_FEATURES,
  VIRTIO_MMIO_DEVICE_FEATURES_SEL,
  VIRTIO_MMIO_DEVICE_ID,
  VIRTIO_MMIO_INTERRUPT_ACK,
  VIRTIO_MMIO_INTERRUPT_STATUS,
  VIRTIO_MMIO_MAGIC_VALUE,
  VIRTIO_MMIO_QUEUE_NUM_MAX,
  VIRTIO_MMIO_QUEUE_READY,
  VIRTIO_MMIO_QUEUE_SEL,
  VIRTIO_MMIO_SHM_LEN_LOW,
  VIRTIO_MMIO_STATUS,
  VIRTIO_MMIO_VERSION,
  VIRTIO_STATUS_DEVICE_NEEDS_RESET,
  VIRTIO_STATUS_DRIVER_OK,
  VIRTIO_STATUS_FEATURES_OK,
} from './virtio-mmio-transport.js';
import { VirtioRng } from './virtio-rng.js';
import { VIRTQ_AVAIL_F_NO_INTERRUPT, VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE } from './virtqueue.js';

const RAM = 0x8000_0000;

function rngDevice(firstByte = 0) {
  const mem = new FakeMemory(RAM, 1 << 20);
  const irq = new FakeIrq(1);
  let counter = firstByte;
  const entropy = { fill: (b: Uint8Array) => b.forEach((_, i) => (b[i] = counter++ & 0xff)) };
  const dev = new VirtioMmioTransport({ irq, memory: mem, model: new VirtioRng({ entropy }) });
  const arena = new Arena(mem, RAM);
  return { mem, irq, dev, arena };
}

function ready(t: ReturnType<typeof rngDevice>, size = 8) {
  negotiate(t.dev);
  const q = new VirtqDriver(t.mem, t.dev, 0, size, t.arena);
  q.setup();
  driverOk(t.dev);
  return q;
}

const r32 = (dev: VirtioMmioTransport, off: number) => dev.read(off, 4) as number;

describe('VirtioMmioTransport', () => {
  it('an empty slot answers magic, version 2 and device ID 0', () => {
    const dev = new VirtioMmioTransport({ irq: new FakeIrq(8), memory: new FakeMemory(RAM, 4096) });
    expect(r32(dev, VIRTIO_MMIO_MAGIC_VALUE)).toBe(0x74726976);
    expect(r32(dev, VIRTIO_MMIO_VERSION)).toBe(2);
    expect(r32(dev, VIRTIO_MMIO_DEVICE_ID)).toBe(0);
    expect(r32(dev, VIRTIO_MMIO_QUEUE_NUM_MAX)).toBe(0);
    expect(dev.kind).toBe('virtio-mmio-empty');
  });

  it('offers VERSION_1 and INDIRECT_DESC, selected by DeviceFeaturesSel', () => {
    const { dev } = rngDevice();
    expect(r32(dev, VIRTIO_MMIO_DEVICE_ID)).toBe(4);
    dev.write(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 4, 1);
    expect(r32(dev, VIRTIO_MMIO_DEVICE_FEATURES)).toBe(1); // bit 32
    dev.write(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 4, 0);
    expect(r32(dev, VIRTIO_MMIO_DEVICE_FEATURES)).toBe(1 << VIRTIO_F_INDIRECT_DESC);
    dev.write(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 4, 2);
    expect(r32(dev, VIRTIO_MMIO_DEVICE_FEATURES)).toBe(0);
  });

  it('refuses FEATURES_OK for unoffered features or without VERSION_1', () => {
    const { dev } = rngDevice();
    negotiate(dev, (f) => f | (1n << 40n));
    expect(r32(dev, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK).toBe(0);
    negotiate(dev, (f) => f & ~featureBit(VIRTIO_F_VERSION_1));
    expect(r32(dev, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK).toBe(0);
    negotiate(dev);
    expect(r32(dev, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK).toBe(VIRTIO_STATUS_FEATURES_OK);
  });

  it('processes a notified queue, raises the interrupt, and lowers it on InterruptACK', () => {
    const t = rngDevice();
    const q = ready(t);
    q.add([{ len: 8, write: true }]);
    expect(t.irq.level).toBe(false);
    q.notify();
    expect(q.takeUsed()).toEqual([{ id: 0, len: 8 }]);
    expect(t.irq.level).toBe(true);
    expect(r32(t.dev, VIRTIO_MMIO_INTERRUPT_STATUS)).toBe(1);
    t.dev.write(VIRTIO_MMIO_INTERRUPT_ACK, 4, 1);
    expect(t.irq.level).toBe(false);
  });

  it('ignores notifications before DRIVER_OK', () => {
    const t = rngDevice();
    negotiate(t.dev);
    const q = new VirtqDriver(t.mem, t.dev, 0, 8, t.arena);
    q.setup();
    q.add([{ len: 4, write: true }]);
    q.notify();
    expect(q.takeUsed()).toEqual([]);
  });

  it('honours VIRTQ_AVAIL_F_NO_INTERRUPT', () => {
    const t = rngDevice();
    const q = ready(t);
    q.setAvailFlags(VIRTQ_AVAIL_F_NO_INTERRUPT);
    q.add([{ len: 4, write: true }]);
    q.notify();
    expect(q.takeUsed()).toHaveLength(1);
    expect(t.irq.level).toBe(false);
  });

  it('sets DEVICE_NEEDS_RESET and signals a config change on a looping chain; reset recovers', () => {
    const t = rngDevice();
    const q = ready(t, 4);
    const buf = t.arena.alloc(16);
    q.writeDesc(q.desc + 0, buf, 4, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
    q.writeDesc(q.desc + 16, buf, 4, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 0);
    q.publish(0);
    const gen = r32(t.dev, VIRTIO_MMIO_CONFIG_GENERATION);
    q.notify();
    expect(r32(t.dev, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_DEVICE_NEEDS_RESET).toBeTruthy();
    expect(r32(t.dev, VIRTIO_MMIO_INTERRUPT_STATUS)).toBe(2);
    expect(r32(t.dev, VIRTIO_MMIO_CONFIG_GENERATION)).not.toBe(gen);
    expect(t.irq.level).toBe(true);
    // The driver cannot clear the bit by rewriting status.
    t.dev.write(VIRTIO_MMIO_STATUS, 4, r32(t.dev, VIRTIO_MMIO_STATUS) & ~VIRTIO_STATUS_DEVICE_NEEDS_RESET);
    expect(r32(t.dev, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_DEVICE_NEEDS_RESET).toBeTruthy();
    t.dev.write(VIRTIO_MMIO_STATUS, 4, 0);
    expect(r32(t.dev, VIRTIO_MMIO_STATUS)).toBe(0);
    expect(t.irq.level).toBe(false);
    t.dev.write(VIRTIO_MMIO_QUEUE_SEL, 4, 0);
    expect(r32(t.dev, VIRTIO_MMIO_QUEUE_READY)).toBe(0);
  });

  it('a DMA address outside RAM also ends in DEVICE_NEEDS_RESET, not an exception', () => {
    const t = rngDevice();
    const q = ready(t);
    q.writeDesc(q.desc, 0x10, 4, VIRTQ_DESC_F_WRITE, 0);
    q.publish(0);
    expect(() => q.notify()).not.toThrow();
    expect(r32(t.dev, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_DEVICE_NEEDS_RESET).toBeTruthy();
  });

  it('reports no shared memory regions and an empty rng config space', () => {
    const { dev } = rngDevice();
    expect(r32(dev, VIRTIO_MMIO_SHM_LEN_LOW)).toBe(0xffff_ffff);
    expect(dev.read(VIRTIO_MMIO_CONFIG, 4)).toBe(0);
  });

  it('round-trips its state mid-run and continues identically', () => {
    const a = rngDevice();
    const qa = ready(a);
    qa.add([{ len: 4, write: true }]);
    qa.notify();
    expect(qa.takeUsed()).toEqual([{ id: 0, len: 4 }]);
    const saved = a.dev.save();
    const memCopy = a.mem.u8.slice();

    const b = rngDevice(4); // its entropy port continues where a's was (as a replayer would)
    b.mem.u8.set(memCopy);
    b.dev.restore(structuredClone(saved));
    expect(b.dev.save()).toEqual(saved);
    expect(b.irq.level).toBe(a.irq.level);
    expect(saved.status & VIRTIO_STATUS_DRIVER_OK).toBeTruthy();
    // Both continue with the same next request (b's driver view is rebuilt over the same memory).
    const qb = qa.cloneOnto(b.mem, b.dev, new Arena(b.mem, RAM + 0x8000));
    const qa2 = qa.cloneOnto(a.mem, a.dev, new Arena(a.mem, RAM + 0x8000));
    for (const q of [qa2, qb]) {
      q.add([{ len: 6, write: true }]);
      q.notify();
    }
    expect(qb.takeUsed()).toEqual([{ id: 1, len: 6 }]);
    expect(Buffer.compare(a.mem.u8, b.mem.u8)).toBe(0);
    expect(b.dev.save()).toEqual(a.dev.save());
  });
});
