/**
 * The `virt` machine: one hart, RAM at 0x80000000 and the devices of a board
 * config, wired as QEMU's virt board; boot by OpenSBI fw_jump; and the run
 * loop, which is deterministic: every device call happens at a step count
 * that depends only on the machine's state, never on the host.
 */
import { Hart, Ram } from '@prnr/cpu';
import type { HartState } from '@prnr/cpu';
import {
  Clint,
  type CowDisk,
  Plic,
  buildVirtFdt,
  createDeviceRegistry,
  describeDevicePlugin,
  DeviceModuleError,
  VIRT_DRAM_BASE,
  type Device,
  type DeviceConfig,
  type DeviceContext,
  type DeviceRegistry,
  type BoardConfig,
  virtBuildOrder,
  type CowBlock,
  type DeviceState,
  type HostPorts,
  type PowerRequest,
} from '@prnr/devices';
import { BoardConfigError, checkRamSize, hartVersionOf } from './board-config-error.js';
import { checkDeviceWindows, IrqAssignments } from './board-layout.js';
import { MmioBus } from './mmio-bus.js';
import { VirtualTime } from './virtual-time.js';

/** Bytes the machine boots, resolved from the config's hashes by the caller. */
export interface MachineImages {
  firmware: Uint8Array;
  kernel: Uint8Array;
  initrd?: Uint8Array;
  /** Disk images by sha256. */
  disks?: Record<string, Uint8Array>;
}

/**
 * The host side. Output ports are required; input ports default to "nothing arrives".
 * `devicePorts[i]`: ports only device i of the board config sees (a device plugin's, by the names it declared).
 */
export type MachinePorts = Partial<HostPorts> & { devicePorts?: Readonly<Record<number, Readonly<Record<string, unknown>>>> } & Record<string, unknown>;

/**
 * Why run() returned. `idle`: the hart waits in WFI; `wakeAt` is the mtime of the next timer (null: none).
 * `limit`: at the limit, or before it where a debugger stopped the hart.
 */
export type RunResult = { reason: 'limit' } | { reason: 'halt'; power: PowerRequest } | { reason: 'idle'; wakeAt: bigint | null };

export const KERNEL_OFFSET = 0x200000;

export class VirtMachine {
  readonly hart: Hart;
  readonly ram: Ram;
  readonly devices: Device[];
  /** The devices' copy-on-write disks (Device.disks), in device order: their overlays are saved beside saveMeta(). */
  readonly disks: readonly CowDisk[];
  readonly clock: VirtualTime;
  /** Set when the guest asked to power off, fail or reset; the machine stops there. */
  power: PowerRequest | null = null;
  private readonly clint: Clint | undefined;
  private readonly images: MachineImages;
  private nextService: number;

  constructor(readonly config: BoardConfig, images: MachineImages, ports: MachinePorts, registry: DeviceRegistry = createDeviceRegistry()) {
    checkRamSize(config.ramSize);
    const behaviourVersion = hartVersionOf(config); // before any memory is taken
    this.ram = new Ram(VIRT_DRAM_BASE, config.ramSize);
    const bus = new MmioBus(this.ram, []);
    this.hart = new Hart(bus, { readTime: () => this.clock.mtime(), behaviourVersion });
    this.clock = new VirtualTime(this.hart, config.stepsPerTick);
    this.images = images;
    let plic: Plic | undefined;
    const power = {
      request: (req: PowerRequest) => {
        this.power = req;
        this.hart.requestStop();
      },
    };
    // Who is being built, so that the PLIC source a device asks for is checked against the others'.
    let building = -1;
    const irqs = new IrqAssignments();
    const nameOf = (c: DeviceConfig) => {
      const plugin = registry.plugin(c.kind);
      return plugin ? describeDevicePlugin(plugin) : c.kind;
    };
    const ctx: DeviceContext = {
      irq: (id) => {
        if (!plic) throw new Error('the board config has no plic, but a device needs an interrupt');
        irqs.claim(id, building, nameOf(config.devices[building]));
        return plic.source(id);
      },
      hartIrq: (name) => ({ set: (level: boolean) => this.hart.setIrq(name, level) }),
      memory: this.ram,
      clock: this.clock,
      ports: { power, ...ports },
      image: (id) => {
        const d = images.disks?.[id];
        if (!d) throw new Error(`disk image ${id} is not available`);
        return d;
      },
    };
    // In the board's build order (virt-board.ts); `devices` keeps the config's order.
    const made = new Map<DeviceConfig, Device>();
    for (const c of virtBuildOrder(config.devices)) {
      building = config.devices.indexOf(c);
      const own = ports.devicePorts?.[building];
      const d = registry.create(c, own ? { ...ctx, ports: { ...ctx.ports, ...own } } : ctx);
      if (d instanceof Plic) plic = d;
      made.set(c, d);
    }
    this.devices = config.devices.map((c) => made.get(c)!);
    checkDeviceWindows(this.devices.map((device, i) => ({ device, name: nameOf(config.devices[i]), added: registry.plugin(config.devices[i].kind) !== undefined })), config.ramSize);
    this.disks = this.devices.flatMap((d) => d.disks ?? []);
    bus.reset(this.devices);
    this.clint = this.devices.find((d): d is Clint => d instanceof Clint);
    // A double from the first store: it passes 2^30, and widening a small-integer field mid-run
    // deoptimizes run() (see NOT_SMI in @prnr/cpu's hart.ts).
    this.nextService = 0.5;
    this.nextService = config.serviceQuantum;
  }

  /** Power-on: place firmware, kernel, initrd and device tree; the hart starts in M-mode at 0x80000000. */
  boot(): void {
    const { ram, config, images } = this;
    const end = VIRT_DRAM_BASE + config.ramSize;
    ram.write(VIRT_DRAM_BASE, images.firmware);
    const kernelAt = VIRT_DRAM_BASE + KERNEL_OFFSET;
    if (kernelAt + images.kernel.length > end) throw new BoardConfigError(`the kernel (${images.kernel.length} bytes) does not fit in ${config.ramSize / 1048576} MiB of RAM`);
    ram.write(kernelAt, images.kernel);
    let initrd: { start: number; end: number } | undefined;
    if (images.initrd) {
      // As QEMU: far enough above the kernel that its decompression and bss never reach it.
      const start = kernelAt + Math.min(config.ramSize / 2, 128 * 1024 * 1024);
      if (start + images.initrd.length > end - 2 * 1024 * 1024) throw new BoardConfigError(`the initrd (${images.initrd.length} bytes) does not fit in ${config.ramSize / 1048576} MiB of RAM`);
      ram.write(start, images.initrd);
      initrd = { start, end: start + images.initrd.length };
    }
    const dtb = buildVirtFdt({ devices: this.devices, memory: { base: VIRT_DRAM_BASE, size: config.ramSize }, bootargs: config.cmdline, initrd, extraSpace: 64 * 1024 });
    // In the last 2 MiB of RAM, with room after it: OpenSBI edits the tree in place.
    const dtbAt = end - 2 * 1024 * 1024;
    ram.write(dtbAt, dtb);
    this.hart.pc = BigInt(VIRT_DRAM_BASE);
    this.hart.setX(10, 0n); // a0: hart id
    this.hart.setX(11, BigInt(dtbAt)); // a1: device tree
  }

  /**
   * Run until the step count reaches `limit`, the guest powers off, or the hart
   * idles. Devices are serviced at every multiple of the service quantum and
   * at each timer deadline.
   */
  run(limit: number): RunResult {
    try {
      return this.runDevices(limit);
    } catch (e) {
      throw this.placed(e);
    }
  }

  /** A device module's failure, with the instruction count it happened at (the hart stands there: an access sets it first). */
  private placed(e: unknown): unknown {
    return e instanceof DeviceModuleError ? e.at(this.hart.icount) : e;
  }

  private runDevices(limit: number): RunResult {
    const hart = this.hart;
    while (this.power === null) {
      if (hart.icount >= limit) return { reason: 'limit' };
      let next = Math.min(limit, this.nextService);
      const deadline = this.clint?.nextDeadline() ?? null;
      if (deadline !== null) {
        const at = this.clock.stepAt(deadline);
        if (at <= hart.icount) {
          this.clint!.service();
          continue;
        }
        next = Math.min(next, at);
      }
      const r = hart.run(next);
      if (hart.icount >= this.nextService) {
        this.serviceAll();
        this.nextService = (Math.floor(hart.icount / this.config.serviceQuantum) + 1) * this.config.serviceQuantum;
      }
      // Stopped early with no power request: a debugger's breakpoint or watchpoint (Hart.watchFetches).
      if (r === 'stop' && this.power === null) return { reason: 'limit' };
      if (r === 'wfi') {
        this.serviceAll(); // input may be waiting: it could wake the hart
        if ((hart.mip & hart.mie) !== 0) continue;
        return { reason: 'idle', wakeAt: this.clint?.nextDeadline() ?? null };
      }
    }
    return { reason: 'halt', power: this.power };
  }

  /** While idle: let virtual time jump forward to `mtime` (the next deadline, or when outside input came). */
  advanceIdle(mtime: bigint): void {
    const now = this.clock.mtime();
    if (mtime > now) this.clock.idleTicks += mtime - now;
    try {
      this.serviceAll();
    } catch (e) {
      throw this.placed(e);
    }
  }

  serviceAll(): void {
    for (const d of this.devices) d.service?.();
  }

  /**
   * Everything but RAM and disk overlays, as plain versioned data: hart, every
   * device's save() (which leaves its disks' overlays out: snapshots store
   * them block by block, from `disks`), and the run loop's position-derived state.
   */
  saveMeta(): MachineMeta {
    return { version: MACHINE_META_VERSION, hart: this.hart.state(), devices: this.devices.map((d) => d.save()), idleTicks: this.clock.idleTicks, nextService: this.nextService };
  }

  /** The inverse of saveMeta(), given each disk's overlay blocks (in `disks` order); RAM is restored by the caller. */
  restoreMeta(meta: MachineMeta, overlays: readonly (readonly CowBlock[])[]): void {
    if (meta.version !== MACHINE_META_VERSION) throw new Error(`machine state version ${meta.version} is not supported (this prnr reads version ${MACHINE_META_VERSION})`);
    if (meta.devices.length !== this.devices.length) throw new Error(`machine state has ${meta.devices.length} devices, the board has ${this.devices.length}`);
    if (overlays.length !== this.disks.length) throw new Error(`machine state has ${overlays.length} disk overlays, the board has ${this.disks.length} disks`);
    this.devices.forEach((d, i) => d.restore(meta.devices[i]));
    this.disks.forEach((disk, i) => disk.restore({ ...disk.layout(), blocks: [...overlays[i]] }));
    this.hart.restore(meta.hart);
    this.clock.idleTicks = meta.idleTicks;
    this.nextService = meta.nextService;
    this.power = null;
  }
}

export const MACHINE_META_VERSION = 1;

/** The machine's state apart from RAM and disk overlays (see saveMeta). */
export interface MachineMeta {
  version: number;
  hart: HartState;
  devices: DeviceState[];
  idleTicks: bigint;
  nextService: number;
}

