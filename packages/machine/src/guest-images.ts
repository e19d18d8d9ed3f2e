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
import { keepImage, readKeptImage } from './image-cache.js';

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
  if (hasBytes(bytes, 0x38, 'RSC\x05')) return;
  const what = foreignKernel(bytes);
  throw new GuestImageError(
    what
      ? `${file}: not a RISC-V Linux kernel Image: it is ${what}`
      : `${file}: not a RISC-V Linux kernel Image (no "RSC\\x05" magic at offset 0x38): wrong architecture or not a kernel`,
  );
}

const hasBytes = (b: Uint8Array, at: number, s: string): boolean => b.length >= at + s.length && [...s].every((c, i) => b[at + i] === c.charCodeAt(0));

/** ELF e_machine values worth naming. */
const ELF_MACHINES: Record<number, string> = { 3: 'x86', 40: 'arm', 62: 'x86-64', 183: 'arm64', 243: 'RISC-V' };

/** What a file that is not a RISC-V Image recognisably is (for the error message), or undefined. */
function foreignKernel(b: Uint8Array): string | undefined {
  if (hasBytes(b, 0x38, 'ARMd')) return 'an arm64 Linux Image (wrong architecture; prnr boots riscv64)';
  if (hasBytes(b, 0x202, 'HdrS')) return 'an x86 Linux bzImage (wrong architecture; prnr boots riscv64)';
  if (hasBytes(b, 0, '\x7fELF')) {
    const machine = b[18] | (b[19] << 8);
    if (machine === 243) return 'a RISC-V ELF file (a vmlinux? prnr boots the flat Image, arch/riscv/boot/Image)';
    return `an ELF file for ${ELF_MACHINES[machine] ?? `machine ${machine}`} (wrong architecture; prnr boots a riscv64 Linux Image)`;
  }
  if (b[0] === 0x1f && b[1] === 0x8b) return 'gzip data (a compressed kernel? prnr boots the uncompressed Image)';
  return undefined;
}

export interface LoadGuestImagesOptions {
  /**
   * A directory where decompressed images are kept for the next load (image-cache.ts), created
   * when needed; none when absent. The apps pass a per-user one.
   */
  cacheDir?: string;
}

/** Reads, decompresses and checks one file; `check` sees the bytes before the size and hash checks (to name a foreign file as such). */
function loadFile(dir: string, f: ManifestFile, options: LoadGuestImagesOptions, check?: (bytes: Uint8Array, path: string) => void): GuestImage {
  const path = join(dir, f.stored);
  if (!existsSync(path)) throw new GuestImageError(`${path}: missing (the ${f.role} "${f.name}" listed in ${join(dir, 'manifest.json')})`);
  let stored: Uint8Array = readFileSync(path);
  // Only decompressed files are kept, named by the sha256 of the stored file.
  const keep = f.compression === 'zstd' && options.cacheDir !== undefined ? { dir: options.cacheDir, storedSha: sha256(stored) } : null;
  const kept = keep === null ? null : readKeptImage(keep.dir, keep.storedSha);
  // A kept copy that is not the manifest's file (damaged, or another image's) is decompressed again.
  if (kept !== null && kept.length === f.size && sha256(kept) === f.sha256) {
    check?.(kept, path);
    return { name: f.name, role: f.role, bytes: kept, sha256: f.sha256 };
  }
  let bytes: Uint8Array;
  try {
    bytes = f.compression === 'zstd' ? zstdDecompress(stored) : stored;
  } catch (e) {
    throw new GuestImageError(`${path}: cannot be decompressed (${(e as Error).message}): the file is truncated or corrupt`);
  }
  stored = new Uint8Array(0);
  check?.(bytes, path);
  if (bytes.length !== f.size) {
    throw new GuestImageError(`${path}: ${f.role} is ${bytes.length} bytes but the manifest says ${f.size}: ${bytes.length < f.size ? 'truncated' : 'a different file'}`);
  }
  const h = sha256(bytes);
  if (h !== f.sha256) throw new GuestImageError(`${path}: ${f.role} content does not match the manifest's sha256 (corrupt or replaced)`);
  if (keep !== null) keepImage(keep.dir, keep.storedSha, bytes);
  return { name: f.name, role: f.role, bytes, sha256: h };
}

export function loadGuestImages(dir: string, options: LoadGuestImagesOptions = {}): GuestImageSet {
  const mpath = join(dir, 'manifest.json');
  if (!existsSync(dir)) throw new GuestImageError(`guest image directory ${dir} does not exist`);
  if (!existsSync(mpath)) throw new GuestImageError(`${mpath} is missing: ${dir} is not a guest image directory (build one with guest/build.sh)`);
  let m: { name?: string; arch?: string; cmdline?: string; memory_default_mib?: number; files?: ManifestFile[] };
  try {
    m = JSON.parse(readFileSync(mpath, 'utf8'));
  } catch (e) {
    throw new GuestImageError(`${mpath}: not valid JSON (${(e as Error).message.replace(/\s+/g, ' ')})`);
  }
  if (m.arch !== 'riscv64') throw new GuestImageError(`${mpath}: images are for arch "${m.arch}", prnr runs riscv64`);
  const files = m.files ?? [];
  const byRole = (role: string) => files.find((f) => f.role === role);
  const need = (role: string, check?: (bytes: Uint8Array, path: string) => void) => {
    const f = byRole(role);
    if (!f) throw new GuestImageError(`${mpath}: lists no ${role}`);
    return loadFile(dir, f, options, check);
  };
  const firmware = need('firmware');
  // A kernel cut before the end of its header is reported as truncated (size check), not as foreign.
  const kernel = need('kernel', (bytes, path) => {
    if (bytes.length >= 64) checkRiscvLinuxImage(bytes, path);
  });
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
    initrd: initrdFile ? loadFile(dir, initrdFile, options) : undefined,
    disk: diskFile ? loadFile(dir, diskFile, options) : undefined,
  };
}
