/**
 * `--device MODULE[,key=value...]` of `prnr run` and `prnr record`: a device
 * module (see the device plugin contract in @prnr/devices) added to the board
 * with its settings. `base=` and `irq=` place it; other keys are its settings.
 */
import { DeviceConfigError, DevicePluginError, loadDevicePlugin, parseSettingValue, type DeviceConfig, type LoadedDevicePlugin } from '@prnr/devices';
import type { BoardConfig } from '@prnr/machine';
import { UsageError } from '../usage-error.js';

export const DEVICE_OPTION_HELP = 'add a device from an ES module (see examples/devices/), repeatable; base=ADDR (4 KiB-aligned, free, in 0x10100000..0x1fffffff) and irq=N (a PLIC source in 1..95 no other device uses) place it, other key=value pairs are its settings';

/** commander's collector for a repeatable option. */
export function collectDevice(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export interface BoardDevices {
  plugins: LoadedDevicePlugin[];
  devices: DeviceConfig[];
}

/** Loads the modules the `--device` values name, and the board entries they add. */
export async function loadDeviceOptions(specs: readonly string[] = []): Promise<BoardDevices> {
  const byModule = new Map<string, LoadedDevicePlugin>();
  const devices: DeviceConfig[] = [];
  for (const spec of specs) {
    const [path, ...pairs] = spec.split(',');
    if (!path) throw new UsageError(`--device ${spec}: give the module file first, then key=value settings`);
    let loaded: LoadedDevicePlugin;
    try {
      loaded = await loadDevicePlugin(path);
    } catch (e) {
      if (e instanceof DevicePluginError) throw new UsageError(`--device ${spec}: ${e.message}`);
      throw e;
    }
    const known = byModule.get(loaded.ref.module);
    if (!known) {
      for (const other of byModule.values()) if (other.ref.kind === loaded.ref.kind) throw new UsageError(`--device ${spec}: kind '${loaded.ref.kind}' is also made by ${other.ref.module}`);
      byModule.set(loaded.ref.module, loaded);
    }
    const settings: Record<string, string | number | boolean> = {};
    let base: number | undefined;
    let irq: number | undefined;
    for (const pair of pairs) {
      const eq = pair.indexOf('=');
      if (eq <= 0) throw new UsageError(`--device ${spec}: '${pair}' is not key=value`);
      const key = pair.slice(0, eq);
      const value = parseSettingValue(pair.slice(eq + 1));
      if (key === 'base' || key === 'irq') {
        if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw new UsageError(`--device ${spec}: ${key} must be a whole number (decimal or 0x...)`);
        if (key === 'base') base = value;
        else irq = value;
      } else {
        settings[key] = value;
      }
    }
    devices.push({ kind: loaded.ref.kind, ...(base !== undefined ? { base } : {}), ...(irq !== undefined ? { irq } : {}), settings });
  }
  return { plugins: [...byModule.values()], devices };
}

/** `config` with the devices added after its own (their device-tree nodes follow the built-in ones). */
export function withDevices(config: BoardConfig, extra: BoardDevices): BoardConfig {
  return extra.devices.length === 0 ? config : { ...config, devices: [...config.devices, ...extra.devices] };
}

/**
 * A machine's start refused by a device (its module's code threw, its board entry is wrong) is a
 * usage error: one line, exit 2. Anything else is returned as it is.
 */
export function deviceStartRefusal(e: unknown): unknown {
  return e instanceof DevicePluginError || e instanceof DeviceConfigError ? new UsageError(e.message) : e;
}
