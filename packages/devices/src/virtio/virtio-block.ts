/**
 * Virtio block device model: one request queue over a CowDisk.
 * Virtio 1.2, §5.2 "Block Device":
 * https://docs.oasis-open.org/virtio/virtio/v1.2/cs01/virtio-v1.2-cs01.html#x1-2390002
 *
 * Request (§5.2.6): header { type u32, reserved u32, sector u64 } (readable),
 * data (readable for OUT, writable for IN / GET_ID), status u8 (last writable byte).
 * Supported: IN, OUT, FLUSH, GET_ID. Sectors are 512 bytes.
 */
import { DeviceStateError, expectState, type DeviceState } from '../device.js';
import type { CowDisk, CowDiskState } from '../disk/cow-disk.js';
import { featureBit, VIRTIO_ID_BLOCK, type VirtioDeviceModel, type VirtioQueueContext } from './virtio-device-model.js';
import { VirtqueueError } from './virtqueue.js';

/** Feature bits (§5.2.3). */
export const VIRTIO_BLK_F_SEG_MAX = 2;
export const VIRTIO_BLK_F_RO = 5;
export const VIRTIO_BLK_F_FLUSH = 9;
/** Request types (§5.2.6). */
export const VIRTIO_BLK_T_IN = 0;
export const VIRTIO_BLK_T_OUT = 1;
export const VIRTIO_BLK_T_FLUSH = 4;
export const VIRTIO_BLK_T_GET_ID = 8;
/** Status values. */
export const VIRTIO_BLK_S_OK = 0;
export const VIRTIO_BLK_S_IOERR = 1;
export const VIRTIO_BLK_S_UNSUPP = 2;
/** Config space offsets (struct virtio_blk_config). */
export const VIRTIO_BLK_CFG_CAPACITY = 0;
export const VIRTIO_BLK_CFG_SEG_MAX = 12;
const CONFIG_SIZE = 60;
export const VIRTIO_BLK_SECTOR_SIZE = 512;
export const VIRTIO_BLK_ID_BYTES = 20;
const HEADER_SIZE = 16;
export const VIRTIO_BLK_QUEUE_SIZE = 256;

export interface VirtioBlockOptions {
  disk: CowDisk;
  /** Refuse writes and advertise VIRTIO_BLK_F_RO. Default false. */
  readOnly?: boolean;
  /** The GET_ID answer (at most 20 bytes of ASCII). Default "prnr-disk". */
  serial?: string;
}

/**
 * The device's state. `disk` is the disk's layout only (its `blocks` are
 * empty): the overlay is saved and restored through `disks`, by the board.
 */
export interface VirtioBlockState extends DeviceState {
  readonly kind: 'virtio-blk';
  readonly version: 1;
  readonly disk: CowDiskState;
}

export class VirtioBlock implements VirtioDeviceModel {
  static readonly KIND = 'virtio-blk';
  static readonly VERSION = 1;
  readonly kind = VirtioBlock.KIND;
  readonly version = VirtioBlock.VERSION;
  readonly deviceId = VIRTIO_ID_BLOCK;
  readonly features: bigint;
  readonly queueSizes = [VIRTIO_BLK_QUEUE_SIZE];
  readonly disk: CowDisk;
  /** The disk whose overlay the board saves and restores beside this model's state. */
  readonly disks: readonly CowDisk[];
  readonly readOnly: boolean;
  private readonly id: Uint8Array;
  private readonly config: Uint8Array;

  constructor(options: VirtioBlockOptions) {
    this.disk = options.disk;
    this.disks = [options.disk];
    this.readOnly = options.readOnly ?? false;
    this.features = featureBit(VIRTIO_BLK_F_SEG_MAX) | featureBit(VIRTIO_BLK_F_FLUSH) | (this.readOnly ? featureBit(VIRTIO_BLK_F_RO) : 0n);
    this.id = new Uint8Array(VIRTIO_BLK_ID_BYTES);
    const serial = new TextEncoder().encode(options.serial ?? 'prnr-disk');
    if (serial.length > VIRTIO_BLK_ID_BYTES) throw new RangeError(`virtio-blk serial is longer than ${VIRTIO_BLK_ID_BYTES} bytes`);
    this.id.set(serial);
    this.config = new Uint8Array(CONFIG_SIZE);
    const dv = new DataView(this.config.buffer);
    dv.setBigUint64(VIRTIO_BLK_CFG_CAPACITY, BigInt(this.disk.size / VIRTIO_BLK_SECTOR_SIZE), true);
    // Header and status take two descriptors of the queue.
    dv.setUint32(VIRTIO_BLK_CFG_SEG_MAX, VIRTIO_BLK_QUEUE_SIZE - 2, true);
  }

  configSpace(): Uint8Array {
    return this.config;
  }

  notify(ctx: VirtioQueueContext, index: number): void {
    if (index !== 0) return;
    const q = ctx.queue(0);
    let used = false;
    for (let chain = q.pop(); chain; chain = q.pop()) {
      if (chain.readableLength < HEADER_SIZE || chain.writableLength < 1) throw new VirtqueueError('virtio-blk request without header or status byte');
      const hdr = q.gather(chain, HEADER_SIZE);
      const hv = new DataView(hdr.buffer);
      const type = hv.getUint32(0, true);
      const offset = Number(hv.getBigUint64(8, true)) * VIRTIO_BLK_SECTOR_SIZE;
      const inLen = chain.writableLength - 1;
      const outLen = chain.readableLength - HEADER_SIZE;
      let status = VIRTIO_BLK_S_OK;
      let written = 0;
      switch (type) {
        case VIRTIO_BLK_T_IN:
          if (!this.inRange(offset, inLen)) status = VIRTIO_BLK_S_IOERR;
          else written = q.scatter(chain, this.disk.read(offset, inLen));
          break;
        case VIRTIO_BLK_T_OUT:
          if (this.readOnly || !this.inRange(offset, outLen)) status = VIRTIO_BLK_S_IOERR;
          else this.disk.write(offset, q.gather(chain).subarray(HEADER_SIZE));
          break;
        case VIRTIO_BLK_T_FLUSH:
          break; // the overlay lives in memory: nothing to flush
        case VIRTIO_BLK_T_GET_ID:
          written = q.scatter(chain, this.id.subarray(0, Math.min(VIRTIO_BLK_ID_BYTES, inLen)));
          break;
        default:
          status = VIRTIO_BLK_S_UNSUPP;
      }
      q.scatter(chain, Uint8Array.of(status), inLen);
      q.push(chain.head, written + 1);
      used = true;
    }
    if (used) ctx.usedBuffers(0);
  }

  reset(): void {
    // Requests complete synchronously: nothing is in flight.
  }

  /** The overlay is left out (see VirtioBlockState). */
  save(): VirtioBlockState {
    return { kind: 'virtio-blk', version: 1, disk: this.disk.layout() };
  }

  /** Checks the state is of this disk; leaves the overlay as it is (the board restores it). */
  restore(state: DeviceState): void {
    const s = expectState<VirtioBlockState>(state, VirtioBlock.KIND, VirtioBlock.VERSION);
    if (!s.disk) throw new DeviceStateError('virtio-blk: state has no disk');
    this.disk.checkLayout(s.disk);
  }

  private inRange(offset: number, len: number): boolean {
    return len % VIRTIO_BLK_SECTOR_SIZE === 0 && offset + len <= this.disk.size && Number.isSafeInteger(offset);
  }
}
