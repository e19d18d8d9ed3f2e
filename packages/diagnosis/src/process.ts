/**
 * Process attribution: which task runs, read from the guest kernel's own data
 * structures through the guest profile (guest/images/profile.json, written by
 * guest/scripts/make-profile.py).
 *
 * On riscv64 Linux the running task's `struct task_struct *` is in tp (x4)
 * while the hart is in the kernel, and in sscratch while it is in user mode
 * (tp then holds the user's TLS pointer); handle_exception's first instruction
 * swaps the two, and the return path (arch/riscv/kernel/entry.S,
 * resume_userspace) sets sscratch = tp and restores the user tp just before
 * sret. So at the moment a trap from user mode is taken, and right after an
 * sret to user mode, sscratch names the task. Kernel addresses are mapped in
 * every process's page table, so task_struct reads through whatever satp holds.
 *
 * task_struct.pid is the thread id (what userland calls tid), task_struct.tgid
 * the process id.
 */
import type { MemoryReader } from './sv39.js';

/** What attribution needs from the guest profile. */
export interface TaskLayout {
  /** task_struct field offsets. */
  pid: number;
  tgid: number;
  comm: number;
  commLen: number;
  /** thread_info.kernel_sp (thread_info at offset 0 of task_struct), to find a returning task's pt_regs. */
  kernelSp: number | null;
  /** Size of pt_regs on the kernel stack (16-byte aligned) and the offset of orig_a0 in it. */
  ptRegsOnStack: number | null;
  ptOrigA0: number | null;
  /** Offset of cause (scause of the trap that entered the kernel) in pt_regs. */
  ptCause: number | null;
  /** The profile's kernel release, for messages. */
  kernelRelease: string;
  /** Where the layout came from, for messages: the kernel build, its BTF or DWARF, a System.map, or calibration from the recording. */
  origin: string;
}

export interface TaskInfo {
  /** Process id (task_struct.tgid). */
  pid: number;
  /** Thread id (task_struct.pid). */
  tid: number;
  /** task_struct.comm: the executable's name, at most 15 characters. */
  comm: string;
}

/** The fields of the hart that attribution reads (the real Hart has them). */
export interface HartRegs {
  readonly priv: number;
  readonly sscratch: bigint;
  readonly satp: bigint;
  getX(i: number): bigint;
}

const PRIV_U = 0;
const TP = 4;
/** PID_MAX_LIMIT on 64-bit. */
const PID_MAX = 4 * 1024 * 1024;

export type ProfileCheck = { ok: true; layout: TaskLayout } | { ok: false; reason: string };

/** TASK_COMM_LEN is 16; the longest proposed for Linux is 64. */
export const MAX_COMM_LEN = 64;
/** Far above any riscv64 task_struct (2-3 KiB on the test kernels): an offset past it is another kernel's, or garbage. */
export const MAX_TASK_STRUCT = 16 * 1024;
/** riscv pt_regs is 288 bytes (36 words); this leaves room for growth. */
export const MAX_PT_REGS = 1024;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : null);

class ProfileFieldError extends Error {}

/**
 * A size or offset of the profile: null when absent; an error naming the
 * field when it is there but not a whole number in 0..max (a field `width`
 * bytes wide at this offset must end within `max`).
 */
function bounded(obj: Record<string, unknown>, key: string, path: string, max: number, what: string, width = 0): number | null {
  const v = obj[key];
  if (v === undefined || v === null) return null;
  const n = num(v);
  if (n === null) throw new ProfileFieldError(`the guest profile's ${path} is ${JSON.stringify(v)}: not a whole number of bytes`);
  if (n + width > max) throw new ProfileFieldError(`the guest profile's ${path} is ${n}: ${what}; at most ${max - width}`);
  return n;
}

/** Where the profile came from, for messages: its source, else calibration from a recording, else the kernel build. */
function originOf(profile: Record<string, unknown>, release: string): string {
  const source = isObj(profile.source) ? profile.source.kind : undefined;
  const confidence = isObj(profile.calibration) ? `, ${String(profile.calibration.confidence)} confidence` : '';
  if (source === 'system-map') return `layout from System.map's init_task in a recording${confidence}`;
  if (source === 'btf' || source === 'dwarf') return `guest profile from the kernel's ${source.toUpperCase()}${release === 'unknown' ? '' : `: Linux ${release}`}`;
  if (confidence !== '') return `layout calibrated from the recording${confidence}`;
  return `guest profile: Linux ${release}`;
}

/** Reads the layout out of a guest profile, or says why it cannot be used. */
export function taskLayoutFromProfile(profile: unknown): ProfileCheck {
  if (profile === undefined || profile === null) return { ok: false, reason: 'no guest profile: process attribution is unavailable' };
  if (!isObj(profile)) return { ok: false, reason: 'the guest profile is not an object' };
  if (profile.schema !== 'prnr.guest-profile/1') return { ok: false, reason: `unknown guest profile schema ${JSON.stringify(profile.schema)} (expected "prnr.guest-profile/1")` };
  const kernel = isObj(profile.kernel) ? profile.kernel : {};
  if (kernel.machine !== undefined && kernel.machine !== 'riscv64') return { ok: false, reason: `the guest profile is for ${String(kernel.machine)}, not riscv64` };
  const offsets = isObj(profile.offsets) ? profile.offsets : {};
  const ts = isObj(offsets.task_struct) ? offsets.task_struct : {};
  const ti = isObj(offsets.thread_info) ? offsets.thread_info : {};
  const pt = isObj(offsets.pt_regs) ? offsets.pt_regs : {};
  const sizes = isObj(profile.sizes) ? profile.sizes : {};
  if (num(ts.pid) === null || num(ts.tgid) === null || num(ts.comm) === null) return { ok: false, reason: 'the guest profile lacks the task_struct offsets of pid, tgid or comm' };
  // Bounded here, once: the tracer reads commLen bytes at every syscall, and offsets far off read garbage or nothing.
  try {
    const taskSize = bounded(sizes, 'task_struct', 'sizes.task_struct', MAX_TASK_STRUCT, 'larger than any task_struct') ?? MAX_TASK_STRUCT;
    const commLen = bounded(sizes, 'task_comm_len', 'sizes.task_comm_len', MAX_COMM_LEN, 'longer than a task name can be') ?? 16;
    if (commLen === 0) throw new ProfileFieldError("the guest profile's sizes.task_comm_len is 0: a task name has at least 1 byte");
    const inTask = `past the end of the task_struct (${taskSize} bytes)`;
    const pid = bounded(ts, 'pid', 'offsets.task_struct.pid', taskSize, inTask, 4)!;
    const tgid = bounded(ts, 'tgid', 'offsets.task_struct.tgid', taskSize, inTask, 4)!;
    const comm = bounded(ts, 'comm', 'offsets.task_struct.comm', taskSize, inTask, commLen)!;
    // thread_info is at offset 0 of task_struct (THREAD_INFO_IN_TASK, always on riscv).
    const kernelSp = bounded(ti, 'kernel_sp', 'offsets.thread_info.kernel_sp', taskSize, inTask, 8);
    const ptSize = bounded(sizes, 'pt_regs', 'sizes.pt_regs', MAX_PT_REGS, 'larger than any pt_regs');
    const inRegs = `past the end of pt_regs (${ptSize ?? MAX_PT_REGS} bytes)`;
    const cause = bounded(pt, 'cause', 'offsets.pt_regs.cause', ptSize ?? MAX_PT_REGS, inRegs, 8);
    let origA0 = bounded(pt, 'orig_a0', 'offsets.pt_regs.orig_a0', ptSize ?? MAX_PT_REGS, inRegs, 8);
    // pt_regs ends with orig_a0 after cause (arch/riscv/include/asm/ptrace.h); the profile names cause, not orig_a0.
    if (origA0 === null && ptSize !== null && cause !== null && cause + 16 === ptSize) origA0 = cause + 8;
    const release = typeof kernel.release === 'string' ? kernel.release : 'unknown';
    return {
      ok: true,
      layout: {
        pid, tgid, comm, commLen, kernelSp,
        ptRegsOnStack: ptSize === null ? null : Math.ceil(ptSize / 16) * 16,
        ptOrigA0: origA0,
        ptCause: cause,
        kernelRelease: release,
        origin: originOf(profile, release),
      },
    };
  } catch (e) {
    if (e instanceof ProfileFieldError) return { ok: false, reason: e.message };
    throw e;
  }
}

/** The current task pointer: sscratch in user mode, tp in the kernel. Meaningless in M-mode and inside the first instructions of handle_exception. */
export function currentTaskPointer(hart: HartRegs): bigint {
  return hart.priv === PRIV_U ? hart.sscratch : hart.getX(TP);
}

/** A plausible task_struct pointer: a kernel (upper-half) address, 8-byte aligned. */
export function isKernelPointer(p: bigint): boolean {
  return p >> 63n === 1n && (p & 7n) === 0n;
}

export class ProcessReader {
  constructor(readonly layout: TaskLayout, private readonly mem: MemoryReader) {}

  /** pid, tid and comm of the task at `task`, or null if it cannot be read or looks wrong. */
  readTask(task: bigint): TaskInfo | null {
    if (!isKernelPointer(task)) return null;
    const l = this.layout;
    const tid = this.mem.readU32(task + BigInt(l.pid));
    const pid = this.mem.readU32(task + BigInt(l.tgid));
    const comm = this.mem.readVirt(task + BigInt(l.comm), l.commLen);
    if (tid === null || pid === null || comm === null) return null;
    if (tid > PID_MAX || pid > PID_MAX) return null;
    const end = comm.indexOf(0);
    let name = '';
    for (const b of comm.subarray(0, end < 0 ? comm.length : end)) name += String.fromCharCode(b);
    return { pid, tid, comm: name };
  }

  /**
   * orig_a0 (the first syscall argument, which a0 no longer holds) of a task
   * that is returning to user mode. Null if the profile does not say where.
   */
  origA0(task: bigint): bigint | null {
    return this.ptRegs(task, this.layout.ptOrigA0);
  }

  /**
   * pt_regs.cause of a task returning to user mode: the scause of the trap it
   * is returning from (8 for a syscall; all ones once do_signal handled a
   * syscall's restart). Null if the profile does not say where.
   */
  trapCause(task: bigint): bigint | null {
    return this.ptRegs(task, this.layout.ptCause);
  }

  /**
   * A field of the user pt_regs of a task that is returning to user mode: they
   * sit just below thread_info.kernel_sp, which the return path has just set
   * (entry.S, resume_userspace).
   */
  private ptRegs(task: bigint, offset: number | null): bigint | null {
    const l = this.layout;
    if (offset === null || l.kernelSp === null || l.ptRegsOnStack === null || !isKernelPointer(task)) return null;
    const ksp = this.mem.readU64(task + BigInt(l.kernelSp));
    if (ksp === null || !isKernelPointer(ksp)) return null;
    return this.mem.readU64(ksp - BigInt(l.ptRegsOnStack) + BigInt(offset));
  }
}
