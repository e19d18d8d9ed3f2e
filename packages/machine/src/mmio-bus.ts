/**
 * The board's physical address space: RAM, then devices by MMIO window.
 * The hart reaches RAM directly; only device accesses come here.
 */
import { BusFault } from '@prnr/cpu';
import type { AccessSize, Bus, Ram } from '@prnr/cpu';
import type { Device } from '@prnr/devices';

export class MmioBus implements Bus {
  private bases: number[] = [];
  private ends: number[] = [];
  private devices: readonly Device[] = [];

  constructor(readonly ram: Ram, devices: readonly Device[]) {
    this.reset(devices);
  }

  /** Sets the devices (the board creates them after the hart that they interrupt). */
  reset(devices: readonly Device[]): void {
    this.devices = [...devices];
    this.bases = devices.map((d) => d.mmio.base);
    this.ends = devices.map((d) => d.mmio.base + d.mmio.size);
  }

  private find(paddr: number, write: boolean): number {
    for (let i = 0; i < this.bases.length; i++) if (paddr >= this.bases[i] && paddr < this.ends[i]) return i;
    throw new BusFault(paddr, write);
  }

  load(paddr: number, size: AccessSize): number | bigint {
    const i = this.find(paddr, false);
    return this.devices[i].read(paddr - this.bases[i], size);
  }

  store(paddr: number, size: AccessSize, value: number | bigint): void {
    const i = this.find(paddr, true);
    this.devices[i].write(paddr - this.bases[i], size, value);
  }
}
