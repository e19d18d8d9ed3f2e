import { describe, expect, it } from 'vitest';
import { calibrateTaskLayout } from './calibrate.js';
import { STACK_WINDOW, TASK_WINDOW, type ObservationKind, type TaskObservation } from './task-observations.js';

/** A made-up layout, unlike the real kernel's: pid at 1000, tgid at 1004, comm at 1500, kernel_sp at 24, pt_regs 304 bytes on the stack. */
const L = { pid: 1000, tgid: 1004, comm: 1500, kernelSp: 24, ptSize: 304 };
let n = 0;

function obs(kind: ObservationKind, o: { pid: number; tgid?: number; name?: string; cause?: bigint; noise?: number; ids?: { pid: number; tgid: number } }): TaskObservation {
  n++;
  const task = new Uint8Array(TASK_WINDOW);
  const tv = new DataView(task.buffer);
  tv.setUint32(o.ids?.pid ?? L.pid, o.pid, true);
  tv.setUint32(o.ids?.tgid ?? L.tgid, o.tgid ?? o.pid, true);
  // Fields that happen to hold small numbers too (a priority, a count).
  tv.setUint32(200, 120, true);
  tv.setUint32(204, o.noise ?? 7, true);
  if (o.name) task.set(new TextEncoder().encode(o.name + '\0'), L.comm);
  // Pointers in thread_info: a decoy at 16 and kernel_sp at 24.
  tv.setBigUint64(16, 0xffffffd800100000n + BigInt(n) * 0x1000n, true);
  tv.setBigUint64(L.kernelSp, 0xffffffd802000000n + BigInt(n) * 0x4000n, true);
  const regs = Array.from({ length: 32 }, (_, i) => BigInt(n * 1000 + i + 1));
  const below = new Uint8Array(STACK_WINDOW);
  const bv = new DataView(below.buffer);
  regs.forEach((r, i) => bv.setBigUint64(STACK_WINDOW - L.ptSize + 8 * i, r, true));
  bv.setBigUint64(STACK_WINDOW - L.ptSize + 272, o.cause ?? 8n, true);
  const decoy = new Uint8Array(STACK_WINDOW).fill(0x55);
  const b64 = (u: Uint8Array) => Buffer.from(u).toString('base64');
  return {
    kind, task: `0xffffffd8000${n}`, value: kind === 'execve' ? null : kind === 'getpid' ? (o.tgid ?? o.pid) : o.pid, name: o.name ?? null,
    taskBytes: b64(task), regs: regs.map((r) => '0x' + r.toString(16)),
    stacks: [{ offset: 16, below: b64(decoy) }, { offset: L.kernelSp, below: b64(below) }],
    at: { icount: n * 100, mtime: n * 100, slice: 0 },
  };
}

function run(ids?: { pid: number; tgid: number }): TaskObservation[] {
  return [
    obs('execve', { pid: 30, name: 'sh', ids }), obs('set_tid_address', { pid: 30, name: 'sh', ids }), obs('getpid', { pid: 30, name: 'sh', ids }),
    obs('execve', { pid: 31, name: 'cat', ids }), obs('set_tid_address', { pid: 31, name: 'cat', ids }),
    obs('execve', { pid: 32, name: 'a-long-program-name', ids }), obs('getpid', { pid: 32, name: 'a-long-progra', ids }),
    obs('gettid', { pid: 33, noise: 33, ids }), obs('getpid', { pid: 34, ids }),
  ];
}

describe('self-calibration of the task_struct layout', () => {
  it('finds each offset that every observation agrees with, and says how', () => {
    const r = calibrateTaskLayout(run());
    expect(r.ok, r.ok ? '' : r.reason).toBe(true);
    if (!r.ok) return;
    expect(r.profile.offsets).toEqual({ task_struct: { pid: 1000, tgid: 1004, comm: 1500 }, thread_info: { kernel_sp: 24 }, pt_regs: { cause: 272, orig_a0: 280 } });
    expect(r.profile.sizes).toEqual({ pt_regs: 304, task_comm_len: 16 });
    const pid = r.evidence.find((e) => e.field === 'task_struct.pid')!;
    expect(pid.how).toMatch(/no thread was seen/);
    expect(pid.distinctValues).toBe(5);
    expect(r.profile.calibration.confidence).toBe('medium'); // comm: 3 execve observations
    // No thread: pid and tgid hold equal values in every observation; their order is an assumption, and the profile says so.
    expect(pid.assumption).toMatch(/^task_struct.pid comes just before task_struct.tgid/);
    expect(r.profile.calibration.assumptions).toEqual([pid.assumption]);
  });

  it('tells pid from tgid by a thread whose ids differ, with no assumption', () => {
    const r = calibrateTaskLayout([...run(), obs('gettid', { pid: 41, tgid: 40 }), obs('getpid', { pid: 41, tgid: 40 })]);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.evidence.find((e) => e.field === 'task_struct.pid')!.how).toMatch(/told apart by a thread whose thread id differs/);
    expect(r.profile.calibration.assumptions).toEqual([]);
    // The thread's gettid alone is enough (its getpid equals the leader's: no help).
    const t = calibrateTaskLayout([...run(), obs('gettid', { pid: 41, tgid: 40 })]);
    expect(t.ok && t.profile.offsets.task_struct).toEqual({ pid: 1000, tgid: 1004, comm: 1500 });
    expect(t.ok && t.profile.calibration.assumptions).toEqual([]);
  });

  it('does not depend on the order of pid and tgid when a thread was seen: tgid before pid is found too', () => {
    const ids = { pid: 1004, tgid: 1000 };
    const r = calibrateTaskLayout([...run(ids), obs('gettid', { pid: 41, tgid: 40, ids })]);
    expect(r.ok && r.profile.offsets.task_struct).toEqual({ pid: 1004, tgid: 1000, comm: 1500 });
    expect(r.ok && r.profile.calibration.assumptions).toEqual([]);
    // Apart, with no thread: nothing tells which is which, and they are not adjacent: refused, not guessed.
    const far = { pid: 1000, tgid: 1016 };
    const f = calibrateTaskLayout(run(far));
    expect(f.ok).toBe(false);
    if (!f.ok) expect(f.failures).toEqual([{ field: 'pid', reason: 'offsets holding every thread id: [1000, 1016], every process id: [1000, 1016]: not one pair' }]);
    const g = calibrateTaskLayout([...run(far), obs('gettid', { pid: 41, tgid: 40, ids: far })]);
    expect(g.ok && g.profile.offsets.task_struct).toEqual({ pid: 1000, tgid: 1016, comm: 1500 });
  });

  it('refuses when observations are too few or disagree, saying which field and why', () => {
    const few = calibrateTaskLayout(run().slice(0, 2));
    expect(few.ok).toBe(false);
    if (!few.ok) {
      expect(few.failures.map((f) => f.field)).toEqual(['comm', 'pid', 'kernel_sp']);
      expect(few.reason).toMatch(/^cannot calibrate the task_struct layout from this recording: comm: 1 successful execve calls with 1 distinct program names/);
    }
    // One execve whose name is nowhere: no offset holds every name.
    const bad = run();
    bad.push({ ...obs('execve', { pid: 50, name: 'x' }), name: 'y' });
    const r = calibrateTaskLayout(bad);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.failures).toEqual([{ field: 'comm', reason: 'no offset holds the program name after every execve' }]);
    // pt_regs.cause must read 8 (ecall from U) at syscall returns.
    const cause = calibrateTaskLayout([...run(), obs('getpid', { pid: 60, cause: 5n })]);
    expect(cause.ok).toBe(false);
    if (!cause.ok) expect(cause.failures[0].field).toBe('pt_regs.cause');
  });
});
