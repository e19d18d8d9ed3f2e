/**
 * Boots the committed default guest (OpenSBI + Linux 6.1 + busybox) on the
 * virt machine, types two commands, and checks what a person would: the shell
 * answers and the machine powers off. Then checks determinism: two boots with
 * the same inputs end in the same state.
 */
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { defaultBoardConfig } from '@prnr/devices';
import { loadGuestImages, GuestImageError, checkRiscvLinuxImage } from './guest-images.js';
import { ScriptInput } from './script-input.js';
import { VirtMachine } from './virt-machine.js';
import { BoardConfigError, MAX_RAM_MIB } from './board-config-error.js';

const IMAGES = fileURLToPath(new URL('../../../guest/images', import.meta.url));
const MAX_STEPS = 600_000_000;

function bootAndRun(script: string) {
  const imgs = loadGuestImages(IMAGES);
  const config = defaultBoardConfig({
    disk: imgs.disk!.sha256,
    images: { firmware: imgs.firmware.sha256, kernel: imgs.kernel.sha256, initrd: imgs.initrd!.sha256 },
  });
  let out = '';
  // Typed one line per shell prompt, once the guest says it is ready: paced by the guest, not the host clock.
  const input = new ScriptInput(script);
  const m = new VirtMachine(
    config,
    { firmware: imgs.firmware.bytes, kernel: imgs.kernel.bytes, initrd: imgs.initrd!.bytes, disks: { [imgs.disk!.sha256]: imgs.disk!.bytes } },
    {
      consoleOutput: { write: (b: number) => { out += String.fromCharCode(b); input.observe(b); } },
      consoleInput: input,
      clock: { now: () => 1_764_000_000_000_000_000n }, // 2025-11-24T16:00:00Z
      entropy: { fill: (buf: Uint8Array) => buf.forEach((_, i) => { buf[i] = (i * 151 + 7) & 0xff; }) },
    },
  );
  m.boot();
  for (;;) {
    const r = m.run(MAX_STEPS);
    if (r.reason === 'idle') {
      if (r.wakeAt === null) break;
      m.advanceIdle(r.wakeAt);
      continue;
    }
    break;
  }
  const ramHash = createHash('sha256').update(m.ram.u8).digest('hex');
  return { m, out, ramHash };
}

describe('the default guest on the virt machine', () => {
  const a = bootAndRun('uname -a\npoweroff -f\n');

  it('boots OpenSBI and Linux to the busybox shell', () => {
    expect(a.out).toContain('OpenSBI v1.1');
    expect(a.out).toContain('Run /init as init process');
    expect(a.out).toContain('prnr-guest: ready');
  });

  it('answers uname as the same image does under QEMU, and powers off with status 0', () => {
    // The line QEMU 7.2 prints for this image (guest/README.md; kernel build timestamp pinned).
    expect(a.out).toContain('Linux prnr 6.1.192 #1 Wed Jan  1 00:00:00 UTC 2025 riscv64 GNU/Linux');
    expect(a.out).toContain('reboot: Power down');
    expect(a.m.power).toEqual({ action: 'poweroff' });
  });

  it('the RTC reads the clock port', () => {
    expect(a.out).toContain('setting system clock to 2025-11-24T16:00:00 UTC');
  });

  it('is deterministic: a second boot with the same inputs ends in the same state', () => {
    const b = bootAndRun('uname -a\npoweroff -f\n');
    expect(b.m.hart.icount).toBe(a.m.hart.icount);
    expect(b.out).toBe(a.out);
    expect(b.ramHash).toBe(a.ramHash);
    expect(b.m.saveMeta()).toEqual(a.m.saveMeta());
  });
});

describe('bad guest images', () => {
  it('a directory without a manifest is refused by name', () => {
    expect(() => loadGuestImages('/nonexistent/images')).toThrow(GuestImageError);
    expect(() => loadGuestImages(fileURLToPath(new URL('.', import.meta.url)))).toThrow(/manifest.json is missing/);
  });
  it('a kernel of another architecture is refused', () => {
    const x86ish = new Uint8Array(4096).fill(0x90);
    expect(() => checkRiscvLinuxImage(x86ish, 'bzImage')).toThrow(/bzImage: not a RISC-V Linux kernel Image/);
  });
});

describe('RAM sizes the board does not take', () => {
  const imgs = () => loadGuestImages(IMAGES);
  const build = (ramSize: number) => {
    const i = imgs();
    const config = defaultBoardConfig({ ramSize, images: { firmware: i.firmware.sha256, kernel: i.kernel.sha256, initrd: i.initrd!.sha256 } });
    return new VirtMachine(config, { firmware: i.firmware.bytes, kernel: i.kernel.bytes, initrd: i.initrd!.bytes, disks: {} }, { clock: { now: () => 0n }, entropy: { fill: () => {} } });
  };
  it('more than RAM ending at 4 GiB, or not whole MiB: refused before any memory is taken', () => {
    expect(() => build((MAX_RAM_MIB + 1) * 1048576)).toThrow(new BoardConfigError(`RAM of ${MAX_RAM_MIB + 1} MiB: this virt board takes a whole number of MiB from 1 to ${MAX_RAM_MIB}`));
    expect(() => build(1048576 + 4096)).toThrow(BoardConfigError);
    expect(() => build(0)).toThrow(BoardConfigError);
  });
  it('RAM too small for the kernel: refused at power-on, by name', () => {
    const m = build(1048576);
    expect(() => m.boot()).toThrow(/^the kernel \(\d+ bytes\) does not fit in 1 MiB of RAM$/);
    expect(() => m.boot()).toThrow(BoardConfigError);
  });
});
