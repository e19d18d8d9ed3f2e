/**
 * Self-calibration: the task_struct layout that process attribution needs
 * (pid, tgid, comm, thread_info.kernel_sp and the pt_regs below it), learned
 * from observations of a recording (task-observations.ts), with no kernel
 * debug info.
 *
 * Each field's offset is the one that every observation of it agrees with:
 * - comm: the basename of each execve'd path, NUL-terminated, at the same
 *   offset in every task that returned from execve;
 * - pid and tgid: gettid/set_tid_address results (pid) and getpid results
 *   (tgid) as 32-bit values at the same offsets. One thread whose thread id
 *   differs from its process id (a gettid in a second thread of a process)
 *   tells the two offsets apart. Where no thread was seen (pid = tgid in every
 *   observation), both offsets hold both values and no observation can tell
 *   them apart; then, and only then, they are told apart by their order in
 *   struct task_struct (`pid_t pid; pid_t tgid;`, adjacent, in every Linux
 *   since 2.6), and the profile lists that in `calibration.assumptions`. For
 *   the tasks observed the choice changes nothing (their two fields are
 *   equal); the strace oracle shows the order holds on both test kernels;
 * - kernel_sp: the word of thread_info that points just above the user
 *   pt_regs, found by the registers the hart returned to user mode with (pc,
 *   x1..x31: pt_regs' first 32 words); pt_regs' size on the stack is that
 *   distance, and cause is the word 2 after the registers (status, badaddr,
 *   cause, orig_a0: arch/riscv/include/asm/ptrace.h), which must read 8
 *   (ecall from U) at every syscall return.
 *
 * An offset is accepted only when at least MIN_OBSERVATIONS observations with
 * at least two distinct values agree and no other offset agrees with all of
 * them. The profile says, per field, how many agreed and how confident it is.
 */
import { STACK_WINDOW, type TaskObservation, type TaskObservations } from './task-observations.js';

export const CALIBRATION_VERSION = 1;
/** Agreeing observations needed to accept an offset (with at least two distinct values). */
export const MIN_OBSERVATIONS = 3;
/** Agreeing observations for "high" confidence. */
const HIGH_OBSERVATIONS = 6;
const TASK_COMM_LEN = 16;
/** pt_regs: 32 words of registers (epc, x1..x31), then status, badaddr, cause, orig_a0. */
const PT_CAUSE = 34 * 8, PT_ORIG_A0 = 35 * 8;

export type Confidence = 'high' | 'medium';

export interface FieldEvidence {
  field: string;
  offset: number;
  confidence: Confidence;
  /** Observations used, and how many distinct values (names, ids) they had. */
  observations: number;
  distinctValues: number;
  /** How the offset was chosen, in a sentence. */
  how: string;
  /** Set when the offset rests on an assumption no observation could check (pid/tgid order with no thread seen). */
  assumption?: string;
}

export interface CalibrationFailure {
  field: string;
  reason: string;
}

export type CalibrationResult =
  | { ok: true; profile: CalibratedProfile; evidence: FieldEvidence[] }
  | { ok: false; reason: string; failures: CalibrationFailure[]; evidence: FieldEvidence[] };

/** A guest profile (prnr.guest-profile/1) with the evidence it was calibrated from. */
export interface CalibratedProfile {
  schema: 'prnr.guest-profile/1';
  kernel: { machine: 'riscv64'; release: string };
  sizes: { pt_regs: number; task_comm_len: number };
  offsets: {
    task_struct: { pid: number; tgid: number; comm: number };
    thread_info: { kernel_sp: number };
    pt_regs: { cause: number; orig_a0: number };
  };
  calibration: {
    version: typeof CALIBRATION_VERSION;
    method: string;
    confidence: Confidence;
    observations: number;
    evidence: FieldEvidence[];
    /** What the offsets rest on beyond the observations (empty: nothing). */
    assumptions: string[];
  };
}

const fromB64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));

/** Offsets (step `align`) where `test(bytes, offset)` holds in every observation. */
function agreeing(obs: readonly { bytes: Uint8Array; test: (b: Uint8Array, o: number) => boolean }[], width: number, align: number): number[] {
  let cands: number[] | null = null;
  for (const o of obs) {
    const next: number[] = [];
    const from: number[] = cands ?? Array.from({ length: Math.floor((o.bytes.length - width) / align) + 1 }, (_, i) => i * align);
    for (const off of from) if (off + width <= o.bytes.length && o.test(o.bytes, off)) next.push(off);
    cands = next;
    if (cands.length === 0) break;
  }
  return cands ?? [];
}

const u32At = (b: Uint8Array, o: number): number => (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;

function confidence(n: number): Confidence {
  return n >= HIGH_OBSERVATIONS ? 'high' : 'medium';
}

function calibrateComm(obs: readonly TaskObservation[], evidence: FieldEvidence[], failures: CalibrationFailure[]): number | null {
  const ex = obs.filter((o) => o.kind === 'execve' && o.name !== null);
  const names = new Set(ex.map((o) => o.name));
  if (ex.length < MIN_OBSERVATIONS || names.size < 2) {
    failures.push({ field: 'comm', reason: `${ex.length} successful execve calls with ${names.size} distinct program names (need ${MIN_OBSERVATIONS} with 2)` });
    return null;
  }
  const cands = agreeing(ex.map((o) => {
    const want = [...o.name!].map((c) => c.charCodeAt(0));
    return { bytes: fromB64(o.taskBytes), test: (b: Uint8Array, off: number) => want.every((c, i) => b[off + i] === c) && b[off + want.length] === 0 };
  }), TASK_COMM_LEN, 1);
  if (cands.length !== 1) {
    failures.push({ field: 'comm', reason: cands.length === 0 ? 'no offset holds the program name after every execve' : `${cands.length} offsets hold the program name after every execve (${cands.slice(0, 5).join(', ')})` });
    return null;
  }
  evidence.push({
    field: 'task_struct.comm', offset: cands[0], confidence: confidence(ex.length), observations: ex.length, distinctValues: names.size,
    how: `the only offset holding the basename of the program after each of ${ex.length} execve returns (${[...names].slice(0, 6).join(', ')}${names.size > 6 ? ', ...' : ''})`,
  });
  return cands[0];
}

function calibrateIds(obs: readonly TaskObservation[], evidence: FieldEvidence[], failures: CalibrationFailure[]): { pid: number; tgid: number } | null {
  const tidObs = obs.filter((o) => (o.kind === 'gettid' || o.kind === 'set_tid_address') && o.value !== null);
  const tgidObs = obs.filter((o) => o.kind === 'getpid' && o.value !== null);
  const all = [...tidObs, ...tgidObs];
  const values = new Set(all.map((o) => o.value));
  if (all.length < MIN_OBSERVATIONS || values.size < 2 || tidObs.length === 0 || tgidObs.length === 0) {
    failures.push({ field: 'pid', reason: `${tidObs.length} thread-id and ${tgidObs.length} process-id results with ${values.size} distinct values (need ${MIN_OBSERVATIONS} with 2 values, of both kinds)` });
    return null;
  }
  const at = (list: TaskObservation[]) => agreeing(list.map((o) => ({ bytes: fromB64(o.taskBytes), test: (b: Uint8Array, off: number) => u32At(b, off) === o.value })), 4, 4);
  const P = at(tidObs), G = at(tgidObs);
  // Every (pid, tgid) pair of distinct offsets the observations allow.
  const pairs = P.flatMap((p) => G.filter((g) => g !== p).map((g) => [p, g] as const));
  let pid: number, tgid: number, how: string, assumption: string | undefined;
  if (pairs.length === 1) {
    [pid, tgid] = pairs[0];
    how = 'the only offsets holding every thread id and every process id, told apart by a thread whose thread id differs from its process id';
  } else if (pairs.length === 2 && pairs[0][0] === pairs[1][1] && pairs[0][1] === pairs[1][0] && Math.abs(pairs[0][0] - pairs[0][1]) === 4) {
    [pid, tgid] = [Math.min(pairs[0][0], pairs[0][1]), Math.max(pairs[0][0], pairs[0][1])];
    how = 'the only two offsets holding every id; no thread was seen (pid = tgid everywhere), so they are told apart by their order in struct task_struct (pid, then tgid)';
    assumption = 'task_struct.pid comes just before task_struct.tgid (no thread was observed to tell them apart; for every task observed the two are equal)';
  } else {
    failures.push({ field: 'pid', reason: `offsets holding every thread id: [${P.slice(0, 6).join(', ')}], every process id: [${G.slice(0, 6).join(', ')}]: not one pair` });
    return null;
  }
  const common = { confidence: assumption === undefined ? confidence(all.length) : 'medium' as Confidence, observations: all.length, distinctValues: values.size, ...(assumption === undefined ? {} : { assumption }) };
  evidence.push({ field: 'task_struct.pid', offset: pid, ...common, how: `${how}: ${tidObs.length} gettid/set_tid_address results` });
  evidence.push({ field: 'task_struct.tgid', offset: tgid, ...common, how: `${how}: ${tgidObs.length} getpid results` });
  return { pid, tgid };
}

/** The user pt_regs below each candidate kernel_sp of one observation: (offset of kernel_sp in thread_info, pt_regs size on the stack) pairs that fit. */
function stackFits(o: TaskObservation): { key: string; cause: bigint }[] {
  const regs = o.regs.map((r) => BigInt(r));
  const out: { key: string; cause: bigint }[] = [];
  for (const s of o.stacks) {
    const b = fromB64(s.below);
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
    for (let size = PT_ORIG_A0 + 8; size <= STACK_WINDOW; size += 8) {
      const base = STACK_WINDOW - size;
      let ok = true;
      for (let i = 0; i < 32 && ok; i++) ok = v.getBigUint64(base + 8 * i, true) === regs[i];
      if (ok) out.push({ key: `${s.offset}:${size}`, cause: v.getBigUint64(base + PT_CAUSE, true) });
    }
  }
  return out;
}

function intersect(a: Set<string> | null, b: Set<string>): Set<string> {
  return a === null ? b : new Set([...a].filter((k) => b.has(k)));
}

function calibrateStack(obs: readonly TaskObservation[], evidence: FieldEvidence[], failures: CalibrationFailure[]): { kernelSp: number; ptSize: number } | null {
  if (obs.length < MIN_OBSERVATIONS) {
    failures.push({ field: 'kernel_sp', reason: `${obs.length} syscall returns observed (need ${MIN_OBSERVATIONS})` });
    return null;
  }
  let cands: Set<string> | null = null;
  const causes = new Map<string, Set<bigint>>();
  for (const o of obs) {
    const fits = stackFits(o);
    for (const f of fits) {
      if (!causes.has(f.key)) causes.set(f.key, new Set());
      causes.get(f.key)!.add(f.cause);
    }
    const keys = new Set<string>(fits.map((f) => f.key));
    cands = intersect(cands, keys);
  }
  const list = [...(cands ?? [])];
  if (list.length !== 1) {
    failures.push({ field: 'kernel_sp', reason: list.length === 0 ? 'no word of thread_info points just above the registers the task returned with, in every observation' : `several candidates (${list.join(', ')})` });
    return null;
  }
  const [kernelSp, ptSize] = list[0].split(':').map(Number);
  const cause = [...causes.get(list[0])!];
  if (cause.length !== 1 || cause[0] !== 8n) {
    failures.push({ field: 'pt_regs.cause', reason: `pt_regs.cause at syscall returns read ${cause.join(', ')}, not always 8 (ecall from U-mode)` });
    return null;
  }
  const n = obs.length;
  evidence.push({
    field: 'thread_info.kernel_sp', offset: kernelSp, confidence: confidence(n), observations: n, distinctValues: new Set(obs.map((o) => o.task)).size,
    how: `the only word of thread_info pointing ${ptSize} bytes above the pc and x1..x31 the task returned to user mode with, at ${n} syscall returns of ${new Set(obs.map((o) => o.task)).size} tasks`,
  });
  evidence.push({
    field: 'pt_regs.cause', offset: PT_CAUSE, confidence: confidence(n), observations: n, distinctValues: 1,
    how: `after the 32 saved registers, status and badaddr (the riscv pt_regs layout); read 8 (ecall from U-mode) at all ${n} syscall returns`,
  });
  return { kernelSp, ptSize };
}

/** Learns the layout from observations; the profile carries its evidence. */
export function calibrateTaskLayout(input: TaskObservations | readonly TaskObservation[]): CalibrationResult {
  const obs = Array.isArray(input) ? (input as readonly TaskObservation[]) : (input as TaskObservations).observations;
  const evidence: FieldEvidence[] = [];
  const failures: CalibrationFailure[] = [];
  const comm = calibrateComm(obs, evidence, failures);
  const ids = calibrateIds(obs, evidence, failures);
  const stack = calibrateStack(obs, evidence, failures);
  if (comm === null || ids === null || stack === null) {
    return { ok: false, reason: `cannot calibrate the task_struct layout from this recording: ${failures.map((f) => `${f.field}: ${f.reason}`).join('; ')}`, failures, evidence };
  }
  const overall: Confidence = evidence.every((e) => e.confidence === 'high') ? 'high' : 'medium';
  const profile: CalibratedProfile = {
    schema: 'prnr.guest-profile/1',
    kernel: { machine: 'riscv64', release: 'unknown' },
    sizes: { pt_regs: stack.ptSize, task_comm_len: TASK_COMM_LEN },
    offsets: {
      task_struct: { pid: ids.pid, tgid: ids.tgid, comm },
      thread_info: { kernel_sp: stack.kernelSp },
      pt_regs: { cause: PT_CAUSE, orig_a0: PT_ORIG_A0 },
    },
    calibration: {
      version: CALIBRATION_VERSION,
      method: 'self-calibration from syscalls with known effects (execve, getpid, gettid, set_tid_address); no debug info',
      confidence: overall,
      observations: obs.length,
      evidence,
      assumptions: evidence.flatMap((e) => (e.assumption !== undefined && e.field === 'task_struct.pid' ? [e.assumption] : [])),
    },
  };
  return { ok: true, profile, evidence };
}
