import { describe, expect, it } from 'vitest';
import { attributionProblem, attributionWarning, profileRelease } from './attribution-check.js';
import type { SyscallRecord, SyscallTrace } from './syscall-tracer.js';

/** A trace of `n` getpid calls, the i-th attributed as `who(i)` says. */
function trace(n: number, who: (i: number) => { pid: number | null; comm: string | null }, available = true): SyscallTrace {
  const events = Array.from({ length: n }, (_, i): SyscallRecord => {
    const at = { icount: 100 * i, mtime: 100 * i, slice: 0 };
    const w = who(i);
    return {
      task: '0xffffffd800100000', pid: w.pid, tid: w.pid, comm: w.comm, nr: 172, name: 'getpid', args: ['0', '0', '0', '0', '0', '0'], argText: [],
      result: String(w.pid ?? 0), errno: null, outcome: 'returned', text: 'getpid() = 1', entry: at, exit: at, wstatus: null, signal: null,
    };
  });
  return { version: 1, slices: [0], attribution: { available, note: '' }, events, openAtStart: [], openAtEnd: [] };
}

describe('a guest profile that does not fit the recording', () => {
  it('most calls attributed to pid 0 or to unprintable names: one line with the counts', () => {
    expect(attributionProblem(trace(10, () => ({ pid: 0, comm: 'P\u00c3' })))).toBe('10 of 10 system calls are attributed to pid 0 (the idle task, which makes none)');
    expect(attributionProblem(trace(10, (i) => ({ pid: 30 + i, comm: i < 6 ? '\u0001\u0002' : 'sh' })))).toBe('6 of 10 system calls are attributed to names that are empty or not printable');
    expect(attributionProblem(trace(4, (i) => (i < 2 ? { pid: 0, comm: '' } : { pid: null, comm: null })))).toBe(
      '2 of 4 system calls are attributed to pid 0 (the idle task, which makes none), 2 to names that are empty or not printable, 2 to tasks whose task_struct did not read',
    );
  });

  it('counts the calls still running at the end, as the reports do', () => {
    const t = trace(2, () => ({ pid: 30, comm: 'sh' }));
    const open = { task: '0xffffffd800100000', pid: 0, tid: 0, comm: 'x', nr: 63, name: 'read', args: [], argText: [], pc: '0x1000', at: { icount: 1000, mtime: 1000, slice: 0 } };
    expect(attributionProblem({ ...t, openAtEnd: [open, open, open] })).toBe('3 of 5 system calls are attributed to pid 0 (the idle task, which makes none)');
  });

  it('nothing to say: attribution that looks right, a few odd records, no attribution at all, no calls', () => {
    expect(attributionProblem(trace(10, (i) => ({ pid: 30 + i, comm: 'cat' })))).toBeNull();
    expect(attributionProblem(trace(10, (i) => ({ pid: i < 5 ? 0 : 30, comm: 'cat' })))).toBeNull(); // half, not most
    expect(attributionProblem(trace(10, () => ({ pid: null, comm: null }), false))).toBeNull();
    expect(attributionProblem(trace(0, () => ({ pid: 1, comm: 'init' })))).toBeNull();
  });

  it('the warning names the profile and says what it attributed; none when attribution looks right', () => {
    expect(attributionWarning(trace(10, () => ({ pid: 0, comm: 'swapper' })), "the recording's guest profile")).toBe(
      "the recording's guest profile looks wrong for this recording: 10 of 10 system calls are attributed to pid 0 (the idle task, which makes none)",
    );
    expect(attributionWarning(trace(10, (i) => ({ pid: 30 + i, comm: 'cat' })), "the recording's guest profile")).toBeNull();
  });

  it('the release a profile names, or null when it names none', () => {
    expect(profileRelease({ kernel: { release: '6.1.192' } })).toBe('6.1.192');
    for (const p of [{ kernel: { release: 'unknown' } }, { kernel: {} }, {}, null, 'x']) expect(profileRelease(p)).toBeNull();
  });
});
