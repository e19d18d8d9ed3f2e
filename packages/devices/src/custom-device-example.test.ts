import { describe, expect, it } from 'vitest';
import {
  ExampleSensor,
  EXAMPLE_SENSOR_CTRL,
  EXAMPLE_SENSOR_ID,
  EXAMPLE_SENSOR_ID_VALUE,
  EXAMPLE_SENSOR_PORT,
  EXAMPLE_SENSOR_STATUS,
  EXAMPLE_SENSOR_VALUE,
  registerExampleSensor,
  type TemperaturePort,
} from './custom-device-example.js';
import { fdtCells, fdtFind, fdtStrings, parseFdt } from './fdt/fdt-reader.js';
import { FdtWriter } from './fdt/fdt-writer.js';
import { FDT_LABEL_PLIC } from './fdt/labels.js';
import { createDeviceRegistry, type DeviceContext } from './registry.js';
import { FakeIrq, FakeMemory } from './test-support/fakes.js';

function boardContext(sensor: TemperaturePort, irq: FakeIrq): DeviceContext {
  return {
    irq: () => irq,
    hartIrq: () => new FakeIrq(),
    memory: new FakeMemory(0x8000_0000, 4096),
    clock: { mtime: () => 0n },
    ports: { [EXAMPLE_SENSOR_PORT]: sensor },
  };
}

describe('ExampleSensor (a user-registered device kind)', () => {
  it('is created from a board config entry once registered', () => {
    const registry = createDeviceRegistry();
    registerExampleSensor(registry);
    const readings = [21_500, -3_250];
    const irq = new FakeIrq(12);
    const dev = registry.create({ kind: 'example-sensor', base: 0x1020_0000, irq: 12 }, boardContext({ sample: () => readings.shift() ?? 0 }, irq));
    expect(dev).toBeInstanceOf(ExampleSensor);
    expect(dev.read(EXAMPLE_SENSOR_ID, 4)).toBe(EXAMPLE_SENSOR_ID_VALUE);
    dev.write(EXAMPLE_SENSOR_CTRL, 4, 0b11); // sample, interrupts on
    expect(dev.read(EXAMPLE_SENSOR_VALUE, 4)).toBe(21_500);
    expect(irq.level).toBe(true);
    dev.write(EXAMPLE_SENSOR_STATUS, 4, 1);
    expect(irq.level).toBe(false);
    dev.write(EXAMPLE_SENSOR_CTRL, 4, 0b01);
    expect((dev.read(EXAMPLE_SENSOR_VALUE, 4) as number) | 0).toBe(-3_250);
    expect(irq.level).toBe(false); // interrupts now off
  });

  it('needs its port from the board', () => {
    const registry = createDeviceRegistry();
    registerExampleSensor(registry);
    const ctx = { ...boardContext({ sample: () => 0 }, new FakeIrq()), ports: {} };
    expect(() => registry.create({ kind: 'example-sensor' }, ctx)).toThrow(/needs the 'temperatureSensor' port/);
  });

  it('round-trips its state and describes itself in the device tree', () => {
    const irq = new FakeIrq(12);
    const a = new ExampleSensor({ irq, sensor: { sample: () => 40_000 } });
    a.write(EXAMPLE_SENSOR_CTRL, 4, 0b11);
    const saved = a.save();
    const b = new ExampleSensor({ irq: new FakeIrq(12), sensor: { sample: () => 0 } });
    b.restore(structuredClone(saved));
    expect(b.save()).toEqual(saved);
    expect(b.read(EXAMPLE_SENSOR_VALUE, 4)).toBe(40_000);

    const w = new FdtWriter();
    w.node('/soc/plic').phandle(FDT_LABEL_PLIC);
    a.fdt(w);
    const node = fdtFind(parseFdt(w.finish()).root, '/soc/sensor@10200000');
    expect(fdtStrings(node?.props.get('compatible'))).toEqual(['prnr,example-sensor']);
    expect(fdtCells(node?.props.get('interrupts'))).toEqual([12]);
  });
});
