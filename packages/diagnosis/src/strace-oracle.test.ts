/**
 * The oracle: the guest's own strace. Boots the default guest on the virt
 * machine with the `syscalls` analysis attached to the live hart, and runs a
 * workload under the static strace on the data disk (guest/build.sh puts it
 * at /bin/strace there), which writes its trace to /tmp/st.txt; the script
 * then prints that file between `===` lines. Both traces come from the same
 * run, so pids, pointers, brk values and random bytes are the same in both:
 * every syscall strace shows is compared with our record of it, one by one
 * per task (strace's first column is the thread id), by name, each decoded
 * argument and the result. The workload includes a process of two threads
 * (guest/workloads/oracle/threads.sh), so a thread id differs from its
 * process id. Then, with that process and a pipeline alive, the guest's own
 * `ps`, `ps -T` and /proc name the live tasks, and our records of them must
 * carry the same pid, tid and comm.
 *
 * What legitimately differs is normalised, and only by the rules in
 * DIFFERENCES (each with its reason; the test also checks that each rule was
 * needed). Anything else that disagrees fails the test.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { SyscallRecord, SyscallTrace } from './syscall-tracer.js';
import { signalName } from './signals.js';
import { syscallsAnalysis, unfinishedRecord } from './syscall-tracer.js';
import { taskLayoutAnalysis, type TaskObservations } from './task-observations.js';
import { calibrateTaskLayout, type CalibrationResult } from './calibrate.js';
import { taskLayoutFromProfile } from './process.js';
import { profileDifferences, profileFromBtf } from './btf-profile.js';

import { IMAGES, IMAGES_ALT, bootGuest, liveSlices, readProfile, runTo } from './guest-boot.js';

/** guest/workloads/oracle/threads.sh: writes /tmp/thr, a process with two threads (a thread id that is not its process id). */
const THREADS = readFileSync(fileURLToPath(new URL('../../../guest/workloads/oracle/threads.sh', import.meta.url)), 'utf8');

/**
 * Runs `script` on the guest in `dir` with no guest profile: the `task-layout`
 * observer watches from power-on, and as soon as its observations calibrate
 * the task_struct layout (the boot's own programs are enough), the `syscalls`
 * analysis is attached with the calibrated profile for the rest of the run,
 * as a slice starting there would be. Returns the console, the trace (one
 * slice) and the calibration.
 */
async function traceGuest(script: string, dir: string): Promise<{ out: string; trace: SyscallTrace; calibration: CalibrationResult; attachedAt: number; observations: TaskObservations }> {
  const { machine: m, console: out } = bootGuest(script, dir);
  const slice = liveSlices(m);
  const observer = taskLayoutAnalysis.create(undefined, {});
  observer.attach(slice(0).view);
  let calibration: CalibrationResult = { ok: false, reason: 'not run', failures: [], evidence: [] };
  let analysis: ReturnType<typeof syscallsAnalysis.create> | null = null;
  let attachedAt = -1;
  let seen = 0;
  const MAX_STEPS = 1_500_000_000;
  for (let done = false; !done;) {
    const end = Math.min(m.hart.icount + 2_000_000, MAX_STEPS);
    done = !runTo(m, end) || end >= MAX_STEPS;
    if (analysis === null) {
      const obs = observer.finish();
      if (obs.observations.length === seen) continue;
      seen = obs.observations.length;
      calibration = calibrateTaskLayout(obs);
      if (calibration.ok) {
        analysis = syscallsAnalysis.create(undefined, { profile: calibration.profile });
        analysis.attach(slice(0).view);
        attachedAt = m.hart.icount;
      }
    }
  }
  if (analysis === null) throw new Error(`calibration failed: ${calibration.ok ? '' : calibration.reason}`);
  return { out: out(), trace: syscallsAnalysis.merge([analysis.finish()], {}), calibration, attachedAt, observations: observer.finish() };
}

// ---------------------------------------------------------------- parsing

/** One syscall as a line shows it: `name(arg, arg, ...) = result`. */
interface Call { name: string; args: string[]; result: string }

/** Splits an argument list at its top-level `, ` (not inside quotes, brackets, braces or comments). */
function splitArgs(s: string): string[] {
  const out: string[] = [];
  let depth = 0, start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '"') {
      for (i++; i < s.length && s[i] !== '"'; i++) if (s[i] === '\\') i++;
    } else if (c === '/' && s[i + 1] === '*') {
      const end = s.indexOf('*/', i + 2);
      i = end < 0 ? s.length : end + 1;
    } else if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 0 && s[i + 1] === ' ') {
      out.push(s.slice(start, i));
      start = i + 2;
      i++;
    }
  }
  if (s.length > 0) out.push(s.slice(start));
  return out;
}

/** `name(args) = result`; strace pads with spaces before ` = ` to column 40. */
function parseCall(text: string): Call | null {
  const m = /^(\w+)\((.*)\)\s+= (.*)$/.exec(text);
  return m === null ? null : { name: m[1], args: splitArgs(m[2]), result: m[3] };
}

type StraceEvent =
  | { kind: 'call'; pid: number; call: Call; line: string }
  | { kind: 'signal'; pid: number; signal: string; line: string }
  | { kind: 'exit'; pid: number; line: string };

/**
 * strace -f -o FILE output: `PID  text` lines. A call that another process's
 * line interrupted is written as `name(args <unfinished ...>` and later
 * `<... name resumed>rest) = result`: the two halves are joined (the call is
 * placed where it resumed; within one pid the order is the same).
 */
function parseStrace(lines: string[]): StraceEvent[] {
  const events: StraceEvent[] = [];
  const pending = new Map<number, string>();
  for (const line of lines) {
    const m = /^(\d+) +(.*)$/.exec(line);
    if (m === null) throw new Error(`strace line without a pid: ${line}`);
    const pid = Number(m[1]);
    let text = m[2];
    if (text.startsWith('--- ')) {
      events.push({ kind: 'signal', pid, signal: /^--- (SIG\w+) /.exec(text)![1], line });
      continue;
    }
    if (text.startsWith('+++ ')) {
      events.push({ kind: 'exit', pid, line });
      continue;
    }
    if (text.endsWith(' <unfinished ...>')) {
      pending.set(pid, text.slice(0, -' <unfinished ...>'.length));
      continue;
    }
    const r = /^<\.\.\. (\w+) resumed>(.*)$/.exec(text);
    if (r !== null) {
      const head = pending.get(pid);
      if (head === undefined || !head.startsWith(`${r[1]}(`)) throw new Error(`resumed without its start: ${line}`);
      pending.delete(pid);
      text = head + r[2];
    }
    const call = parseCall(text);
    if (call === null) throw new Error(`unparsed strace line: ${line}`);
    events.push({ kind: 'call', pid, call, line });
  }
  if (pending.size > 0) throw new Error(`calls never resumed: ${[...pending.values()].join('; ')}`);
  return events;
}

// ---------------------------------------------------------------- the differences

/**
 * Every way our trace may legitimately differ from strace's on the same
 * syscall, and why. `count` is how many compared calls needed the rule.
 */
const DIFFERENCES = {
  structAsAddress: {
    what: "rt_sigaction's struct sigaction (new and old), prlimit64's struct rlimit (new and old), ioctl's argument (TCGETS termios, TIOCGWINSZ winsize)",
    strace: '{sa_handler=0x64534, sa_mask=~[RTMIN RT_1], sa_flags=0}, {rlim_cur=8192*1024, ...}, {c_iflag=ICRNL|IXON, ...}',
    ours: 'the address, 0x3fc4667498',
    why: 'structures this tracer does not expand (by design, see "Differences from strace" in the README); the address is the one strace read the structure from',
  },
  sigreturnMask: {
    what: 'rt_sigreturn',
    strace: 'rt_sigreturn({mask=[]}) = 41',
    ours: 'rt_sigreturn() = 41',
    why: "strace decodes the signal mask the frame restores; this tracer shows rt_sigreturn without arguments (the result, the interrupted call's, agrees)",
  },
  killedOnReturn: {
    what: 'a call after which a signal kills the process: kill(40, SIGSEGV) sent to itself',
    strace: 'kill(40, SIGSEGV) = 0, then --- SIGSEGV ... --- and +++ killed by SIGSEGV +++',
    ours: 'kill(40, SIGSEGV) = ? <unfinished>',
    why: 'strace sees the result at the syscall-exit ptrace stop, before the signal is delivered; this tracer sees results only when the task returns to user mode, and the task dies on the way there (no handler: the default action). The death is in our trace as the parent\'s wait4 status WIFSIGNALED(s) && WTERMSIG(s) == SIGSEGV',
  },
} as const;
type DifferenceId = keyof typeof DIFFERENCES;

/** Where strace expands a structure that we show as its address: syscall → argument positions. */
const STRUCT_ARGS: Record<string, number[]> = { rt_sigaction: [1, 2], prlimit64: [2, 3], ioctl: [2] };
const ADDRESS = /^0x[0-9a-f]+$/;

// ---------------------------------------------------------------- the run

const SCRIPT = [
  'mount -t ext4 /dev/vda /mnt',
  THREADS,
  "C='cat /etc/passwd; cat /nonexistent; ls /'",
  'C="$C; cat /etc/passwd | wc -l; echo hi > /tmp/x; /tmp/thr"',
  "C=\"$C\"'; kill -SEGV $$'",
  '/mnt/bin/strace -f -o /tmp/st.txt sh -c "$C"',
  'echo ===; cat /tmp/st.txt; echo ===',
  // ps: processes alive now (the two-thread process waiting, a pipeline), as the guest's ps and /proc see them.
  '/tmp/thr wait &',
  'sleep 5 | cat &',
  'sleep 1',
  'echo "=== ps"; ps -o pid,comm; echo "=== ps -T"; ps -T -o pid,comm; echo "=== tasks"; echo /proc/[0-9]*/task/[0-9]*; echo "=== end"',
  'poweroff -f',
].join('\n');

/** The kernels: the default guest, and the second build (another task_struct layout) when it is there. */
const KERNELS = [
  { name: 'the default kernel', dir: IMAGES },
  { name: 'the second kernel (SMP, cgroups)', dir: IMAGES_ALT },
].filter((k) => {
  if (existsSync(`${k.dir}/profile.json`)) return true;
  console.log(`strace oracle: skipping ${k.name}: ${k.dir} has not been built (guest/build.sh --alt)`);
  return false;
});

describe.each(KERNELS)("with no guest profile, our syscall trace agrees with the guest's own strace on $name", async ({ dir }) => {
  const { out, trace, calibration, attachedAt, observations } = await traceGuest(SCRIPT, dir);
  const lines = out.replace(/\r/g, '').split('\n');
  const marks = lines.flatMap((l, i) => (l === '===' ? [i] : []));
  const straceLines = marks.length === 2 ? lines.slice(marks[0] + 1, marks[1]).filter((l) => l !== '') : [];
  const events = parseStrace(straceLines);
  const records: SyscallRecord[] = [...trace.events, ...trace.openAtEnd.map(unfinishedRecord)].sort((a, b) => a.entry.icount - b.entry.icount);

  // strace's own process, and its helper children (forked to probe ptrace features before the
  // tracee), run strace's code: comm "strace". The tracee is strace's fork child, which runs
  // strace's code too until its execve (strace's output starts at that execve's return).
  const straceExec = records.find((r) => r.name === 'execve' && r.commAtExit === 'strace')!;
  const stracePid = straceExec?.pid;
  // strace's first column is the task's id: the thread id (the pid of a single-threaded process).
  const tracedPids = [...new Set(events.map((e) => e.pid))];
  const ours = (tid: number) => records.filter((r) => r.tid === tid && !(r.comm === 'strace' && r.name !== 'execve'));
  // The process (thread group) of each task, from strace's lines alone: a task made by a clone with
  // CLONE_THREAD joins its creator's process; any other task is a process of its own.
  const createdBy = new Map<number, { parent: number; thread: boolean }>();
  for (const e of events) {
    if (e.kind === 'call' && e.call.name === 'clone' && /^\d+$/.test(e.call.result)) createdBy.set(Number(e.call.result), { parent: e.pid, thread: /\bCLONE_THREAD\b/.test(e.call.args.join(', ')) });
  }
  const tgidOf = (tid: number): number => {
    const c = createdBy.get(tid);
    return c?.thread ? tgidOf(c.parent) : tid;
  };

  // PRNR_STRACE_ORACLE_DUMP=DIR: write both traces there (strace.txt, ours.txt) and the console (console.txt) to look at them side by side.
  const dump = process.env.PRNR_STRACE_ORACLE_DUMP;
  if (dump) {
    writeFileSync(`${dump}/strace.txt`, straceLines.join('\n') + '\n');
    writeFileSync(`${dump}/ours.txt`, records.map((r) => `${r.pid} ${r.tid} ${r.comm} ${r.text}`).join('\n') + '\n');
    writeFileSync(`${dump}/console.txt`, out);
  }

  const used = new Map<DifferenceId, number>();
  const note = (id: DifferenceId) => used.set(id, (used.get(id) ?? 0) + 1);
  const mismatches: string[] = [];
  let compared = 0;
  let signalsChecked = 0;

  for (const pid of tracedPids) {
    const theirs = events.filter((e) => e.pid === pid);
    const mine = ours(pid);
    const calls = theirs.filter((e) => e.kind === 'call');
    if (calls.length !== mine.length) mismatches.push(`pid ${pid}: strace shows ${calls.length} calls, we have ${mine.length}`);
    let k = 0;
    for (let j = 0; j < theirs.length; j++) {
      const e = theirs[j];
      if (e.kind === 'exit') continue;
      if (e.kind === 'signal') {
        // strace's `--- SIGCHLD ---` after a call: the handler ran on that call's return; we carry it in `signal`.
        const prev = mine[k - 1];
        if (e.signal === 'SIGSEGV' && prev?.outcome === 'unfinished') continue; // killedOnReturn: no handler ran
        if (prev === undefined || prev.signal === null || signalName(prev.signal) !== e.signal) {
          mismatches.push(`pid ${pid}: strace's ${e.line.trim()} is not on our record ${prev?.text ?? '(none)'}`);
        } else signalsChecked++;
        continue;
      }
      const r = mine[k++];
      if (r === undefined) break;
      const o = parseCall(r.text);
      if (o === null) { mismatches.push(`pid ${pid}: unparsed record ${r.text}`); continue; }
      const s: Call = { ...e.call, args: [...e.call.args] };
      // The normalisations, each allowed only where its rule says.
      for (const i of STRUCT_ARGS[s.name] ?? []) {
        if (s.name === o.name && s.args[i]?.startsWith('{') && ADDRESS.test(o.args[i] ?? '')) {
          s.args[i] = o.args[i];
          note('structAsAddress');
        }
      }
      if (s.name === 'rt_sigreturn' && o.name === 'rt_sigreturn' && o.args.length === 0 && s.args.length === 1 && /^\{mask=\[.*\]\}$/.test(s.args[0])) {
        s.args = [];
        note('sigreturnMask');
      }
      const next = theirs.slice(j + 1).find((x) => x.kind !== 'signal');
      if (o.result === '? <unfinished>' && r.outcome === 'unfinished' && next?.kind === 'exit' && / killed by SIG\w+ /.test(next.line)) {
        s.result = o.result;
        note('killedOnReturn');
      }
      compared++;
      const a = `${s.name}(${s.args.join(', ')}) = ${s.result}`;
      const b = `${o.name}(${o.args.join(', ')}) = ${o.result}`;
      if (a !== b) mismatches.push(`pid ${pid}:\n  strace: ${e.line.replace(/^\d+ +/, '')}\n  ours:   ${r.text}`);
    }
  }

  it('calibrated the task_struct layout from the run alone, before the workload, as the kernel build says it is', () => {
    expect(calibration.ok).toBe(true);
    if (!calibration.ok) return;
    // The oracle: guest/profile/offsets.c compiled against this kernel (calibration never read it).
    const want = taskLayoutFromProfile(readProfile(dir));
    const got = taskLayoutFromProfile(calibration.profile);
    expect(want.ok && got.ok).toBe(true);
    if (!want.ok || !got.ok) return;
    const fields = (l: typeof got.layout) => ({ pid: l.pid, tgid: l.tgid, comm: l.comm, commLen: l.commLen, kernelSp: l.kernelSp, ptRegsOnStack: l.ptRegsOnStack, ptCause: l.ptCause, ptOrigA0: l.ptOrigA0 });
    expect(fields(got.layout)).toEqual(fields(want.layout));
    // Each field with its evidence: several observations with distinct values.
    expect(calibration.evidence.map((e) => e.field).sort()).toEqual(['pt_regs.cause', 'task_struct.comm', 'task_struct.pid', 'task_struct.tgid', 'thread_info.kernel_sp']);
    for (const e of calibration.evidence) expect(e.observations).toBeGreaterThanOrEqual(3);
    expect(straceExec.entry.icount).toBeGreaterThan(attachedAt);
    console.log(`calibrated at step ${attachedAt} from ${calibration.profile.calibration.observations} observations: ${calibration.evidence.map((e) => `${e.field}=${e.offset} (${e.observations}, ${e.confidence})`).join(', ')}`);
  });

  if (existsSync(`${dir}/vmlinux.btf.zst`)) {
    it("debug info agrees: the profile from the kernel's BTF equals the calibrated one and profile.json", () => {
      const fromBtf = profileFromBtf(readFileSync(`${dir}/vmlinux.btf.zst`));
      expect(calibration.ok).toBe(true);
      if (!calibration.ok) return;
      expect(profileDifferences(fromBtf, calibration.profile)).toEqual([]);
      expect(profileDifferences(fromBtf, readProfile(dir))).toEqual([]);
    });
  } else {
    console.log(`strace oracle: no BTF check for ${dir}: it has no vmlinux.btf.zst (the default kernel is built without BTF)`);
  }

  it('names processes as strace does: pid, tid and the program each one runs', () => {
    let checked = 0;
    for (const pid of tracedPids) {
      const mine = ours(pid);
      expect(mine.length).toBeGreaterThan(0);
      for (const r of mine) expect([r.tid, r.pid]).toEqual([pid, tgidOf(pid)]);
      // strace's own getpid lines agree with the process found from its clone lines.
      for (const e of events) if (e.pid === pid && e.kind === 'call' && e.call.name === 'getpid') expect(Number(e.call.result)).toBe(tgidOf(pid));
      // comm after each execve strace shows is the program's basename.
      const execs = events.filter((e) => e.pid === pid && e.kind === 'call' && e.call.name === 'execve' && e.call.result === '0');
      for (const e of execs) {
        if (e.kind !== 'call') continue;
        const path = JSON.parse(e.call.args[0]) as string;
        const rec = mine.find((r) => r.name === 'execve' && r.argText[0] === e.call.args[0]);
        expect(rec?.commAtExit ?? rec?.comm).toBe(path.slice(path.lastIndexOf('/') + 1));
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(5);
    // The thread of /tmp/thr: a task whose thread id is not its process id, named by its process's program.
    const threads = tracedPids.filter((t) => tgidOf(t) !== t);
    expect(threads).toHaveLength(1);
    expect(ours(threads[0]).map((r) => `${r.pid} ${r.tid} ${r.comm} ${r.name}`)).toEqual(['gettid', 'getpid', 'exit'].map((n) => `${tgidOf(threads[0])} ${threads[0]} thr ${n}`));
  });

  it("names live processes and threads as the guest's ps and /proc do: pid, tid and comm", () => {
    // The console between the markers: `ps -o pid,comm` (processes), `ps -T -o pid,comm` (every
    // task: the id is the thread id), and /proc/TGID/task/TID for each task (its process).
    const section = (from: string, to: string) => {
      const a = lines.indexOf(from), b = lines.indexOf(to);
      expect(a >= 0 && b > a, `console has "${from}" ... "${to}"`).toBe(true);
      return lines.slice(a + 1, b);
    };
    const table = (l: string[]) => {
      expect(l[0]).toMatch(/^PID +COMMAND$/);
      return new Map(l.slice(1).map((x) => /^ *(\d+) (.*)$/.exec(x)!).map((m) => [Number(m[1]), m[2]] as const));
    };
    const ps = table(section('=== ps', '=== ps -T'));
    const psT = table(section('=== ps -T', '=== tasks'));
    const tgid = new Map(section('=== tasks', '=== end').join(' ').split(/\s+/).filter((x) => x !== '').map((x) => {
      const m = /^\/proc\/(\d+)\/task\/(\d+)$/.exec(x);
      expect(m, x).not.toBeNull();
      return [Number(m![2]), Number(m![1])] as const;
    }));
    // Each task ps lists that made system calls while traced: our records of it carry its process
    // id and, at its last call, its name. Kernel threads make none. Each ps lists itself, and had
    // exited when /proc was listed: a process of one thread.
    const processOf = (tid: number, comm: string) => tgid.get(tid) ?? (comm === 'ps' ? tid : -1);
    const checked: string[] = [];
    for (const [tid, comm] of [...ps, ...psT.entries()].filter(([t], i, all) => all.findIndex(([u]) => u === t) === i)) {
      const mine = records.filter((r) => r.tid === tid);
      if (mine.length === 0) continue;
      const last = mine.at(-1)!;
      expect({ tid, pid: last.pid, comm: last.commAtExit ?? last.comm }).toEqual({ tid, pid: processOf(tid, comm), comm });
      for (const r of mine) expect(r.pid).toBe(processOf(tid, comm));
      if (ps.has(tid) && psT.has(tid)) expect(ps.get(tid)).toBe(psT.get(tid)); // a process: ps and ps -T agree on its name
      if (!ps.has(tid)) expect(processOf(tid, comm) !== tid || comm === 'ps').toBe(true); // only threads (and the other ps) are missing from plain ps
      checked.push(`${processOf(tid, comm)}/${tid} ${comm}`);
    }
    const names = checked.map((c) => c.replace(/^\S+ /, ''));
    for (const n of ['sh', 'thr', 'sleep', 'cat', 'ps']) expect(names, n).toContain(n);
    const threads = [...psT.keys()].filter((t) => tgid.has(t) && tgid.get(t) !== t);
    expect(threads.length).toBe(1);
    expect(checked).toContain(`${tgid.get(threads[0])}/${threads[0]} thr`);
    console.log(`ps: ${checked.length} live tasks named as ps and /proc name them: ${checked.join(', ')}`);
  });

  it('tells task_struct.pid from tgid by the observations of a thread, not by their order', () => {
    // Calibration at boot saw no thread: the order of the two was an assumption, and said so.
    expect(calibration.ok && calibration.profile.calibration.assumptions.length).toBe(1);
    // All the run's observations include thr's second thread (its gettid): no assumption left.
    const again = calibrateTaskLayout(observations);
    expect(again.ok).toBe(true);
    if (!again.ok || !calibration.ok) return;
    expect(again.profile.calibration.assumptions).toEqual([]);
    expect(again.evidence.find((e) => e.field === 'task_struct.pid')!.how).toMatch(/told apart by a thread whose thread id differs from its process id/);
    expect(profileDifferences(again.profile, readProfile(dir))).toEqual([]);
    expect(again.profile.offsets).toEqual(calibration.profile.offsets);
  });

  it('ran the workload under strace and printed its trace', () => {
    expect(out).toContain("cat: can't open '/nonexistent': No such file or directory");
    expect(out).toContain('Segmentation fault');
    expect(out).toContain('reboot: Power down');
    expect(marks.length).toBe(2);
    expect(straceLines.length).toBeGreaterThan(100);
    expect(straceLines[0]).toMatch(/^\d+ +execve\("\/bin\/sh", \["sh", "-c", "cat \/etc\/passwd; cat \/nonexisten"\.\.\.\], 0x[0-9a-f]+ \/\* \d+ vars \*\/\) = 0$/);
  });

  it('traces the same processes: the tracee and its children, nothing else besides strace itself', () => {
    expect(stracePid).toBeGreaterThan(1);
    expect(tracedPids.length).toBe(8); // sh -c, cat, cat, ls, cat | wc, and thr's two threads
    expect(tracedPids).not.toContain(stracePid);
    // Between strace's execve and its exit, every process we saw run is strace (and its probe
    // children, comm "strace") or one that strace traced.
    // strace ends as its tracee did: it kills itself with the same signal (tgkill, which never returns).
    const end = records.filter((r) => r.pid === stracePid).at(-1)!;
    expect(end.text).toBe(`tgkill(${stracePid}, ${stracePid}, SIGSEGV) = ? <unfinished>`);
    const during = records.filter((r) => r.entry.icount > straceExec.entry.icount && r.entry.icount < end.entry.icount);
    const others = during.filter((r) => r.comm !== 'strace' && !tracedPids.includes(r.tid!));
    expect(others.map((r) => `${r.pid} ${r.comm} ${r.text}`)).toEqual([]);
    // strace's own syscalls (ptrace, wait4, its writes of the trace) are ours only.
    expect(during.some((r) => r.pid === stracePid && r.name === 'ptrace')).toBe(true);
  });

  it('every syscall strace shows agrees with ours, beyond the listed differences', () => {
    expect(mismatches).toEqual([]);
    expect(compared).toBe(events.filter((e) => e.kind === 'call').length);
    expect(compared).toBeGreaterThanOrEqual(120);
    // strace's --- SIGCHLD --- lines are on our records of the calls the handler followed.
    expect(signalsChecked).toBeGreaterThanOrEqual(3);
  });

  it('each listed difference occurred (the table describes this run)', () => {
    expect([...used.keys()].sort()).toEqual(Object.keys(DIFFERENCES).sort());
    // Print the table, with counts, for the record.
    const table = (Object.keys(DIFFERENCES) as DifferenceId[]).map((id) => `${String(used.get(id)).padStart(3)}  ${id}: ${DIFFERENCES[id].what}`);
    console.log(`strace oracle: ${compared} syscalls compared in ${tracedPids.length} tasks, ${signalsChecked} signal lines; normalised:\n${table.join('\n')}`);
  });
});
