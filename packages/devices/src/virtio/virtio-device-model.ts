/**
 * A virtio device type (block, net, rng, ...) as a small model behind the
 * VirtioMmioTransport. The transport owns registers, feature negotiation,
 * status, queues and the interrupt; the model owns its config space and what
 * happens to the chains of its queues.
 * Virtio 1.2, §5 "Device Types": https://docs.oasis-open.org/virtio/virtio/v1.2/cs01/virtio-v1.2-cs01.html#x1-2170005
 */
import type { DeviceState } from '../device.js';
import type { CowDisk } from '../disk/cow-disk.js';
import type { Virtqueue } from './virtqueue.js';

/** Device IDs (§5). */
export const VIRTIO_ID_NET = 1;
export const VIRTIO_ID_BLOCK = 2;
export const VIRTIO_ID_CONSOLE = 3;
export const VIRTIO_ID_RNG = 4;

/** Reserved (device-independent) feature bits (§6). */
export const VIRTIO_F_INDIRECT_DESC = 28;
export const VIRTIO_F_EVENT_IDX = 29;
export const VIRTIO_F_VERSION_1 = 32;

/** A feature bit number as a mask. */
export function featureBit(bit: number): bigint {
  return 1n << BigInt(bit);
}

/** What the transport lends a model while it handles a notification or a service call. */
export interface VirtioQueueContext {
  /** Queue `index` (its size is the driver's, its rings are in guest memory). */
  queue(index: number): Virtqueue;
  /** Features the driver accepted. */
  readonly driverFeatures: bigint;
  /** Chains were returned on queue `index`: interrupt the driver unless it opted out. */
  usedBuffers(index: number): void;
}

export interface VirtioDeviceModel {
  /** Kind of the whole device as listed in a board config ("virtio-blk"). */
  readonly kind: string;
  /** Version of the model's behaviour and state layout. */
  readonly version: number;
  /** §5 device ID. */
  readonly deviceId: number;
  /** Device-specific feature bits offered (the transport adds VERSION_1 and INDIRECT_DESC). */
  readonly features: bigint;
  /** Maximum size of each virtqueue, by queue index. */
  readonly queueSizes: readonly number[];
  /** The device-specific configuration space, little-endian, as it reads now. */
  configSpace(): Uint8Array;
  /** A driver write into the configuration space (most models ignore it). */
  writeConfig?(offset: number, size: 1 | 2 | 4, value: number): void;
  /** The driver notified queue `index` (only after DRIVER_OK, only for a ready queue). */
  notify(ctx: VirtioQueueContext, index: number): void;
  /** The board's periodic call (see Device.service), after DRIVER_OK only: pull from host ports. */
  service?(ctx: VirtioQueueContext): void;
  /** Device reset (status written 0): forget in-flight work. */
  reset(): void;
  save(): DeviceState;
  restore(state: DeviceState): void;
  /** Disks whose overlays are saved beside the model's state, not in it (see Device.disks). */
  readonly disks?: readonly CowDisk[];
}
