import { describe, expect, it } from 'vitest';
import { DeviceStateError } from '../device.js';
import { sameBytes } from '../test-support/fakes.js';
import { CowDisk } from './cow-disk.js';

function image(size: number): Uint8Array {
  const b = new Uint8Array(size);
  for (let i = 0; i < size; i++) b[i] = (i * 7 + 3) & 0xff;
  return b;
}

describe('CowDisk', () => {
  it('reads the base until written; writes never touch the base', () => {
    const base = image(64 * 1024);
    const pristine = base.slice();
    const disk = new CowDisk({ base });
    expect(disk.read(100, 10)).toEqual(base.subarray(100, 110));
    disk.write(4090, Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])); // spans blocks 0 and 1
    expect(sameBytes(base, pristine)).toBe(true);
    const got = disk.read(4088, 14);
    expect(Array.from(got)).toEqual([pristine[4088], pristine[4089], 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, pristine[4100], pristine[4101]]);
    expect(disk.overlayBlockCount).toBe(2);
    // A partially written block keeps the rest of its base contents.
    expect(sameBytes(disk.read(0, 4090), pristine.subarray(0, 4090))).toBe(true);
  });

  it('tracks blocks dirtied since the last clearDirty()', () => {
    const disk = new CowDisk({ base: image(32 * 512), blockSize: 512 });
    disk.write(512 * 3, new Uint8Array(512));
    disk.write(512 * 1 + 5, new Uint8Array(1));
    expect(disk.dirtyBlocks()).toEqual([1, 3]);
    disk.clearDirty();
    expect(disk.dirtyBlocks()).toEqual([]);
    disk.write(512 * 3, new Uint8Array(1));
    expect(disk.dirtyBlocks()).toEqual([3]);
    expect(disk.block(3)?.length).toBe(512);
    expect(disk.block(4)).toBeUndefined();
  });

  it('rejects accesses outside the disk and images not a multiple of 512', () => {
    const disk = new CowDisk({ base: image(1024) });
    expect(() => disk.read(1000, 100)).toThrow(RangeError);
    expect(() => disk.write(-1, new Uint8Array(1))).toThrow(RangeError);
    expect(() => new CowDisk({ base: new Uint8Array(100) })).toThrow(RangeError);
  });

  it('round-trips its overlay; restore checks geometry and image id', () => {
    const base = image(16 * 4096);
    const a = new CowDisk({ base, imageId: 'sha256:abc' });
    a.write(5000, Uint8Array.from([9, 9, 9]));
    a.write(60000, Uint8Array.from([8]));
    const saved = a.save();
    expect(saved.blocks.map((b) => b.index)).toEqual([1, 14]);
    const b = new CowDisk({ base, imageId: 'sha256:abc' });
    b.restore(structuredClone(saved));
    expect(b.save()).toEqual(saved);
    expect(b.dirtyBlocks()).toEqual([]);
    expect(sameBytes(b.read(0, base.length), a.read(0, base.length))).toBe(true);
    // The restored overlay is a copy: writing one does not change the saved state.
    b.write(5000, Uint8Array.from([1]));
    expect(saved.blocks[0].data[5000 - 4096]).toBe(9);
    expect(() => new CowDisk({ base, imageId: 'other' }).restore(saved)).toThrow(DeviceStateError);
    expect(() => new CowDisk({ base, blockSize: 512, imageId: 'sha256:abc' }).restore(saved)).toThrow(DeviceStateError);
  });
});
