/**
 * Device kinds by name: a board config lists `{ kind, base, irq, settings }`
 * entries (plain JSON, stored in a recording's manifest) and the registry
 * turns each into a Device. Every registry holds the built-in kinds of the
 * `virt` board; the one way to add a kind of your own is a device plugin
 * (device-plugin.ts): `createDeviceRegistry([plugin])`, or `--device MODULE`
 * on the command line, which also records the module with the recording.
 *
 * The board builds the context: it creates the PLIC first (its `irq(id)` is
 * then `plic.source(id)`), passes guest RAM, the virtual clock and the ports.
 */
import type { IrqLine } from '@prnr/cpu';
import { Clint } from './clint.js';
import { checkDevicePlugin, describeDevicePlugin, DevicePluginError, type DevicePlugin } from './device-plugin.js';
import { callDeviceModule, checkMadeDevice, guardPluginDevice, markPortErrors } from './plugin-device-guard.js';
import { FDT_LABEL_PLIC } from './fdt/labels.js';
import type { Device, IrqSource } from './device.js';
import { CowDisk, type CowBlockSize } from './disk/cow-disk.js';
import { GoldfishRtc } from './goldfish-rtc.js';
import { Plic } from './plic.js';
import type { GuestMemory, HostPorts, VirtualClock } from './ports.js';
import { SifiveTest } from './sifive-test.js';
import { Uart16550a } from './uart-16550a.js';
import { virtioSlotBase, virtioSlotIrq, VIRT_PLACEMENTS } from './virt/virt-board.js';
import { VirtioBlock } from './virtio/virtio-block.js';
import type { VirtioDeviceModel } from './virtio/virtio-device-model.js';
import { VIRTIO_MMIO_EMPTY_KIND, VirtioMmioTransport } from './virtio/virtio-mmio-transport.js';
import { VirtioNet } from './virtio/virtio-net.js';
import { VirtioRng } from './virtio/virtio-rng.js';

/** One device of a board config. Plain JSON. */
export interface DeviceConfig {
  readonly kind: string;
  /** MMIO base address; default: the kind's QEMU virt placement. */
  readonly base?: number;
  /** Interrupt source number at the PLIC; default: the kind's QEMU virt wiring. */
  readonly irq?: number;
  /** Kind-specific settings (JSON values only: they are recorded). */
  readonly settings?: Readonly<Record<string, unknown>>;
}

export type HartIrqName = 'msip' | 'mtip' | 'meip' | 'seip';

/** What the board lends a factory. */
export interface DeviceContext {
  /** Interrupt source `id` of the board's interrupt controller. */
  irq(id: number): IrqSource;
  /** An interrupt line into the hart (for the CLINT and the PLIC). */
  hartIrq(name: HartIrqName): IrqLine;
  /** Guest RAM, for DMA. */
  readonly memory: GuestMemory;
  /** Virtual time (mtime). */
  readonly clock: VirtualClock;
  /** Host ports; custom devices may find their own ports here under their own names. */
  readonly ports: Partial<HostPorts> & Readonly<Record<string, unknown>>;
  /** Resolves a disk image named in settings (e.g. by content hash) to its bytes. */
  image?(id: string): Uint8Array;
}

/** Builds one kind's device from its config entry (built-in kinds, and plugins through pluginFactory). */
type DeviceFactory = (config: DeviceConfig, ctx: DeviceContext) => Device;

export class DeviceConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeviceConfigError';
  }
}

/**
 * The kinds a machine is built from: the built-in ones and those of the
 * plugins it was made with. Fixed once made: a recording names its kinds, and
 * a replay builds its own registry from the same modules.
 */
export class DeviceRegistry {
  private readonly factories = new Map<string, DeviceFactory>();
  private readonly plugins = new Map<string, DevicePlugin>();

  /** The built-in kinds, and the kind of each plugin (none may be a built-in kind or come twice). */
  constructor(plugins: readonly DevicePlugin[] = []) {
    for (const [kind, factory] of builtinFactories()) this.factories.set(kind, factory);
    for (const given of plugins) {
      // In code as from a file: the same checks of the contract.
      const p = checkDevicePlugin(given, `device plugin '${String(given?.kind)}'`);
      if (this.factories.has(p.kind)) throw new DevicePluginError(`device kind '${p.kind}' is ${this.plugins.has(p.kind) ? 'given by two modules' : 'a built-in kind'}`);
      this.factories.set(p.kind, pluginFactory(p));
      this.plugins.set(p.kind, p);
    }
  }

  /** The plugin behind `kind`, if it came from one. */
  plugin(kind: string): DevicePlugin | undefined {
    return this.plugins.get(kind);
  }

  has(kind: string): boolean {
    return this.factories.has(kind);
  }

  kinds(): string[] {
    return [...this.factories.keys()];
  }

  /** Builds the device of `config`. The device's `kind` must be the config's. */
  create(config: DeviceConfig, ctx: DeviceContext): Device {
    const factory = this.factories.get(config.kind);
    if (!factory) throw new DeviceConfigError(`unknown device kind '${config.kind}' (known: ${this.kinds().join(', ')})`);
    const device = factory(config, ctx);
    if (device.kind !== config.kind) {
      const plugin = this.plugins.get(config.kind);
      throw new DeviceConfigError(`${plugin ? `${describeDevicePlugin(plugin)}: ` : ''}the factory for '${config.kind}' made a device of kind '${device.kind}'`);
    }
    return device;
  }
}

/** A registry holding the built-in kinds, and the kinds of `plugins`. */
export function createDeviceRegistry(plugins: readonly DevicePlugin[] = []): DeviceRegistry {
  return new DeviceRegistry(plugins);
}

/**
 * A plugin's kind: the device gets the ports it declared from the board's per-device ports
 * (MachinePorts.devicePorts). Every call into the module's code is guarded (plugin-device-guard.ts).
 */
function pluginFactory(plugin: DevicePlugin): DeviceFactory {
  return (c, ctx) => {
    const device = describeDevicePlugin(plugin);
    const ports: Record<string, Record<string, (...args: never[]) => unknown>> = {};
    for (const [name, methods] of Object.entries(plugin.ports)) ports[name] = markPortErrors(requirePort(ctx, name, c.kind), methods);
    const settings = (c.settings ?? {}) as Record<string, string | number | boolean>;
    // The board's parts first, outside the module's code: a refused irq is the board's to say.
    const base = c.base ?? plugin.defaultBase;
    const irq = ctx.irq(c.irq ?? plugin.defaultIrq);
    const made = callDeviceModule(device, 'create()', () => plugin.create({ base, irq, settings, ports, memory: ctx.memory, clock: ctx.clock, interruptParent: FDT_LABEL_PLIC }));
    const guarded = guardPluginDevice(checkMadeDevice(made, device), device);
    // A state that cannot be stored is refused now, while nothing runs, not at the first snapshot.
    guarded.save();
    return guarded;
  };
}

/** The kinds every registry has (a plugin may not take one). */
export function builtinDeviceKinds(): string[] {
  return [...builtinFactories().keys()];
}

/** A port from the context, or a clear error naming the device that needs it. */
export function requirePort<T>(ctx: DeviceContext, name: string, kind: string): T {
  const port = ctx.ports[name];
  if (port === undefined || port === null) throw new DeviceConfigError(`device kind '${kind}' needs the '${name}' port`);
  return port as T;
}

/** A setting of the given JS type, or its default. */
export function setting<T extends string | number | boolean>(config: DeviceConfig, name: string, fallback: T): T;
export function setting<T extends string | number | boolean>(config: DeviceConfig, name: string): T | undefined;
export function setting<T extends string | number | boolean>(config: DeviceConfig, name: string, fallback?: T): T | undefined {
  const v = config.settings?.[name];
  if (v === undefined) return fallback;
  if (fallback !== undefined && typeof v !== typeof fallback) throw new DeviceConfigError(`${config.kind}: setting '${name}' must be a ${typeof fallback}`);
  return v as T;
}

/** Base and irq of a virtio kind: explicit, or from `settings.slot` (QEMU virt slot 0..7). */
function virtioPlacement(config: DeviceConfig): { base: number; irq: number } {
  const slot = setting<number>(config, 'slot');
  if (slot !== undefined) return { base: config.base ?? virtioSlotBase(slot), irq: config.irq ?? virtioSlotIrq(slot) };
  if (config.base === undefined || config.irq === undefined) throw new DeviceConfigError(`${config.kind}: give settings.slot, or base and irq`);
  return { base: config.base, irq: config.irq };
}

function virtio(config: DeviceConfig, ctx: DeviceContext, model: VirtioDeviceModel | undefined): VirtioMmioTransport {
  const { base, irq } = virtioPlacement(config);
  return new VirtioMmioTransport({ base, irq: ctx.irq(irq), memory: ctx.memory, model });
}

/** Base of a built-in kind: the config's, else its `virt` placement. */
const baseOf = (c: DeviceConfig): number => c.base ?? VIRT_PLACEMENTS[c.kind].base;
/** PLIC source of a built-in kind: the config's, else its `virt` wiring. */
const irqOf = (c: DeviceConfig): number => c.irq ?? (VIRT_PLACEMENTS[c.kind].irq as number);

/** The built-in kinds of the `virt` board (placements: virt/virt-board.ts). */
function builtinFactories(): Map<string, DeviceFactory> {
  const kinds = new Map<string, DeviceFactory>();
  kinds.set(Clint.KIND, (c, ctx) => new Clint({ base: baseOf(c), clock: ctx.clock, msip: ctx.hartIrq('msip'), mtip: ctx.hartIrq('mtip') }));
  kinds.set(Plic.KIND, (c, ctx) => new Plic({ base: baseOf(c), meip: ctx.hartIrq('meip'), seip: ctx.hartIrq('seip') }));
  kinds.set(
    Uart16550a.KIND,
    (c, ctx) =>
      new Uart16550a({
        base: baseOf(c),
        irq: ctx.irq(irqOf(c)),
        input: ctx.ports.consoleInput,
        output: ctx.ports.consoleOutput,
        receiveWhilePolled: setting<boolean>(c, 'receiveWhilePolled', false),
      }),
  );
  kinds.set(GoldfishRtc.KIND, (c, ctx) => new GoldfishRtc({ base: baseOf(c), irq: ctx.irq(irqOf(c)), clock: requirePort(ctx, 'clock', c.kind) }));
  kinds.set(SifiveTest.KIND, (c, ctx) => new SifiveTest({ base: baseOf(c), power: requirePort(ctx, 'power', c.kind) }));
  kinds.set(VIRTIO_MMIO_EMPTY_KIND, (c, ctx) => virtio(c, ctx, undefined));
  kinds.set(VirtioBlock.KIND, (c, ctx) => {
    const imageId = setting<string>(c, 'image');
    if (imageId === undefined || !ctx.image) throw new DeviceConfigError(`${c.kind}: needs settings.image and a context that resolves images`);
    const blockSize = setting<number>(c, 'blockSize', 4096);
    if (blockSize !== 512 && blockSize !== 4096) throw new DeviceConfigError(`${c.kind}: blockSize must be 512 or 4096`);
    const disk = new CowDisk({ base: ctx.image(imageId), blockSize: blockSize as CowBlockSize, imageId });
    return virtio(c, ctx, new VirtioBlock({ disk, readOnly: setting<boolean>(c, 'readOnly', false), serial: setting<string>(c, 'serial') }));
  });
  kinds.set(VirtioNet.KIND, (c, ctx) => virtio(c, ctx, new VirtioNet({ packets: requirePort(ctx, 'packets', c.kind), mac: setting<string>(c, 'mac') })));
  kinds.set(VirtioRng.KIND, (c, ctx) => virtio(c, ctx, new VirtioRng({ entropy: requirePort(ctx, 'entropy', c.kind) })));
  return kinds;
}
