/**
 * SiFive CLINT (core-local interruptor) for one hart.
 * SiFive FU540-C000 Manual v1.4, chapter 9 "Core Local Interruptor (CLINT)":
 * https://static.dev.sifive.com/FU540-C000-v1.0.pdf
 * and the RISC-V ACLINT spec (same MSWI/MTIMER layout):
 * https://github.com/riscv/riscv-aclint/blob/main/riscv-aclint.adoc
 *
 * `mtime` is never stored: it is read from the board's VirtualClock (derived
 * from the instruction count). MTIP is a level, mtime >= mtimecmp; since mtime
 * moves without any access, the CLINT re-evaluates it on every mtimecmp write
 * and on `service()`, and tells the board when to call it (`nextDeadline`).
 */
import type { IrqLine } from '@prnr/cpu';
import {
  DEVICE_SPECIFICATION_VERSION,
  expectState,
  lo32,
  u64FromState,
  u64ToState,
  type AccessSize,
  type Device,
  type DeviceState,
  type MmioRange,
  type U64,
} from './device.js';
import type { FdtWriter } from './fdt/fdt-writer.js';
import { FDT_LABEL_CPU0_INTC } from './fdt/labels.js';
import type { VirtualClock } from './ports.js';

/** Register offsets (hart 0). */
export const CLINT_MSIP = 0x0000;
export const CLINT_MTIMECMP = 0x4000;
export const CLINT_MTIME = 0xbff8;
export const CLINT_SIZE = 0x10000;
/** QEMU virt placement. */
export const CLINT_DEFAULT_BASE = 0x0200_0000;
/** Cause numbers of the hart-local interrupts, for `interrupts-extended`. */
const IRQ_M_SOFT = 3;
const IRQ_M_TIMER = 7;
const U64_MAX = 0xffff_ffff_ffff_ffffn;

export interface ClintOptions {
  base?: number;
  clock: VirtualClock;
  /** Into the hart's mip.MSIP. */
  msip: IrqLine;
  /** Into the hart's mip.MTIP. */
  mtip: IrqLine;
}

export interface ClintState extends DeviceState {
  readonly kind: 'clint';
  readonly version: 1;
  /** Bit 0 of the msip register. */
  readonly msip: boolean;
  readonly mtimecmp: U64;
  /** Level last driven on MTIP (not recomputed on restore: mtime may have passed mtimecmp before service ran). */
  readonly mtip: boolean;
}

export class Clint implements Device {
  static readonly KIND = 'clint';
  static readonly VERSION = 1;
  readonly specificationVersion = DEVICE_SPECIFICATION_VERSION;
  readonly kind = Clint.KIND;
  readonly version = Clint.VERSION;
  readonly mmio: MmioRange;
  private readonly clock: VirtualClock;
  private readonly msipLine: IrqLine;
  private readonly mtipLine: IrqLine;
  private msip = false;
  private mtimecmp = U64_MAX;
  private mtip = false;

  constructor(options: ClintOptions) {
    this.mmio = { base: options.base ?? CLINT_DEFAULT_BASE, size: CLINT_SIZE };
    this.clock = options.clock;
    this.msipLine = options.msip;
    this.mtipLine = options.mtip;
  }

  read(offset: number, size: AccessSize): number | bigint {
    if (size === 8) {
      if (offset === CLINT_MTIME) return BigInt.asUintN(64, this.clock.mtime());
      if (offset === CLINT_MTIMECMP) return this.mtimecmp;
      return 0n;
    }
    if (size !== 4) return 0;
    switch (offset) {
      case CLINT_MSIP:
        return this.msip ? 1 : 0;
      case CLINT_MTIMECMP:
        return Number(this.mtimecmp & 0xffff_ffffn);
      case CLINT_MTIMECMP + 4:
        return Number(this.mtimecmp >> 32n);
      case CLINT_MTIME:
        return Number(BigInt.asUintN(32, this.clock.mtime()));
      case CLINT_MTIME + 4:
        return Number(BigInt.asUintN(64, this.clock.mtime()) >> 32n);
      default:
        return 0;
    }
  }

  write(offset: number, size: AccessSize, value: number | bigint): void {
    if (offset === CLINT_MSIP && size === 4) {
      this.msip = (lo32(value) & 1) === 1;
      this.msipLine.set(this.msip);
      return;
    }
    if (offset === CLINT_MTIMECMP && size === 8) {
      this.mtimecmp = BigInt.asUintN(64, BigInt(value));
    } else if (offset === CLINT_MTIMECMP && size === 4) {
      this.mtimecmp = (this.mtimecmp & 0xffff_ffff_0000_0000n) | BigInt(lo32(value));
    } else if (offset === CLINT_MTIMECMP + 4 && size === 4) {
      this.mtimecmp = (this.mtimecmp & 0xffff_ffffn) | (BigInt(lo32(value)) << 32n);
    } else {
      // mtime is read-only here (virtual time belongs to the board); other offsets are reserved.
      return;
    }
    this.updateMtip();
  }

  /** Re-evaluates MTIP against the current virtual time. */
  service(): void {
    this.updateMtip();
  }

  /** The mtime at which MTIP will rise, or null if it is already high or never will. */
  nextDeadline(): bigint | null {
    return this.mtip || this.mtimecmp === U64_MAX ? null : this.mtimecmp;
  }

  save(): ClintState {
    return { kind: 'clint', version: 1, msip: this.msip, mtimecmp: u64ToState(this.mtimecmp), mtip: this.mtip };
  }

  restore(state: DeviceState): void {
    const s = expectState<ClintState>(state, Clint.KIND, Clint.VERSION);
    this.msip = s.msip;
    this.mtimecmp = u64FromState(s.mtimecmp);
    this.mtip = s.mtip;
    this.msipLine.set(this.msip);
    this.mtipLine.set(this.mtip);
  }

  fdt(w: FdtWriter): void {
    const intc = w.phandle(FDT_LABEL_CPU0_INTC);
    w.node(`/soc/clint@${this.mmio.base.toString(16)}`)
      .cells('interrupts-extended', [intc, IRQ_M_SOFT, intc, IRQ_M_TIMER])
      .reg([this.mmio.base, this.mmio.size])
      .strings('compatible', ['sifive,clint0', 'riscv,clint0']);
  }

  private updateMtip(): void {
    const level = BigInt.asUintN(64, this.clock.mtime()) >= this.mtimecmp;
    if (level !== this.mtip) {
      this.mtip = level;
      this.mtipLine.set(level);
    }
  }
}
