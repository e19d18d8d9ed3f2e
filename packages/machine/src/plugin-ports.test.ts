/**
 * The host side of a device module's ports (`prnr run`, `prnr record`): what
 * its hostPorts() or a port method throws, or an answer that is not JSON,
 * comes out in one line naming the device, the port and the setting the
 * error quotes.
 */
import { describe, expect, it } from 'vitest';
import { createDeviceRegistry, defaultBoardConfig, DeviceModuleError, type BoardConfig, type DevicePlugin } from '@prnr/devices';
import { hostPluginPorts } from './plugin-ports.js';

function plugin(hostPorts: DevicePlugin['hostPorts']): DevicePlugin {
  return { contract: 1, kind: 'thing', version: 1, defaultBase: 0x1020_0000, defaultIrq: 12, ports: { sensor: ['sample'] }, create: () => { throw new Error('not built here'); }, hostPorts };
}

function sensorOf(p: DevicePlugin, settings: Record<string, string | number | boolean> = {}) {
  const base = defaultBoardConfig({ images: { firmware: 'f', kernel: 'k' } });
  const config: BoardConfig = { ...base, devices: [...base.devices, { kind: 'thing', settings }] };
  const { slots, host } = hostPluginPorts(config, createDeviceRegistry([p]));
  return host(slots[0]) as { sample: () => unknown };
}

const failure = (f: () => unknown): DeviceModuleError => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(DeviceModuleError);
    return e as DeviceModuleError;
  }
  throw new Error('nothing was thrown');
};

describe('host ports of device modules', () => {
  it('passes answers through', () => {
    expect(sensorOf(plugin(() => ({ sensor: { sample: () => 21_000 } }))).sample()).toBe(21_000);
  });

  it('names hostPorts() that throws, or gives no such port', () => {
    expect(failure(() => sensorOf(plugin(() => { throw new Error('no thermometer here'); }))).message).toBe('device thing: hostPorts() threw: no thermometer here');
    expect(failure(() => sensorOf(plugin(() => ({})))).message).toBe("device thing: hostPorts() returned: no 'sensor' port");
  });

  it('names a port method that throws, and the setting its error quotes', () => {
    const sensor = sensorOf(plugin((s) => ({ sensor: { sample: () => { throw new Error(`ENOENT: no such file or directory, open '${String(s.file)}'`); } } })), { file: '/nonexistent' });
    expect(failure(() => sensor.sample()).message).toBe("device thing: its host port sensor.sample() threw: ENOENT: no such file or directory, open '/nonexistent' (setting file=/nonexistent)");
  });

  it('refuses an answer that is not JSON', () => {
    const sensor = sensorOf(plugin(() => ({ sensor: { sample: () => 21_000n } })));
    expect(failure(() => sensor.sample()).message).toBe('device thing: its host port sensor.sample() returned: a bigint, not a JSON value (a recorded port answers with JSON values)');
  });
});
