/**
 * A malformed image set is refused with one line naming the file and the
 * problem: each case damages one file of a temporary copy of guest/images.
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { GuestImageError, checkRiscvLinuxImage, loadGuestImages, sha256, type LoadGuestImagesOptions } from './guest-images.js';

// Counts decompressions (the real fzstd does them), to tell a kept copy's use from a decompression.
const zstd = vi.hoisted(() => ({ calls: 0 }));
vi.mock('fzstd', async (importOriginal) => {
  const real = await importOriginal<typeof import('fzstd')>();
  return { ...real, decompress: (...args: Parameters<typeof real.decompress>) => { zstd.calls++; return real.decompress(...args); } };
});

const IMAGES = fileURLToPath(new URL('../../../guest/images', import.meta.url));

/** A zstd frame of raw (stored) blocks: a valid .zst of `data` without a compressor (RFC 8878, sections 3.1.1 and 3.1.1.2). */
function zstdStored(data: Uint8Array): Uint8Array {
  const BLOCK = 128 * 1024;
  const nBlocks = Math.max(1, Math.ceil(data.length / BLOCK));
  const out = new Uint8Array(4 + 1 + 4 + nBlocks * 3 + data.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, 0xfd2fb528, true); // magic
  out[4] = 0xa0; // frame header descriptor: 4-byte content size, single segment, no checksum
  v.setUint32(5, data.length, true);
  let at = 9;
  for (let i = 0; i < nBlocks; i++) {
    const chunk = data.subarray(i * BLOCK, (i + 1) * BLOCK);
    const header = (chunk.length << 3) | (0 << 1) | (i === nBlocks - 1 ? 1 : 0); // size, type raw, last
    out[at] = header & 0xff;
    out[at + 1] = (header >> 8) & 0xff;
    out[at + 2] = (header >> 16) & 0xff;
    out.set(chunk, at + 3);
    at += 3 + chunk.length;
  }
  return out;
}

interface ManifestJson {
  files: { name: string; role: string; size: number; sha256: string; stored: string; compression: string; stored_sha256: string }[];
}

/** The error loadGuestImages(dir) throws; fails the test if it loads. */
function loadError(dir: string, options?: LoadGuestImagesOptions): GuestImageError {
  try {
    loadGuestImages(dir, options);
  } catch (e) {
    expect(e).toBeInstanceOf(GuestImageError);
    const message = (e as Error).message;
    expect(message.includes('\n'), `not one line: ${message}`).toBe(false);
    return e as GuestImageError;
  }
  throw new Error(`${dir} loaded, but it was damaged`);
}

describe('a malformed guest image set', () => {
  let kernel: Uint8Array;
  let dir: string;

  beforeAll(() => {
    kernel = loadGuestImages(IMAGES).kernel.bytes;
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'prnr-images-'));
    cpSync(IMAGES, dir, { recursive: true });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const file = (name: string) => join(dir, name);
  const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

  it('the undamaged copy loads', () => {
    expect(loadGuestImages(dir).kernel.sha256).toBe(sha256(kernel));
  });

  it('truncated kernel, compressed stream cut: names the file and says truncated', () => {
    const z = readFileSync(file('Image.zst'));
    writeFileSync(file('Image.zst'), z.subarray(0, z.length >> 1));
    expect(loadError(dir).message).toMatch(new RegExp(`^${esc(file('Image.zst'))}: cannot be decompressed \\(.+\\): the file is truncated or corrupt$`));
  });

  it('truncated kernel, a well-formed .zst of a kernel cut short: names the file and says truncated', () => {
    writeFileSync(file('Image.zst'), zstdStored(kernel.subarray(0, 1 << 20)));
    expect(loadError(dir).message).toBe(`${file('Image.zst')}: kernel is 1048576 bytes but the manifest says ${kernel.length}: truncated`);
  });

  it('a kernel changed in place: names the file and says corrupt', () => {
    const bad = kernel.slice();
    bad[bad.length >> 1] ^= 0xff;
    writeFileSync(file('Image.zst'), zstdStored(bad));
    expect(loadError(dir).message).toBe(`${file('Image.zst')}: kernel content does not match the manifest's sha256 (corrupt or replaced)`);
  });

  it('wrong architecture (an arm64 Image in place of the kernel): names the file and the architecture', () => {
    const arm64 = kernel.slice();
    arm64.set([0x41, 0x52, 0x4d, 0x64], 0x38); // "ARMd": the arm64 Image magic
    writeFileSync(file('Image.zst'), zstdStored(arm64));
    const expected = `${file('Image.zst')}: not a RISC-V Linux kernel Image: it is an arm64 Linux Image (wrong architecture; prnr boots riscv64)`;
    expect(loadError(dir).message).toBe(expected);
    // The same when the manifest was rewritten to match the foreign kernel.
    const m = JSON.parse(readFileSync(file('manifest.json'), 'utf8')) as ManifestJson;
    const k = m.files.find((f) => f.role === 'kernel')!;
    k.sha256 = sha256(arm64);
    writeFileSync(file('manifest.json'), JSON.stringify(m));
    expect(loadError(dir).message).toBe(expected);
  });

  it('missing initrd: names the file and the manifest that lists it', () => {
    rmSync(file('initramfs.cpio.gz'));
    expect(loadError(dir).message).toBe(`${file('initramfs.cpio.gz')}: missing (the initrd "initramfs.cpio.gz" listed in ${file('manifest.json')})`);
  });

  it('truncated initrd: names the file and says truncated', () => {
    const gz = readFileSync(file('initramfs.cpio.gz'));
    writeFileSync(file('initramfs.cpio.gz'), gz.subarray(0, 1000));
    expect(loadError(dir).message).toBe(`${file('initramfs.cpio.gz')}: initrd is 1000 bytes but the manifest says ${gz.length}: truncated`);
  });

  it('missing kernel and a manifest that lists none', () => {
    rmSync(file('Image.zst'));
    expect(loadError(dir).message).toMatch(new RegExp(`^${esc(file('Image.zst'))}: missing \\(the kernel "Image" listed in`));
    const m = JSON.parse(readFileSync(file('manifest.json'), 'utf8')) as ManifestJson;
    m.files = m.files.filter((f) => f.role !== 'kernel');
    writeFileSync(file('manifest.json'), JSON.stringify(m));
    expect(loadError(dir).message).toBe(`${file('manifest.json')}: lists no kernel`);
  });
});

describe('checkRiscvLinuxImage names what a foreign kernel is', () => {
  const elf = (machine: number) => {
    const b = new Uint8Array(4096);
    b.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1], 0);
    b[18] = machine & 0xff;
    b[19] = machine >> 8;
    return b;
  };
  it.each([
    ['an x86 bzImage', (() => { const b = new Uint8Array(4096); b.set([0x48, 0x64, 0x72, 0x53], 0x202); return b; })(), /bzImage: not a RISC-V Linux kernel Image: it is an x86 Linux bzImage \(wrong architecture/],
    ['an x86-64 ELF', elf(62), /bzImage: not a RISC-V Linux kernel Image: it is an ELF file for x86-64 \(wrong architecture/],
    ['a RISC-V vmlinux', elf(243), /bzImage: not a RISC-V Linux kernel Image: it is a RISC-V ELF file \(a vmlinux\?/],
    ['gzip data', new Uint8Array(4096).fill(0x1f, 0, 1).fill(0x8b, 1, 2), /it is gzip data/],
    ['anything else', new Uint8Array(4096).fill(0x90), /bzImage: not a RISC-V Linux kernel Image \(no "RSC\\x05" magic at offset 0x38\): wrong architecture or not a kernel$/],
    ['a stub', new Uint8Array(10), /bzImage: too short for a Linux Image header \(10 bytes\)/],
  ])('%s', (_, bytes, message) => {
    expect(() => checkRiscvLinuxImage(bytes, 'bzImage')).toThrow(message);
  });
});

describe('decompressed images kept between loads (cacheDir)', () => {
  const manifest = JSON.parse(readFileSync(join(IMAGES, 'manifest.json'), 'utf8')) as ManifestJson;
  const zstdFiles = manifest.files.filter((f) => f.compression === 'zstd' && ['firmware', 'kernel', 'initrd', 'disk'].includes(f.role));
  const kernelFile = manifest.files.find((f) => f.role === 'kernel')!;
  let cacheDir: string;
  beforeEach(() => {
    cacheDir = join(mkdtempSync(join(tmpdir(), 'prnr-image-cache-')), 'images');
  });
  afterEach(() => rmSync(join(cacheDir, '..'), { recursive: true, force: true }));
  /** The images of a load, as the manifest's sha256 of each. */
  const shas = (set: ReturnType<typeof loadGuestImages>) => [set.firmware, set.kernel, set.initrd, set.disk].map((i) => i && sha256(i.bytes));

  it('a load keeps each decompressed file under its stored file\'s sha256; the next load reads them instead of decompressing', () => {
    expect(zstdFiles.length).toBeGreaterThanOrEqual(2);
    const first = loadGuestImages(IMAGES, { cacheDir });
    for (const f of zstdFiles) {
      const kept = readFileSync(join(cacheDir, `${f.stored_sha256}.img`));
      expect(sha256(kept), f.name).toBe(f.sha256);
    }
    expect(readdirSync(cacheDir).sort()).toEqual(zstdFiles.map((f) => `${f.stored_sha256}.img`).sort()); // no partial file left
    const before = zstd.calls;
    const second = loadGuestImages(IMAGES, { cacheDir });
    expect(zstd.calls).toBe(before);
    expect(shas(second)).toEqual(shas(first));
    expect(second.kernel.sha256).toBe(kernelFile.sha256);
    expect(second.kernel.bytes.length).toBe(kernelFile.size);
  });

  it('a damaged kept copy is not used: the file is decompressed again and the copy mended', () => {
    loadGuestImages(IMAGES, { cacheDir });
    const copy = join(cacheDir, `${kernelFile.stored_sha256}.img`);
    const bad = readFileSync(copy);
    bad[bad.length >> 1] ^= 0xff;
    writeFileSync(copy, bad);
    const before = zstd.calls;
    expect(loadGuestImages(IMAGES, { cacheDir }).kernel.sha256).toBe(kernelFile.sha256);
    expect(zstd.calls).toBe(before + 1);
    expect(sha256(readFileSync(copy))).toBe(kernelFile.sha256);
    writeFileSync(copy, bad.subarray(0, 1000)); // cut short: the same
    expect(loadGuestImages(IMAGES, { cacheDir }).kernel.sha256).toBe(kernelFile.sha256);
  });

  it('a damaged stored file is refused as without a cache, though a copy of the undamaged one is kept', () => {
    loadGuestImages(IMAGES, { cacheDir });
    const dir = mkdtempSync(join(tmpdir(), 'prnr-images-'));
    try {
      cpSync(IMAGES, dir, { recursive: true });
      const z = readFileSync(join(dir, 'Image.zst'));
      writeFileSync(join(dir, 'Image.zst'), z.subarray(0, z.length >> 1));
      const without = loadError(dir).message;
      expect(without).toMatch(/cannot be decompressed/);
      expect(loadError(dir, { cacheDir }).message).toBe(without);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a cache directory that cannot be made costs only the decompression', () => {
    const notADir = join(cacheDir, '..', 'a-file');
    writeFileSync(notADir, 'x');
    const set = loadGuestImages(IMAGES, { cacheDir: join(notADir, 'images') });
    expect(set.kernel.sha256).toBe(kernelFile.sha256);
    expect(existsSync(join(notADir, 'images'))).toBe(false);
  });
});
