/**
 * `--disk FILE` of `run` and `record`: a raw image for virtio-blk, which
 * counts a disk in 512-byte sectors. One that is not whole sectors is said
 * in one line before anything starts (the board would refuse it only once
 * the machine, and a recording directory, were being made).
 */
import { VIRTIO_BLK_SECTOR_SIZE } from '@prnr/devices';
import { readNamedFile } from '../named-files.js';
import { UsageError } from '../usage-error.js';

/** The image's bytes; a UsageError naming the file when it cannot be read or is not whole sectors. */
export function readDiskImage(path: string): Uint8Array {
  const bytes = readNamedFile(path, '--disk');
  if (bytes.length % VIRTIO_BLK_SECTOR_SIZE !== 0) {
    throw new UsageError(`--disk ${path}: the image is ${bytes.length} bytes, not a whole number of ${VIRTIO_BLK_SECTOR_SIZE}-byte sectors`);
  }
  return bytes;
}
