/**
 * The guest profile from a System.map and the memory of a recording: the
 * System.map gives init_task's address and nothing about layouts, so the
 * layout is read off the kernel's own task list in guest memory (a snapshot's
 * RAM, through its page tables):
 * - comm: where "swapper" (uniprocessor) or "swapper/0" (SMP) lies in
 *   init_task (init/init_task.c: .comm = INIT_TASK_COMM; SMP's init_idle
 *   renames it swapper/N);
 * - tasks: the list_head whose next pointers, less its offset, walk from
 *   init_task through tasks that each have a printable name at comm (and
 *   whose prev pointers point back) and return to init_task (kernel/fork.c:
 *   every thread-group leader is on init_task.tasks, added at the tail);
 * - pid and tgid: the 32-bit fields that are 0 in init_task, 1 in the first
 *   task after it (init) and distinct along the list. On that list every task
 *   leads its thread group, so pid = tgid in each: a thread (a task on a
 *   leader's thread_group list, not on the task list) whose pid differs from
 *   its leader's tells the two apart. With no thread alive they are told
 *   apart by their order in struct task_struct (pid, then tgid, adjacent, in
 *   every Linux since 2.6), and the profile lists that assumption;
 * - thread_info.kernel_sp and pt_regs: the word of thread_info (at offset 0
 *   of task_struct on riscv) that, in init and at least two other tasks (the
 *   user processes), points just above a user-mode pt_regs: pc and sp user
 *   addresses, sstatus.SPP clear (the trap came from U-mode), a valid scause
 *   (8, ecall from U, for tasks asleep in a syscall). In kernel threads that
 *   word holds the sp of their last trap from S-mode (entry.S keeps it
 *   there), so they need not fit. pt_regs' size on the stack is that
 *   distance; cause and orig_a0 are its last two words (the riscv layout,
 *   arch/riscv/include/asm/ptrace.h), as calibrate.ts assumes too.
 *
 * A field is accepted only when exactly one offset fits; the profile
 * carries, per field, the evidence and its confidence, in the same shape as
 * self-calibration's (calibrate.ts).
 */
import { CALIBRATION_VERSION, MIN_OBSERVATIONS, type CalibratedProfile, type Confidence, type FieldEvidence } from './calibrate.js';
import { DebugInfoError } from './debug-info-error.js';
import { isKernelPointer } from './process.js';
import type { MemoryReader } from './sv39.js';
import type { MapSymbol } from './system-map.js';
import { STACK_WINDOW, TASK_WINDOW, THREAD_INFO_WORDS } from './task-observations.js';

/** Tasks on the list before the walk gives up (a loop that never returns to init_task). */
const MAX_TASKS = 32768;
/** Threads followed on one leader's thread list. */
const MAX_THREADS = 4096;
const HIGH_TASKS = 6;
const TASK_COMM_LEN = 16;
/** pt_regs: 32 words of registers (epc, x1..x31), then status, badaddr, cause, orig_a0. */
const PT_SP = 2 * 8, PT_STATUS = 32 * 8, PT_CAUSE = 34 * 8, PT_ORIG_A0 = 35 * 8;
const SSTATUS_SPP = 1n << 8n;
/** PID_MAX_LIMIT on 64-bit kernels. */
const PID_MAX = 4 * 1024 * 1024;

/** A profile anchored on init_task: the calibrated profile's shape, with where the anchor came from. */
export interface SystemMapProfile extends CalibratedProfile {
  offsets: CalibratedProfile['offsets'] & { task_struct: CalibratedProfile['offsets']['task_struct'] & { tasks: number } };
  source: { kind: 'system-map'; init_task: string; memory: string };
}

export interface SystemMapProfileOptions {
  /** Where the memory comes from, for messages and the profile (e.g. "app.rec at icount 123"). */
  where?: string;
  /** The kernel release; default: read from linux_banner when the System.map has it. */
  release?: string;
  /** The System.map's name, for messages. */
  mapName?: string;
}

const hex = (v: bigint) => `0x${v.toString(16)}`;
const u32 = (b: Uint8Array, o: number) => (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
const u64 = (b: Uint8Array, o: number) => BigInt(u32(b, o)) | (BigInt(u32(b, o + 4)) << 32n);
/** A user-half address above the first page (mmap_min_addr keeps page 0 unmapped). */
const isUserAddress = (a: bigint) => a >= 0x1000n && a < 1n << 47n;
const confidence = (n: number): Confidence => (n >= HIGH_TASKS ? 'high' : 'medium');

/** Up to `len` bytes at `va`: the readable prefix, page by page (a task near the end of RAM), or null if the first byte is not. */
function readPrefix(mem: MemoryReader, va: bigint, len: number): Uint8Array | null {
  const out = new Uint8Array(len);
  let done = 0;
  while (done < len) {
    const at = va + BigInt(done);
    const n = Math.min(len - done, 4096 - Number(at & 0xfffn));
    const b = mem.readVirt(at, n);
    if (b === null) break;
    out.set(b, done);
    done += n;
  }
  return done === 0 ? null : out.subarray(0, done);
}

/** The name in a task's comm: NUL-terminated within TASK_COMM_LEN, printable ASCII, not empty; else null. */
function commAt(b: Uint8Array, off: number): string | null {
  if (off + TASK_COMM_LEN > b.length) return null;
  let s = '';
  for (let i = 0; i < TASK_COMM_LEN; i++) {
    const c = b[off + i];
    if (c === 0) return s === '' ? null : s;
    if (c < 0x20 || c > 0x7e) return null;
    s += String.fromCharCode(c);
  }
  return null;
}

interface Task { ptr: bigint; bytes: Uint8Array }

/** The task list through the list_head at `t`, init_task first; null if it is not one (a link that does not point back, a name that is not printable, no return to init_task). */
function walkTasks(mem: MemoryReader, init: Task, t: number, comm: number): Task[] | null {
  const tasks = [init];
  const seen = new Set<bigint>([init.ptr]);
  let cur = init;
  for (;;) {
    if (t + 16 > cur.bytes.length) return null;
    const next = u64(cur.bytes, t);
    if (next === init.ptr + BigInt(t)) return tasks.length >= 3 ? tasks : null;
    if (!isKernelPointer(next)) return null;
    const ptr = next - BigInt(t);
    if (seen.has(ptr) || tasks.length > MAX_TASKS) return null;
    const bytes = readPrefix(mem, ptr, TASK_WINDOW);
    if (bytes === null || t + 16 > bytes.length || u64(bytes, t + 8) !== cur.ptr + BigInt(t) || commAt(bytes, comm) === null) return null;
    cur = { ptr, bytes };
    tasks.push(cur);
    seen.add(ptr);
  }
}

/** Offsets where init_task holds "swapper" or "swapper/N", NUL-terminated. */
function swapperOffsets(b: Uint8Array): number[] {
  const out: number[] = [];
  for (let o = 0; o + TASK_COMM_LEN <= b.length; o++) {
    const name = commAt(b, o);
    if (name !== null && /^swapper(\/\d+)?$/.test(name) && (o === 0 || b[o - 1] === 0 || b[o - 1] < 0x20 || b[o - 1] > 0x7e)) out.push(o);
  }
  return out;
}

/** Threads on each leader's list at `g` (not on the task list): null if `g` is not a list of tasks in every leader. */
function threadGroups(mem: MemoryReader, leaders: Task[], onList: Set<bigint>, g: number, comm: number): { leader: Task; threads: Task[] }[] | null {
  const groups: { leader: Task; threads: Task[] }[] = [];
  for (const leader of leaders) {
    const head = leader.ptr + BigInt(g);
    if (g + 16 > leader.bytes.length) return null;
    let next = u64(leader.bytes, g), prev = head;
    const threads: Task[] = [];
    while (next !== head) {
      if (!isKernelPointer(next) || threads.length >= MAX_THREADS) return null;
      const ptr = next - BigInt(g);
      if (onList.has(ptr)) return null;
      const bytes = readPrefix(mem, ptr, TASK_WINDOW);
      if (bytes === null || g + 16 > bytes.length || u64(bytes, g + 8) !== prev || commAt(bytes, comm) === null) return null;
      threads.push({ ptr, bytes });
      prev = next;
      next = u64(bytes, g);
    }
    if (threads.length > 0) groups.push({ leader, threads });
  }
  return groups;
}

/**
 * Derives the profile from init_task's address (in `symbols`) and the guest
 * memory `mem` (a snapshot's, through its page tables). Throws
 * DebugInfoError, one line, saying what is missing or does not fit, and where.
 */
export function profileFromSystemMap(symbols: readonly MapSymbol[], mem: MemoryReader, o: SystemMapProfileOptions = {}): SystemMapProfile {
  const where = o.where ?? 'the guest memory';
  const mapName = o.mapName ?? 'the System.map';
  const sym = (name: string) => symbols.find((s) => s.name === name)?.address;
  const initAddr = sym('init_task');
  if (initAddr === undefined) throw new DebugInfoError(`${mapName} has no init_task symbol: is it a Linux kernel's System.map?`);
  const initBytes = readPrefix(mem, initAddr, TASK_WINDOW);
  if (initBytes === null) throw new DebugInfoError(`init_task (${hex(initAddr)}, from ${mapName}) is not mapped in ${where}: the kernel had not set up its page tables by then, or the System.map is another kernel's`);
  const init: Task = { ptr: initAddr, bytes: initBytes };
  const notKernel = `: is ${mapName} this kernel's, and had it booted by then?`;

  // comm and tasks: together, since the walk checks every task's name.
  const fits: { comm: number; tasks: number; list: Task[] }[] = [];
  const commCands = swapperOffsets(initBytes);
  if (commCands.length === 0) throw new DebugInfoError(`no "swapper" name in init_task (${hex(initAddr)}) in ${where}${notKernel}`);
  for (const c of commCands) {
    for (let t = 0; t + 16 <= initBytes.length; t += 8) {
      const list = walkTasks(mem, init, t, c);
      if (list !== null) fits.push({ comm: c, tasks: t, list });
    }
  }
  if (fits.length !== 1) {
    throw new DebugInfoError(fits.length === 0
      ? `no list in init_task (${hex(initAddr)}) in ${where} leads through named tasks back to it (comm candidates: ${commCands.join(', ')})${notKernel}`
      : `several lists in init_task lead through named tasks back to it (comm/tasks offsets ${fits.map((f) => `${f.comm}/${f.tasks}`).join(', ')}): cannot tell which is the task list`);
  }
  const { comm, tasks: tasksOff, list } = fits[0];
  const others = list.slice(1);
  const names = list.map((t) => commAt(t.bytes, comm)!);
  const n = others.length;
  const evidence: FieldEvidence[] = [];
  const shown = (xs: string[]) => `${[...new Set(xs)].slice(0, 6).join(', ')}${new Set(xs).size > 6 ? ', ...' : ''}`;
  evidence.push({
    field: 'task_struct.comm', offset: comm, confidence: confidence(n), observations: list.length, distinctValues: new Set(names).size,
    how: `where "${names[0]}" lies in init_task (${hex(initAddr)}, from ${mapName}); each of the ${n} other tasks on its task list has a printable name there (${shown(names.slice(1))})`,
  });
  evidence.push({
    field: 'task_struct.tasks', offset: tasksOff, confidence: confidence(n), observations: list.length, distinctValues: list.length,
    how: `the only list_head in init_task whose next pointers, less this offset, lead through ${n} named tasks (each prev pointing back) and back to init_task`,
  });

  // pid and tgid: 0 in init_task, 1 in init, distinct along the list.
  let ids: number[] = [];
  for (let off = 0; off + 4 <= Math.min(...list.map((t) => t.bytes.length)); off += 4) {
    if (u32(initBytes, off) !== 0 || u32(others[0].bytes, off) !== 1) continue;
    const vals = others.map((t) => u32(t.bytes, off));
    if (new Set(vals).size === vals.length && vals.every((v) => v < PID_MAX)) ids.push(off);
  }
  // Allocation order: pids grow along the list (leaders are added at its tail), unless they wrapped.
  if (ids.length > 2) ids = ids.filter((off) => others.every((t, i) => i === 0 || u32(t.bytes, off) > u32(others[i - 1].bytes, off)));
  if (ids.length !== 2) {
    throw new DebugInfoError(`${ids.length === 0 ? 'no' : ids.length === 1 ? 'only one' : `${ids.length}`} 32-bit field${ids.length === 1 ? '' : 's'} of task_struct ${ids.length > 2 ? `(${ids.slice(0, 6).join(', ')}) ` : ''}read 0 in init_task, 1 in the task after it and distinct values along the task list in ${where} (pid and tgid should be two)`);
  }
  const [a, b] = ids;
  const pidList = others.map((t) => u32(t.bytes, a));
  // Threads: a list in each leader whose members are tasks off the task list. tgid is the field they share with their leader.
  const onList = new Set(list.map((t) => t.ptr));
  const verdicts = new Map<string, { g: number; threads: number; leaders: number }>();
  for (let g = 0; g + 16 <= Math.min(...list.map((t) => t.bytes.length)); g += 8) {
    if (g === tasksOff) continue;
    const groups = threadGroups(mem, others, onList, g, comm);
    if (groups === null || groups.length === 0) continue;
    const all = groups.flatMap((gr) => gr.threads.map((th) => ({ leader: gr.leader, th })));
    const same = (off: number) => all.every(({ leader, th }) => u32(th.bytes, off) === u32(leader.bytes, off));
    const differ = (off: number) => all.every(({ leader, th }) => u32(th.bytes, off) !== u32(leader.bytes, off));
    const verdict = same(a) && differ(b) ? `${b}:${a}` : same(b) && differ(a) ? `${a}:${b}` : null;
    if (verdict !== null && !verdicts.has(verdict)) verdicts.set(verdict, { g, threads: all.length, leaders: groups.length });
  }
  let pid: number, tgid: number, idsHow: string, assumption: string | undefined, idConfidence = confidence(n);
  let idObservations = n;
  if (verdicts.size === 1) {
    const [[key, v]] = [...verdicts];
    [pid, tgid] = key.split(':').map(Number);
    idObservations = n + v.threads;
    idsHow = `0 in init_task, 1 in init and distinct in each of the ${n} tasks after it (pid = tgid there); told apart by ${v.threads} thread${v.threads === 1 ? '' : 's'} of ${v.leaders} process${v.leaders === 1 ? '' : 'es'} (the list at offset ${v.g}: tasks off the task list) that share${v.threads === 1 ? 's' : ''} tgid with ${v.threads === 1 ? 'its' : 'their'} leader and not pid`;
  } else if (Math.abs(a - b) === 4) {
    [pid, tgid] = [Math.min(a, b), Math.max(a, b)];
    idsHow = `the only two fields 0 in init_task, 1 in init and distinct in each of the ${n} tasks after it; every task on the list leads its thread group (pid = tgid) and ${verdicts.size === 0 ? 'no thread was alive' : 'the candidate thread lists disagreed'}, so they are told apart by their order in struct task_struct (pid, then tgid)`;
    assumption = 'task_struct.pid comes just before task_struct.tgid (no thread in this memory told them apart; for every task on the task list the two are equal)';
    idConfidence = 'medium';
  } else {
    throw new DebugInfoError(`the two fields that read like pid and tgid (offsets ${a} and ${b}) are not adjacent and no thread in ${where} tells them apart`);
  }
  const idValues = new Set(pidList).size;
  const idCommon = { confidence: idConfidence, observations: idObservations, distinctValues: idValues, ...(assumption === undefined ? {} : { assumption }) };
  evidence.push({ field: 'task_struct.pid', offset: pid, ...idCommon, how: idsHow });
  evidence.push({ field: 'task_struct.tgid', offset: tgid, ...idCommon, how: idsHow });

  const stack = kernelStack(mem, others, where);
  evidence.push(...stack.evidence);

  const overall: Confidence = evidence.every((e) => e.confidence === 'high') ? 'high' : 'medium';
  return {
    schema: 'prnr.guest-profile/1',
    kernel: { machine: 'riscv64', release: o.release ?? bannerRelease(mem, sym('linux_banner')) ?? 'unknown' },
    sizes: { pt_regs: stack.ptSize, task_comm_len: TASK_COMM_LEN },
    offsets: {
      task_struct: { pid, tgid, comm, tasks: tasksOff },
      thread_info: { kernel_sp: stack.kernelSp },
      pt_regs: { cause: PT_CAUSE, orig_a0: PT_ORIG_A0 },
    },
    calibration: {
      version: CALIBRATION_VERSION,
      method: `init_task located by ${mapName}; the layout read off the kernel's task list in ${where}; no debug info`,
      confidence: overall,
      observations: list.length,
      evidence,
      assumptions: assumption === undefined ? [] : [assumption],
    },
    source: { kind: 'system-map', init_task: hex(initAddr), memory: where },
  };
}

/** "Linux version 6.1.192 (...)": the release, or null. */
function bannerRelease(mem: MemoryReader, at: bigint | undefined): string | null {
  if (at === undefined) return null;
  const s = mem.readCString(at, 256);
  const m = s === null ? null : /^Linux version (\S+)/.exec(s.text);
  return m === null ? null : m[1];
}

function validCause(c: bigint): boolean {
  return c >> 63n === 1n ? (c & 0xffn) < 16n : c < 16n;
}

/**
 * kernel_sp and pt_regs' size on the stack: the (word of thread_info, size)
 * that, in init (the first task after init_task, a user process from its
 * exec on) and at least MIN_OBSERVATIONS tasks in all, points just above a
 * user-mode pt_regs; the one such pair. In kernel threads the word holds
 * the kernel sp of their last trap from S-mode (entry.S saves it there),
 * which need not fit.
 */
function kernelStack(mem: MemoryReader, tasks: Task[], where: string): { kernelSp: number; ptSize: number; evidence: FieldEvidence[] } {
  const fitting = new Map<string, { tasks: Task[]; syscalls: number }>();
  for (let w = 0; w < THREAD_INFO_WORDS; w++) {
    for (const t of tasks) {
      const p = u64(t.bytes, 8 * w);
      if (!isKernelPointer(p)) continue;
      const below = mem.readVirt(p - BigInt(STACK_WINDOW), STACK_WINDOW);
      if (below === null) continue;
      for (let size = PT_ORIG_A0 + 8; size <= STACK_WINDOW; size += 8) {
        const base = STACK_WINDOW - size;
        const cause = u64(below, base + PT_CAUSE);
        const sp = u64(below, base + PT_SP);
        const ok = isUserAddress(u64(below, base)) && isUserAddress(sp) && (sp & 7n) === 0n && (u64(below, base + PT_STATUS) & SSTATUS_SPP) === 0n && validCause(cause);
        if (!ok) continue;
        const key = `${8 * w}:${size}`;
        const f = fitting.get(key) ?? { tasks: [], syscalls: 0 };
        f.tasks.push(t);
        if (cause === 8n) f.syscalls++;
        fitting.set(key, f);
      }
    }
  }
  const init = tasks[0];
  const cands = [...fitting].filter(([, f]) => f.tasks.includes(init) && f.tasks.length >= MIN_OBSERVATIONS && f.syscalls >= 1);
  if (cands.length !== 1) {
    const best = Math.max(0, ...[...fitting].filter(([, f]) => f.tasks.includes(init)).map(([, f]) => f.tasks.length));
    throw new DebugInfoError(cands.length === 0
      ? `no word of thread_info points just above a user pt_regs in init and at least ${MIN_OBSERVATIONS - 1} other tasks in ${where} (at most ${best}, init included): too few user processes alive at that point`
      : `several words of thread_info point just above a user pt_regs in init and other tasks (offset:size ${cands.map(([k]) => k).join(', ')}) in ${where}`);
  }
  const [[key, f]] = cands;
  const [kernelSp, ptSize] = key.split(':').map(Number);
  const n = f.tasks.length;
  return {
    kernelSp, ptSize,
    evidence: [
      {
        field: 'thread_info.kernel_sp', offset: kernelSp, confidence: confidence(n), observations: n, distinctValues: n,
        how: `the only word of thread_info that points ${ptSize} bytes above a user-mode pt_regs (user pc and aligned sp, sstatus.SPP clear, a valid scause) in init and ${n - 1} other tasks (the user processes; the other ${tasks.length - n} are kernel threads, where the word holds the sp of their last trap from S-mode)`,
      },
      {
        field: 'pt_regs.cause', offset: PT_CAUSE, confidence: confidence(f.syscalls), observations: n, distinctValues: 1,
        how: `after the 32 saved registers, status and badaddr (the riscv pt_regs layout); reads 8 (ecall from U-mode: asleep in a syscall) in ${f.syscalls} of those tasks`,
      },
    ],
  };
}
