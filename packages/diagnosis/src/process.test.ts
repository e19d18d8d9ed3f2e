import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ProcessReader, currentTaskPointer, isKernelPointer, taskLayoutFromProfile } from './process.js';
import { GuestMemory } from './sv39.js';
import { FakeHart, PageTables, PTE_A, PTE_D, PTE_R, PTE_W, RAM_BASE, newRam, putString, putU32, putU64 } from './test-support.js';

const PROFILE = JSON.parse(readFileSync(fileURLToPath(new URL('../../../guest/images/profile.json', import.meta.url)), 'utf8')) as unknown;
const PAGE_OFFSET = 0xffff_ffd8_0000_0000n; // Sv39 linear map

describe('the guest profile', () => {
  it('gives the task_struct layout of the default guest', () => {
    const c = taskLayoutFromProfile(PROFILE);
    expect(c.ok).toBe(true);
    if (!c.ok) return;
    expect(c.layout).toMatchObject({ pid: 696, tgid: 700, comm: 1168, commLen: 16, kernelSp: 16, ptRegsOnStack: 288, ptCause: 272, ptOrigA0: 280, kernelRelease: '6.1.192' });
  });

  it('says why it cannot be used', () => {
    expect(taskLayoutFromProfile(undefined)).toEqual({ ok: false, reason: 'no guest profile: process attribution is unavailable' });
    expect(taskLayoutFromProfile({ schema: 'other/1' })).toMatchObject({ ok: false, reason: expect.stringMatching(/unknown guest profile schema/) });
    expect(taskLayoutFromProfile({ schema: 'prnr.guest-profile/1', kernel: { machine: 'x86_64' } })).toMatchObject({ ok: false, reason: expect.stringMatching(/x86_64/) });
    expect(taskLayoutFromProfile({ schema: 'prnr.guest-profile/1', offsets: { task_struct: { pid: 1 } } })).toMatchObject({ ok: false, reason: expect.stringMatching(/pid, tgid or comm/) });
  });

  it('refuses sizes and offsets no kernel has, in one line naming the field', () => {
    const base = PROFILE as { sizes: Record<string, unknown>; offsets: Record<string, Record<string, unknown>> };
    const edited = (edit: (p: typeof base) => void): unknown => {
      const p = structuredClone(base);
      edit(p);
      return p;
    };
    const cases: [(p: typeof base) => void, string][] = [
      [(p) => void (p.sizes.task_comm_len = 100_000_000), "the guest profile's sizes.task_comm_len is 100000000: longer than a task name can be; at most 64"],
      [(p) => void (p.sizes.task_comm_len = 0), "the guest profile's sizes.task_comm_len is 0: a task name has at least 1 byte"],
      [(p) => void (p.sizes.task_comm_len = -3), "the guest profile's sizes.task_comm_len is -3: not a whole number of bytes"],
      [(p) => void (p.offsets.task_struct.comm = 99_999_999), "the guest profile's offsets.task_struct.comm is 99999999: past the end of the task_struct (2048 bytes); at most 2032"],
      [(p) => void (p.offsets.task_struct.pid = 2046), "the guest profile's offsets.task_struct.pid is 2046: past the end of the task_struct (2048 bytes); at most 2044"],
      [(p) => void (p.sizes.task_struct = 1 << 30), "the guest profile's sizes.task_struct is 1073741824: larger than any task_struct; at most 16384"],
      [(p) => void (p.offsets.thread_info.kernel_sp = 5000), "the guest profile's offsets.thread_info.kernel_sp is 5000: past the end of the task_struct (2048 bytes); at most 2040"],
      [(p) => void (p.offsets.pt_regs.cause = 288), "the guest profile's offsets.pt_regs.cause is 288: past the end of pt_regs (288 bytes); at most 280"],
      [(p) => void (p.sizes.pt_regs = 1 << 20), "the guest profile's sizes.pt_regs is 1048576: larger than any pt_regs; at most 1024"],
    ];
    for (const [edit, reason] of cases) expect(taskLayoutFromProfile(edited(edit))).toEqual({ ok: false, reason });
    // Without sizes.task_struct, offsets are bounded by the largest task_struct taken.
    const noSize = edited((p) => {
      delete p.sizes.task_struct;
      p.offsets.task_struct.comm = 99_999_999;
    });
    expect(taskLayoutFromProfile(noSize)).toMatchObject({ ok: false, reason: expect.stringMatching(/^the guest profile's offsets\.task_struct\.comm is 99999999: past the end of the task_struct \(16384 bytes\)/) });
    // The edges are taken: a name of 64 bytes, comm ending at the task_struct's end.
    expect(taskLayoutFromProfile(edited((p) => { p.sizes.task_comm_len = 64; p.offsets.task_struct.comm = 2048 - 64; }))).toMatchObject({ ok: true, layout: { commLen: 64, comm: 1984 } });
  });

  it('labels the layout by where it came from', () => {
    const origin = (extra: object): string => {
      const c = taskLayoutFromProfile({ ...(PROFILE as object), ...extra });
      if (!c.ok) throw new Error(c.reason);
      return c.layout.origin;
    };
    expect(origin({})).toBe('guest profile: Linux 6.1.192');
    expect(origin({ calibration: { confidence: 'high' } })).toBe('layout calibrated from the recording, high confidence');
    expect(origin({ calibration: { confidence: 'medium' }, source: { kind: 'system-map' } })).toBe("layout from System.map's init_task in a recording, medium confidence");
    expect(origin({ source: { kind: 'btf' } })).toBe("guest profile from the kernel's BTF: Linux 6.1.192");
    expect(origin({ source: { kind: 'dwarf' }, kernel: { release: 'unknown' } })).toBe("guest profile from the kernel's DWARF");
  });
});

describe('reading a task', () => {
  function guest() {
    const ram = newRam(1024);
    const pt = new PageTables(ram, RAM_BASE / 4096 + 1);
    pt.map(PAGE_OFFSET, RAM_BASE, PTE_R | PTE_W | PTE_A | PTE_D, 2);
    const mem = new GuestMemory(ram, () => pt.satp);
    const c = taskLayoutFromProfile(PROFILE);
    if (!c.ok) throw new Error(c.reason);
    return { ram, pt, mem, procs: new ProcessReader(c.layout, mem) };
  }

  it('pid (tgid), tid (pid) and comm from task_struct through the linear map', () => {
    const { ram, procs } = guest();
    const taskPa = RAM_BASE + 0x10_0000;
    const task = PAGE_OFFSET + 0x10_0000n;
    putU32(ram, taskPa + 696, 43); // task_struct.pid: the thread id
    putU32(ram, taskPa + 700, 42); // task_struct.tgid: the process id
    putString(ram, taskPa + 1168, 'worker');
    expect(procs.readTask(task)).toEqual({ pid: 42, tid: 43, comm: 'worker' });
    // A 15-character name fills comm.
    putString(ram, taskPa + 1168, 'abcdefghijklmno');
    expect(procs.readTask(task)!.comm).toBe('abcdefghijklmno');
  });

  it('refuses what is not a task: user addresses, unmapped memory, absurd pids', () => {
    const { ram, procs } = guest();
    expect(procs.readTask(0x1000n)).toBeNull();
    expect(procs.readTask(0n)).toBeNull();
    expect(procs.readTask(0xffff_ffc0_0000_0000n)).toBeNull(); // not mapped
    putU32(ram, RAM_BASE + 0x20_0000 + 696, 0xffff_ffff);
    expect(procs.readTask(PAGE_OFFSET + 0x20_0000n)).toBeNull();
    expect(isKernelPointer(PAGE_OFFSET + 8n)).toBe(true);
    expect(isKernelPointer(PAGE_OFFSET + 4n)).toBe(false);
  });

  it("pt_regs of a task returning to user mode: orig_a0 and cause below thread_info.kernel_sp", () => {
    const { ram, procs } = guest();
    const taskPa = RAM_BASE + 0x10_0000;
    const stackTopPa = RAM_BASE + 0x30_4000;
    putU64(ram, taskPa + 16, PAGE_OFFSET + BigInt(stackTopPa - RAM_BASE)); // thread_info.kernel_sp
    putU64(ram, stackTopPa - 288 + 280, 7n); // orig_a0
    putU64(ram, stackTopPa - 288 + 272, 8n); // cause: ecall from U
    expect(procs.origA0(PAGE_OFFSET + 0x10_0000n)).toBe(7n);
    expect(procs.trapCause(PAGE_OFFSET + 0x10_0000n)).toBe(8n);
  });

  it('the current task: sscratch in user mode, tp in the kernel', () => {
    const h = new FakeHart();
    h.sscratch = PAGE_OFFSET + 0x1000n;
    h.setX(4, PAGE_OFFSET + 0x2000n);
    h.priv = 0;
    expect(currentTaskPointer(h)).toBe(PAGE_OFFSET + 0x1000n);
    h.priv = 1;
    expect(currentTaskPointer(h)).toBe(PAGE_OFFSET + 0x2000n);
  });
});
