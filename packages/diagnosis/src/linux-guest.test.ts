/**
 * End to end on the default guest: boot Linux on the virt machine with the
 * `syscalls` analysis attached through a minimal ReplayView over the live
 * machine, run a short script, and check the trace against what the guest
 * really did (cat of a missing file fails with ENOENT in a process named cat).
 */
import { describe, expect, it } from 'vitest';
import type { SyscallRecord, SyscallTrace } from './syscall-tracer.js';
import { findAnomalies } from './anomalies.js';
import { syscallsAnalysis, unfinishedRecord } from './syscall-tracer.js';

import { PROFILE, bootGuest, liveSlices, runTo } from './guest-boot.js';

interface Tracer {
  profile: unknown;
  /** Steps per slice; Infinity: one slice for the whole run. */
  sliceSteps: number;
  parts: SyscallTrace[];
}

/**
 * Runs `script` in the guest once, with several tracers attached at the same
 * time, each cutting the run into its own slices (a fresh analysis instance
 * per slice, as parallel replay would), and returns the console output.
 */
async function traceGuest(script: string, tracers: Tracer[], chunk: number): Promise<string> {
  const { machine: m, console: out } = bootGuest(script);
  // One live slice per tracer, with its own analysis.
  type Live = { index: number; end: number; finish: () => SyscallTrace };
  const slice = liveSlices(m);
  const live: (Live | null)[] = tracers.map(() => null);
  const open = (t: Tracer, index: number): Live => {
    const end = m.hart.icount + t.sliceSteps;
    const s = slice(index, Math.min(end, Number.MAX_SAFE_INTEGER));
    const analysis = syscallsAnalysis.create(undefined, { profile: t.profile });
    analysis.attach(s.view);
    return { index, end, finish: () => { s.close(); return analysis.finish(); } };
  };
  tracers.forEach((t, i) => { live[i] = open(t, 0); });
  const MAX_STEPS = 800_000_000;
  let done = false;
  while (!done) {
    const end = Math.min(m.hart.icount + chunk, MAX_STEPS);
    done = !runTo(m, end) || end >= MAX_STEPS;
    tracers.forEach((t, i) => {
      const l = live[i]!;
      if (done || m.hart.icount >= l.end) {
        t.parts.push(l.finish());
        if (!done) live[i] = open(t, l.index + 1);
      }
    });
  }
  return out();
}

const SCRIPT = "cat /nonexistent\nls /\nsh -c 'kill -SEGV $$'\npoweroff -f\n";
const SLICE = 1_000_000;
const FINE = 100_000;

/** What must not depend on how the run was cut into slices. */
const essence = (r: SyscallRecord) => ({ text: r.text, pid: r.pid, tid: r.tid, comm: r.comm, entry: r.entry.icount, exit: r.exit?.icount ?? null, outcome: r.outcome });

describe('the syscalls analysis on the default Linux guest', async () => {
  const whole: Tracer = { profile: PROFILE, sliceSteps: Infinity, parts: [] };
  const sliced: Tracer = { profile: PROFILE, sliceSteps: SLICE, parts: [] };
  const fine: Tracer = { profile: PROFILE, sliceSteps: FINE, parts: [] };
  const blind: Tracer = { profile: undefined, sliceSteps: SLICE, parts: [] };
  const out = await traceGuest(SCRIPT, [whole, sliced, fine, blind], FINE);
  const one = syscallsAnalysis.merge(whole.parts, { profile: PROFILE });
  const many = syscallsAnalysis.merge(sliced.parts, { profile: PROFILE });
  const noProfile = syscallsAnalysis.merge(blind.parts, {});

  it('ran the script', () => {
    expect(out).toContain("cat: can't open '/nonexistent': No such file or directory");
    expect(out).toContain('reboot: Power down');
    expect(sliced.parts.length).toBeGreaterThan(80);
    expect(fine.parts.length).toBeGreaterThan(800);
  });

  it("finds cat's failing openat, attributed to cat with a sane pid", () => {
    const r = one.events.find((e) => e.text.startsWith('openat(AT_FDCWD, "/nonexistent"'));
    expect(r).toBeDefined();
    expect(r!.text).toBe('openat(AT_FDCWD, "/nonexistent", O_RDONLY) = -1 ENOENT (No such file or directory)');
    expect(r!.comm).toBe('cat');
    expect(r!.errno).toBe('ENOENT');
    expect(r!.result).toBe('-2');
    expect(r!.pid).toBeGreaterThan(1);
    expect(r!.tid).toBe(r!.pid);
    // The same process wrote the message and exited with status 1.
    const mine = one.events.filter((e) => e.pid === r!.pid && e.entry.icount > r!.entry.icount);
    expect(mine.map((e) => e.text)).toEqual([
      'write(2, "cat: can\'t open \'/nonexistent\': "..., 58) = 58',
      'exit_group(1) = ?',
    ]);
    // Its shell forked it and execve'd cat: the execve is the first record of that pid named "cat" after it.
    const exec = one.events.find((e) => e.pid === r!.pid && e.name === 'execve')!;
    expect(exec.text).toMatch(/^execve\("\/bin\/cat", \["cat", "\/nonexistent"\], 0x[0-9a-f]+ \/\* \d+ vars \*\/\) = 0$/);
    expect(exec.comm).toBe('sh');
    expect(exec.commAtExit).toBe('cat');
  });

  it('pids look sane: init is 1, every record has a pid, tid = pid (no threads in this guest)', () => {
    expect(one.attribution.available).toBe(true);
    expect(one.events[0].pid).toBe(1);
    expect(one.events[0].comm).toBe('init');
    for (const e of one.events) {
      expect(e.pid).toBeGreaterThanOrEqual(1);
      expect(e.pid).toBeLessThan(32768);
      expect(e.tid).toBe(e.pid);
      expect(e.comm).toMatch(/^[\w.-]{1,15}$/);
    }
    // Reading the shell's input one byte at a time, with ls's output written in one go.
    expect(one.events.some((e) => e.comm === 'sh' && e.text === 'read(0, "l", 1) = 1')).toBe(true);
    expect(one.events.some((e) => e.comm === 'ls' && e.name === 'getdents64' && /\/\* \d+ entries \*\//.test(e.text))).toBe(true);
  });

  it('reads wait statuses from guest memory', () => {
    const reaped = one.events.filter((e) => e.name === 'wait4' && e.wstatus !== null);
    expect(reaped.length).toBeGreaterThan(3);
    expect(reaped.some((e) => e.text.includes('[{WIFEXITED(s) && WEXITSTATUS(s) == 1}]'))).toBe(true);
  });

  it('the diagnosis over many slices equals the one over a single slice', () => {
    expect(many.slices.length).toBe(sliced.parts.length);
    expect(many.events.map(essence)).toEqual(one.events.map(essence));
    expect(many.openAtEnd.map((e) => e.name)).toEqual(one.openAtEnd.map((e) => e.name));
    const fineTrace = syscallsAnalysis.merge(fine.parts, { profile: PROFILE });
    expect(fineTrace.events.map(essence)).toEqual(one.events.map(essence));
    // Calls did span slice boundaries and were stitched.
    const stitched = (t: SyscallTrace) => t.events.filter((e) => e.exit !== null && e.exit.slice !== e.entry.slice).length;
    expect(stitched(many)).toBeGreaterThan(3);
    expect(stitched(fineTrace)).toBeGreaterThan(stitched(many));
    // Merging is associative: merged halves merge into the same trace.
    const half = Math.floor(fine.parts.length / 2);
    const twoStep = syscallsAnalysis.merge([syscallsAnalysis.merge(fine.parts.slice(0, half), {}), syscallsAnalysis.merge(fine.parts.slice(half), {})], {});
    expect(twoStep.events.map(essence)).toEqual(one.events.map(essence));
  });

  it('without a profile: pairs entries and exits all the same, and says attribution is unavailable', () => {
    expect(noProfile.attribution.available).toBe(false);
    expect(noProfile.attribution.note).toMatch(/no guest profile/);
    expect(noProfile.events.map((e) => e.text)).toEqual(one.events.map((e) => e.text));
    expect(noProfile.events.every((e) => e.pid === null && e.comm === null && e.task.startsWith('0xffff'))).toBe(true);
  });

  it('anomalies: a shell killed by SIGSEGV comes first, at its last syscall: kill(self, SIGSEGV)', () => {
    const a = findAnomalies(many);
    // The kill never returned: the signal killed the shell on its way back to user mode. (Its task_struct
    // was then reused by the next child, which is how the single-slice trace knows it is over.)
    const killer = [...one.events, ...one.openAtEnd.map(unfinishedRecord)].find((e) => e.name === 'kill')!;
    expect(killer).toMatchObject({ comm: 'sh', outcome: 'unfinished', text: `kill(${killer.pid}, SIGSEGV) = ? <unfinished>` });
    expect(a[0]).toMatchObject({
      kind: 'killed-by-signal', severity: 'error', signal: 'SIGSEGV', pid: killer.pid, comm: 'sh',
      icount: killer.entry.icount, example: killer.text,
    });
    expect(a[0].message).toMatch(new RegExp(`^sh \\(pid ${killer.pid}\\) was killed by SIGSEGV \\(Segmentation fault\\); reaped by sh \\(pid 31\\)$`));
    // Its parent saw the status in wait4, through the SIGCHLD handler's signal frame or directly.
    expect(one.events.some((e) => e.pid === 31 && e.name === 'wait4' && e.text.startsWith('wait4(-1, [{WIFSIGNALED(s) && WTERMSIG(s) == SIGSEGV}]'))).toBe(true);
    expect(out).toContain('Segmentation fault');
  });

  it('anomalies: cat exited with status 1 after its openat failed with ENOENT', () => {
    const a = findAnomalies(many);
    const exit = a.find((x) => x.kind === 'exit-nonzero' && x.comm === 'cat');
    expect(exit).toMatchObject({ severity: 'warning', exitCode: 1, syscall: 'exit_group' });
    const fail = a.find((x) => x.kind === 'failed-syscalls' && x.comm === 'cat');
    expect(fail).toMatchObject({ severity: 'warning', syscall: 'openat', errno: 'ENOENT', count: 1 });
    const r = one.events.find((e) => e.text.startsWith('openat(AT_FDCWD, "/nonexistent"'))!;
    expect(fail!.icount).toBe(r.entry.icount);
    expect(fail!.slice).toBe(Math.floor(r.entry.icount / SLICE));
    // cat's failures are the only warnings, the failing openat first.
    expect(a.filter((x) => x.severity === 'warning').map((x) => [x.comm, x.kind])).toEqual([['cat', 'failed-syscalls'], ['cat', 'exit-nonzero']]);
    expect(a.filter((x) => x.severity === 'error').map((x) => x.kind)).toEqual(['killed-by-signal']);
    // The rest are expected failures: PATH lookups, probes.
    expect(a.find((x) => x.kind === 'failed-syscalls' && x.comm === 'init' && x.syscall === 'newfstatat')).toMatchObject({ severity: 'info', errno: 'ENOENT' });
  });
});
