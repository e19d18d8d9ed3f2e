import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Analysis } from '@prnr/scheduler';
import type { SyscallEntryPart, SyscallExitPart, SyscallRecord, SyscallTrace } from './syscall-tracer.js';
import { mergeSyscallTraces, syscallsAnalysis } from './syscall-tracer.js';
import { syscallByName } from './syscall-table.js';
import { FakeHart, FakeView, PageTables, PTE_A, PTE_D, PTE_R, PTE_U, PTE_W, RAM_BASE, newRam, putString, putU32, putU64, sliceInfo } from './test-support.js';

const PROFILE = JSON.parse(readFileSync(fileURLToPath(new URL('../../../guest/images/profile.json', import.meta.url)), 'utf8')) as unknown;
const PAGE_OFFSET = 0xffff_ffd8_0000_0000n;
const USER = 0x10000n; // user data page, mapped to RAM page 100
const USER_PA = RAM_BASE + 100 * 4096;
const neg = (n: number): bigint => BigInt.asUintN(64, BigInt(n));
const nr = (name: string): number => syscallByName(name)!.nr;

/**
 * A tiny guest: Sv39 tables with Linux's linear map and one user page, task
 * structs laid out as the profile says, and a fake hart whose traps and
 * returns the test drives, as the kernel would.
 */
class Sim {
  readonly ram = newRam(1024);
  readonly pt = new PageTables(this.ram, RAM_BASE / 4096 + 1);
  readonly hart = new FakeHart();
  private view: FakeView | null = null;
  private analysis: Analysis<SyscallTrace> | null = null;
  private nextTask = 0;
  /** Each task's user registers as the kernel saved them in pt_regs (restored on return). */
  private readonly saved = new Map<bigint, bigint[]>();
  readonly parts: SyscallTrace[] = [];

  constructor(private readonly profile: unknown = PROFILE) {
    this.pt.map(PAGE_OFFSET, RAM_BASE, PTE_R | PTE_W | PTE_A | PTE_D, 2);
    for (let i = 0; i < 4; i++) this.pt.map(USER + BigInt(i * 4096), USER_PA + i * 4096, PTE_R | PTE_W | PTE_U | PTE_A | PTE_D);
    this.hart.satp = this.pt.satp;
  }

  /** A task_struct (in RAM at 1 MiB + 16 KiB * n) with its kernel stack's pt_regs. */
  task(pid: number, comm: string, tid = pid): bigint {
    const off = 0x10_0000 + 0x4000 * this.nextTask++;
    this.setTask(BigInt(off), pid, comm, tid);
    return PAGE_OFFSET + BigInt(off);
  }

  setTask(off: bigint, pid: number, comm: string, tid = pid): void {
    const pa = RAM_BASE + Number(off);
    putU32(this.ram, pa + 696, tid);
    putU32(this.ram, pa + 700, pid);
    this.ram.u8.fill(0, pa + 1168 - RAM_BASE, pa + 1168 + 16 - RAM_BASE);
    putString(this.ram, pa + 1168, comm);
    // thread_info.kernel_sp: top of a stack in the next pages; pt_regs sit 288 bytes below.
    putU64(this.ram, pa + 16, PAGE_OFFSET + off + 0x4000n);
  }

  private ptRegs(task: bigint, field: number, v: bigint): void {
    putU64(this.ram, RAM_BASE + Number(task - PAGE_OFFSET) + 0x4000 - 288 + field, v);
  }

  slice(index: number): void {
    this.end();
    this.view = new FakeView(this.hart, this.ram, sliceInfo(index));
    this.analysis = syscallsAnalysis.create(undefined, { profile: this.profile });
    this.analysis.attach(this.view);
  }

  end(): SyscallTrace | null {
    if (this.analysis === null) return null;
    const r = this.analysis.finish();
    this.parts.push(r);
    this.analysis = null;
    return r;
  }

  private step(n = 10): void {
    this.hart.icount += n;
    this.view!.mtimeNow += BigInt(n);
  }

  /** The task executes an ecall at `pc`. */
  ecall(task: bigint, nrv: number, args: bigint[], pc: bigint): void {
    this.step();
    const h = this.hart;
    h.priv = 0;
    h.sscratch = task;
    h.setX(4, 0x7777n); // user tp
    args.forEach((a, i) => h.setX(10 + i, a));
    for (let i = args.length; i < 6; i++) h.setX(10 + i, 0n);
    h.setX(17, BigInt(nrv));
    this.saved.set(task, [...h.x]);
    // The trap: the hart switches to S; the handler has not run.
    h.sepc = pc;
    h.priv = 1;
    h.pc = 0xffff_ffff_8000_1bccn;
    this.ptRegs(task, 272, 8n);
    this.ptRegs(task, 280, args[0] ?? 0n);
    this.view!.fireTrap({ cause: 8, interrupt: false, fromPriv: 0 });
  }

  /** An interrupt (or fault) taken while the task ran user code. */
  interrupt(task: bigint): void {
    this.step();
    const h = this.hart;
    h.priv = 1;
    h.sscratch = task;
    this.saved.set(task, [...h.x]);
    this.ptRegs(task, 272, (1n << 63n) | 5n);
    this.view!.fireTrap({ cause: 5, interrupt: true, fromPriv: 0 });
  }

  /** The kernel returns the task to user mode at `pc` with a0 = `a0` (sret). */
  sret(task: bigint, a0: bigint, pc: bigint, regs: Record<number, bigint> = {}): void {
    this.step();
    const h = this.hart;
    h.sscratch = task;
    (this.saved.get(task) ?? []).forEach((v, i) => h.setX(i, v));
    h.setX(10, a0);
    for (const [r, v] of Object.entries(regs)) h.setX(Number(r), v);
    h.priv = 0;
    h.pc = pc;
    this.view!.fireXret({ toPriv: 0 });
  }
}

const texts = (t: SyscallTrace | SyscallRecord[]) => (Array.isArray(t) ? t : t.events).map((e) => e.text);

describe('the syscalls analysis in one slice', () => {
  it('pairs an ecall with the return of the same task, with pid, tid, comm and positions', () => {
    const s = new Sim();
    const cat = s.task(32, 'cat');
    s.slice(0);
    putString(s.ram, USER_PA, '/nonexistent');
    s.ecall(cat, nr('openat'), [neg(-100), USER, 0n, 0n], 0x1000n);
    s.sret(cat, neg(-2), 0x1004n);
    const r = s.end()!;
    expect(r.attribution.available).toBe(true);
    expect(r.events).toHaveLength(1);
    expect(r.events[0]).toMatchObject({
      task: '0x' + cat.toString(16), pid: 32, tid: 32, comm: 'cat', nr: 56, name: 'openat',
      args: [String(neg(-100)), String(USER), '0', '0', '0', '0'],
      result: '-2', errno: 'ENOENT', outcome: 'returned',
      text: 'openat(AT_FDCWD, "/nonexistent", O_RDONLY) = -1 ENOENT (No such file or directory)',
      entry: { icount: 10, mtime: 10, slice: 0 }, exit: { icount: 20, mtime: 20, slice: 0 },
    });
    expect(r.openAtStart).toEqual([]);
    expect(r.openAtEnd).toEqual([]);
    // Plain data: survives JSON and structured clone.
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
    expect(structuredClone(r)).toEqual(r);
  });

  it('reads output buffers at the return, and keeps tasks apart while one blocks', () => {
    const s = new Sim();
    const sh = s.task(31, 'sh');
    const ls = s.task(33, 'ls');
    s.slice(0);
    s.ecall(sh, nr('read'), [0n, USER, 1n], 0x2000n); // blocks
    s.interrupt(ls);
    s.sret(ls, 0x55n, 0x9999n); // back from the interrupt: not a syscall
    s.ecall(ls, nr('getpid'), [], 0x3000n);
    s.sret(ls, 33n, 0x3004n);
    s.ecall(ls, nr('exit_group'), [0n], 0x3010n);
    putString(s.ram, USER_PA, 'l');
    s.sret(sh, 1n, 0x2004n);
    const r = s.end()!;
    expect(texts(r)).toEqual(['read(0, "l", 1) = 1', 'getpid() = 33', 'exit_group(0) = ?']);
    expect(r.events.map((e) => e.comm)).toEqual(['sh', 'ls', 'ls']);
    expect(r.events[2]).toMatchObject({ outcome: 'no-return', result: null, exit: null });
    expect(r.openAtStart).toEqual([]);
  });

  it('a restarted call (back at the ecall) ends as restarted and is traced again', () => {
    const s = new Sim();
    const t = s.task(40, 'srv');
    s.slice(0);
    s.ecall(t, nr('read'), [3n, USER, 16n], 0x4000n);
    s.sret(t, 3n, 0x4000n); // a0 = orig_a0, pc = the ecall
    s.ecall(t, nr('read'), [3n, USER, 16n], 0x4000n);
    putString(s.ram, USER_PA, 'ok');
    s.sret(t, 2n, 0x4004n);
    const r = s.end()!;
    expect(r.events.map((e) => [e.outcome, e.text])).toEqual([
      ['restarted', 'read(3, 0x10000, 16) = ? ERESTART* (to be restarted)'],
      ['returned', 'read(3, "ok", 16) = 2'],
    ]);
  });

  it('a return into a signal handler: result and continuation from the signal frame', () => {
    const s = new Sim();
    const init = s.task(1, 'init');
    s.slice(0);
    s.ecall(init, nr('wait4'), [neg(-1), USER + 0x100n, 0n, 0n], 0x5000n);
    putU32(s.ram, USER_PA + 0x100, 0x100); // exited with status 1
    // The kernel built an rt_sigframe at sp: siginfo (128 bytes), then ucontext; sc_regs at uc + 176.
    const frame = USER + 0x1000n;
    const uc = frame + 128n;
    const sc = USER_PA + 0x1000 + 128 + 176;
    putU64(s.ram, sc, 0x5004n); // pc: the ecall + 4, so the call had returned
    putU64(s.ram, sc + 80, 20n); // a0: its result
    putU64(s.ram, sc + 88, USER + 0x100n); // a1: the status pointer
    putU64(s.ram, sc + 136, BigInt(nr('wait4'))); // a7
    s.sret(init, 17n, 0x8888n, { 2: frame, 11: frame, 12: uc });
    const r = s.end()!;
    expect(r.events[0]).toMatchObject({ outcome: 'returned', result: '20', signal: 17, wstatus: 0x100, text: 'wait4(-1, [{WIFEXITED(s) && WEXITSTATUS(s) == 1}], 0, NULL) = 20' });
  });

  it('without a profile: same pairing by task pointer, no pid or comm, and it says so', () => {
    const s = new Sim(null);
    const t = s.task(5, 'x');
    s.slice(0);
    s.ecall(t, nr('getpid'), [], 0x1000n);
    s.sret(t, 5n, 0x1004n);
    const r = s.end()!;
    expect(r.attribution).toEqual({ available: false, note: 'no guest profile: process attribution is unavailable' });
    expect(r.events[0]).toMatchObject({ text: 'getpid() = 5', pid: null, tid: null, comm: null, task: '0x' + t.toString(16) });
  });

  it('a task_struct reused by a new task does not complete the old call', () => {
    const s = new Sim();
    const t = s.task(50, 'old');
    s.slice(0);
    s.ecall(t, nr('read'), [0n, USER, 1n], 0x1000n);
    s.setTask(t - PAGE_OFFSET, 51, 'new'); // the old task died in read; a fork child got its task_struct
    s.sret(t, 0n, 0x7004n);
    const r = s.end()!;
    expect(r.events.map((e) => [e.outcome, e.pid, e.text])).toEqual([['unfinished', 50, 'read(0, 0x10000, 1) = ? <unfinished>']]);
    expect(r.openAtStart.map((x) => x.pid)).toEqual([51]); // the child's first return
  });
});

describe('slices and merging', () => {
  it('an entry open at the end of a slice and its return at the start of a later one become one record', () => {
    const s = new Sim();
    const sh = s.task(31, 'sh');
    const other = s.task(7, 'other');
    s.slice(0);
    s.ecall(sh, nr('read'), [0n, USER, 64n], 0x2000n);
    const a = s.end()!;
    expect(a.openAtEnd.map((e) => e.name)).toEqual(['read']);
    s.slice(1);
    s.interrupt(other); // an interrupt return is not a syscall return (pt_regs.cause says so)
    s.sret(other, 0n, 0x1234n);
    const b = s.end()!;
    expect(b.openAtStart).toEqual([]);
    s.slice(2);
    putString(s.ram, USER_PA, 'echo hi\n');
    s.sret(sh, 8n, 0x2004n, { 11: USER, 12: 64n });
    const c = s.end()!;
    expect(c.events).toEqual([]);
    expect(c.openAtStart).toHaveLength(1);
    const merged = syscallsAnalysis.merge([a, b, c], { profile: PROFILE });
    expect(merged.slices).toEqual([0, 1, 2]);
    expect(merged.events).toHaveLength(1);
    expect(merged.events[0]).toMatchObject({ text: 'read(0, "echo hi\\n", 64) = 8', comm: 'sh', entry: { slice: 0 }, exit: { slice: 2 } });
    expect(merged.openAtStart).toEqual([]);
    expect(merged.openAtEnd).toEqual([]);
  });

  it('merge is associative and keeps what it cannot pair', () => {
    const s = new Sim();
    const t1 = s.task(10, 'a');
    const t2 = s.task(11, 'b');
    s.slice(0);
    s.ecall(t1, nr('nanosleep'), [USER, 0n], 0x100n);
    s.ecall(t2, nr('read'), [0n, USER, 4n], 0x200n);
    s.end();
    s.slice(1);
    s.sret(t1, 0n, 0x104n);
    s.ecall(t1, nr('getpid'), [], 0x300n);
    s.sret(t1, 10n, 0x304n);
    s.end();
    s.slice(2);
    s.ecall(t1, nr('getppid'), [], 0x400n);
    s.sret(t1, 1n, 0x404n);
    s.end();
    const [a, b, c] = s.parts;
    const all = mergeSyscallTraces([a, b, c]);
    expect(texts(all)).toEqual(['nanosleep({tv_sec=0, tv_nsec=0}, NULL) = 0', 'getpid() = 10', 'getppid() = 1']);
    expect(all.openAtEnd.map((e) => e.name)).toEqual(['read']); // b's read never returned in the recording
    expect(mergeSyscallTraces([mergeSyscallTraces([a, b]), c])).toEqual(all);
    expect(mergeSyscallTraces([a, mergeSyscallTraces([b, c])])).toEqual(all);
  });

  it('an entry superseded by a later call of the same task is reported unfinished', () => {
    const entry = (task: string, icount: number, slice: number): SyscallEntryPart => ({
      task, pid: 1, tid: 1, comm: 'x', nr: 63, name: 'read', args: ['0', '4096', '1', '0', '0', '0'], argText: ['0', null, '1'], pc: '0x1000',
      at: { icount, mtime: icount, slice },
    });
    const exit = (task: string, icount: number, slice: number, tid: number): SyscallExitPart => ({
      task, pid: tid, tid, comm: 'x', nr: 63, args: ['0', '4096', '1', '0', '0', '0'], result: '1', argText: [null, '"z"', null], lateText: [null, null, null],
      pc: '0x1004', signal: null, wstatus: null, at: { icount, mtime: icount, slice },
    });
    const part = (slice: number, p: Partial<SyscallTrace>): SyscallTrace => ({
      version: 1, slices: [slice], attribution: { available: true, note: '' }, events: [], openAtStart: [], openAtEnd: [], ...p,
    });
    const m = mergeSyscallTraces([
      part(0, { openAtEnd: [entry('0xffffffd800001000', 5, 0)] }),
      part(1, { openAtEnd: [entry('0xffffffd800001000', 15, 1)] }), // a new entry: the old one never returned
      part(2, { openAtStart: [exit('0xffffffd800001000', 25, 2, 1), exit('0xffffffd800002000', 26, 2, 9)] }),
    ]);
    expect(m.events.map((e) => [e.outcome, e.entry.icount, e.exit?.icount ?? null, e.text])).toEqual([
      ['unfinished', 5, null, 'read(0, 0x1000, 1) = ? <unfinished>'],
      ['returned', 15, 25, 'read(0, "z", 1) = 1'],
    ]);
    expect(m.openAtStart.map((x) => x.pid)).toEqual([9]);
  });
});
