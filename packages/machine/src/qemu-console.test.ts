/**
 * prnr's virt machine against QEMU 7.2's: the committed default guest runs the
 * smoke workload from the kernel command line (prnr.run=/workloads/smoke.sh) to
 * power-off, and its console must equal QEMU's (guest/expected/smoke.qemu.txt,
 * written by guest/expected/regenerate.sh with the same images, command line
 * and RAM) line by line, except the lines in CONSOLE_EXCEPTIONS below.
 * Both sides are normalised alike: CRs removed, kernel timestamps removed.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultBoardConfig } from '@prnr/devices';
import { loadGuestImages } from './guest-images.js';
import { VirtMachine } from './virt-machine.js';

const IMAGES = fileURLToPath(new URL('../../../guest/images', import.meta.url));
const EXPECTED = fileURLToPath(new URL('../../../guest/expected/smoke.qemu.txt', import.meta.url));
const REGENERATE = 'guest/expected/regenerate.sh';
/** QEMU runs the workload in ≈1.6 G instructions; a guest that has not powered off by this count is stuck. */
const MAX_STEPS = 5_000_000_000;

interface ConsoleException {
  /** The lines it applies to (normalised text, QEMU's and ours alike). */
  line: RegExp;
  /** The parts of such a line that are not compared (global), each replaced by "<…>". Default: none. */
  mask?: RegExp;
  /** The line is printed by asynchronous kernel work: its position is not compared, only that it occurs equally often on both sides. */
  moves?: true;
  reason: string;
}

/**
 * Every difference from QEMU's console that the comparison accepts, and why.
 * Anything else that differs fails the test. Not excepted, because they are
 * equal: the calibration, BogoMIPS, clocksource and sched_clock lines (derived
 * from the device tree's 10 MHz timebase, not measured); the SBI, PLIC, 8250,
 * virtio-blk and RTC probe lines; and the wall clock (the RTC line, `date`,
 * `hwclock`): QEMU runs with `-rtc base=2025-11-24T16:00:00,clock=vm` and the
 * guest reads it within its first virtual second, the clock port here gives
 * the same instant (a workload that reads the clock later needs a mask here).
 */
const CONSOLE_EXCEPTIONS: readonly ConsoleException[] = [
  // -- entropy
  { line: /^00000000 ( [0-9a-f]{2}){8} ( [0-9a-f]{2}){8} {2}\|.{16}\|$/, mask: /(?<=^00000000).+/g, reason: "`hexdump /dev/hwrng`: random bytes (QEMU's -seed 1 stream there, a fixed pattern from the entropy port here)" },
  // -- timing: asynchronous kernel work whose place in the log follows the scheduler
  { line: /^random: crng init done$/, moves: true, reason: 'printed when the entropy pool fills (virtio-rng kthread, interrupt timing): moves between QEMU runs' },
  { line: /^Freeing initrd memory: \d+K$/, moves: true, reason: 'end of the asynchronous initramfs unpacking (initramfs_async): moves between QEMU runs under plain TCG' },
  // -- what QEMU 7.2 is and prnr is not (CPU and board identity)
  { line: /^(Platform Name +: |Machine model: )riscv-virtio,\w+$/, mask: /(?<=riscv-virtio,)\w+$/g, reason: 'device-tree root `model`: "riscv-virtio,qemu" there, "riscv-virtio,prnr" here (devices/src/fdt/virt-fdt.ts)' },
  {
    line: /^Boot HART MHPM Count +: \d+$/,
    mask: /\d+$/g,
    reason: 'OpenSBI counts the mhpmcounters that keep a written value: QEMU 7.2 has 16 (its pmu-num), prnr hardwires mhpmcounter3..31 to zero (allowed by the privileged spec)',
  },
  { line: /^mmu\t+: sv\d+$/, mask: /sv\d+$/g, reason: 'paging mode: QEMU 7.2 cannot limit the MMU (sv48=off is QEMU >= 8.0), so Linux picks sv57 there; prnr has Sv39 only' },
  { line: /^m(arch|imp)id\t+: 0x[0-9a-f]+$/, mask: /0x[0-9a-f]+$/g, reason: 'marchid/mimpid: QEMU reports its own version (0x70216 = 7.2.22), prnr 0' },
  {
    line: /^Memory: \d+K\/\d+K available \(.*, \d+K reserved, /,
    mask: /\d+K(?=\/)|\d+K(?= reserved)/g,
    reason:
      'memblock reservations: prnr pads its DTB by 64 KiB (VirtMachine.boot extraSpace; 64K more reserved), QEMU packs its own but has more nodes (pci, flash, fw-cfg, pmu) and sv57 takes more page tables (24K more with an unpadded prnr DTB); the total and the kernel sections are still compared',
  },
  {
    line: /^virtio_\w+ virtio\d+: /,
    mask: /(?<=^virtio_\w+ )virtio\d+/g,
    reason:
      'virtio device index = probe order: QEMU fills virtio-mmio slots from the top (rng in slot 7, blk in 6) and lists the slots from the top in its device tree; prnr puts blk in slot 0, rng in 1, listed from slot 0',
  },
];

const TIMESTAMP = /\[ *\d+\.\d{6}\] /g;

/** Lines of a console as compared: CRs and kernel timestamps removed. */
function normaliseConsole(text: string): string[] {
  const lines = text.replace(/\r/g, '').replace(TIMESTAMP, '').split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

interface PreparedConsole {
  /** Compared in order (masked). */
  lines: string[];
  /** Line number (1-based) in the normalised console of each of `lines`. */
  at: number[];
  /** Lines that may move, masked, sorted. */
  moved: string[];
  /** Indexes into CONSOLE_EXCEPTIONS that matched some line. */
  used: Set<number>;
}

function prepare(lines: readonly string[], exceptions: readonly ConsoleException[], firstLine = 1): PreparedConsole {
  const out: PreparedConsole = { lines: [], at: [], moved: [], used: new Set() };
  lines.forEach((text, i) => {
    const k = exceptions.findIndex((e) => e.line.test(text));
    if (k < 0) {
      out.lines.push(text);
      out.at.push(firstLine + i);
      return;
    }
    out.used.add(k);
    const e = exceptions[k];
    const masked = e.mask ? text.replace(e.mask, '<…>') : text;
    if (e.moves) out.moved.push(masked);
    else {
      out.lines.push(masked);
      out.at.push(firstLine + i);
    }
  });
  out.moved.sort();
  return out;
}

/**
 * null when the consoles match (exceptions applied), else a readable report of the first difference.
 * Lines are numbered from `expectedFirstLine` in QEMU's (its line in the expected file) and from 1 in prnr's.
 */
function compareConsoles(expected: readonly string[], actual: readonly string[], exceptions: readonly ConsoleException[] = CONSOLE_EXCEPTIONS, expectedFirstLine = 1): string | null {
  const q = prepare(expected, exceptions, expectedFirstLine);
  const p = prepare(actual, exceptions);
  const n = Math.max(q.lines.length, p.lines.length);
  let i = 0;
  while (i < n && q.lines[i] === p.lines[i]) i++;
  const problems: string[] = [];
  if (i < n) {
    const show = (c: PreparedConsole, j: number) => (j < c.lines.length ? `${String(c.at[j]).padStart(4)}| ${JSON.stringify(c.lines[j]).slice(1, -1)}` : '    | (end of console)');
    const ctx: string[] = [];
    for (let j = Math.max(0, i - 3); j < i; j++) ctx.push(`          ${show(q, j)}`);
    for (let j = i; j < Math.min(n, i + 4); j++) ctx.push(`  QEMU  ${j === i ? '>' : ' '} ${show(q, j)}`, `  prnr  ${j === i ? '>' : ' '} ${show(p, j)}`);
    problems.push(`the consoles differ at compared line ${i + 1} (QEMU's line ${q.at[i] ?? 'end'}, prnr's line ${p.at[i] ?? 'end'}; first differing lines marked >):`, ...ctx);
  }
  if (q.moved.join('\n') !== p.moved.join('\n')) {
    problems.push('lines whose position is not compared differ:', `  QEMU: ${JSON.stringify(q.moved)}`, `  prnr: ${JSON.stringify(p.moved)}`);
  }
  return problems.length ? problems.join('\n') : null;
}

interface ExpectedConsole {
  header: Map<string, string>;
  lines: string[];
  /** Line number in the file of lines[0]. */
  firstLine: number;
}

/** The committed QEMU console: leading "# key: value" lines, then the normalised console. */
function readExpected(path: string): ExpectedConsole {
  if (!existsSync(path)) throw new Error(`${path} is missing: run ${REGENERATE} (needs qemu-system-riscv64 7.2) and commit its output`);
  const all = normaliseConsole(readFileSync(path, 'utf8'));
  const header = new Map<string, string>();
  let i = 0;
  for (; i < all.length && all[i].startsWith('#'); i++) {
    const m = /^# ([\w-]+(?: [\w.-]+)?): (.*)$/.exec(all[i]) ?? /^# (sha256 \S+) (\S+)$/.exec(all[i]);
    if (m) header.set(m[1], m[2]);
  }
  return { header, lines: all.slice(i), firstLine: i + 1 };
}

function bootSmoke(cmdline: string, ramSize: number) {
  const imgs = loadGuestImages(IMAGES);
  const config = defaultBoardConfig({
    ramSize,
    cmdline,
    disk: imgs.disk!.sha256,
    images: { firmware: imgs.firmware.sha256, kernel: imgs.kernel.sha256, initrd: imgs.initrd!.sha256 },
  });
  let out = '';
  const m = new VirtMachine(
    config,
    { firmware: imgs.firmware.bytes, kernel: imgs.kernel.bytes, initrd: imgs.initrd!.bytes, disks: { [imgs.disk!.sha256]: imgs.disk!.bytes } },
    {
      consoleOutput: { write: (b: number) => { out += String.fromCharCode(b); } },
      clock: { now: () => 1_764_000_000_000_000_000n }, // 2025-11-24T16:00:00Z
      entropy: { fill: (buf: Uint8Array) => buf.forEach((_, i) => { buf[i] = (i * 151 + 7) & 0xff; }) },
    },
  );
  m.boot();
  for (;;) {
    const r = m.run(MAX_STEPS);
    if (r.reason === 'idle' && r.wakeAt !== null) {
      m.advanceIdle(r.wakeAt);
      continue;
    }
    return { m, out, stop: r.reason === 'idle' ? 'idle with no timer pending' : r.reason };
  }
}

describe('the comparison of consoles', () => {
  const qemu = ['OpenSBI v1.1', 'Machine model: riscv-virtio,qemu', 'random: crng init done', 'uname', '00000000  f5 d4 0f 6c e0 79 d1 b9  87 37 6f 07 bc b8 12 87  |...l.y...7o.....|', 'smoke: done'];
  const ours = ['OpenSBI v1.1', 'Machine model: riscv-virtio,prnr', 'uname', '00000000  07 9e 35 cc 63 fa 91 28  bf 56 ed 84 1b b2 49 e0  |..5.c..(.V....I.|', 'random: crng init done', 'smoke: done'];

  it('accepts the excepted differences (masked parts, moved lines)', () => {
    expect(compareConsoles(qemu, ours)).toBeNull();
  });

  it('reports any other difference, with the first differing lines', () => {
    const bad = ours.map((l) => (l === 'uname' ? 'uname: not found' : l));
    const report = compareConsoles(qemu, bad);
    expect(report).toContain("QEMU's line 4, prnr's line 3");
    expect(report).toMatch(/QEMU {2}> +4\| uname\n {2}prnr {2}> +3\| uname: not found/);
  });

  it('reports a missing, an extra and a moved line that is not excepted', () => {
    expect(compareConsoles(qemu, ours.slice(0, -1))).toMatch(/prnr {2}> +\| \(end of console\)/);
    expect(compareConsoles(qemu, [...ours, 'extra'])).toMatch(/QEMU {2}> +\| \(end of console\)/);
    expect(compareConsoles(qemu, ours.filter((l) => !l.startsWith('random')))).toMatch(/position is not compared differ/);
  });

  it('normalises CRs and kernel timestamps', () => {
    expect(normaliseConsole('a\r\r\n[    0.141434] b\r\n[   15.608514] reboot: Power down')).toEqual(['a', 'b', 'reboot: Power down']);
  });
});

describe('the default guest on the virt machine prints what QEMU 7.2 prints', () => {
  let expected: ExpectedConsole;
  let run: ReturnType<typeof bootSmoke>;
  let actual: string[];

  beforeAll(() => {
    expected = readExpected(EXPECTED);
    const cmdline = expected.header.get('cmdline');
    const mib = Number(expected.header.get('memory-mib'));
    if (!cmdline || !(mib > 0)) throw new Error(`${EXPECTED}: the header names no "cmdline" or "memory-mib": run ${REGENERATE}`);
    run = bootSmoke(cmdline, mib * 1024 * 1024);
    actual = normaliseConsole(run.out);
  }, 900_000);

  it('the expected console was made from the committed images', () => {
    const imgs = loadGuestImages(IMAGES);
    const ours = { 'fw_jump.bin': imgs.firmware.sha256, Image: imgs.kernel.sha256, 'initramfs.cpio.gz': imgs.initrd!.sha256, 'disk.ext4': imgs.disk!.sha256 };
    for (const [file, sha] of Object.entries(ours)) {
      expect(expected.header.get(`sha256 ${file}`), `${EXPECTED} was made from another ${file}: run ${REGENERATE}`).toBe(sha);
    }
  });

  it('runs the smoke workload to its end and powers off with status 0', () => {
    expect(run.stop, `the guest stopped at step ${run.m.hart.icount} (${run.stop}); console tail:\n${actual.slice(-10).join('\n')}`).toBe('halt');
    expect(run.m.power).toEqual({ action: 'poweroff' });
    expect(actual).toContain('smoke: disk ok');
    expect(actual).toContain('smoke: done');
    expect(actual.at(-1)).toBe('reboot: Power down');
  });

  it('prints the same console, line by line, as QEMU (exceptions: CONSOLE_EXCEPTIONS)', () => {
    const report = compareConsoles(expected.lines, actual, CONSOLE_EXCEPTIONS, expected.firstLine);
    if (report !== null) {
      const saved = join(tmpdir(), 'prnr-smoke.console.txt');
      writeFileSync(saved, actual.join('\n') + '\n');
      expect.fail(`${report}\n(prnr's normalised console: ${saved}; QEMU's: ${EXPECTED})`);
    }
  });

  it('every exception is needed: each matches a line of QEMU\'s console', () => {
    const used = prepare(expected.lines, CONSOLE_EXCEPTIONS).used;
    const unused = CONSOLE_EXCEPTIONS.filter((_, k) => !used.has(k)).map((e) => String(e.line));
    expect(unused, 'exceptions that match no line: remove them').toEqual([]);
  });
});
