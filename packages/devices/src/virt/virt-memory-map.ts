/**
 * The memory map and interrupt wiring of QEMU's `virt` board (hw/riscv/virt.c
 * in QEMU 7.x), which prnr's board reproduces so that the same OpenSBI, Linux
 * and device tree run on both. All addresses are physical, sizes in bytes.
 */
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
