/**
 * The `virt` board in one place: QEMU's memory map and interrupt wiring
 * (hw/riscv/virt.c, QEMU 7.x) that prnr reproduces so the same OpenSBI, Linux
 * and device tree run on both; where each built-in kind goes by default; what
 * the 8 virtio-mmio slots hold; the order devices are built in; and the board
 * config (plain versioned JSON, with its schema) that a recording stores.
 * All addresses are physical, sizes in bytes.
 */
import { HART_BEHAVIOUR_VERSION } from '@prnr/cpu';
import { z } from 'zod';
import type { DeviceConfig } from '../registry.js';

// ---------------------------------------------------------------------------
// Memory map and interrupt wiring.
export const VIRT_TEST_BASE = 0x0010_0000;
export const VIRT_RTC_BASE = 0x0010_1000;
export const VIRT_CLINT_BASE = 0x0200_0000;
export const VIRT_PLIC_BASE = 0x0c00_0000;
export const VIRT_UART0_BASE = 0x1000_0000;
/** Virtio-mmio slot i lives at VIRT_VIRTIO_BASE + i * VIRT_VIRTIO_STRIDE, i < VIRT_VIRTIO_COUNT. */
export const VIRT_VIRTIO_BASE = 0x1000_1000;
export const VIRT_VIRTIO_STRIDE = 0x1000;
export const VIRT_VIRTIO_COUNT = 8;
export const VIRT_DRAM_BASE = 0x8000_0000;

/** PLIC source numbers. */
export const VIRT_UART0_IRQ = 10;
export const VIRT_RTC_IRQ = 11;
/** Virtio-mmio slot i raises PLIC source VIRT_VIRTIO_IRQ + i. */
export const VIRT_VIRTIO_IRQ = 1;
/** Free for plugin devices (examples/devices/ uses 0x10200000, irq 12): above the virtio slots, below DRAM. */
export const VIRT_PLUGIN_AREA = { base: 0x1010_0000, end: 0x2000_0000, firstIrq: 12 } as const;

/** mtime ticks per second (the FDT's `timebase-frequency`). */
export const VIRT_TIMEBASE_HZ = 10_000_000;

/** The base address of virtio-mmio slot `slot`. */
export function virtioSlotBase(slot: number): number {
  if (!Number.isInteger(slot) || slot < 0 || slot >= VIRT_VIRTIO_COUNT) throw new RangeError(`virtio slot ${slot} out of range 0..${VIRT_VIRTIO_COUNT - 1}`);
  return VIRT_VIRTIO_BASE + slot * VIRT_VIRTIO_STRIDE;
}

/** The PLIC source of virtio-mmio slot `slot`. */
export function virtioSlotIrq(slot: number): number {
  virtioSlotBase(slot);
  return VIRT_VIRTIO_IRQ + slot;
}

// ---------------------------------------------------------------------------
// Default placements of the built-in kinds (a config entry's base/irq override them).
export const VIRT_PLACEMENTS: Readonly<Record<string, { readonly base: number; readonly irq?: number }>> = {
  'sifive-test': { base: VIRT_TEST_BASE },
  'goldfish-rtc': { base: VIRT_RTC_BASE, irq: VIRT_RTC_IRQ },
  'uart-16550a': { base: VIRT_UART0_BASE, irq: VIRT_UART0_IRQ },
  plic: { base: VIRT_PLIC_BASE },
  clint: { base: VIRT_CLINT_BASE },
};

/** What the default board puts in the virtio slots; the others hold `virtio-mmio-empty`. */
export const VIRT_VIRTIO_SLOTS = { disk: 0, rng: 1, net: 2 } as const;

/** The order devices are built in: the PLIC first (the others take interrupt sources from it), then config order. */
export function virtBuildOrder<T extends { readonly kind: string }>(devices: readonly T[]): T[] {
  return [...devices].sort((a, b) => Number(b.kind === 'plic') - Number(a.kind === 'plic'));
}

// ---------------------------------------------------------------------------
// The board config: everything that decides how a machine is built, as plain versioned JSON, so a
// recording can store it and a replay can build the same machine. Images are named by content hash
// (sha256 of the uncompressed bytes). recording.json holds one, checked with `boardConfigSchema`.
export const BOARD_CONFIG_VERSION = 1;

export const deviceConfigSchema = z.object({
  kind: z.string().min(1),
  base: z.number().optional(),
  irq: z.number().optional(),
  settings: z.record(z.unknown()).optional(),
});

export const boardConfigSchema = z.object({
  version: z.literal(BOARD_CONFIG_VERSION),
  board: z.literal('virt'),
  /** Bytes of RAM at 0x80000000. */
  ramSize: z.number().int().positive(),
  /** Kernel command line. */
  cmdline: z.string(),
  /** Devices, in the order of their device-tree nodes. */
  devices: z.array(deviceConfigSchema),
  /** Virtual time: steps per tick of the 10 MHz timebase (mtime). */
  stepsPerTick: z.number().int().positive(),
  /** Devices' service() runs at every multiple of this many steps (input polling, network receive). */
  serviceQuantum: z.number().int().positive(),
  /** sha256 of the firmware, kernel and initrd the machine boots. */
  images: z.object({ firmware: z.string(), kernel: z.string(), initrd: z.string().optional() }),
  /** The hart's behaviour version (@prnr/cpu's HART_BEHAVIOUR_VERSION); absent: 1. See BoardConfig. */
  hartVersion: z.number().int().positive().optional(),
});

export interface BoardConfig {
  version: typeof BOARD_CONFIG_VERSION;
  board: 'virt';
  ramSize: number;
  cmdline: string;
  devices: DeviceConfig[];
  stepsPerTick: number;
  serviceQuantum: number;
  images: { firmware: string; kernel: string; initrd?: string };
  /**
   * The behaviour version of the hart (@prnr/cpu's HART_BEHAVIOUR_VERSION, which lists what each
   * changed): the machine builds its hart with it, so a recording replays with the hart it was made
   * with. Absent: 1, the behaviour before versions were kept (sstatus reads showed SXL in bits
   * 35:34), as in recordings made before then. defaultBoardConfig writes the current one; a version
   * newer than this prnr's is refused when the machine is built.
   */
  hartVersion?: number;
}

/** Compile-time check that the schema and the interface describe the same JSON: what the schema accepts is a BoardConfig. */
type SchemaAcceptsOnly<T extends true> = T;
export type BoardConfigMatchesSchema = SchemaAcceptsOnly<z.infer<typeof boardConfigSchema> extends BoardConfig ? true : false>;

export interface DefaultBoardOptions {
  ramSize?: number;
  cmdline?: string;
  /** sha256 of a disk image for virtio-blk (slot VIRT_VIRTIO_SLOTS.disk). */
  disk?: string;
  /** Add virtio-net (slot VIRT_VIRTIO_SLOTS.net; needs a packet port). */
  network?: boolean;
  images: BoardConfig['images'];
}

export const DEFAULT_RAM_SIZE = 256 * 1024 * 1024;
export const DEFAULT_CMDLINE = 'console=ttyS0 earlycon=sbi';

/** QEMU virt's devices: sifive test, goldfish RTC, 16550A, PLIC, CLINT, 8 virtio-mmio slots; the current hart behaviour version. */
export function defaultBoardConfig(o: DefaultBoardOptions): BoardConfig {
  const slots: DeviceConfig[] = [];
  for (let slot = 0; slot < VIRT_VIRTIO_COUNT; slot++) {
    if (slot === VIRT_VIRTIO_SLOTS.disk && o.disk) slots.push({ kind: 'virtio-blk', settings: { slot, image: o.disk } });
    else if (slot === VIRT_VIRTIO_SLOTS.rng) slots.push({ kind: 'virtio-rng', settings: { slot } });
    else if (slot === VIRT_VIRTIO_SLOTS.net && o.network) slots.push({ kind: 'virtio-net', settings: { slot } });
    else slots.push({ kind: 'virtio-mmio-empty', settings: { slot } });
  }
  return {
    version: BOARD_CONFIG_VERSION,
    board: 'virt',
    ramSize: o.ramSize ?? DEFAULT_RAM_SIZE,
    cmdline: o.cmdline ?? DEFAULT_CMDLINE,
    devices: [{ kind: 'sifive-test' }, { kind: 'goldfish-rtc' }, { kind: 'uart-16550a' }, { kind: 'plic' }, { kind: 'clint' }, ...slots],
    stepsPerTick: 10,
    serviceQuantum: 100_000,
    images: o.images,
    hartVersion: HART_BEHAVIOUR_VERSION,
  };
}
