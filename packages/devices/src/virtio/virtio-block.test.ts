import { describe, expect, it } from 'vitest';
import { CowDisk } from '../disk/cow-disk.js';
import { FakeIrq, FakeMemory, sameBytes } from '../test-support/fakes.js';
import { Arena, driverOk, negotiate, VirtqDriver } from '../test-support/virtq-driver.js';
import {
  VirtioBlock,
  VIRTIO_BLK_F_FLUSH,
  VIRTIO_BLK_F_RO,
  VIRTIO_BLK_S_IOERR,
  VIRTIO_BLK_S_OK,
  VIRTIO_BLK_S_UNSUPP,
  VIRTIO_BLK_T_FLUSH,
  VIRTIO_BLK_T_GET_ID,
  VIRTIO_BLK_T_IN,
  VIRTIO_BLK_T_OUT,
  type VirtioBlockState,
} from './virtio-block.js';
import { featureBit } from './virtio-device-model.js';
import { VirtioMmioTransport, VIRTIO_MMIO_CONFIG } from './virtio-mmio-transport.js';

const RAM = 0x8000_0000;
const SECTORS = 64;

function baseImage(): Uint8Array {
  const b = new Uint8Array(SECTORS * 512);
  for (let s = 0; s < SECTORS; s++) b.fill(s, s * 512, (s + 1) * 512);
  return b;
}

function setup(options: { readOnly?: boolean; indirect?: boolean } = {}) {
  const base = baseImage();
  const pristine = base.slice();
  const mem = new FakeMemory(RAM, 1 << 20);
  const irq = new FakeIrq(1);
  const disk = new CowDisk({ base, blockSize: 512 });
  const blk = new VirtioBlock({ disk, readOnly: options.readOnly, serial: 'disk-7' });
  const dev = new VirtioMmioTransport({ irq, memory: mem, model: blk });
  const arena = new Arena(mem, RAM);
  const features = negotiate(dev);
  const q = new VirtqDriver(mem, dev, 0, 16, arena);
  q.setup();
  driverOk(dev);
  /** One request: header, optional data, status byte; returns the status byte and the chain. */
  const request = (type: number, sector: number, data: { out?: Uint8Array; inLen?: number }, indirect = options.indirect) => {
    const hdr = new Uint8Array(16);
    const dv = new DataView(hdr.buffer);
    dv.setUint32(0, type, true);
    dv.setBigUint64(8, BigInt(sector), true);
    const segs = [{ data: hdr }, ...(data.out ? [{ data: data.out }] : []), ...(data.inLen ? [{ len: data.inLen, write: true }] : []), { len: 1, write: true }];
    const chain = q.add(segs, { indirect });
    q.notify();
    const statusAddr = chain.addrs[chain.addrs.length - 1];
    return { status: mem.read(statusAddr, 1)[0], chain, used: q.takeUsed() };
  };
  return { base, pristine, mem, irq, disk, blk, dev, q, request, features };
}

describe('VirtioBlock', () => {
  it('reports capacity in 512-byte sectors and offers FLUSH (and RO when read-only)', () => {
    const { dev, features } = setup();
    expect(dev.read(VIRTIO_MMIO_CONFIG, 4)).toBe(SECTORS);
    expect(dev.read(VIRTIO_MMIO_CONFIG + 4, 4)).toBe(0);
    expect(dev.read(VIRTIO_MMIO_CONFIG, 8)).toBe(BigInt(SECTORS));
    expect(dev.read(VIRTIO_MMIO_CONFIG, 1)).toBe(SECTORS);
    expect(features & featureBit(VIRTIO_BLK_F_FLUSH)).not.toBe(0n);
    expect(features & featureBit(VIRTIO_BLK_F_RO)).toBe(0n);
    expect(setup({ readOnly: true }).features & featureBit(VIRTIO_BLK_F_RO)).not.toBe(0n);
  });

  it('reads sectors into guest memory', () => {
    const { request, mem, irq } = setup();
    const r = request(VIRTIO_BLK_T_IN, 3, { inLen: 1024 });
    expect(r.status).toBe(VIRTIO_BLK_S_OK);
    expect(r.used).toEqual([{ id: r.chain.head, len: 1025 }]);
    const data = mem.read(r.chain.addrs[1], 1024);
    expect(data[0]).toBe(3);
    expect(data[1023]).toBe(4);
    expect(irq.level).toBe(true);
  });

  it('writes go to the overlay, read back, and leave the base image untouched', () => {
    const { request, mem, base, pristine, disk } = setup();
    const payload = new Uint8Array(512).fill(0xee);
    expect(request(VIRTIO_BLK_T_OUT, 5, { out: payload }).status).toBe(VIRTIO_BLK_S_OK);
    expect(sameBytes(base, pristine)).toBe(true);
    expect(disk.dirtyBlocks()).toEqual([5]);
    const r = request(VIRTIO_BLK_T_IN, 4, { inLen: 1024 });
    const data = mem.read(r.chain.addrs[1], 1024);
    expect(data[511]).toBe(4);
    expect(data[512]).toBe(0xee);
  });

  it('handles requests through indirect descriptors', () => {
    const { request, mem } = setup({ indirect: true });
    const r = request(VIRTIO_BLK_T_IN, 7, { inLen: 512 });
    expect(r.status).toBe(VIRTIO_BLK_S_OK);
    expect(mem.read(r.chain.addrs[1], 1)[0]).toBe(7);
  });

  it('answers FLUSH, GET_ID, and UNSUPP for unknown types', () => {
    const { request, mem } = setup();
    expect(request(VIRTIO_BLK_T_FLUSH, 0, {}).status).toBe(VIRTIO_BLK_S_OK);
    const id = request(VIRTIO_BLK_T_GET_ID, 0, { inLen: 20 });
    expect(id.status).toBe(VIRTIO_BLK_S_OK);
    expect(new TextDecoder().decode(mem.read(id.chain.addrs[1], 6))).toBe('disk-7');
    expect(mem.read(id.chain.addrs[1] + 6, 1)[0]).toBe(0);
    expect(request(11 /* DISCARD, not offered */, 0, { out: new Uint8Array(16) }).status).toBe(VIRTIO_BLK_S_UNSUPP);
  });

  it('fails requests beyond the end, of partial sectors, or writes to a read-only disk', () => {
    expect(setup().request(VIRTIO_BLK_T_IN, SECTORS - 1, { inLen: 1024 }).status).toBe(VIRTIO_BLK_S_IOERR);
    expect(setup().request(VIRTIO_BLK_T_IN, 0, { inLen: 100 }).status).toBe(VIRTIO_BLK_S_IOERR);
    const ro = setup({ readOnly: true });
    expect(ro.request(VIRTIO_BLK_T_OUT, 0, { out: new Uint8Array(512) }).status).toBe(VIRTIO_BLK_S_IOERR);
    expect(ro.disk.overlayBlockCount).toBe(0);
  });

  it('round-trips transport and model state; the overlay travels beside it, through `disks`', () => {
    const a = setup();
    a.request(VIRTIO_BLK_T_OUT, 9, { out: new Uint8Array(1024).fill(0x5a) });
    const saved = a.dev.save();
    // The device's state holds the disk's layout only: its overlay goes into snapshots block by block.
    expect((saved.model as unknown as VirtioBlockState).disk).toEqual({ blockSize: a.disk.blockSize, size: a.disk.size, imageId: a.disk.imageId, blocks: [] });
    expect(a.dev.disks).toEqual([a.disk]);
    const overlay = a.dev.disks[0].save();
    expect(overlay.blocks).toHaveLength(2);
    const b = setup();
    b.dev.restore(structuredClone(saved));
    expect(b.dev.save()).toEqual(saved);
    expect(b.disk.overlayBlockCount).toBe(0); // restore() leaves the overlay to the board
    b.dev.disks[0].restore(structuredClone(overlay));
    expect(b.disk.read(9 * 512, 2)).toEqual(Uint8Array.of(0x5a, 0x5a));
    expect(sameBytes(b.base, b.pristine)).toBe(true);
  });

  it('refuses the state of another disk', () => {
    const a = setup();
    const saved = a.dev.save();
    const model = saved.model as unknown as VirtioBlockState;
    const other = { ...saved, model: { ...model, disk: { ...model.disk, imageId: 'another-image' } } };
    expect(() => setup().dev.restore(other)).toThrow(/disk state is for image another-image/);
  });
});
