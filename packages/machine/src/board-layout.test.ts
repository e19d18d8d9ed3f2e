/**
 * The board refuses, while it is built, a device the guest could not reach
 * or that would take another's interrupt: windows over another device, RAM,
 * outside the area left for added devices or off a page; irqs outside the
 * PLIC or already taken. Each in one line naming both parties. And a device
 * module that throws while the guest runs is named with the instruction
 * count of the access.
 */
import { describe, expect, it } from 'vitest';
import { createDeviceRegistry, defaultBoardConfig, DeviceModuleError, type BoardConfig, type Device, type DevicePlugin } from '@prnr/devices';
import { BoardConfigError } from './board-config-error.js';
import { sha256 } from './guest-images.js';
import { VirtMachine, type MachineImages } from './virt-machine.js';

/** A device of one 4 KiB page whose VALUE register (offset 8) throws. */
const plugin: DevicePlugin = {
  contract: 1,
  kind: 'thing',
  version: 1,
  defaultBase: 0x1020_0000,
  defaultIrq: 12,
  ports: {},
  create: ({ base, irq }): Device => ({
    specificationVersion: 'v1',
    kind: 'thing',
    version: 1,
    mmio: { base, size: 0x1000 },
    read: (offset) => {
      if (offset === 8) throw new Error('thing read boom');
      return irq.id;
    },
    write: () => {},
    save: () => ({ kind: 'thing', version: 1 }),
    restore: () => {},
  }),
  hostPorts: () => ({}),
};

// M-mode at 0x80000000: lui t1, 0x10200; lw t0, 8(t1); j .
const guest = new Uint8Array(new Uint32Array([0x1020_0337, 0x0083_2283, 0x0000_006f]).buffer);
const images: MachineImages = { firmware: guest, kernel: new Uint8Array(0) };
const board = defaultBoardConfig({ ramSize: 8 << 20, images: { firmware: sha256(guest), kernel: sha256(images.kernel) } });
const ports = { consoleInput: { next: () => null }, consoleOutput: { write: () => {} }, clock: { now: () => 0n }, entropy: { fill: () => {} } };

function machineWith(...things: Array<{ base?: number; irq?: number }>): VirtMachine {
  const config: BoardConfig = { ...board, devices: [...board.devices, ...things.map((t) => ({ kind: 'thing', ...t }))] };
  return new VirtMachine(config, images, ports, createDeviceRegistry([plugin]));
}

function refusal(...things: Array<{ base?: number; irq?: number }>): string {
  try {
    machineWith(...things);
  } catch (e) {
    expect(e).toBeInstanceOf(BoardConfigError);
    return (e as Error).message;
  }
  throw new Error('the board was built');
}

describe('where the board puts devices', () => {
  it('takes a device in the free area, on a free irq', () => {
    const m = machineWith({}, { base: 0x1030_0000, irq: 13 });
    expect(m.devices.slice(-2).map((d) => d.mmio.base)).toEqual([0x1020_0000, 0x1030_0000]);
  });

  it('refuses a window over another device, RAM, off a page, or outside the free area, naming both', () => {
    expect(refusal({ base: 0x1000_0000 })).toBe('device thing at 0x10000000..0x10000fff overlaps uart-16550a at 0x10000000..0x100000ff');
    expect(refusal({ base: 0x1000_1000 })).toBe('device thing at 0x10001000..0x10001fff overlaps virtio-mmio-empty at 0x10001000..0x10001fff');
    expect(refusal({ base: 0x8000_0000 })).toBe('device thing at 0x80000000..0x80000fff overlaps RAM at 0x80000000..0x807fffff');
    expect(refusal({ base: 0x1020_0001 })).toBe('device thing: its base 0x10200001 is not a multiple of 0x1000 (4 KiB), as every device window of the virt board starts on a page');
    expect(refusal({ base: 0 })).toBe('device thing at 0x0..0xfff is outside 0x10100000..0x1fffffff, the area the virt board leaves free for added devices');
    expect(refusal({}, { irq: 13 })).toBe('device thing at 0x10200000..0x10200fff overlaps another device thing at 0x10200000..0x10200fff');
  });

  it('refuses an irq outside the PLIC or already taken, naming both', () => {
    expect(refusal({ irq: 10 })).toBe("device thing: irq 10 is taken by uart-16550a; give it another irq");
    expect(refusal({ irq: 1 })).toBe("device thing: irq 1 is taken by virtio-mmio-empty; give it another irq");
    expect(refusal({}, { base: 0x1030_0000 })).toBe("device thing: irq 12 is taken by another device thing; give it another irq");
    expect(refusal({ irq: 0 })).toBe('device thing: irq 0 is not a source of the PLIC (1..95)');
    expect(refusal({ irq: 1000 })).toBe('device thing: irq 1000 is not a source of the PLIC (1..95)');
  });
});

describe('a device module that throws while the guest runs', () => {
  it('is named with the instruction count of the access', () => {
    const m = machineWith({});
    m.boot();
    let err: unknown;
    try {
      m.run(100);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DeviceModuleError);
    expect((err as DeviceModuleError).icount).toBe(1); // the lw, after the lui
    expect((err as Error).message).toBe('device thing: read() threw at icount 1: thing read boom');
  });
});
