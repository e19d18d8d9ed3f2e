/**
 * The board config: everything that decides how a machine is built, as plain
 * versioned JSON, so a recording can store it and a replay can build the same
 * machine. Images are named by content hash (sha256 of the uncompressed bytes).
 */
import type { DeviceConfig } from '@prnr/devices';

export const BOARD_CONFIG_VERSION = 1;

export interface BoardConfig {
  version: typeof BOARD_CONFIG_VERSION;
  board: 'virt';
  /** Bytes of RAM at 0x80000000. */
  ramSize: number;
  /** Kernel command line. */
  cmdline: string;
  /** Devices, in the order of their device-tree nodes. */
  devices: DeviceConfig[];
  /** Virtual time: steps per tick of the 10 MHz timebase (mtime). */
  stepsPerTick: number;
  /** Devices' service() runs at every multiple of this many steps (input polling, network receive). */
  serviceQuantum: number;
  /** sha256 of the firmware, kernel and initrd the machine boots. */
  images: { firmware: string; kernel: string; initrd?: string };
}

export interface DefaultBoardOptions {
  ramSize?: number;
  cmdline?: string;
  /** sha256 of a disk image for virtio-blk in slot 0. */
  disk?: string;
  /** Add virtio-net in slot 2 (needs a packet port). */
  network?: boolean;
  images: BoardConfig['images'];
}

export const DEFAULT_RAM_SIZE = 256 * 1024 * 1024;
export const DEFAULT_CMDLINE = 'console=ttyS0 earlycon=sbi';

/** QEMU virt's devices: CLINT, PLIC, 16550A, goldfish RTC, sifive test, 8 virtio-mmio slots. */
export function defaultBoardConfig(o: DefaultBoardOptions): BoardConfig {
  const slots: DeviceConfig[] = [];
  for (let slot = 0; slot < 8; slot++) {
    if (slot === 0 && o.disk) slots.push({ kind: 'virtio-blk', settings: { slot, image: o.disk } });
    else if (slot === 1) slots.push({ kind: 'virtio-rng', settings: { slot } });
    else if (slot === 2 && o.network) slots.push({ kind: 'virtio-net', settings: { slot } });
    else slots.push({ kind: 'virtio-mmio-empty', settings: { slot } });
  }
  return {
    version: BOARD_CONFIG_VERSION,
    board: 'virt',
    ramSize: o.ramSize ?? DEFAULT_RAM_SIZE,
    cmdline: o.cmdline ?? DEFAULT_CMDLINE,
    devices: [
      { kind: 'sifive-test' },
      { kind: 'goldfish-rtc' },
      { kind: 'uart-16550a' },
      { kind: 'plic' },
      { kind: 'clint' },
      ...slots,
    ],
    stepsPerTick: 10,
    serviceQuantum: 100_000,
    images: o.images,
  };
}
