/**
 * Virtio entropy device model: one request queue; every device-writable buffer
 * the driver offers is filled from the EntropyPort.
 * Virtio 1.2, §5.4 "Entropy Device":
 * https://docs.oasis-open.org/virtio/virtio/v1.2/cs01/virtio-v1.2-cs01.html#x1-3050004
 */
import { expectState, type DeviceState } from '../device.js';
import type { EntropyPort } from '../ports.js';
import { VIRTIO_ID_RNG, type VirtioDeviceModel, type VirtioQueueContext } from './virtio-device-model.js';

export const VIRTIO_RNG_QUEUE_SIZE = 64;
/** Bytes handed out per request at most (a driver asking for more gets a short answer, which §5.4.6 allows). */
export const VIRTIO_RNG_MAX_REQUEST = 4096;

export interface VirtioRngOptions {
  entropy: EntropyPort;
}

export interface VirtioRngState extends DeviceState {
  readonly kind: 'virtio-rng';
  readonly version: 1;
}

export class VirtioRng implements VirtioDeviceModel {
  static readonly KIND = 'virtio-rng';
  static readonly VERSION = 1;
  readonly kind = VirtioRng.KIND;
  readonly version = VirtioRng.VERSION;
  readonly deviceId = VIRTIO_ID_RNG;
  readonly features = 0n;
  readonly queueSizes = [VIRTIO_RNG_QUEUE_SIZE];
  private readonly entropy: EntropyPort;
  private static readonly EMPTY_CONFIG = new Uint8Array(0);

  constructor(options: VirtioRngOptions) {
    this.entropy = options.entropy;
  }

  configSpace(): Uint8Array {
    return VirtioRng.EMPTY_CONFIG;
  }

  notify(ctx: VirtioQueueContext, index: number): void {
    if (index !== 0) return;
    const q = ctx.queue(0);
    let used = false;
    for (let chain = q.pop(); chain; chain = q.pop()) {
      const bytes = new Uint8Array(Math.min(chain.writableLength, VIRTIO_RNG_MAX_REQUEST));
      if (bytes.length > 0) this.entropy.fill(bytes);
      q.push(chain.head, q.scatter(chain, bytes));
      used = true;
    }
    if (used) ctx.usedBuffers(0);
  }

  reset(): void {}

  save(): VirtioRngState {
    return { kind: 'virtio-rng', version: 1 };
  }

  restore(state: DeviceState): void {
    expectState<VirtioRngState>(state, VirtioRng.KIND, VirtioRng.VERSION);
  }
}
