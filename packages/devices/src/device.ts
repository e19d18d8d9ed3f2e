/**
 * The Device interface: what every memory-mapped device model implements.
 *
 * A device sees offsets into its own MMIO window, the interrupt lines it was
 * given and its host ports; never the hart, the board or the host clock. It
 * changes state only when the board calls `read`, `write`, `service` or
 * `restore`, and the board calls them at exact instruction counts, so a device
 * is a pure function of (saved state, sequence of calls, values its ports return).
 */
import type { IrqLine } from '@prnr/cpu';
import type { CowDisk } from './disk/cow-disk.js';
import type { FdtWriter } from './fdt/fdt-writer.js';

/** The version of this interface a device implements (`Device.specificationVersion`). */
export const DEVICE_SPECIFICATION_VERSION = 'v1';

/** Access width in bytes. Sizes 1, 2, 4 carry `number`s; size 8 carries a `bigint`. */
export type AccessSize = 1 | 2 | 4 | 8;

/** A device's window in the physical address space. `base` and `size` in bytes. */
export interface MmioRange {
  readonly base: number;
  readonly size: number;
}

/**
 * Saved device state: plain, structured-clone-able data (numbers, strings,
 * booleans, arrays, plain objects, Uint8Array). No class instances, no
 * bigint: 64-bit values are `U64` hex strings. `kind` and `version` identify
 * the layout; `restore` refuses any other.
 */
export interface DeviceState {
  readonly kind: string;
  readonly version: number;
}

/** An interrupt line that also knows its number at the interrupt controller (its FDT `interrupts` cell). */
export interface IrqSource extends IrqLine {
  readonly id: number;
}

export interface Device {
  readonly specificationVersion: typeof DEVICE_SPECIFICATION_VERSION;
  /** Stable name of the model, recorded in a recording's board config ("uart-16550a"). */
  readonly kind: string;
  /** Version of the model's behaviour and state layout; bumped on any change of either. */
  readonly version: number;
  readonly mmio: MmioRange;
  /** `offset` is relative to `mmio.base`. Size 8 returns a bigint, others a number (zero-extended). */
  read(offset: number, size: AccessSize): number | bigint;
  /** `offset` is relative to `mmio.base`. Size 8 passes a bigint, others a number (low bits used). */
  write(offset: number, size: AccessSize, value: number | bigint): void;
  save(): DeviceState;
  /** Replaces all state; re-drives the device's output lines to match. Throws DeviceStateError on a foreign state. */
  restore(state: DeviceState): void;
  /**
   * Disks the device owns, if any. Their overlays are machine state that
   * save()/restore() leave out: the board saves and restores them block by
   * block (a snapshot stores each block as an object), in device order.
   */
  readonly disks?: readonly CowDisk[];
  /**
   * Lets the device pull from its input ports (console bytes, received
   * frames) or re-evaluate time-driven outputs (CLINT MTIP). The board calls
   * it between instructions at instruction counts it chooses (e.g. every
   * slice of N instructions, and at `nextDeadline`); the choice affects
   * latency only, never correctness, and the same choice must be made on replay.
   */
  service?(): void;
  /**
   * The virtual time (mtime ticks) at which this device's outputs change
   * without any access (CLINT: the mtime at which MTIP rises), or null.
   * The board runs the hart exactly up to it and then calls `service()`.
   */
  nextDeadline?(): bigint | null;
  /** Adds this device's node(s) to the device tree. */
  fdt?(w: FdtWriter): void;
}

/** Thrown by `restore` when handed a state of another kind or an unknown version. */
export class DeviceStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeviceStateError';
  }
}

/** Checks kind and version of a state before a device restores it; returns it narrowed. */
export function expectState<S extends DeviceState>(state: DeviceState, kind: string, version: number): S {
  if (state === null || typeof state !== 'object') throw new DeviceStateError(`${kind}: state is not an object`);
  if (state.kind !== kind) throw new DeviceStateError(`${kind}: cannot restore a state of kind '${state.kind}'`);
  if (state.version !== version) throw new DeviceStateError(`${kind}: cannot restore state version ${state.version} (this model reads version ${version})`);
  return state as S;
}

/** A 64-bit unsigned value in saved state: "0x" followed by lowercase hex digits. */
export type U64 = string;

export function u64ToState(v: bigint): U64 {
  return '0x' + BigInt.asUintN(64, v).toString(16);
}

export function u64FromState(s: U64): bigint {
  if (typeof s !== 'string' || !/^0x[0-9a-f]{1,16}$/.test(s)) throw new DeviceStateError(`not a u64 state value: ${String(s)}`);
  return BigInt(s);
}

/** The low 32 bits of an access value, as an unsigned number. */
export function lo32(value: number | bigint): number {
  return typeof value === 'bigint' ? Number(BigInt.asUintN(32, value)) : value >>> 0;
}

/** The high 32 bits of an access value (0 for numbers). */
export function hi32(value: number | bigint): number {
  return typeof value === 'bigint' ? Number(BigInt.asUintN(32, value >> 32n)) : 0;
}

/** Shapes a register value for the access size: bigint for 8, number masked to the width otherwise. */
export function sized(value: number | bigint, size: AccessSize): number | bigint {
  if (size === 8) return BigInt.asUintN(64, BigInt(value));
  const v = typeof value === 'bigint' ? Number(BigInt.asUintN(32, value)) : value;
  return size === 4 ? v >>> 0 : v & (size === 2 ? 0xffff : 0xff);
}
