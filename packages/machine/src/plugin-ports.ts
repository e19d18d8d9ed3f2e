/**
 * The ports a board's plugin devices declared, in a fixed order (board order,
 * then each plugin's declaration order): the order in which a recording gives
 * them channels, so recording and replay agree from the board config alone.
 */
import { callDeviceModule, describeDevicePlugin, DeviceModuleError, thrownMessage, type BoardConfig, type DeviceRegistry, type DeviceSettings } from '@prnr/devices';
import type { MachinePorts } from './virt-machine.js';

export interface PluginPortSlot {
  /** Index of the device in `config.devices`. */
  readonly device: number;
  readonly kind: string;
  readonly port: string;
  readonly methods: readonly string[];
  readonly settings: DeviceSettings;
}

export function pluginPortSlots(config: BoardConfig, registry: DeviceRegistry): PluginPortSlot[] {
  const slots: PluginPortSlot[] = [];
  config.devices.forEach((c, device) => {
    const plugin = registry.plugin(c.kind);
    if (!plugin) return;
    const settings = (c.settings ?? {}) as DeviceSettings;
    for (const [port, methods] of Object.entries(plugin.ports)) slots.push({ device, kind: c.kind, port, methods, settings });
  });
  return slots;
}

/** `MachinePorts.devicePorts` with one port object per slot, made by `make` (the real world, a recorder's wrapper, a replayer's). */
export function pluginDevicePorts(slots: readonly PluginPortSlot[], make: (slot: PluginPortSlot, index: number) => object): NonNullable<MachinePorts['devicePorts']> {
  const out: Record<number, Record<string, unknown>> = {};
  slots.forEach((s, i) => {
    (out[s.device] ??= {})[s.port] = make(s, i);
  });
  return out;
}

/**
 * The real world behind every slot, from each plugin's hostPorts(): for `prnr run` and for recording.
 * What the module's host side throws, or returns that a recording cannot hold (anything but JSON),
 * comes out as a DeviceModuleError naming the device, the port and the setting the error quotes.
 */
export function hostPluginPorts(config: BoardConfig, registry: DeviceRegistry): { slots: PluginPortSlot[]; host: (slot: PluginPortSlot) => object } {
  const slots = pluginPortSlots(config, registry);
  const byDevice = new Map<number, Record<string, unknown>>();
  return {
    slots,
    host: (slot) => {
      const plugin = registry.plugin(slot.kind)!;
      const device = describeDevicePlugin(plugin);
      let ports = byDevice.get(slot.device);
      if (!ports) {
        const made: unknown = callDeviceModule(device, 'hostPorts()', () => plugin.hostPorts(slot.settings));
        if (made === null || typeof made !== 'object') throw new DeviceModuleError(device, 'hostPorts() returned', `${made === null ? 'null' : typeof made}, not an object of ports`);
        ports = made as Record<string, unknown>;
        byDevice.set(slot.device, ports);
      }
      const p = ports[slot.port];
      if (p === null || typeof p !== 'object') throw new DeviceModuleError(device, 'hostPorts() returned', `no '${slot.port}' port`);
      return guardHostPort(p as Record<string, unknown>, slot, device);
    },
  };
}

/** The declared methods of one host port, each call's failure named. */
function guardHostPort(port: Record<string, unknown>, slot: PluginPortSlot, device: string): object {
  const out: Record<string, (...args: never[]) => unknown> = {};
  for (const m of slot.methods) {
    const f = port[m];
    if (typeof f !== 'function') throw new DeviceModuleError(device, 'hostPorts() returned', `a '${slot.port}' port without ${m}()`);
    const call = `its host port ${slot.port}.${m}()`;
    out[m] = (...args: never[]) => {
      let v: unknown;
      try {
        v = (f as (...a: never[]) => unknown).apply(port, args);
      } catch (e) {
        const detail = thrownMessage(e);
        throw new DeviceModuleError(device, `${call} threw`, `${detail}${settingQuoted(detail, slot.settings)}`, e);
      }
      const problem = jsonProblem(v);
      if (problem !== undefined) throw new DeviceModuleError(device, `${call} returned`, problem);
      return v;
    };
  }
  return out;
}

/** " (setting file=/x)" when the message quotes a setting's value: most often the culprit. */
function settingQuoted(message: string, settings: DeviceSettings): string {
  const hit = Object.entries(settings).find(([, v]) => typeof v === 'string' && v.length > 1 && message.includes(v));
  return hit ? ` (setting ${hit[0]}=${String(hit[1])})` : '';
}

/** Why `v` cannot be logged as a port's answer (a JSON value, or undefined), or undefined. */
function jsonProblem(v: unknown): string | undefined {
  if (v === undefined) return undefined;
  try {
    if (JSON.stringify(v) !== undefined) return undefined;
  } catch {
    // a bigint, or a cycle: said below
  }
  return `${typeof v === 'object' ? 'an object that is not' : `a ${typeof v}, not`} a JSON value (a recorded port answers with JSON values)`;
}
