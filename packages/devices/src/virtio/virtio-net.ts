/**
 * Virtio network device model: receive queue 0, transmit queue 1, no offloads,
 * no control queue, no mergeable buffers.
 * Virtio 1.2, §5.1 "Network Device":
 * https://docs.oasis-open.org/virtio/virtio/v1.2/cs01/virtio-v1.2-cs01.html#x1-2170001
 *
 * Every frame is preceded in its buffer by a 12-byte struct virtio_net_hdr
 * (with num_buffers, as VERSION_1 requires, §5.1.6). Transmitted frames go to
 * the PacketPort when the driver notifies queue 1. Received frames are pulled
 * from the port in `service()`, one per available receive buffer, so a port
 * is only asked when the guest has room.
 */
import { expectState, type DeviceState } from '../device.js';
import type { PacketPort } from '../ports.js';
import { featureBit, VIRTIO_ID_NET, type VirtioDeviceModel, type VirtioQueueContext } from './virtio-device-model.js';

/** Feature bits (§5.1.3). */
export const VIRTIO_NET_F_MAC = 5;
export const VIRTIO_NET_F_STATUS = 16;
/** Config space (struct virtio_net_config): mac[6] at 0, status u16 at 6. */
export const VIRTIO_NET_CFG_MAC = 0;
export const VIRTIO_NET_CFG_STATUS = 6;
export const VIRTIO_NET_S_LINK_UP = 1;
const CONFIG_SIZE = 12;
/** struct virtio_net_hdr with num_buffers: flags u8, gso_type u8, hdr_len u16, gso_size u16, csum_start u16, csum_offset u16, num_buffers u16. */
export const VIRTIO_NET_HDR_SIZE = 12;
const HDR_NUM_BUFFERS = 10;
export const VIRTIO_NET_RX_QUEUE = 0;
export const VIRTIO_NET_TX_QUEUE = 1;
export const VIRTIO_NET_QUEUE_SIZE = 256;
/** QEMU's default MAC. */
export const VIRTIO_NET_DEFAULT_MAC = '52:54:00:12:34:56';

export interface VirtioNetOptions {
  packets: PacketPort;
  /** "52:54:00:12:34:56" or 6 bytes. */
  mac?: string | Uint8Array;
}

export interface VirtioNetState extends DeviceState {
  readonly kind: 'virtio-net';
  readonly version: 1;
}

export class VirtioNet implements VirtioDeviceModel {
  static readonly KIND = 'virtio-net';
  static readonly VERSION = 1;
  readonly kind = VirtioNet.KIND;
  readonly version = VirtioNet.VERSION;
  readonly deviceId = VIRTIO_ID_NET;
  readonly features = featureBit(VIRTIO_NET_F_MAC) | featureBit(VIRTIO_NET_F_STATUS);
  readonly queueSizes = [VIRTIO_NET_QUEUE_SIZE, VIRTIO_NET_QUEUE_SIZE];
  readonly mac: Uint8Array;
  private readonly packets: PacketPort;
  private readonly config: Uint8Array;

  constructor(options: VirtioNetOptions) {
    this.packets = options.packets;
    this.mac = parseMac(options.mac ?? VIRTIO_NET_DEFAULT_MAC);
    this.config = new Uint8Array(CONFIG_SIZE);
    this.config.set(this.mac, VIRTIO_NET_CFG_MAC);
    new DataView(this.config.buffer).setUint16(VIRTIO_NET_CFG_STATUS, VIRTIO_NET_S_LINK_UP, true);
  }

  configSpace(): Uint8Array {
    return this.config;
  }

  notify(ctx: VirtioQueueContext, index: number): void {
    if (index !== VIRTIO_NET_TX_QUEUE) return; // new receive buffers are used by the next service()
    const q = ctx.queue(VIRTIO_NET_TX_QUEUE);
    let used = false;
    for (let chain = q.pop(); chain; chain = q.pop()) {
      const bytes = q.gather(chain);
      if (bytes.length > VIRTIO_NET_HDR_SIZE) this.packets.send(bytes.subarray(VIRTIO_NET_HDR_SIZE));
      q.push(chain.head, 0);
      used = true;
    }
    if (used) ctx.usedBuffers(VIRTIO_NET_TX_QUEUE);
  }

  /** Moves waiting frames from the port into the guest's receive buffers. */
  service(ctx: VirtioQueueContext): void {
    const q = ctx.queue(VIRTIO_NET_RX_QUEUE);
    let used = false;
    while (q.hasAvailable()) {
      const frame = this.packets.receive();
      if (!frame) break;
      const chain = q.pop();
      if (!chain) break;
      const buf = new Uint8Array(VIRTIO_NET_HDR_SIZE + frame.length);
      new DataView(buf.buffer).setUint16(HDR_NUM_BUFFERS, 1, true);
      buf.set(frame, VIRTIO_NET_HDR_SIZE);
      // A frame larger than the buffer is dropped; the buffer goes back empty (the driver counts a length error).
      q.push(chain.head, buf.length <= chain.writableLength ? q.scatter(chain, buf) : 0);
      used = true;
    }
    if (used) ctx.usedBuffers(VIRTIO_NET_RX_QUEUE);
  }

  reset(): void {}

  save(): VirtioNetState {
    return { kind: 'virtio-net', version: 1 };
  }

  restore(state: DeviceState): void {
    expectState<VirtioNetState>(state, VirtioNet.KIND, VirtioNet.VERSION);
  }
}

export function parseMac(mac: string | Uint8Array): Uint8Array {
  if (typeof mac !== 'string') {
    if (mac.length !== 6) throw new RangeError('a MAC address has 6 bytes');
    return Uint8Array.from(mac);
  }
  const parts = mac.split(':');
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{2}$/.test(p))) throw new RangeError(`bad MAC address '${mac}'`);
  return Uint8Array.from(parts.map((p) => parseInt(p, 16)));
}
