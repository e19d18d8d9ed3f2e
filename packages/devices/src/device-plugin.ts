/**
 * The device plugin contract (version DEVICE_PLUGIN_CONTRACT): what an ES
 * module must default-export to add its own device model to prnr's board.
 *
 *   export default {
 *     contract: 1,
 *     kind: 'temperature-sensor', version: 1,
 *     defaultBase: 0x1020_0000, defaultIrq: 12,
 *     ports: { sensor: ['sample'] },
 *     create: ({ base, irq, ports, settings }) => new MySensor(...),
 *     hostPorts: (settings) => ({ sensor: { sample: () => readThermometer() } }),
 *   };
 *
 * Every method listed in `ports` is a query of the outside world: prnr records
 * what it returned (a JSON value) on a channel of its own, and on replay hands
 * the device the recorded answers without calling `hostPorts` at all. A device
 * must reach the host through these ports only, so its behaviour is a function
 * of its state, its MMIO accesses and the answers of its ports.
 */
import type { Device } from './device.js';
import type { IrqSource } from './device.js';
import type { GuestMemory, VirtualClock } from './ports.js';

/** The version of this contract; a plugin states the one it implements in `contract`. */
export const DEVICE_PLUGIN_CONTRACT = 1;

/** Settings of one device: JSON values (they are stored in the recording). */
export type DeviceSettings = Readonly<Record<string, string | number | boolean>>;

/** A port's recorded methods, by port name. Each method returns a JSON value (or undefined). */
export type DevicePortDeclaration = Readonly<Record<string, readonly string[]>>;

/** What `create` is handed. */
export interface PluginDeviceOptions {
  /** MMIO base: the board config's, else the plugin's `defaultBase`. */
  readonly base: number;
  /** The device's interrupt source at the PLIC (its FDT `interrupts` cell is `irq.id`). */
  readonly irq: IrqSource;
  readonly settings: DeviceSettings;
  /** The device's own ports, by the names it declared: recording or replaying, the device cannot tell. */
  readonly ports: Readonly<Record<string, Record<string, (...args: never[]) => unknown>>>;
  /** Guest RAM, for DMA. */
  readonly memory: GuestMemory;
  /** Virtual time (mtime, 10 MHz). */
  readonly clock: VirtualClock;
  /** The FDT phandle label of the PLIC, for the device's `interrupt-parent` (`w.phandle(label)`). */
  readonly interruptParent: string;
}

/** The default export of a device module. */
export interface DevicePlugin {
  readonly contract: typeof DEVICE_PLUGIN_CONTRACT;
  /** The device kind (as `Device.kind`); must not be one of the built-in kinds. */
  readonly kind: string;
  /** Behaviour and state version (as `Device.version`): bump it on any change of either. */
  readonly version: number;
  readonly defaultBase: number;
  readonly defaultIrq: number;
  /** The host ports the device uses, and which of their methods are recorded. */
  readonly ports: DevicePortDeclaration;
  create(options: PluginDeviceOptions): Device;
  /** The real outside world behind each declared port, for `prnr run` and `prnr record`. */
  hostPorts(settings: DeviceSettings): Record<string, Record<string, (...args: never[]) => unknown>>;
}

export class DevicePluginError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DevicePluginError';
  }
}

/**
 * A device module's own code threw, or gave back what prnr cannot use: the
 * message names the device (kind and module file, where known), the call and
 * what went wrong, in one line. `icount` is set by the machine when it
 * happened while the guest ran.
 */
export class DeviceModuleError extends DevicePluginError {
  icount: number | undefined;

  /** `device`: as describeDevicePlugin says it; `what`: "create() threw"; `detail`: the cause's message. */
  constructor(readonly device: string, readonly what: string, readonly detail: string, cause?: unknown) {
    super(`${device}: ${what}: ${detail}`);
    this.name = 'DeviceModuleError';
    if (cause !== undefined) this.cause = cause;
  }

  /** Says at which instruction count it happened (the first one given sticks). */
  at(icount: number): this {
    if (this.icount === undefined) {
      this.icount = icount;
      this.message = `${this.device}: ${this.what} at icount ${icount}: ${this.detail}`;
    }
    return this;
  }
}

/** The module file each loaded plugin came from, for messages (a plugin made in code has none). */
const moduleFiles = new WeakMap<object, string>();

/** Remembers that `plugin` is the default export of `file` (loadDevicePlugin does). */
export function noteDevicePluginModule(plugin: DevicePlugin, file: string): void {
  moduleFiles.set(plugin, file);
}

/** How messages name a plugin's device: "device temperature-sensor (/path/to/module.mjs)". */
export function describeDevicePlugin(plugin: DevicePlugin): string {
  const file = moduleFiles.get(plugin);
  return file === undefined ? `device ${plugin.kind}` : `device ${plugin.kind} (${file})`;
}

/** The first line of what was thrown. */
export function thrownMessage(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.split('\n')[0].trim() || (e instanceof Error ? e.name : 'an empty error');
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Checks a module's default export against the contract; `where` names the module in messages. */
export function checkDevicePlugin(value: unknown, where: string): DevicePlugin {
  const fail = (what: string): never => {
    throw new DevicePluginError(`${where}: ${what}`);
  };
  if (value === null || typeof value !== 'object') fail('has no default export object (see the device plugin contract in @prnr/devices)');
  const p = value as Partial<DevicePlugin>;
  if (p.contract !== DEVICE_PLUGIN_CONTRACT) fail(`implements device plugin contract ${String(p.contract)}, this prnr reads contract ${DEVICE_PLUGIN_CONTRACT}`);
  if (typeof p.kind !== 'string' || !/^[a-z0-9][a-z0-9.,_-]*$/.test(p.kind)) fail(`kind must be a lower-case name, not ${JSON.stringify(p.kind)}`);
  if (!Number.isSafeInteger(p.version) || p.version! < 0) fail('version must be a whole number');
  for (const k of ['defaultBase', 'defaultIrq'] as const) if (!Number.isSafeInteger(p[k]) || p[k]! < 0) fail(`${k} must be a whole number`);
  if (typeof p.create !== 'function' || typeof p.hostPorts !== 'function') fail('needs create() and hostPorts() functions');
  if (p.ports === null || typeof p.ports !== 'object') fail('ports must map port names to lists of method names');
  for (const [port, methods] of Object.entries(p.ports!)) {
    if (!NAME.test(port)) fail(`bad port name '${port}'`);
    if (!Array.isArray(methods) || methods.length === 0 || methods.length > 255 || !methods.every((m) => typeof m === 'string' && NAME.test(m))) fail(`port '${port}' must list 1..255 method names`);
  }
  return p as DevicePlugin;
}

/** Parses one setting value from the command line: numbers (decimal or 0x) and true/false keep their type. */
export function parseSettingValue(text: string): string | number | boolean {
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (/^(0x[0-9a-fA-F]+|-?[0-9]+(\.[0-9]+)?)$/.test(text)) return Number(text);
  return text;
}
