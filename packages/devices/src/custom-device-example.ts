/**
 * Example of a user-written device: a temperature sensor on MMIO.
 * It shows everything a custom device needs: named register offsets, a host
 * port through which the outside world enters (so record/replay covers it),
 * an interrupt line, versioned plain state, an FDT node, and registration
 * of its kind so a board config can list it.
 *
 * Registers (32-bit):
 *   0x00 ID      (ro) EXAMPLE_SENSOR_ID_VALUE
 *   0x04 CTRL    (rw) bit 0 START: writing 1 takes a sample now; bit 1 IRQ_EN
 *   0x08 VALUE   (ro) last sample, milli-degrees Celsius (two's complement)
 *   0x0c STATUS  (rw) bit 0 READY: set by a sample; writing 1 clears it (and the interrupt)
 */
import {
  DEVICE_SPECIFICATION_VERSION,
  expectState,
  lo32,
  sized,
  type AccessSize,
  type Device,
  type DeviceState,
  type IrqSource,
  type MmioRange,
} from './device.js';
import type { FdtWriter } from './fdt/fdt-writer.js';
import { FDT_LABEL_PLIC } from './fdt/labels.js';
import { requirePort, type DeviceRegistry } from './registry.js';

export const EXAMPLE_SENSOR_ID = 0x00;
export const EXAMPLE_SENSOR_CTRL = 0x04;
export const EXAMPLE_SENSOR_VALUE = 0x08;
export const EXAMPLE_SENSOR_STATUS = 0x0c;
export const EXAMPLE_SENSOR_CTRL_START = 0x1;
export const EXAMPLE_SENSOR_CTRL_IRQ_EN = 0x2;
export const EXAMPLE_SENSOR_STATUS_READY = 0x1;
export const EXAMPLE_SENSOR_ID_VALUE = 0x5e45_0001;
/** A free spot in the `virt` map, and a free PLIC source. */
export const EXAMPLE_SENSOR_DEFAULT_BASE = 0x1020_0000;
export const EXAMPLE_SENSOR_DEFAULT_IRQ = 12;
export const EXAMPLE_SENSOR_SIZE = 0x1000;
/** The port name under which a board passes the sensor's host side. */
export const EXAMPLE_SENSOR_PORT = 'temperatureSensor';

/** The host side of the sensor: an input port, so a recorder can log its answers. */
export interface TemperaturePort {
  /** Current temperature in milli-degrees Celsius. */
  sample(): number;
}

export interface ExampleSensorOptions {
  base?: number;
  irq: IrqSource;
  sensor: TemperaturePort;
}

export interface ExampleSensorState extends DeviceState {
  readonly kind: 'example-sensor';
  readonly version: 1;
  readonly ctrl: number;
  readonly value: number;
  readonly ready: boolean;
  readonly irq: boolean;
}

export class ExampleSensor implements Device {
  static readonly KIND = 'example-sensor';
  static readonly VERSION = 1;
  readonly specificationVersion = DEVICE_SPECIFICATION_VERSION;
  readonly kind = ExampleSensor.KIND;
  readonly version = ExampleSensor.VERSION;
  readonly mmio: MmioRange;
  private readonly irqLine: IrqSource;
  private readonly sensor: TemperaturePort;
  private ctrl = 0;
  private value = 0;
  private ready = false;
  private irq = false;

  constructor(options: ExampleSensorOptions) {
    this.mmio = { base: options.base ?? EXAMPLE_SENSOR_DEFAULT_BASE, size: EXAMPLE_SENSOR_SIZE };
    this.irqLine = options.irq;
    this.sensor = options.sensor;
  }

  read(offset: number, size: AccessSize): number | bigint {
    if (size !== 4) return sized(0, size);
    switch (offset) {
      case EXAMPLE_SENSOR_ID:
        return EXAMPLE_SENSOR_ID_VALUE;
      case EXAMPLE_SENSOR_CTRL:
        return this.ctrl;
      case EXAMPLE_SENSOR_VALUE:
        return this.value >>> 0;
      case EXAMPLE_SENSOR_STATUS:
        return this.ready ? EXAMPLE_SENSOR_STATUS_READY : 0;
      default:
        return 0;
    }
  }

  write(offset: number, size: AccessSize, value: number | bigint): void {
    if (size !== 4) return;
    const v = lo32(value);
    if (offset === EXAMPLE_SENSOR_CTRL) {
      this.ctrl = v & EXAMPLE_SENSOR_CTRL_IRQ_EN;
      if (v & EXAMPLE_SENSOR_CTRL_START) {
        this.value = Math.trunc(this.sensor.sample()) | 0;
        this.ready = true;
      }
    } else if (offset === EXAMPLE_SENSOR_STATUS && v & EXAMPLE_SENSOR_STATUS_READY) {
      this.ready = false;
    }
    this.updateIrq();
  }

  save(): ExampleSensorState {
    return { kind: 'example-sensor', version: 1, ctrl: this.ctrl, value: this.value, ready: this.ready, irq: this.irq };
  }

  restore(state: DeviceState): void {
    const s = expectState<ExampleSensorState>(state, ExampleSensor.KIND, ExampleSensor.VERSION);
    this.ctrl = s.ctrl;
    this.value = s.value;
    this.ready = s.ready;
    this.irq = s.irq;
    this.irqLine.set(this.irq);
  }

  fdt(w: FdtWriter): void {
    w.node(`/soc/sensor@${this.mmio.base.toString(16)}`)
      .u32('interrupts', this.irqLine.id)
      .u32('interrupt-parent', w.phandle(FDT_LABEL_PLIC))
      .reg([this.mmio.base, this.mmio.size])
      .string('compatible', 'prnr,example-sensor');
  }

  private updateIrq(): void {
    const level = this.ready && (this.ctrl & EXAMPLE_SENSOR_CTRL_IRQ_EN) !== 0;
    if (level !== this.irq) {
      this.irq = level;
      this.irqLine.set(level);
    }
  }
}

/** Registers the `example-sensor` kind: `{ kind: 'example-sensor', base?, irq? }` in a board config. */
export function registerExampleSensor(registry: DeviceRegistry): void {
  registry.register(
    ExampleSensor.KIND,
    (config, ctx) =>
      new ExampleSensor({
        base: config.base,
        irq: ctx.irq(config.irq ?? EXAMPLE_SENSOR_DEFAULT_IRQ),
        sensor: requirePort<TemperaturePort>(ctx, EXAMPLE_SENSOR_PORT, ExampleSensor.KIND),
      }),
  );
}
