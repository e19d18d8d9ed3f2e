/** The board and the bytes to boot it with, from a guest image set: what `prnr run` and `prnr record` start from. */
import { createHash } from 'node:crypto';
import { defaultBoardConfig, type BoardConfig } from '@prnr/devices';
import type { GuestImageSet } from './guest-images.js';
import type { MachineImages } from './virt-machine.js';

export interface GuestBoardOptions {
  memMiB?: number;
  /** A disk image to use instead of the image set's own. */
  disk?: Uint8Array;
  /** Replaces the image set's kernel command line. */
  cmdline?: string;
  /** Add virtio-net (the machine then needs a packet port). */
  network?: boolean;
}

export function guestBoard(set: GuestImageSet, o: GuestBoardOptions = {}): { config: BoardConfig; images: MachineImages } {
  const disk = o.disk ?? set.disk?.bytes;
  const diskId = o.disk ? createHash('sha256').update(o.disk).digest('hex') : set.disk?.sha256;
  const config = defaultBoardConfig({
    ramSize: (o.memMiB ?? set.defaultMemoryMiB) * 1024 * 1024,
    cmdline: o.cmdline ?? set.cmdline,
    disk: diskId,
    network: o.network,
    images: { firmware: set.firmware.sha256, kernel: set.kernel.sha256, initrd: set.initrd?.sha256 },
  });
  const images: MachineImages = {
    firmware: set.firmware.bytes,
    kernel: set.kernel.bytes,
    initrd: set.initrd?.bytes,
    disks: disk && diskId ? { [diskId]: disk } : {},
  };
  return { config, images };
}
