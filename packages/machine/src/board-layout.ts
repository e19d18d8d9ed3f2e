/**
 * Where the board's devices sit, checked before the machine runs: the bus
 * sends an access to the first device whose window holds it, and the hart
 * reaches RAM without the bus, so a window that overlaps another device's or
 * RAM would leave a device the guest never sees; two devices on one PLIC
 * source would share an interrupt neither driver expects to share. Each is
 * refused (BoardConfigError) in one line naming both parties.
 */
import { PLIC_NUM_SOURCES, VIRT_DRAM_BASE, VIRT_PLUGIN_AREA, type Device } from '@prnr/devices';
import { BoardConfigError } from './board-config-error.js';

/** Every window starts on a page: drivers map whole pages, and registers are naturally aligned from there. */
export const DEVICE_BASE_ALIGN = 0x1000;

const hex = (n: number) => `0x${n.toString(16)}`;
const span = (base: number, size: number) => `${hex(base)}..${hex(base + size - 1)}`;

/** A device of the board as messages name it. */
export interface PlacedDevice {
  readonly device: Device;
  /** "uart-16550a", or "device temperature-sensor (/path/module.mjs)" for a module's. */
  readonly name: string;
  /** Added by a device module: it must lie in the area the board leaves free for such devices. */
  readonly added: boolean;
}

/** Refuses windows that are unaligned, overlap one another or RAM, or (added devices) lie outside VIRT_PLUGIN_AREA. */
export function checkDeviceWindows(placed: readonly PlacedDevice[], ramSize: number): void {
  const ram = { base: VIRT_DRAM_BASE, size: ramSize };
  const at = (p: PlacedDevice) => `${p.name} at ${span(p.device.mmio.base, p.device.mmio.size)}`;
  for (const p of placed) {
    const { base, size } = p.device.mmio;
    if (base % DEVICE_BASE_ALIGN !== 0) throw new BoardConfigError(`${p.name}: its base ${hex(base)} is not a multiple of ${hex(DEVICE_BASE_ALIGN)} (4 KiB), as every device window of the virt board starts on a page`);
    if (base < ram.base + ram.size && ram.base < base + size) throw new BoardConfigError(`${at(p)} overlaps RAM at ${span(ram.base, ram.size)}`);
  }
  const sorted = [...placed].sort((a, b) => a.device.mmio.base - b.device.mmio.base);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1];
    const cur = sorted[i];
    if (cur.device.mmio.base < prev.device.mmio.base + prev.device.mmio.size) {
      // The one a module added is the newcomer: say it first.
      const [a, b] = cur.added || !prev.added ? [cur, prev] : [prev, cur];
      throw new BoardConfigError(`${at(a)} overlaps ${a.name === b.name ? 'another ' : ''}${at(b)}`);
    }
  }
  for (const p of placed) {
    const { base, size } = p.device.mmio;
    if (p.added && (base < VIRT_PLUGIN_AREA.base || base + size > VIRT_PLUGIN_AREA.end)) {
      throw new BoardConfigError(`${at(p)} is outside ${span(VIRT_PLUGIN_AREA.base, VIRT_PLUGIN_AREA.end - VIRT_PLUGIN_AREA.base)}, the area the virt board leaves free for added devices`);
    }
  }
}

/** The PLIC sources handed out while the board is built: each to one device. */
export class IrqAssignments {
  private readonly owners = new Map<number, { device: number; name: string }>();

  /** Gives source `id` to device `device` (its index in the board config), named `name` (again to the same device is fine). */
  claim(id: number, device: number, name: string): void {
    if (!Number.isInteger(id) || id < 1 || id >= PLIC_NUM_SOURCES) throw new BoardConfigError(`${name}: irq ${id} is not a source of the PLIC (1..${PLIC_NUM_SOURCES - 1})`);
    const owner = this.owners.get(id);
    if (owner !== undefined && owner.device !== device) throw new BoardConfigError(`${name}: irq ${id} is taken by ${owner.name === name ? 'another ' : ''}${owner.name}; give it another irq`);
    this.owners.set(id, { device, name });
  }
}
