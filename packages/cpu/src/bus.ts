/**
 * The physical address space as the hart sees it.
 *
 * Main memory is exposed directly (`ram`) so the hart's hot path can read and
 * write it without a call per access; everything else (MMIO) goes through
 * `load`/`store`. Physical addresses are plain numbers: Sv39 physical
 * addresses are 56 bits, well inside a double's 53-bit exact range for any
 * address a board maps.
 */
import type { Ram } from './ram.js';

export type AccessSize = 1 | 2 | 4 | 8;

export interface Bus {
  readonly ram: Ram;
  /** Size 1, 2, 4: the value zero-extended, as a number. Size 8: a bigint (unsigned). Throws BusFault if nothing answers at paddr. */
  load(paddr: number, size: AccessSize): number | bigint;
  /** Size 1, 2, 4: `value` is a number (low bits used). Size 8: a bigint. Throws BusFault if nothing answers at paddr. */
  store(paddr: number, size: AccessSize, value: number | bigint): void;
}

/** Thrown by a Bus when no device answers; the hart turns it into an access fault. */
export class BusFault extends Error {
  constructor(readonly paddr: number, readonly write: boolean) {
    super(`bus fault: nothing at physical address 0x${paddr.toString(16)} (${write ? 'store' : 'load'})`);
    this.name = 'BusFault';
  }
}

/** One interrupt line into the hart (or into an interrupt controller). */
export interface IrqLine {
  set(level: boolean): void;
}
