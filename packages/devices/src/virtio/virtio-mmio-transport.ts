/**
 * Virtio over MMIO, version 2 (non-legacy), one slot of QEMU virt's eight.
 * Virtio 1.2, §4.2 "Virtio Over MMIO", register layout §4.2.2:
 * https://docs.oasis-open.org/virtio/virtio/v1.2/cs01/virtio-v1.2-cs01.html#x1-1650002
 * Device status (§2.1), feature negotiation (§2.2), reset (§2.4).
 *
 * A slot without a model answers device ID 0, which drivers skip. Queue work
 * happens synchronously inside the QueueNotify write (and in `service()` for
 * host-driven input), so it lands at an exact instruction count.
 */
import {
  DEVICE_SPECIFICATION_VERSION,
  DeviceStateError,
  expectState,
  lo32,
  sized,
  type AccessSize,
  type Device,
  type DeviceState,
  type IrqSource,
  type MmioRange,
} from '../device.js';
import type { CowDisk } from '../disk/cow-disk.js';
import type { FdtWriter } from '../fdt/fdt-writer.js';
import { FDT_LABEL_PLIC } from '../fdt/labels.js';
import type { GuestMemory } from '../ports.js';
import { featureBit, VIRTIO_F_INDIRECT_DESC, VIRTIO_F_VERSION_1, type VirtioDeviceModel, type VirtioQueueContext } from './virtio-device-model.js';
import { Virtqueue, VirtqueueError, type VirtqueueState } from './virtqueue.js';

/** Register offsets (§4.2.2). */
export const VIRTIO_MMIO_MAGIC_VALUE = 0x000;
export const VIRTIO_MMIO_VERSION = 0x004;
export const VIRTIO_MMIO_DEVICE_ID = 0x008;
export const VIRTIO_MMIO_VENDOR_ID = 0x00c;
export const VIRTIO_MMIO_DEVICE_FEATURES = 0x010;
export const VIRTIO_MMIO_DEVICE_FEATURES_SEL = 0x014;
export const VIRTIO_MMIO_DRIVER_FEATURES = 0x020;
export const VIRTIO_MMIO_DRIVER_FEATURES_SEL = 0x024;
export const VIRTIO_MMIO_QUEUE_SEL = 0x030;
export const VIRTIO_MMIO_QUEUE_NUM_MAX = 0x034;
export const VIRTIO_MMIO_QUEUE_NUM = 0x038;
export const VIRTIO_MMIO_QUEUE_READY = 0x044;
export const VIRTIO_MMIO_QUEUE_NOTIFY = 0x050;
export const VIRTIO_MMIO_INTERRUPT_STATUS = 0x060;
export const VIRTIO_MMIO_INTERRUPT_ACK = 0x064;
export const VIRTIO_MMIO_STATUS = 0x070;
export const VIRTIO_MMIO_QUEUE_DESC_LOW = 0x080;
export const VIRTIO_MMIO_QUEUE_DESC_HIGH = 0x084;
export const VIRTIO_MMIO_QUEUE_DRIVER_LOW = 0x090;
export const VIRTIO_MMIO_QUEUE_DRIVER_HIGH = 0x094;
export const VIRTIO_MMIO_QUEUE_DEVICE_LOW = 0x0a0;
export const VIRTIO_MMIO_QUEUE_DEVICE_HIGH = 0x0a4;
export const VIRTIO_MMIO_SHM_SEL = 0x0ac;
export const VIRTIO_MMIO_SHM_LEN_LOW = 0x0b0;
export const VIRTIO_MMIO_SHM_LEN_HIGH = 0x0b4;
export const VIRTIO_MMIO_SHM_BASE_LOW = 0x0b8;
export const VIRTIO_MMIO_SHM_BASE_HIGH = 0x0bc;
export const VIRTIO_MMIO_CONFIG_GENERATION = 0x0fc;
export const VIRTIO_MMIO_CONFIG = 0x100;

/** "virt" in little-endian ASCII. */
export const VIRTIO_MMIO_MAGIC = 0x74726976;
/** "prnr" in little-endian ASCII. */
export const VIRTIO_MMIO_VENDOR = 0x726e7270;

/** Device status bits (§2.1). */
export const VIRTIO_STATUS_ACKNOWLEDGE = 1;
export const VIRTIO_STATUS_DRIVER = 2;
export const VIRTIO_STATUS_DRIVER_OK = 4;
export const VIRTIO_STATUS_FEATURES_OK = 8;
export const VIRTIO_STATUS_DEVICE_NEEDS_RESET = 64;
export const VIRTIO_STATUS_FAILED = 128;

/** InterruptStatus bits (§4.2.2). */
export const VIRTIO_MMIO_INT_VRING = 1;
export const VIRTIO_MMIO_INT_CONFIG = 2;

/** QEMU virt placement: slot i at base + i * stride, PLIC source 1 + i. */
export const VIRTIO_MMIO_DEFAULT_BASE = 0x1000_1000;
export const VIRTIO_MMIO_STRIDE = 0x1000;
export const VIRTIO_MMIO_SIZE = 0x1000;
export const VIRTIO_MMIO_SLOTS = 8;
export const VIRTIO_MMIO_FIRST_IRQ = 1;

/** Features this transport implements for every model. */
const TRANSPORT_FEATURES = featureBit(VIRTIO_F_VERSION_1) | featureBit(VIRTIO_F_INDIRECT_DESC);

export interface VirtioMmioTransportOptions {
  base?: number;
  irq: IrqSource;
  /** Guest RAM, for the rings and buffers (DMA). */
  memory: GuestMemory;
  /** The device type behind this slot; none = an empty slot (device ID 0). */
  model?: VirtioDeviceModel;
}

export interface VirtioMmioState extends DeviceState {
  readonly version: 1;
  readonly status: number;
  readonly deviceFeaturesSel: number;
  readonly driverFeaturesSel: number;
  /** Driver features as [low word, high word]. */
  readonly driverFeatures: [number, number];
  readonly queueSel: number;
  readonly shmSel: number;
  readonly interruptStatus: number;
  readonly configGeneration: number;
  readonly queues: VirtqueueState[];
  readonly irq: boolean;
  /** The model's own state, with its own kind and version; null for an empty slot. */
  readonly model: DeviceState | null;
}

export const VIRTIO_MMIO_EMPTY_KIND = 'virtio-mmio-empty';

export class VirtioMmioTransport implements Device {
  static readonly VERSION = 1;
  readonly specificationVersion = DEVICE_SPECIFICATION_VERSION;
  /** The model's kind ("virtio-blk"), or "virtio-mmio-empty". */
  readonly kind: string;
  /** Version of the transport's behaviour and state; the model's version is in its own state. */
  readonly version = VirtioMmioTransport.VERSION;
  readonly mmio: MmioRange;
  readonly model: VirtioDeviceModel | undefined;
  private readonly irqLine: IrqSource;
  private readonly queues: Virtqueue[];
  private readonly ctx: VirtioQueueContext;
  private status = 0;
  private deviceFeaturesSel = 0;
  private driverFeaturesSel = 0;
  private driverFeatures = 0n;
  private queueSel = 0;
  private shmSel = 0;
  private interruptStatus = 0;
  private configGeneration = 0;
  private irq = false;

  constructor(options: VirtioMmioTransportOptions) {
    this.mmio = { base: options.base ?? VIRTIO_MMIO_DEFAULT_BASE, size: VIRTIO_MMIO_SIZE };
    this.irqLine = options.irq;
    this.model = options.model;
    this.kind = options.model?.kind ?? VIRTIO_MMIO_EMPTY_KIND;
    this.queues = (options.model?.queueSizes ?? []).map((n) => new Virtqueue(n, options.memory));
    // The context's getters have the context as their own `this`.
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    this.ctx = {
      queue: (i) => self.queues[i],
      get driverFeatures() {
        return self.driverFeatures;
      },
      usedBuffers: (i) => self.usedBuffers(i),
    };
  }

  /** The model's disks (see Device.disks). */
  get disks(): readonly CowDisk[] {
    return this.model?.disks ?? [];
  }

  /** All features offered: the model's and the transport's. */
  get deviceFeatures(): bigint {
    return this.model ? this.model.features | TRANSPORT_FEATURES : 0n;
  }

  read(offset: number, size: AccessSize): number | bigint {
    if (offset >= VIRTIO_MMIO_CONFIG) {
      const at = offset - VIRTIO_MMIO_CONFIG;
      if (size === 8) return BigInt(this.readConfig(at, 4)) | (BigInt(this.readConfig(at + 4, 4)) << 32n);
      return this.readConfig(at, size);
    }
    if (size !== 4) return sized(0, size);
    const q = this.queues[this.queueSel];
    switch (offset) {
      case VIRTIO_MMIO_MAGIC_VALUE:
        return VIRTIO_MMIO_MAGIC;
      case VIRTIO_MMIO_VERSION:
        return 2;
      case VIRTIO_MMIO_DEVICE_ID:
        return this.model?.deviceId ?? 0;
      case VIRTIO_MMIO_VENDOR_ID:
        return VIRTIO_MMIO_VENDOR;
      case VIRTIO_MMIO_DEVICE_FEATURES:
        return this.deviceFeaturesSel > 1 ? 0 : Number((this.deviceFeatures >> BigInt(32 * this.deviceFeaturesSel)) & 0xffff_ffffn);
      case VIRTIO_MMIO_QUEUE_NUM_MAX:
        return q?.maxSize ?? 0;
      case VIRTIO_MMIO_QUEUE_NUM:
        return q?.num ?? 0;
      case VIRTIO_MMIO_QUEUE_READY:
        return q?.ready ? 1 : 0;
      case VIRTIO_MMIO_INTERRUPT_STATUS:
        return this.interruptStatus;
      case VIRTIO_MMIO_STATUS:
        return this.status;
      case VIRTIO_MMIO_QUEUE_DESC_LOW:
        return q ? Number(q.desc & 0xffff_ffffn) : 0;
      case VIRTIO_MMIO_QUEUE_DESC_HIGH:
        return q ? Number(q.desc >> 32n) : 0;
      case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
        return q ? Number(q.driver & 0xffff_ffffn) : 0;
      case VIRTIO_MMIO_QUEUE_DRIVER_HIGH:
        return q ? Number(q.driver >> 32n) : 0;
      case VIRTIO_MMIO_QUEUE_DEVICE_LOW:
        return q ? Number(q.device & 0xffff_ffffn) : 0;
      case VIRTIO_MMIO_QUEUE_DEVICE_HIGH:
        return q ? Number(q.device >> 32n) : 0;
      case VIRTIO_MMIO_SHM_LEN_LOW:
      case VIRTIO_MMIO_SHM_LEN_HIGH:
      case VIRTIO_MMIO_SHM_BASE_LOW:
      case VIRTIO_MMIO_SHM_BASE_HIGH:
        return 0xffff_ffff; // no shared memory regions (length ~0 = "does not exist")
      case VIRTIO_MMIO_CONFIG_GENERATION:
        return this.configGeneration;
      default:
        return 0;
    }
  }

  write(offset: number, size: AccessSize, value: number | bigint): void {
    if (offset >= VIRTIO_MMIO_CONFIG) {
      if (size !== 8 && this.model?.writeConfig) this.model.writeConfig(offset - VIRTIO_MMIO_CONFIG, size, lo32(value));
      return;
    }
    if (size !== 4) return;
    const v = lo32(value);
    const q = this.queues[this.queueSel];
    switch (offset) {
      case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
        this.deviceFeaturesSel = v;
        break;
      case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
        this.driverFeaturesSel = v;
        break;
      case VIRTIO_MMIO_DRIVER_FEATURES:
        if (this.status & VIRTIO_STATUS_FEATURES_OK || this.driverFeaturesSel > 1) break;
        if (this.driverFeaturesSel === 0) this.driverFeatures = (this.driverFeatures & 0xffff_ffff_0000_0000n) | BigInt(v);
        else this.driverFeatures = (this.driverFeatures & 0xffff_ffffn) | (BigInt(v) << 32n);
        break;
      case VIRTIO_MMIO_QUEUE_SEL:
        this.queueSel = v;
        break;
      case VIRTIO_MMIO_QUEUE_NUM:
        if (q && !q.ready) q.num = v;
        break;
      case VIRTIO_MMIO_QUEUE_READY:
        if (!q) break;
        if (!(v & 1)) q.ready = false;
        else if (!q.ready) this.guard(() => q.enable());
        break;
      case VIRTIO_MMIO_QUEUE_NOTIFY:
        this.notify(v & 0xffff);
        break;
      case VIRTIO_MMIO_INTERRUPT_ACK:
        this.interruptStatus &= ~v;
        this.updateIrq();
        break;
      case VIRTIO_MMIO_STATUS:
        this.writeStatus(v & 0xff);
        break;
      case VIRTIO_MMIO_QUEUE_DESC_LOW:
        if (q && !q.ready) q.desc = setLow(q.desc, v);
        break;
      case VIRTIO_MMIO_QUEUE_DESC_HIGH:
        if (q && !q.ready) q.desc = setHigh(q.desc, v);
        break;
      case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
        if (q && !q.ready) q.driver = setLow(q.driver, v);
        break;
      case VIRTIO_MMIO_QUEUE_DRIVER_HIGH:
        if (q && !q.ready) q.driver = setHigh(q.driver, v);
        break;
      case VIRTIO_MMIO_QUEUE_DEVICE_LOW:
        if (q && !q.ready) q.device = setLow(q.device, v);
        break;
      case VIRTIO_MMIO_QUEUE_DEVICE_HIGH:
        if (q && !q.ready) q.device = setHigh(q.device, v);
        break;
      case VIRTIO_MMIO_SHM_SEL:
        this.shmSel = v;
        break;
    }
  }

  /** Lets the model pull host input (received frames). Only once the driver is up. */
  service(): void {
    if (!this.model?.service || !this.running()) return;
    const model = this.model;
    this.guard(() => model.service?.(this.ctx));
  }

  save(): VirtioMmioState {
    return {
      kind: this.kind,
      version: 1,
      status: this.status,
      deviceFeaturesSel: this.deviceFeaturesSel,
      driverFeaturesSel: this.driverFeaturesSel,
      driverFeatures: [Number(this.driverFeatures & 0xffff_ffffn), Number(this.driverFeatures >> 32n)],
      queueSel: this.queueSel,
      shmSel: this.shmSel,
      interruptStatus: this.interruptStatus,
      configGeneration: this.configGeneration,
      queues: this.queues.map((q) => q.save()),
      irq: this.irq,
      model: this.model ? this.model.save() : null,
    };
  }

  restore(state: DeviceState): void {
    const s = expectState<VirtioMmioState>(state, this.kind, VirtioMmioTransport.VERSION);
    if (s.queues.length !== this.queues.length) throw new DeviceStateError(`${this.kind}: state has ${s.queues.length} queues, device has ${this.queues.length}`);
    this.status = s.status;
    this.deviceFeaturesSel = s.deviceFeaturesSel;
    this.driverFeaturesSel = s.driverFeaturesSel;
    this.driverFeatures = BigInt(s.driverFeatures[0] >>> 0) | (BigInt(s.driverFeatures[1] >>> 0) << 32n);
    this.queueSel = s.queueSel;
    this.shmSel = s.shmSel;
    this.interruptStatus = s.interruptStatus;
    this.configGeneration = s.configGeneration;
    s.queues.forEach((qs, i) => this.queues[i].restore(qs));
    this.applyNegotiated();
    if (this.model) {
      if (!s.model) throw new DeviceStateError(`${this.kind}: state has no model state`);
      this.model.restore(s.model);
    }
    this.irq = s.irq;
    this.irqLine.set(this.irq);
  }

  fdt(w: FdtWriter): void {
    w.node(`/soc/virtio_mmio@${this.mmio.base.toString(16)}`)
      .u32('interrupts', this.irqLine.id)
      .u32('interrupt-parent', w.phandle(FDT_LABEL_PLIC))
      .reg([this.mmio.base, this.mmio.size])
      .string('compatible', 'virtio,mmio');
  }

  private running(): boolean {
    return (this.status & VIRTIO_STATUS_DRIVER_OK) !== 0 && (this.status & VIRTIO_STATUS_DEVICE_NEEDS_RESET) === 0;
  }

  private readConfig(offset: number, size: 1 | 2 | 4): number {
    if (!this.model) return 0;
    const cfg = this.model.configSpace();
    if (offset + size > cfg.length) return 0;
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = v * 256 + cfg[offset + i];
    return v;
  }

  private writeStatus(v: number): void {
    if (v === 0) {
      this.reset();
      return;
    }
    let next = v;
    if (next & VIRTIO_STATUS_FEATURES_OK && !(this.status & VIRTIO_STATUS_FEATURES_OK)) {
      // §2.2: accept only a subset of what was offered, and (non-legacy) VERSION_1 must be in it.
      const ok =
        (this.driverFeatures & ~this.deviceFeatures) === 0n && (this.driverFeatures & featureBit(VIRTIO_F_VERSION_1)) !== 0n;
      if (!ok) next &= ~VIRTIO_STATUS_FEATURES_OK;
    }
    // DEVICE_NEEDS_RESET belongs to the device: the driver can neither set nor clear it.
    this.status = (next & ~VIRTIO_STATUS_DEVICE_NEEDS_RESET) | (this.status & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
    this.applyNegotiated();
  }

  private applyNegotiated(): void {
    const indirect = (this.status & VIRTIO_STATUS_FEATURES_OK) !== 0 && (this.driverFeatures & featureBit(VIRTIO_F_INDIRECT_DESC)) !== 0n;
    for (const q of this.queues) q.indirect = indirect;
  }

  private reset(): void {
    this.status = 0;
    this.deviceFeaturesSel = 0;
    this.driverFeaturesSel = 0;
    this.driverFeatures = 0n;
    this.queueSel = 0;
    this.shmSel = 0;
    this.interruptStatus = 0;
    for (const q of this.queues) q.reset();
    this.model?.reset();
    this.updateIrq();
  }

  private notify(index: number): void {
    const q = this.queues[index];
    if (!this.model || !q || !q.ready || !this.running()) return;
    const model = this.model;
    this.guard(() => model.notify(this.ctx, index));
  }

  private usedBuffers(index: number): void {
    if (this.queues[index].wantsInterrupt()) {
      this.interruptStatus |= VIRTIO_MMIO_INT_VRING;
      this.updateIrq();
    }
  }

  /** Runs queue work; a malformed ring or a DMA fault sets DEVICE_NEEDS_RESET (§2.1.2) instead of crashing the machine. */
  private guard(work: () => void): void {
    try {
      work();
    } catch (e) {
      if (!(e instanceof VirtqueueError) && !(e instanceof RangeError)) throw e;
      this.status |= VIRTIO_STATUS_DEVICE_NEEDS_RESET;
      this.configGeneration = (this.configGeneration + 1) >>> 0;
      this.interruptStatus |= VIRTIO_MMIO_INT_CONFIG;
      this.updateIrq();
    }
  }

  private updateIrq(): void {
    const level = this.interruptStatus !== 0;
    if (level !== this.irq) {
      this.irq = level;
      this.irqLine.set(level);
    }
  }
}

function setLow(v: bigint, lo: number): bigint {
  return (v & 0xffff_ffff_0000_0000n) | BigInt(lo >>> 0);
}

function setHigh(v: bigint, hi: number): bigint {
  return (v & 0xffff_ffffn) | (BigInt(hi >>> 0) << 32n);
}
