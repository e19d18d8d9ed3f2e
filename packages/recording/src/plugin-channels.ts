/**
 * The ports of a board's device plugins, on the record and on the replay
 * side: slot i (see pluginPortSlots) is logged on channel FIRST_CUSTOM_CHANNEL + i
 * by eventlog's generic port wrapper.
 */
import { FIRST_CUSTOM_CHANNEL, recordGenericPort, replayGenericPort, type PortRecorder, type PortReplayer } from '@prnr/eventlog';
import { hostPluginPorts, pluginDevicePorts, pluginPortSlots, type BoardConfig, type MachinePorts, type PluginPortSlot } from '@prnr/machine';
import type { DeviceRegistry } from '@prnr/devices';

type DevicePorts = NonNullable<MachinePorts['devicePorts']>;

function channelOf(slot: PluginPortSlot, i: number): number {
  const c = FIRST_CUSTOM_CHANNEL + i;
  if (c > 255) throw new Error(`the board's device plugins declare more than ${256 - FIRST_CUSTOM_CHANNEL} ports (device ${slot.device}, port '${slot.port}')`);
  return c;
}

/** The plugins' real ports, each call logged. */
export function recordPluginPorts(config: BoardConfig, registry: DeviceRegistry, recorder: PortRecorder): DevicePorts {
  const { slots, host } = hostPluginPorts(config, registry);
  return pluginDevicePorts(slots, (s, i) => recordGenericPort(recorder, channelOf(s, i), `${s.kind}.${s.port}`, s.methods, host(s)));
}

/** The plugins' ports served from the log. */
export function replayPluginPorts(config: BoardConfig, registry: DeviceRegistry, replayer: PortReplayer): DevicePorts {
  const slots = pluginPortSlots(config, registry);
  return pluginDevicePorts(slots, (s, i) => replayGenericPort(replayer, channelOf(s, i), `${s.kind}.${s.port}`, s.methods));
}
