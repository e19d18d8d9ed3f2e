/**
 * The ports a board's plugin devices declared, in a fixed order (board order,
 * then each plugin's declaration order): the order in which a recording gives
 * them channels, so recording and replay agree from the board config alone.
 */
import type { BoardConfig, DeviceRegistry, DeviceSettings } from '@prnr/devices';
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

/** The real world behind every slot, from each plugin's hostPorts(): for `prnr run` and for recording. */
export function hostPluginPorts(config: BoardConfig, registry: DeviceRegistry): { slots: PluginPortSlot[]; host: (slot: PluginPortSlot) => object } {
  const slots = pluginPortSlots(config, registry);
  const byDevice = new Map<number, Record<string, object>>();
  return {
    slots,
    host: (slot) => {
      let ports = byDevice.get(slot.device);
      if (!ports) {
        ports = registry.plugin(slot.kind)!.hostPorts(slot.settings);
        byDevice.set(slot.device, ports);
      }
      const p = ports[slot.port];
      if (p === null || typeof p !== 'object') throw new Error(`device kind '${slot.kind}': hostPorts() gave no '${slot.port}' port`);
      return p;
    },
  };
}
