/**
 * SiFive test finisher ("sifive,test0"), used as a syscon for power-off and reboot,
 * as on QEMU's `virt` board. One 32-bit register at offset 0; a write of
 *   0x5555                 powers off (pass),
 *   0x3333 | (code << 16)  powers off with a failure code,
 *   0x7777                 resets.
 * Linux reaches it through the generic syscon-poweroff / syscon-reboot drivers
 * (Documentation/devicetree/bindings/power/reset/syscon-poweroff.yaml), which
 * read-modify-write the register: it reads as 0.
 * The device only reports the request to the board through PowerControl.
 */
import {
  DEVICE_SPECIFICATION_VERSION,
  expectState,
  lo32,
  sized,
  type AccessSize,
  type Device,
  type DeviceState,
  type MmioRange,
} from './device.js';
import type { FdtWriter } from './fdt/fdt-writer.js';
import { FDT_LABEL_SYSCON } from './fdt/labels.js';
import type { PowerControl } from './ports.js';

export const SIFIVE_TEST_FINISHER = 0x0;
export const SIFIVE_TEST_FAIL = 0x3333;
export const SIFIVE_TEST_PASS = 0x5555;
export const SIFIVE_TEST_RESET = 0x7777;
/** QEMU virt placement. */
export const SIFIVE_TEST_DEFAULT_BASE = 0x0010_0000;
export const SIFIVE_TEST_SIZE = 0x1000;

export interface SifiveTestOptions {
  base?: number;
  power: PowerControl;
}

export interface SifiveTestState extends DeviceState {
  readonly kind: 'sifive-test';
  readonly version: 1;
}

export class SifiveTest implements Device {
  static readonly KIND = 'sifive-test';
  static readonly VERSION = 1;
  readonly specificationVersion = DEVICE_SPECIFICATION_VERSION;
  readonly kind = SifiveTest.KIND;
  readonly version = SifiveTest.VERSION;
  readonly mmio: MmioRange;
  private readonly power: PowerControl;

  constructor(options: SifiveTestOptions) {
    this.mmio = { base: options.base ?? SIFIVE_TEST_DEFAULT_BASE, size: SIFIVE_TEST_SIZE };
    this.power = options.power;
  }

  read(_offset: number, size: AccessSize): number | bigint {
    return sized(0, size);
  }

  write(offset: number, size: AccessSize, value: number | bigint): void {
    // OpenSBI writes the finisher with 16-bit stores (writew); QEMU accepts 2- and 4-byte writes.
    if (offset !== SIFIVE_TEST_FINISHER || size < 2) return;
    const v = lo32(value);
    switch (v & 0xffff) {
      case SIFIVE_TEST_PASS:
        this.power.request({ action: 'poweroff' });
        break;
      case SIFIVE_TEST_FAIL:
        this.power.request({ action: 'fail', code: v >>> 16 });
        break;
      case SIFIVE_TEST_RESET:
        this.power.request({ action: 'reset' });
        break;
    }
  }

  save(): SifiveTestState {
    return { kind: 'sifive-test', version: 1 };
  }

  restore(state: DeviceState): void {
    expectState<SifiveTestState>(state, SifiveTest.KIND, SifiveTest.VERSION);
  }

  fdt(w: FdtWriter): void {
    w.node(`/soc/test@${this.mmio.base.toString(16)}`)
      .phandle(FDT_LABEL_SYSCON)
      .reg([this.mmio.base, this.mmio.size])
      .strings('compatible', ['sifive,test1', 'sifive,test0', 'syscon']);
    const regmap = w.phandle(FDT_LABEL_SYSCON);
    w.node('/poweroff').u32('value', SIFIVE_TEST_PASS).u32('offset', SIFIVE_TEST_FINISHER).u32('regmap', regmap).string('compatible', 'syscon-poweroff');
    w.node('/reboot').u32('value', SIFIVE_TEST_RESET).u32('offset', SIFIVE_TEST_FINISHER).u32('regmap', regmap).string('compatible', 'syscon-reboot');
  }
}
