/**
 * A guest image set: a directory with manifest.json (written by guest/build.sh)
 * naming the firmware, kernel, initrd and disk, each with its size and sha256.
 * Loading checks every file, so a truncated, swapped or foreign file is refused
 * with one sentence naming the file and the problem.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decompress as zstdDecompress } from 'fzstd';

export class GuestImageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GuestImageError';
  }
}

export interface GuestImage {
  name: string;
  role: string;
  bytes: Uint8Array;
  sha256: string;
}

export interface GuestImageSet {
  dir: string;
  name: string;
  cmdline: string;
  defaultMemoryMiB: number;
  firmware: GuestImage;
  kernel: GuestImage;
  initrd?: GuestImage;
  disk?: GuestImage;
}

interface ManifestFile {
  name: string;
  role: string;
  size: number;
  sha256: string;
  stored: string;
  compression: 'zstd' | 'gzip' | 'none';
}

export const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** RISC-V Linux Image header (Documentation/arch/riscv/boot-image-header.rst): "RSC\x05" at 0x38. */
export function checkRiscvLinuxImage(bytes: Uint8Array, file: string): void {
  if (bytes.length < 64) throw new GuestImageError(`${file}: too short for a Linux Image header (${bytes.length} bytes)`);
  const magic2 = String.fromCharCode(bytes[0x38], bytes[0x39], bytes[0x3a]) + (bytes[0x3b] === 5 ? '\x05' : '?');
  if (magic2 !== 'RSC\x05') throw new GuestImageError(`${file}: not a RISC-V Linux kernel Image (no "RSC\\x05" magic at offset 0x38): wrong architecture or not a kernel`);
}

function loadFile(dir: string, f: ManifestFile): GuestImage {
  const path = join(dir, f.stored);
  if (!existsSync(path)) throw new GuestImageError(`${path}: missing (the ${f.role} "${f.name}" listed in ${join(dir, 'manifest.json')})`);
  let stored: Uint8Array = readFileSync(path);
  let bytes: Uint8Array;
  try {
    bytes = f.compression === 'zstd' ? zstdDecompress(stored) : stored;
  } catch (e) {
    throw new GuestImageError(`${path}: cannot be decompressed (${(e as Error).message}): the file is truncated or corrupt`);
  }
  stored = new Uint8Array(0);
  if (bytes.length !== f.size) {
    throw new GuestImageError(`${path}: ${f.role} is ${bytes.length} bytes but the manifest says ${f.size}: ${bytes.length < f.size ? 'truncated' : 'a different file'}`);
  }
  const h = sha256(bytes);
  if (h !== f.sha256) throw new GuestImageError(`${path}: ${f.role} content does not match the manifest's sha256 (corrupt or replaced)`);
  return { name: f.name, role: f.role, bytes, sha256: h };
}

export function loadGuestImages(dir: string): GuestImageSet {
  const mpath = join(dir, 'manifest.json');
  if (!existsSync(dir)) throw new GuestImageError(`guest image directory ${dir} does not exist`);
  if (!existsSync(mpath)) throw new GuestImageError(`${mpath} is missing: ${dir} is not a guest image directory (build one with guest/build.sh)`);
  let m: { name?: string; arch?: string; cmdline?: string; memory_default_mib?: number; files?: ManifestFile[] };
  try {
    m = JSON.parse(readFileSync(mpath, 'utf8'));
  } catch (e) {
    throw new GuestImageError(`${mpath}: not valid JSON (${(e as Error).message})`);
  }
  if (m.arch !== 'riscv64') throw new GuestImageError(`${mpath}: images are for arch "${m.arch}", prnr runs riscv64`);
  const files = m.files ?? [];
  const byRole = (role: string) => files.find((f) => f.role === role);
  const need = (role: string) => {
    const f = byRole(role);
    if (!f) throw new GuestImageError(`${mpath}: lists no ${role}`);
    return loadFile(dir, f);
  };
  const firmware = need('firmware');
  const kernel = need('kernel');
  checkRiscvLinuxImage(kernel.bytes, join(dir, byRole('kernel')!.stored));
  const initrdFile = byRole('initrd');
  const diskFile = byRole('disk');
  return {
    dir,
    name: m.name ?? dir,
    cmdline: m.cmdline ?? 'console=ttyS0',
    defaultMemoryMiB: m.memory_default_mib ?? 256,
    firmware,
    kernel,
    initrd: initrdFile ? loadFile(dir, initrdFile) : undefined,
    disk: diskFile ? loadFile(dir, diskFile) : undefined,
  };
}
