import { describe, expect, it } from 'vitest';
import { FakeIrq, FakeMemory } from '../test-support/fakes.js';
import { Arena, driverOk, negotiate, VirtqDriver } from '../test-support/virtq-driver.js';
import { VirtioMmioTransport } from './virtio-mmio-transport.js';
import { VirtioRng } from './virtio-rng.js';

const RAM = 0x8000_0000;

describe('VirtioRng', () => {
  it('fills every writable buffer of a request from the EntropyPort', () => {
    const mem = new FakeMemory(RAM, 1 << 16);
    const asked: number[] = [];
    const entropy = { fill: (b: Uint8Array) => (asked.push(b.length), b.fill(0xab)) };
    const dev = new VirtioMmioTransport({ irq: new FakeIrq(2), memory: mem, model: new VirtioRng({ entropy }) });
    negotiate(dev);
    const q = new VirtqDriver(mem, dev, 0, 8, new Arena(mem, RAM));
    q.setup();
    driverOk(dev);
    const c = q.add([
      { len: 3, write: true },
      { len: 5, write: true },
    ]);
    q.notify();
    expect(asked).toEqual([8]);
    expect(q.takeUsed()).toEqual([{ id: c.head, len: 8 }]);
    expect(Array.from(mem.read(c.addrs[0], 3))).toEqual([0xab, 0xab, 0xab]);
    expect(Array.from(mem.read(c.addrs[1], 5))).toEqual([0xab, 0xab, 0xab, 0xab, 0xab]);
  });

  it('round-trips its (empty) model state', () => {
    const rng = new VirtioRng({ entropy: { fill: () => {} } });
    const s = rng.save();
    rng.restore(structuredClone(s));
    expect(rng.save()).toEqual(s);
  });
});
