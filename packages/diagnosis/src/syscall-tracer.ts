/**
 * The `syscalls` analysis: a syscall tracer for the riscv64 Linux ABI that
 * runs during replay, one slice at a time.
 *
 * Entry: a trap with cause 8 (ecall from U-mode). At the onTrap hook the trap
 * has just been taken and no handler instruction has run, so the registers are
 * the user's: the number in a7, arguments in a0..a5, the ecall's address in
 * sepc (mepc if it went to M), and the task pointer in sscratch
 * (handle_exception's first instruction, `csrrw tp, sscratch, tp`, has not run).
 *
 * Exit: an sret (or mret) to U-mode. The kernel's return path
 * (arch/riscv/kernel/entry.S, resume_userspace) sets sscratch = the task and
 * restores the user's registers just before sret, so at the onXret hook
 * sscratch names the task returning and a0 holds the result. A return to user
 * mode by a task with no pending syscall (after an interrupt or a page fault)
 * is ignored. Where it returns tells what happened:
 * - to the ecall + 4: the syscall returned a0 (execve and rt_sigreturn return elsewhere by design);
 * - to the ecall itself: the kernel restarts the syscall (ERESTART*): the record ends `= ? ERESTART*`, the call is traced again;
 * - into a signal handler (sp = a1 = the frame, a2 = sp + 128): the interrupted program's pc and
 *   registers, the syscall's result among them, are read from the frame, and the same two cases apply;
 * - anywhere else: not this call's return (its task_struct now belongs to another task).
 * exit and exit_group never return: they are complete at entry, `= ?`.
 *
 * Entries and exits pair up by task pointer. What a slice cannot pair is
 * handed to merge(): entries still running at the slice's end (openAtEnd) and
 * exits whose entry came before the slice's start (openAtStart, which also
 * holds the first return of a new fork/clone child, which never entered).
 */
import type { Analysis, AnalysisContext, AnalysisKind, ReplayView, TrapEvent, XretEvent } from '@prnr/scheduler';
import type { ArgTexts, FormatOptions } from './format.js';
import { decodeEntryArgs, decodeExitArgs, defFor, fillUnreadArgs, finalArgTexts, formatCall, formatResult, retryEntryArgs } from './format.js';
import type { TaskInfo } from './process.js';
import { ProcessReader, taskLayoutFromProfile } from './process.js';
import { GuestMemory } from './sv39.js';

export const SYSCALL_TRACE_VERSION = 1;

const CAUSE_ECALL_U = 8;
const PRIV_U = 0;
const PRIV_S = 1;
const NR_EXIT = 93, NR_EXIT_GROUP = 94, NR_EXECVE = 221, NR_EXECVEAT = 281, NR_RT_SIGRETURN = 139, NR_RESTART = 128;
/** Syscalls that return to user mode with other registers (and pc) than the caller's. */
const REPLACES_REGS: ReadonlySet<number> = new Set([NR_EXECVE, NR_EXECVEAT, NR_RT_SIGRETURN]);

/** A point of the execution: steps since power-on, virtual time (mtime ticks, 10 MHz), slice. */
export interface TracePosition {
  icount: number;
  mtime: number;
  slice: number;
}

/**
 * returned: the call returned its result; no-return: exit/exit_group;
 * restarted: the kernel restarts the call (ERESTART*), which is traced again;
 * signal: a signal handler ran and where the call stands is unknown (no signal
 * frame to read); unfinished: the call never returned (the task died in it, or
 * the recording ended first).
 */
export type SyscallOutcome = 'returned' | 'no-return' | 'restarted' | 'signal' | 'unfinished';

/** Who made a syscall. pid, tid and comm are null when attribution is unavailable. */
export interface TaskRef {
  /** The task_struct pointer (hex): the key that pairs entries and exits. */
  task: string;
  pid: number | null;
  tid: number | null;
  comm: string | null;
}

/** A syscall entered but not (yet) returned in the slice. */
export interface SyscallEntryPart extends TaskRef {
  nr: number;
  name: string;
  /** a0..a5 as unsigned decimal strings. */
  args: string[];
  /** Texts of the arguments decoded at entry; null for those decoded at exit. */
  argText: ArgTexts;
  /** Address of the ecall (hex). */
  pc: string;
  at: TracePosition;
}

/**
 * A return to user mode that ends a syscall whose entry the slice did not see:
 * the first return of a task in the slice (with a profile: only when its
 * pt_regs say it returns from a syscall). Its outcome is settled when it meets
 * its entry (merge), by comparing where user mode resumes with the ecall's address.
 */
export interface SyscallExitPart extends TaskRef {
  /** a7 at the return (the kernel leaves it unchanged). */
  nr: number;
  /** What the registers say at the return: a0 from pt_regs.orig_a0 if the profile locates it (else null), a1..a5 from registers. */
  args: (string | null)[];
  /** The syscall's return value (a0, or the a0 saved in the signal frame), signed decimal; null if unknown. */
  result: string | null;
  /** Texts of the arguments decoded at exit assuming the call returned `result`; null for the others. */
  argText: ArgTexts;
  /** Inputs in guest memory read again at the return (a page the entry found unmapped is there now); null where not read. */
  lateText: ArgTexts;
  /** Where the interrupted program continues (hex): the ecall + 4 after a return, the ecall itself for a restart; from the signal frame when a handler runs first. */
  pc: string;
  /** The signal whose handler user mode enters first, if any. */
  signal: number | null;
  wstatus: number | null;
  at: TracePosition;
}

/** One syscall, entry and exit put together. Plain data: JSON- and structured-clone-safe. */
export interface SyscallRecord extends TaskRef {
  /** comm at the return, when it differs from comm at entry (execve). */
  commAtExit?: string;
  nr: number;
  name: string;
  /** a0..a5 at entry, unsigned decimal strings. */
  args: string[];
  /** Each argument as shown in `text`, in register order (also those the line leaves out). */
  argText: string[];
  /** The return value as a signed decimal string; null when there is none (exit_group, unfinished, restarted, signal). */
  result: string | null;
  /** errno name of a failed call (result in [-4095, -1]). */
  errno: string | null;
  outcome: SyscallOutcome;
  /** The strace-like line: `openat(AT_FDCWD, "/x", O_RDONLY) = -1 ENOENT (No such file or directory)`. */
  text: string;
  /** Just before the ecall executes (seek here to stop right before the syscall). */
  entry: TracePosition;
  /** At the return to user mode; null if it did not return. */
  exit: TracePosition | null;
  /** For wait4/waitid that reaped a child: the child's status (wait4 encoding). */
  wstatus: number | null;
  /** A signal handler that ran right after the call (strace's `--- SIGCHLD ---` line), if any. */
  signal: number | null;
}

export interface AttributionStatus {
  available: boolean;
  /** Why attribution is unavailable, or which kernel it reads. */
  note: string;
}

/** The result of the `syscalls` analysis for one slice, or for several merged. */
export interface SyscallTrace {
  version: typeof SYSCALL_TRACE_VERSION;
  /** Slice indices covered, in order. */
  slices: number[];
  attribution: AttributionStatus;
  /** Complete syscalls, ordered by entry position. */
  events: SyscallRecord[];
  /** Returns without an entry (it came before the first slice, or a fork child's first return), in order. */
  openAtStart: SyscallExitPart[];
  /** Entries without a return at the end (still running when the last slice ended), in order. */
  openAtEnd: SyscallEntryPart[];
}

export type SyscallTracerOptions = FormatOptions;

const hex = (v: bigint): string => '0x' + v.toString(16);

/** Offset of uc_mcontext.sc_regs in struct ucontext (arch/riscv/include/uapi/asm/ucontext.h: 168 bytes, aligned to 16). */
const UC_MCONTEXT = 176n;
const REG_SP = 2, REG_A0 = 10, REG_A1 = 11, REG_A2 = 12, REG_A7 = 17;
/** sizeof(struct siginfo): frame->uc follows frame->info. */
const SIGINFO_SIZE = 128n;
const CAUSE_SIGNAL_HANDLED = (1n << 64n) - 1n;

interface Pending {
  part: SyscallEntryPart;
  args: bigint[];
  pc: bigint;
}

class SyscallTracer implements Analysis<SyscallTrace> {
  readonly name = 'syscalls';
  private view: ReplayView | null = null;
  private mem: GuestMemory | null = null;
  private procs: ProcessReader | null = null;
  private readonly attribution: AttributionStatus;
  private readonly events: SyscallRecord[] = [];
  private readonly openAtStart: SyscallExitPart[] = [];
  /** Syscalls entered in this slice and not returned, by task. */
  private readonly pending = new Map<string, Pending>();
  /** Tasks in the kernel for another trap from user mode (interrupt, page fault) taken in this slice. */
  private readonly otherTrap = new Set<string>();
  /** Tasks seen entering or leaving user mode in this slice. */
  private readonly seen = new Set<string>();

  constructor(private readonly options: SyscallTracerOptions, private readonly profile: unknown) {
    const check = taskLayoutFromProfile(profile);
    this.attribution = check.ok
      ? { available: true, note: `pid, tid and comm from task_struct (${check.layout.origin})` }
      : { available: false, note: check.reason };
  }

  attach(view: ReplayView): void {
    this.view = view;
    const hart = view.hart;
    this.mem = new GuestMemory(view.ram, () => hart.satp);
    const check = taskLayoutFromProfile(this.profile);
    if (check.ok) this.procs = new ProcessReader(check.layout, this.mem);
    view.onTrap((e) => this.trap(e));
    view.onXret((e) => this.xret(e));
  }

  private position(): TracePosition {
    const v = this.view!;
    return { icount: Number(v.hart.icount), mtime: Number(v.mtime()), slice: v.slice.index };
  }

  private who(task: bigint): TaskRef {
    const info: TaskInfo | null = this.procs?.readTask(task) ?? null;
    return { task: hex(task), pid: info?.pid ?? null, tid: info?.tid ?? null, comm: info?.comm ?? null };
  }

  private trap(e: TrapEvent): void {
    if (e.fromPriv !== PRIV_U) return;
    const hart = this.view!.hart;
    const task = hart.sscratch;
    const key = hex(task);
    this.seen.add(key);
    if (e.interrupt || e.cause !== CAUSE_ECALL_U) {
      this.otherTrap.add(key);
      return;
    }
    const nr = Number(BigInt.asUintN(32, hart.getX(REG_A7)));
    const args = [10, 11, 12, 13, 14, 15].map((r) => hart.getX(r));
    const pc = hart.priv === PRIV_S ? hart.sepc : hart.mepc;
    const def = defFor(nr);
    const part: SyscallEntryPart = {
      ...this.who(task),
      nr,
      name: def.name,
      args: args.map(String),
      argText: decodeEntryArgs(def, args, this.mem, this.options),
      pc: hex(pc),
      at: this.position(),
    };
    const stale = this.pending.get(key);
    if (stale !== undefined) {
      // The task runs user code again, so its older call never returned (should not happen).
      this.events.push(unfinishedRecord(stale.part));
      this.pending.delete(key);
    }
    if (nr === NR_EXIT || nr === NR_EXIT_GROUP) {
      this.events.push(buildRecord(part, null, 'no-return'));
      return;
    }
    this.pending.set(key, { part, args, pc });
  }

  /**
   * Where the interrupted program continues, the syscall's a0 and the program's
   * a1..a5: from the registers, or, when the kernel enters a signal handler
   * first (a0 = signal, a1 = &frame->info, a2 = &frame->uc), from the signal
   * frame it built (uc_mcontext.sc_regs).
   */
  private continuation(signalEntry: boolean): { pc: bigint; a0: bigint | null; a1to5: bigint[] | null; a7: number | null; signal: number | null } {
    const hart = this.view!.hart;
    if (!signalEntry) return { pc: hart.pc, a0: hart.getX(REG_A0), a1to5: [11, 12, 13, 14, 15].map((r) => hart.getX(r)), a7: null, signal: null };
    const regs = this.mem!.readVirt(hart.getX(REG_A2) + UC_MCONTEXT, 8 * 18);
    if (regs === null) return { pc: hart.pc, a0: null, a1to5: null, a7: null, signal: null };
    const v = new DataView(regs.buffer);
    const reg = (i: number): bigint => v.getBigUint64(8 * i, true); // sc_regs: pc, ra, sp, gp, tp, t0-t2, s0, s1, a0...
    return {
      pc: reg(0), a0: reg(REG_A0), a1to5: [11, 12, 13, 14, 15].map(reg), a7: Number(BigInt.asUintN(32, reg(REG_A7))),
      signal: Number(BigInt.asUintN(32, hart.getX(REG_A0))),
    };
  }

  /** Whether user mode is entering a signal handler: the kernel set sp = the frame, a1 = &frame->info (= sp), a2 = &frame->uc (= sp + 128). */
  private enteringHandler(): boolean {
    const hart = this.view!.hart;
    const sp = hart.getX(REG_SP);
    return hart.getX(REG_A1) === sp && hart.getX(REG_A2) === sp + SIGINFO_SIZE;
  }

  private xret(e: XretEvent): void {
    if (e.toPriv !== PRIV_U) return;
    const hart = this.view!.hart;
    const task = hart.sscratch;
    const key = hex(task);
    const firstSeen = !this.seen.has(key);
    this.seen.add(key);
    const p = this.pending.get(key);
    if (p === undefined) {
      if (this.otherTrap.delete(key) || !firstSeen) return; // back from an interrupt or fault
      this.exitWithoutEntry(task);
      return;
    }
    this.pending.delete(key);
    const who = this.who(task);
    const nrNow = Number(BigInt.asUintN(32, hart.getX(REG_A7)));
    // Back at the ecall + 4 or the ecall: the call's own return; elsewhere: a signal handler first (or exec/sigreturn).
    const direct = hart.pc === p.pc + 4n || hart.pc === p.pc || REPLACES_REGS.has(p.part.nr);
    const handler = !direct && this.enteringHandler();
    const c = this.continuation(handler);
    const sameTask = p.part.tid === null || who.tid === null || p.part.tid === who.tid;
    // a7 survives the call (a restart may set it to restart_syscall); in a handler's frame too.
    const nrOk = direct ? nrNow === p.part.nr || hart.pc === p.pc || REPLACES_REGS.has(p.part.nr) : handler && (c.a7 === null || c.a7 === p.part.nr || c.a7 === NR_RESTART);
    if (!sameTask || !nrOk) {
      // A task_struct reused by another task (the old one died in its call): the old call never returned,
      // and this is the new task's first return.
      this.events.push(unfinishedRecord(p.part));
      this.exitWithoutEntry(task);
      return;
    }
    const def = defFor(p.part.nr);
    const outcome = exitOutcome(p.part.nr, p.pc, c.pc, c.a0 !== null);
    const dec = outcome === 'returned' ? decodeExitArgs(def, p.args, c.a0!, this.mem, this.options) : null;
    const part: SyscallEntryPart = REPLACES_REGS.has(p.part.nr)
      ? p.part
      : { ...p.part, argText: retryEntryArgs(def, p.args, p.part.argText, this.mem, this.options) };
    const exit: SyscallExitPart = {
      ...who, nr: nrNow, args: p.part.args, result: c.a0 === null ? null : String(BigInt.asIntN(64, c.a0)),
      argText: dec?.texts ?? def.args.map(() => null), lateText: part.argText, pc: hex(c.pc), signal: c.signal, wstatus: dec?.wstatus ?? null,
      at: this.position(),
    };
    this.events.push(buildRecord(part, exit, outcome));
  }

  /** The first return to user mode of a task in this slice: it may end a syscall entered before the slice. */
  private exitWithoutEntry(task: bigint): void {
    const hart = this.view!.hart;
    const cause = this.procs?.trapCause(task) ?? null;
    if (cause !== null && cause !== BigInt(CAUSE_ECALL_U) && cause !== CAUSE_SIGNAL_HANDLED) return; // an interrupt or fault
    const signalEntry = cause === null ? this.enteringHandler() : cause === CAUSE_SIGNAL_HANDLED;
    const c = this.continuation(signalEntry);
    const nrNow = Number(BigInt.asUintN(32, hart.getX(REG_A7)));
    const orig = this.procs?.origA0(task) ?? null;
    const def = defFor(nrNow);
    let texts: ArgTexts = def.args.map(() => null);
    let late: ArgTexts = def.args.map(() => null);
    let wstatus: number | null = null;
    if (c.a1to5 !== null && !REPLACES_REGS.has(nrNow)) {
      const args = [orig ?? 0n, ...c.a1to5];
      late = retryEntryArgs(def, args, args.map((a) => hex(BigInt.asUintN(64, a))), this.mem, this.options).map((t, i) => (i === 0 && orig === null ? null : t));
    }
    if (c.a0 !== null && c.a1to5 !== null) {
      const d = decodeExitArgs(def, [orig ?? 0n, ...c.a1to5], c.a0, this.mem, this.options);
      // Without orig_a0, an output that a0 points to cannot be read.
      texts = orig === null ? d.texts.map((t, i) => (i === 0 ? null : t)) : d.texts;
      wstatus = d.wstatus;
    }
    this.openAtStart.push({
      ...this.who(task), nr: nrNow,
      args: [orig === null ? null : String(orig), ...(c.a1to5 ?? [null, null, null, null, null]).map((a) => (a === null ? null : String(a)))],
      result: c.a0 === null ? null : String(BigInt.asIntN(64, c.a0)), argText: texts, lateText: late, pc: hex(c.pc), signal: c.signal, wstatus,
      at: this.position(),
    });
  }

  finish(): SyscallTrace {
    const openAtEnd = [...this.pending.values()].map((p) => p.part).sort((a, b) => a.at.icount - b.at.icount);
    const events = [...this.events].sort((a, b) => a.entry.icount - b.entry.icount);
    return {
      version: SYSCALL_TRACE_VERSION,
      slices: this.view === null ? [] : [this.view.slice.index],
      attribution: this.attribution,
      events,
      openAtStart: [...this.openAtStart],
      openAtEnd,
    };
  }
}

/** What happened to a call entered at `entryPc`, given where the program continues. */
function exitOutcome(nr: number, entryPc: bigint, continuePc: bigint, known: boolean): SyscallOutcome {
  if (!known) return 'signal';
  if (REPLACES_REGS.has(nr)) return 'returned';
  if (continuePc === entryPc + 4n) return 'returned';
  if (continuePc === entryPc) return 'restarted';
  return 'signal';
}

function resultText(nr: number, result: string | null, outcome: SyscallOutcome): { text: string; errno: string | null } {
  if (outcome === 'restarted') return { text: '? ERESTART* (to be restarted)', errno: null };
  if (outcome === 'signal') return { text: '? (interrupted by a signal handler)', errno: null };
  if (outcome === 'unfinished') return { text: '? <unfinished>', errno: null };
  return formatResult(defFor(nr), result === null ? null : BigInt(result));
}

function toBig(args: readonly (string | null)[]): bigint[] {
  return args.map((a) => (a === null ? 0n : BigInt(a)));
}

function buildRecord(e: SyscallEntryPart, exit: SyscallExitPart | null, outcome: SyscallOutcome): SyscallRecord {
  const def = defFor(e.nr);
  const args = toBig(e.args);
  const returned = outcome === 'returned' && exit !== null;
  const r = resultText(e.nr, returned ? exit.result : null, outcome);
  const texts = finalArgTexts(def, args, e.argText, returned ? exit.argText : null);
  const rec: SyscallRecord = {
    task: e.task, pid: e.pid, tid: e.tid, comm: e.comm,
    nr: e.nr, name: e.name, args: e.args, argText: texts,
    result: returned ? exit.result : null,
    errno: r.errno,
    outcome,
    text: formatCall(def, args, texts, r.text),
    entry: e.at,
    exit: exit?.at ?? null,
    wstatus: returned ? exit.wstatus : null,
    signal: exit?.signal ?? null,
  };
  if (exit !== null && exit.comm !== null && e.comm !== null && exit.comm !== e.comm) rec.commAtExit = exit.comm;
  return rec;
}

/** One record from an entry and the return that ends it (possibly from another slice). */
export function stitch(e: SyscallEntryPart, x: SyscallExitPart): SyscallRecord {
  const def = defFor(e.nr);
  const args = toBig(e.args);
  // Inputs the entry could not read, read at the return (only where the return saw the same argument).
  const late = x.lateText.map((t, i) => (x.args[i] === e.args[i] ? t : null));
  const entry = REPLACES_REGS.has(e.nr) ? e : { ...e, argText: fillUnreadArgs(def, args, e.argText, late) };
  return buildRecord(entry, x, exitOutcome(e.nr, BigInt(e.pc), BigInt(x.pc), x.result !== null));
}

/** A record for a call that never returned. */
export function unfinishedRecord(e: SyscallEntryPart): SyscallRecord {
  return buildRecord(e, null, 'unfinished');
}

/** Whether an exit can be the return of an entry of the same task. */
function exitMatches(e: SyscallEntryPart, x: SyscallExitPart): boolean {
  if (e.tid !== null && x.tid !== null && e.tid !== x.tid) return false;
  if (REPLACES_REGS.has(e.nr)) return true;
  // The program continues at the ecall + 4 (returned) or at the ecall (restarted), with a7 unchanged
  // (or set to restart_syscall by an ERESTART_RESTARTBLOCK restart).
  const pcOk = x.result === null || BigInt(x.pc) === BigInt(e.pc) + 4n || BigInt(x.pc) === BigInt(e.pc);
  return pcOk && (x.nr === e.nr || x.nr === NR_RESTART);
}

/**
 * Slice results, in slice order, into one: an entry left open at the end of
 * one part and an exit open at the start of a later one, for the same task,
 * become one record. Associative: parts may themselves be merged results.
 */
export function mergeSyscallTraces(parts: readonly SyscallTrace[]): SyscallTrace {
  const events: SyscallRecord[] = [];
  const openAtStart: SyscallExitPart[] = [];
  const pending = new Map<string, SyscallEntryPart>();
  const slices: number[] = [];
  let attribution: AttributionStatus = { available: false, note: 'no slices' };
  for (const [i, p] of parts.entries()) {
    if (i === 0 || !p.attribution.available) attribution = p.attribution;
    slices.push(...p.slices);
    for (const x of p.openAtStart) {
      const e = pending.get(x.task);
      if (e !== undefined && e.at.icount <= x.at.icount && exitMatches(e, x)) {
        pending.delete(x.task);
        events.push(stitch(e, x));
      } else {
        openAtStart.push(x);
      }
    }
    for (const r of p.events) {
      const e = pending.get(r.task);
      if (e !== undefined && e.at.icount < r.entry.icount) {
        pending.delete(r.task);
        events.push(unfinishedRecord(e));
      }
      events.push(r);
    }
    for (const e of p.openAtEnd) {
      const old = pending.get(e.task);
      if (old !== undefined) events.push(unfinishedRecord(old));
      pending.set(e.task, e);
    }
  }
  events.sort((a, b) => a.entry.icount - b.entry.icount);
  return {
    version: SYSCALL_TRACE_VERSION,
    slices,
    attribution,
    events,
    openAtStart,
    openAtEnd: [...pending.values()].sort((a, b) => a.at.icount - b.at.icount),
  };
}

/** The `syscalls` analysis: create by name from a registry; results merge in slice order. */
export const syscallsAnalysis: AnalysisKind<SyscallTrace, SyscallTracerOptions | undefined> = {
  name: 'syscalls',
  weight: 'light',
  description: 'riscv64 Linux syscall trace (strace-like), with pid/tid/comm from the guest profile',
  create(options: SyscallTracerOptions | undefined, context: AnalysisContext): Analysis<SyscallTrace> {
    return new SyscallTracer(options ?? {}, context.profile);
  },
  merge(parts: SyscallTrace[]): SyscallTrace {
    return mergeSyscallTraces(parts);
  },
};
