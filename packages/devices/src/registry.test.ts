import { describe, expect, it } from 'vitest';
import { Clint } from './clint.js';
import { DevicePluginError, type DevicePlugin } from './device-plugin.js';
import { createDeviceRegistry, DeviceConfigError, type DeviceContext } from './registry.js';
import { FakeIrq, FakeMemory } from './test-support/fakes.js';
import { Uart16550a } from './uart-16550a.js';
import { VirtioMmioTransport } from './virtio/virtio-mmio-transport.js';

function context(ports: DeviceContext['ports'] = {}, images: Record<string, Uint8Array> = {}): DeviceContext & { irqs: Map<number, FakeIrq> } {
  const irqs = new Map<number, FakeIrq>();
  return {
    irqs,
    irq: (id) => {
      if (!irqs.has(id)) irqs.set(id, new FakeIrq(id));
      return irqs.get(id) as FakeIrq;
    },
    hartIrq: () => new FakeIrq(),
    memory: new FakeMemory(0x8000_0000, 4096),
    clock: { mtime: () => 0n },
    ports,
    image: (id) => {
      const img = images[id];
      if (!img) throw new Error(`no image ${id}`);
      return img;
    },
  };
}

describe('DeviceRegistry', () => {
  it('builds the built-in kinds with QEMU virt placement by default', () => {
    const r = createDeviceRegistry();
    expect(r.kinds()).toEqual(
      expect.arrayContaining(['clint', 'plic', 'uart-16550a', 'goldfish-rtc', 'sifive-test', 'virtio-mmio-empty', 'virtio-blk', 'virtio-net', 'virtio-rng']),
    );
    const ctx = context({ entropy: { fill: () => {} } }, { 'sha256:disk': new Uint8Array(4096) });
    const uart = r.create({ kind: 'uart-16550a' }, ctx);
    expect(uart).toBeInstanceOf(Uart16550a);
    expect(uart.mmio.base).toBe(0x1000_0000);
    expect(ctx.irqs.has(10)).toBe(true);
    const rng = r.create({ kind: 'virtio-rng', settings: { slot: 3 } }, ctx);
    expect(rng).toBeInstanceOf(VirtioMmioTransport);
    expect(rng.mmio.base).toBe(0x1000_4000);
    expect(ctx.irqs.has(4)).toBe(true);
    const blk = r.create({ kind: 'virtio-blk', base: 0x1000_1000, irq: 1, settings: { image: 'sha256:disk', readOnly: true } }, ctx);
    expect(blk.read(0x100, 4)).toBe(8); // capacity: 8 sectors
    expect(r.create({ kind: 'clint' }, ctx)).toBeInstanceOf(Clint);
  });

  it('reports unknown kinds, missing ports and bad settings clearly', () => {
    const r = createDeviceRegistry();
    expect(() => r.create({ kind: 'floppy' }, context())).toThrow(/unknown device kind 'floppy'/);
    expect(() => r.create({ kind: 'virtio-rng', settings: { slot: 0 } }, context())).toThrow(/needs the 'entropy' port/);
    expect(() => r.create({ kind: 'virtio-rng' }, context({ entropy: { fill: () => {} } }))).toThrow(DeviceConfigError);
    expect(() => r.create({ kind: 'uart-16550a', settings: { receiveWhilePolled: 'yes' } }, context())).toThrow(/must be a boolean/);
  });

  it('adds kinds only from device plugins, checked against the contract, and refuses one that makes another kind', () => {
    const liar: DevicePlugin = {
      contract: 1,
      kind: 'thing',
      version: 1,
      defaultBase: 0x1020_0000,
      defaultIrq: 12,
      ports: {},
      create: ({ irq }) => new Uart16550a({ irq }),
      hostPorts: () => ({}),
    };
    const r = createDeviceRegistry([liar]);
    expect(r.has('thing') && r.plugin('thing') === liar).toBe(true);
    expect(() => r.create({ kind: 'thing' }, context())).toThrow(/for 'thing' made a device of kind 'uart-16550a'/);
    expect(() => createDeviceRegistry([liar, liar])).toThrow(/'thing' is given by two modules/);
    expect(() => createDeviceRegistry([{ ...liar, kind: 'Bad Name' }])).toThrow(DevicePluginError);
    expect(() => createDeviceRegistry([{ ...liar, contract: 2 as 1 }])).toThrow(/contract 2/);
    expect(createDeviceRegistry().has('thing')).toBe(false); // no process-wide registry: each is made from its plugins
  });
});
