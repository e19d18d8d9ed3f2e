/**
 * Goldfish RTC: a 64-bit nanosecond wall clock.
 * Android emulator "GOLDFISH-VIRTUAL-HARDWARE.TXT", section "Goldfish real-time clock":
 * https://android.googlesource.com/platform/external/qemu/+/master/docs/GOLDFISH-VIRTUAL-HARDWARE.TXT
 * and the behaviour Linux's drivers/rtc/rtc-goldfish.c expects.
 *
 * Reading TIME_LOW samples the ClockPort (the only place wall time enters) and
 * latches the high half for the following TIME_HIGH read. Writing TIME_HIGH
 * then TIME_LOW sets the clock: the device keeps an offset from the port's time.
 * The alarm registers hold their values; the alarm never fires (no time
 * source is polled), which Linux tolerates (`hwclock`, `date` work).
 */
import {
  DEVICE_SPECIFICATION_VERSION,
  expectState,
  lo32,
  sized,
  u64FromState,
  u64ToState,
  type AccessSize,
  type Device,
  type DeviceState,
  type IrqSource,
  type MmioRange,
  type U64,
} from './device.js';
import type { FdtWriter } from './fdt/fdt-writer.js';
import { FDT_LABEL_PLIC } from './fdt/labels.js';
import type { ClockPort } from './ports.js';

export const RTC_TIME_LOW = 0x00;
export const RTC_TIME_HIGH = 0x04;
export const RTC_ALARM_LOW = 0x08;
export const RTC_ALARM_HIGH = 0x0c;
export const RTC_IRQ_ENABLED = 0x10;
export const RTC_CLEAR_ALARM = 0x14;
export const RTC_ALARM_STATUS = 0x18;
export const RTC_CLEAR_INTERRUPT = 0x1c;
/** QEMU virt placement. */
export const RTC_DEFAULT_BASE = 0x0010_1000;
export const RTC_SIZE = 0x1000;
const MASK32 = 0xffff_ffffn;

export interface GoldfishRtcOptions {
  base?: number;
  irq: IrqSource;
  clock: ClockPort;
}

export interface GoldfishRtcState extends DeviceState {
  readonly kind: 'goldfish-rtc';
  readonly version: 1;
  /** Added (mod 2^64) to the ClockPort's time; set when the guest sets the clock. */
  readonly offset: U64;
  /** TIME_HIGH as latched by the last TIME_LOW read. */
  readonly latchedHigh: number;
  /** TIME_HIGH as written, used by the next TIME_LOW write. */
  readonly writtenHigh: number;
  readonly alarm: U64;
  readonly alarmArmed: boolean;
  readonly irqEnabled: boolean;
  readonly irq: boolean;
}

export class GoldfishRtc implements Device {
  static readonly KIND = 'goldfish-rtc';
  static readonly VERSION = 1;
  readonly specificationVersion = DEVICE_SPECIFICATION_VERSION;
  readonly kind = GoldfishRtc.KIND;
  readonly version = GoldfishRtc.VERSION;
  readonly mmio: MmioRange;
  private readonly irqLine: IrqSource;
  private readonly clock: ClockPort;
  private offset = 0n;
  private latchedHigh = 0;
  private writtenHigh = 0;
  private alarm = 0n;
  private alarmArmed = false;
  private irqEnabled = false;
  private irq = false;

  constructor(options: GoldfishRtcOptions) {
    this.mmio = { base: options.base ?? RTC_DEFAULT_BASE, size: RTC_SIZE };
    this.irqLine = options.irq;
    this.clock = options.clock;
  }

  read(offset: number, size: AccessSize): number | bigint {
    if (size !== 4) return sized(0, size);
    switch (offset) {
      case RTC_TIME_LOW: {
        const t = this.now();
        this.latchedHigh = Number(t >> 32n);
        return Number(t & MASK32);
      }
      case RTC_TIME_HIGH:
        return this.latchedHigh;
      case RTC_ALARM_LOW:
        return Number(this.alarm & MASK32);
      case RTC_ALARM_HIGH:
        return Number(this.alarm >> 32n);
      case RTC_IRQ_ENABLED:
        return this.irqEnabled ? 1 : 0;
      case RTC_ALARM_STATUS:
        return this.alarmArmed ? 1 : 0;
      default:
        return 0;
    }
  }

  write(offset: number, size: AccessSize, value: number | bigint): void {
    if (size !== 4) return;
    const v = lo32(value);
    switch (offset) {
      case RTC_TIME_LOW: {
        const wanted = (BigInt(this.writtenHigh) << 32n) | BigInt(v);
        this.offset = BigInt.asUintN(64, wanted - BigInt.asUintN(64, this.clock.now()));
        break;
      }
      case RTC_TIME_HIGH:
        this.writtenHigh = v;
        break;
      case RTC_ALARM_LOW:
        this.alarm = (this.alarm & (MASK32 << 32n)) | BigInt(v);
        this.alarmArmed = true;
        break;
      case RTC_ALARM_HIGH:
        this.alarm = (this.alarm & MASK32) | (BigInt(v) << 32n);
        break;
      case RTC_IRQ_ENABLED:
        this.irqEnabled = (v & 1) === 1;
        break;
      case RTC_CLEAR_ALARM:
        this.alarmArmed = false;
        break;
      case RTC_CLEAR_INTERRUPT:
        this.setIrq(false);
        break;
    }
  }

  save(): GoldfishRtcState {
    return {
      kind: 'goldfish-rtc',
      version: 1,
      offset: u64ToState(this.offset),
      latchedHigh: this.latchedHigh,
      writtenHigh: this.writtenHigh,
      alarm: u64ToState(this.alarm),
      alarmArmed: this.alarmArmed,
      irqEnabled: this.irqEnabled,
      irq: this.irq,
    };
  }

  restore(state: DeviceState): void {
    const s = expectState<GoldfishRtcState>(state, GoldfishRtc.KIND, GoldfishRtc.VERSION);
    this.offset = u64FromState(s.offset);
    this.latchedHigh = s.latchedHigh;
    this.writtenHigh = s.writtenHigh;
    this.alarm = u64FromState(s.alarm);
    this.alarmArmed = s.alarmArmed;
    this.irqEnabled = s.irqEnabled;
    this.irq = s.irq;
    this.irqLine.set(this.irq);
  }

  fdt(w: FdtWriter): void {
    w.node(`/soc/rtc@${this.mmio.base.toString(16)}`)
      .u32('interrupts', this.irqLine.id)
      .u32('interrupt-parent', w.phandle(FDT_LABEL_PLIC))
      .reg([this.mmio.base, this.mmio.size])
      .string('compatible', 'google,goldfish-rtc');
  }

  private now(): bigint {
    return BigInt.asUintN(64, BigInt.asUintN(64, this.clock.now()) + this.offset);
  }

  private setIrq(level: boolean): void {
    if (level !== this.irq) {
      this.irq = level;
      this.irqLine.set(level);
    }
  }
}
