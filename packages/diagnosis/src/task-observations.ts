/**
 * The `task-layout` analysis: collects what self-calibration (calibrate.ts)
 * needs to learn the guest kernel's task_struct layout from the recording
 * itself, without debug info.
 *
 * At the return to user mode of a few syscalls whose effect on the calling
 * task is known, it keeps a copy of the start of that task's task_struct
 * (sscratch names the task at the return, see process.ts) and of the kernel
 * stack top below each pointer near the start of the task (one of them is
 * thread_info.kernel_sp, with the user pt_regs just below it):
 * - execve returning into the new program: task->comm now holds the basename
 *   of the path (fs/exec.c, begin_new_exec: __set_task_comm(kbasename(filename)));
 * - getpid: the result is task->tgid;
 * - gettid and set_tid_address: the result is task->pid (the thread id).
 * It also keeps the user registers the hart returns with: pt_regs held them.
 *
 * Observations are plain data; merge concatenates them in slice order, up to
 * a cap (enough to calibrate; a long recording need not ship megabytes).
 */
import type { Analysis, AnalysisContext, AnalysisKind, ReplayView, TrapEvent, XretEvent } from '@prnr/scheduler';
import { isKernelPointer } from './process.js';
import { GuestMemory } from './sv39.js';
import type { TracePosition } from './syscall-tracer.js';

export const TASK_OBSERVATIONS_VERSION = 1;

/** Bytes of task_struct kept per observation: task_struct is ~2-8 KiB; pid, tgid and comm lie in its first half on 6.x kernels. */
export const TASK_WINDOW = 6144;
/** Bytes kept below each candidate kernel_sp: pt_regs (288 bytes on riscv64) must fit. */
export const STACK_WINDOW = 512;
/** thread_info is at offset 0 of task_struct (THREAD_INFO_IN_TASK): kernel_sp is among its first words. */
export const THREAD_INFO_WORDS = 8;
/** Observations kept per kind in a slice, and in all (the first ones): a program calling getpid in a loop must not crowd out the execve observations. */
const PER_KIND_PER_SLICE = 16;
const MAX_TOTAL = 400;

export type ObservationKind = 'execve' | 'getpid' | 'gettid' | 'set_tid_address';

export interface TaskObservation {
  kind: ObservationKind;
  /** The task_struct pointer (hex). */
  task: string;
  /** getpid: the tgid; gettid, set_tid_address: the pid (tid). Null for execve. */
  value: number | null;
  /** execve: the basename of the path, as the kernel copies it to comm (at most 15 bytes). Null otherwise. */
  name: string | null;
  /** The first TASK_WINDOW bytes of the task_struct, base64. */
  taskBytes: string;
  /** pc, then x1..x31 as the hart returns to user mode with them (hex). */
  regs: string[];
  /** For each word of thread_info holding a kernel pointer: the STACK_WINDOW bytes below it, base64. */
  stacks: { offset: number; below: string }[];
  at: TracePosition;
}

export interface TaskObservations {
  version: typeof TASK_OBSERVATIONS_VERSION;
  slices: number[];
  observations: TaskObservation[];
}

const NR_EXECVE = 221, NR_GETPID = 172, NR_GETTID = 178, NR_SET_TID_ADDRESS = 96;
const KIND_BY_NR: ReadonlyMap<number, ObservationKind> = new Map([
  [NR_EXECVE, 'execve'], [NR_GETPID, 'getpid'], [NR_GETTID, 'gettid'], [NR_SET_TID_ADDRESS, 'set_tid_address'],
]);
const CAUSE_ECALL_U = 8;
const PRIV_U = 0, PRIV_S = 1;
const COMM_MAX = 15;

const hex = (v: bigint): string => '0x' + v.toString(16);
const b64 = (u: Uint8Array): string => Buffer.from(u.buffer, u.byteOffset, u.byteLength).toString('base64');

/** The basename the kernel puts in comm for an execve of `path` (kbasename, truncated to TASK_COMM_LEN - 1). */
export function commOfPath(path: string): string {
  const i = path.lastIndexOf('/');
  return (i < 0 ? path : path.slice(i + 1)).slice(0, COMM_MAX);
}

interface Pending { kind: ObservationKind; pc: bigint; name: string | null }

class TaskObserver implements Analysis<TaskObservations> {
  readonly name = 'task-layout';
  private view: ReplayView | null = null;
  private mem: GuestMemory | null = null;
  private readonly pending = new Map<string, Pending>();
  private readonly observations: TaskObservation[] = [];
  private readonly perKind = new Map<ObservationKind, number>();

  attach(view: ReplayView): void {
    this.view = view;
    const hart = view.hart;
    this.mem = new GuestMemory(view.ram, () => hart.satp);
    view.onTrap((e) => this.trap(e));
    view.onXret((e) => this.xret(e));
  }

  private trap(e: TrapEvent): void {
    if (e.fromPriv !== PRIV_U) return;
    const hart = this.view!.hart;
    const key = hex(hart.sscratch);
    this.pending.delete(key);
    if (e.interrupt || e.cause !== CAUSE_ECALL_U) return;
    const kind = KIND_BY_NR.get(Number(BigInt.asUintN(32, hart.getX(17))));
    if (kind === undefined || (this.perKind.get(kind) ?? 0) >= PER_KIND_PER_SLICE) return;
    let name: string | null = null;
    if (kind === 'execve') {
      const path = this.mem!.readCString(hart.getX(10), 4096);
      if (path === null || path.truncated || path.text === '') return;
      name = commOfPath(path.text);
      if (name === '') return;
    }
    this.pending.set(key, { kind, pc: hart.priv === PRIV_S ? hart.sepc : hart.mepc, name });
  }

  private xret(e: XretEvent): void {
    if (e.toPriv !== PRIV_U) return;
    const hart = this.view!.hart;
    const task = hart.sscratch;
    const key = hex(task);
    const p = this.pending.get(key);
    if (p === undefined) return;
    this.pending.delete(key);
    const a0 = BigInt.asIntN(64, hart.getX(10));
    // execve succeeded: user mode starts elsewhere with a0 = 0; the others: a plain return (no signal handler first).
    const ok = p.kind === 'execve' ? a0 === 0n && hart.pc !== p.pc + 4n : hart.pc === p.pc + 4n && a0 > 0n;
    if (!ok || !isKernelPointer(task)) return;
    const mem = this.mem!;
    const bytes = mem.readVirt(task, TASK_WINDOW);
    if (bytes === null) return;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const stacks: { offset: number; below: string }[] = [];
    for (let w = 0; w < THREAD_INFO_WORDS; w++) {
      const ptr = view.getBigUint64(w * 8, true);
      if (!isKernelPointer(ptr)) continue;
      const below = mem.readVirt(ptr - BigInt(STACK_WINDOW), STACK_WINDOW);
      if (below !== null) stacks.push({ offset: w * 8, below: b64(below) });
    }
    const regs = [hex(hart.pc)];
    for (let i = 1; i < 32; i++) regs.push(hex(hart.getX(i)));
    this.perKind.set(p.kind, (this.perKind.get(p.kind) ?? 0) + 1);
    this.observations.push({
      kind: p.kind, task: key, value: p.kind === 'execve' ? null : Number(a0), name: p.name,
      taskBytes: b64(bytes), regs, stacks,
      at: { icount: Number(hart.icount), mtime: Number(this.view!.mtime()), slice: this.view!.slice.index },
    });
  }

  finish(): TaskObservations {
    return { version: TASK_OBSERVATIONS_VERSION, slices: this.view === null ? [] : [this.view.slice.index], observations: [...this.observations] };
  }
}

export function mergeTaskObservations(parts: readonly TaskObservations[]): TaskObservations {
  const observations: TaskObservation[] = [];
  const slices: number[] = [];
  for (const p of parts) {
    slices.push(...p.slices);
    for (const o of p.observations) if (observations.length < MAX_TOTAL) observations.push(o);
  }
  return { version: TASK_OBSERVATIONS_VERSION, slices, observations };
}

/** The `task-layout` analysis: observations for self-calibration; results merge in slice order. */
export const taskLayoutAnalysis: AnalysisKind<TaskObservations, undefined> = {
  name: 'task-layout',
  weight: 'light',
  description: 'observations of the running task_struct at syscalls with known effects, to calibrate process attribution without a guest profile',
  create(_options: undefined, _context: AnalysisContext): Analysis<TaskObservations> {
    return new TaskObserver();
  },
  merge(parts: TaskObservations[]): TaskObservations {
    return mergeTaskObservations(parts);
  },
};
