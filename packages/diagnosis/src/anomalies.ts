/**
 * Anomaly rules over a merged syscall trace. Each anomaly names a process and a
 * position (icount, slice) that `prnr seek` can jump to.
 *
 * - killed-by-signal (error): a wait4/waitid that reaped a child killed by a
 *   signal (the status is read from guest memory when the call returns).
 * - exit-nonzero (warning): exit_group(n != 0), or a reaped child whose status
 *   says it exited non-zero when its exit_group was not traced.
 * - failed-syscalls (warning or info): failed calls grouped by process,
 *   syscall and errno, with a count and the first one's position. A group is a
 *   warning when the process later exits non-zero or is killed (its failures
 *   likely matter), info otherwise. Failures by design are info whatever the
 *   process did, in groups of their own (failsByDesign): a lookup that missed
 *   in one directory before the same name was found in another (a PATH
 *   search), and ECHILD from a wait for any child or with WNOHANG.
 * - retry-loop (warning): one task repeats the same failing call (same number,
 *   same decoded arguments, same errno) at least `retryMin` times (default 5); calls
 *   that succeed in between (a sleep, a log line) do not break the run if there
 *   are at most `retryGap` (default 2) of them between two repeats, besides up to
 *   8 writes to stdout/stderr and sleeps (logging the failure, backing off).
 * - long-syscall (warning): a call that took more than `longTicks` of virtual
 *   time (default 10,000,000 mtime ticks = 1 s at 10 MHz), except calls that
 *   block by nature: waiting for children, signals, timers, polls, futexes,
 *   sockets, and reads or writes on anything not known to be a regular file
 *   (a tty, a pipe, an fd inherited from before the trace, /dev, /proc, /sys).
 *   A file descriptor counts as a regular file when this process (or the
 *   parent it forked from) opened it on a path outside /dev, /proc and /sys.
 *
 * - killed-by-signal is info, not error, for SIGPIPE killing a process in a
 *   write to a pipe (the normal end of a pipeline writer whose reader exited).
 * - blocked-at-end (warning): tasks still blocked, when the trace ends, in a
 *   read, write or open of a pipe or FIFO for more than `longTicks`; two or
 *   more such tasks are a likely deadlock.
 *
 * Anomalies come out ranked by what most likely explains a failure (RANKING):
 * a crash first, then a hang, then the failing calls that preceded a failure
 * in the same process, then retries, exits with a non-zero status, slow calls,
 * and last the information. Within a class, the earliest first. Each anomaly
 * carries its `rank` (1 = the most likely explanation) and `why` it is there.
 */
import { signalDescription, signalName } from './signals.js';
import type { SyscallRecord, SyscallTrace } from './syscall-tracer.js';
import { unfinishedRecord } from './syscall-tracer.js';

export type AnomalyKind = 'killed-by-signal' | 'exit-nonzero' | 'failed-syscalls' | 'retry-loop' | 'long-syscall' | 'blocked-at-end';
export type AnomalySeverity = 'error' | 'warning' | 'info';

export interface Anomaly {
  kind: AnomalyKind;
  severity: AnomalySeverity;
  /** One line for a person: what, who, how often. */
  message: string;
  pid: number | null;
  tid: number | null;
  comm: string | null;
  /** Where to seek: just before the syscall's entry (for a killed process: the end of its last traced syscall). */
  icount: number;
  slice: number;
  mtime: number;
  /** For killed-by-signal: the death happened before this position (the reaper's return). */
  beforeIcount?: number;
  syscall?: string;
  errno?: string;
  signal?: string;
  exitCode?: number;
  count?: number;
  /** For long-syscall: duration in mtime ticks. */
  durationTicks?: number;
  /** The strace line of the (first) syscall concerned. */
  example?: string;
  /** 1 for the anomaly that most likely explains the failure, then 2, 3, ... */
  rank: number;
  /** Why it is ranked there, in a sentence. */
  why: string;
}

/**
 * The classes anomalies are ranked by, most likely explanation of a failure
 * first, each with the reason given. An anomaly's class comes from its kind
 * and severity (classOf).
 */
const RANKING = [
  { id: 'crash', why: 'a process crashed: a signal killed it, the most direct explanation of a failure' },
  { id: 'hang', why: 'tasks were still blocked on pipes when the trace ended: the run hung' },
  { id: 'cause', why: 'failed calls in a process that then crashed or exited non-zero: the likely cause of that failure' },
  { id: 'retry', why: 'a call failing again and again: a retry loop, a symptom more often than a cause' },
  { id: 'exit', why: 'a non-zero exit status: a failure, explained by the anomalies above it if any' },
  { id: 'slow', why: 'a slow call: it delays the run but does not fail it' },
  { id: 'info', why: 'information: expected by design (a pipeline writer ended by SIGPIPE, failed calls in a process that succeeded, searches that found the name elsewhere, waits when no child is left)' },
] as const;
type RankClass = (typeof RANKING)[number]['id'];

type Unranked = Omit<Anomaly, 'rank' | 'why'> & { because?: string };

function classOf(a: Unranked): RankClass {
  if (a.severity === 'info') return 'info';
  switch (a.kind) {
    case 'killed-by-signal': return 'crash';
    case 'blocked-at-end': return 'hang';
    case 'failed-syscalls': return 'cause';
    case 'retry-loop': return 'retry';
    case 'exit-nonzero': return 'exit';
    case 'long-syscall': return 'slow';
  }
}

export interface AnomalyOptions {
  /** long-syscall threshold in mtime ticks (default 10,000,000: 1 s at 10 MHz). */
  longTicks?: number;
  /** Repeats that make a retry loop (default 5). */
  retryMin?: number;
  /** Successful calls allowed between two repeats of a retry loop (default 2: a sleep and a log line). */
  retryGap?: number;
}

/** Syscalls that wait by nature: a long wait there is not an anomaly. */
export const BLOCKING_BY_NATURE: ReadonlySet<string> = new Set([
  'wait4', 'waitid', 'nanosleep', 'clock_nanosleep', 'ppoll', 'pselect6', 'epoll_pwait', 'epoll_pwait2',
  'rt_sigsuspend', 'rt_sigtimedwait', 'futex', 'futex_waitv', 'accept', 'accept4', 'recvfrom', 'recvmsg',
  'recvmmsg', 'msgrcv', 'semop', 'semtimedop', 'mq_timedreceive', 'io_getevents', 'io_pgetevents',
  'io_uring_enter', 'restart_syscall', 'reboot', 'vhangup',
]);

/** Reads and writes: blocking by nature unless the fd is a regular file. */
const FD_IO = new Set(['read', 'readv', 'pread64', 'preadv', 'preadv2', 'write', 'writev', 'pwrite64', 'pwritev', 'pwritev2', 'sendfile', 'splice', 'tee', 'getdents64']);


const int32 = (s: string): number => Number(BigInt.asIntN(32, BigInt(s)));
/** `cat (pid 32)`; the name after an execve when the call changed it. */
const who = (r: { comm: string | null; commAtExit?: string; pid: number | null }): string => {
  const name = r.commAtExit ?? r.comm;
  return r.pid === null ? (name ?? 'a process') : `${name ?? '?'} (pid ${r.pid})`;
};
const processKey = (r: SyscallRecord): string => (r.pid !== null ? `pid:${r.pid}` : `task:${r.task}`);
const taskKey = (r: SyscallRecord): string => (r.tid !== null ? `tid:${r.tid}` : `task:${r.task}`);

/** The text inside the first pair of quotes of a decoded string argument, or null. */
function quotedText(t: string | undefined): string | null {
  if (t === undefined || !t.startsWith('"')) return null;
  const end = t.indexOf('"', 1);
  return end < 0 ? t.slice(1) : t.slice(1, end);
}

/** The kind of an fd that is a pipe end (pipe2), in FdFiles' tables. */
const PIPE = '|pipe|';

/** Which fds of each process are regular files (their path) or pipes, opened in the trace. */
class FdFiles {
  private readonly byProcess = new Map<string, Map<number, string>>();

  private table(key: string): Map<number, string> {
    let t = this.byProcess.get(key);
    if (t === undefined) this.byProcess.set(key, (t = new Map()));
    return t;
  }

  isRegularFile(r: SyscallRecord, fd: number): boolean {
    const k = this.table(processKey(r)).get(fd);
    return k !== undefined && k !== PIPE;
  }

  isPipe(r: SyscallRecord, fd: number): boolean {
    return this.table(processKey(r)).get(fd) === PIPE;
  }

  /** Follows one call's effect on the fd table (only successful calls reach here). */
  observe(r: SyscallRecord): void {
    const t = this.table(processKey(r));
    const res = r.result === null ? null : Number(r.result);
    if (res === null || res < 0) return;
    switch (r.name) {
      case 'openat': case 'openat2': {
        const path = quotedText(r.argText[1]);
        if (path !== null && !/^\/(dev|proc|sys)(\/|$)/.test(path)) t.set(res, path);
        else t.delete(res);
        break;
      }
      case 'close': t.delete(int32(r.args[0])); break;
      case 'dup': case 'dup3': case 'fcntl': {
        if (r.name === 'fcntl' && !/^F_DUPFD/.test(r.argText[1] ?? '')) break;
        const from = t.get(int32(r.args[0]));
        if (from !== undefined) t.set(res, from); else t.delete(res);
        break;
      }
      case 'pipe2': {
        // Decoded at the return: `[3, 4]`.
        const m = /^\[(\d+), (\d+)\]$/.exec(r.argText[0] ?? '');
        if (m !== null) { t.set(Number(m[1]), PIPE); t.set(Number(m[2]), PIPE); }
        break;
      }
      case 'socket': case 'socketpair': case 'accept': case 'accept4': case 'eventfd2':
      case 'epoll_create1': case 'signalfd4': case 'timerfd_create': case 'memfd_create': case 'inotify_init1':
        t.delete(res);
        break;
      case 'clone': case 'clone3':
        // The child (pid = result) starts with a copy of the table (unless it shares it: a thread, same pid).
        if (res > 0) this.byProcess.set(`pid:${res}`, new Map(t));
        break;
    }
  }
}

function failed(r: SyscallRecord): boolean {
  return r.errno !== null;
}

/** The anomalies of a trace (or of records in entry order). */
export function findAnomalies(input: SyscallTrace | readonly SyscallRecord[], options: AnomalyOptions = {}): Anomaly[] {
  // Calls still running when the trace ends count as unfinished (a process killed inside one never returns).
  const trace = Array.isArray(input) ? null : (input as SyscallTrace);
  const all = trace === null ? [...(input as readonly SyscallRecord[])] : [...trace.events, ...trace.openAtEnd.map(unfinishedRecord)];
  const records = all.sort((a, b) => a.entry.icount - b.entry.icount);
  const longTicks = options.longTicks ?? 10_000_000;
  const retryMin = options.retryMin ?? 5;
  const retryGap = options.retryGap ?? 2;
  const out: Unranked[] = [];
  const at = (r: SyscallRecord): Pick<Anomaly, 'pid' | 'tid' | 'comm' | 'icount' | 'slice' | 'mtime' | 'example'> => ({
    pid: r.pid, tid: r.tid, comm: r.comm, icount: r.entry.icount, slice: r.entry.slice, mtime: r.entry.mtime, example: r.text,
  });

  // Each pid's records (in order) and exit_group calls, for the rules that look across processes.
  const byPid = new Map<number, SyscallRecord[]>();
  for (const r of records) {
    if (r.pid === null) continue;
    if (!byPid.has(r.pid)) byPid.set(r.pid, []);
    byPid.get(r.pid)!.push(r);
  }
  /** The last record of `pid` that entered before `icount` (pids are reused: the latest one before). */
  const lastBefore = (pid: number, icount: number): SyscallRecord | undefined => {
    const list = byPid.get(pid) ?? [];
    let last: SyscallRecord | undefined;
    for (const r of list) if (r.entry.icount < icount) last = r;
    return last;
  };
  const badEnd = new Set<number>();
  const fds = new FdFiles();

  for (const r of records) {
    if (r.name === 'exit_group' && r.pid !== null) {
      const code = int32(r.args[0]) & 0xff;
      if (code !== 0) {
        badEnd.add(r.pid);
        out.push({ kind: 'exit-nonzero', severity: 'warning', message: `${who(r)} exited with status ${code}`, exitCode: code, syscall: 'exit_group', ...at(r) });
      }
    }
    if ((r.name === 'wait4' || r.name === 'waitid') && r.wstatus !== null && r.outcome === 'returned') {
      const s = r.wstatus;
      const reapedAt = r.exit?.icount ?? r.entry.icount;
      const child = r.name === 'wait4' ? Number(r.result) : null;
      const last = child !== null ? lastBefore(child, reapedAt) : undefined;
      const childName = last !== undefined ? who(last) : child !== null ? `pid ${child}` : 'a child';
      if ((s & 0x7f) !== 0 && (s & 0xff) !== 0x7f && s !== 0xffff) {
        const sig = s & 0x7f;
        const core = (s & 0x80) !== 0;
        if (child !== null && sig !== SIGPIPE) badEnd.add(child);
        const place = last ?? r;
        // SIGPIPE in a write to a pipe: the reader is gone, the normal end of a pipeline writer (`yes | head -1`).
        const pipeEnd = sig === SIGPIPE && last !== undefined && PIPE_WRITES.has(last.name) && (last.outcome === 'unfinished' || last.errno === 'EPIPE') && !fds.isRegularFile(last, int32(last.args[0]));
        // SIGKILL that no traced kill() sent: the kernel did (the OOM killer, most often).
        const byKernel = sig === SIGKILL && child !== null && !records.some((k) => KILLS.has(k.name) && k.entry.icount < reapedAt && killTarget(k) === child);
        out.push({
          kind: 'killed-by-signal', severity: pipeEnd ? 'info' : 'error',
          because: pipeEnd ? `SIGPIPE in ${last!.name} to a pipe whose reader had exited: how a pipeline writer normally ends` : undefined,
          message: `${childName} was killed by ${signalName(sig)} (${signalDescription(sig)})${core ? ', core dumped' : ''}${byKernel ? ', sent by the kernel (no traced kill): likely the OOM killer' : ''}${pipeEnd ? ' writing to a pipe whose reader had exited' : ''}; reaped by ${who(r)}`,
          signal: signalName(sig),
          pid: child ?? null, tid: last?.tid ?? null, comm: last === undefined ? null : (last.commAtExit ?? last.comm),
          icount: place.exit?.icount ?? place.entry.icount, slice: place.exit?.slice ?? place.entry.slice, mtime: place.exit?.mtime ?? place.entry.mtime,
          beforeIcount: reapedAt,
          example: last?.text ?? r.text,
        });
      } else if ((s & 0x7f) === 0 && ((s >> 8) & 0xff) !== 0 && child !== null) {
        const code = (s >> 8) & 0xff;
        badEnd.add(child);
        // Reported already if its exit_group was traced.
        if (last?.name !== 'exit_group') {
          out.push({ kind: 'exit-nonzero', severity: 'warning', message: `${childName} exited with status ${code} (seen by ${who(r)})`, exitCode: code, syscall: r.name, ...at(r) });
        }
      }
    }
    if (r.exit !== null && r.outcome === 'returned') {
      const ticks = r.exit.mtime - r.entry.mtime;
      if (ticks > longTicks && !blocksByNature(r, fds)) {
        out.push({
          kind: 'long-syscall', severity: 'warning',
          message: `${who(r)}: ${r.name} took ${(ticks / 1e7).toFixed(3)} s of virtual time`,
          syscall: r.name, durationTicks: ticks, ...at(r),
        });
      }
    }
    if (!failed(r)) fds.observe(r);
  }

  const byTask = new Map<string, SyscallRecord[]>();
  for (const r of records) {
    const k = taskKey(r);
    if (!byTask.has(k)) byTask.set(k, []);
    byTask.get(k)!.push(r);
  }

  // Failed calls, grouped by process, syscall, errno and whether they fail by design.
  const groups = new Map<string, { first: SyscallRecord; count: number; design: ByDesign | null }>();
  for (const seq of byTask.values()) {
    seq.forEach((r, i) => {
      if (!failed(r)) return;
      const design = failsByDesign(seq, i);
      const key = `${processKey(r)}|${r.comm}|${r.name}|${r.errno}|${design?.kind ?? ''}`;
      const g = groups.get(key);
      if (g === undefined || r.entry.icount < g.first.entry.icount) groups.set(key, { first: r, count: (g?.count ?? 0) + 1, design });
      else g.count++;
    });
  }
  for (const { first, count, design } of groups.values()) {
    // A failure by design explains nothing, even in a process that then failed.
    const bad = design === null && first.pid !== null && badEnd.has(first.pid);
    out.push({
      kind: 'failed-syscalls', severity: bad ? 'warning' : 'info',
      message: `${who(first)}: ${first.name} failed with ${first.errno}${count > 1 ? ` ${count} times` : ''}${bad ? ' before the process failed' : ''}${design !== null ? `, by design: ${count === 1 ? design.one : design.first === null ? design.plural : `${design.plural} (the first ${design.first})`}` : ''}`,
      because: design !== null ? `information: failed by design (${design.plural}), not a cause` : undefined,
      syscall: first.name, errno: first.errno ?? undefined, count, ...at(first),
    });
  }

  // Retry loops, per task.
  for (const seq of byTask.values()) {
    let run: SyscallRecord[] = [];
    let gap = 0;
    let chatter = 0;
    const close = (): void => {
      if (run.length >= retryMin) {
        const f = run[0];
        out.push({
          kind: 'retry-loop', severity: 'warning',
          message: `${who(f)} retried ${callText(f)} ${run.length} times, failing each time with ${f.errno}`,
          syscall: f.name, errno: f.errno ?? undefined, count: run.length, ...at(f),
        });
      }
      run = [];
      gap = 0;
      chatter = 0;
    };
    for (const r of seq) {
      if (!failed(r)) {
        // Logging the failure and backing off is what a retry loop does between tries:
        // writes to stdout/stderr and sleeps count apart, up to RETRY_CHATTER of them.
        if (run.length > 0 && (isChatter(r) ? ++chatter > RETRY_CHATTER : ++gap > retryGap)) close();
        continue;
      }
      const f = run[0];
      // Same call: same number, same errno, same arguments as decoded (a path is compared by its text, not its buffer's address).
      if (f !== undefined && !(r.nr === f.nr && r.errno === f.errno && r.argText.every((a, i) => a === f.argText[i]))) close();
      run.push(r);
      gap = 0;
      chatter = 0;
    }
    close();
  }

  out.push(...blockedAtEnd(records, fds, longTicks, at));

  const order = (c: RankClass): number => RANKING.findIndex((x) => x.id === c);
  return out
    .map((a) => ({ a, c: classOf(a) }))
    .sort((x, y) => order(x.c) - order(y.c) || x.a.icount - y.a.icount)
    .map(({ a, c }, i) => {
      const { because, ...rest } = a;
      return { ...rest, rank: i + 1, why: because ?? RANKING[order(c)].why };
    });
}

/** Calls that look a path up, with the index of their path argument. */
const LOOKUP_PATH_ARG: ReadonlyMap<string, number> = new Map([
  ['execve', 0], ['execveat', 1], ['newfstatat', 1], ['statx', 1], ['faccessat', 1], ['faccessat2', 1],
  ['openat', 1], ['openat2', 1], ['readlinkat', 1],
]);
/** How a lookup misses in one directory of a search. */
const LOOKUP_MISSES = new Set(['ENOENT', 'ENOTDIR']);
const WNOHANG = 1;
/** waitid's idtype for "any child". */
const P_ALL = 0;

/** A kind of failure by design: what one is, what several are, and what the first one did (when worth saying). */
interface ByDesign {
  kind: 'search' | 'no-child';
  one: string;
  plural: string;
  first: string | null;
}

function lookupPath(r: SyscallRecord): string | null {
  const i = LOOKUP_PATH_ARG.get(r.name);
  return i === undefined ? null : quotedText(r.argText[i]);
}

const basename = (path: string): string => path.slice(path.lastIndexOf('/') + 1);

/**
 * How the failed call `seq[i]` fails by design, or null: a lookup that missed
 * in one directory while the same name, looked up in another right after,
 * was found (a search along PATH or a library path); a wait for any child,
 * or one that does not block, when there is no child left (ECHILD: the end of
 * a reaping loop).
 */
function failsByDesign(seq: readonly SyscallRecord[], i: number): ByDesign | null {
  const r = seq[i];
  if (r.errno === 'ECHILD' && (r.name === 'wait4' || r.name === 'waitid')) {
    const any = r.name === 'wait4' ? int32(r.args[0]) === -1 : int32(r.args[0]) === P_ALL;
    const poll = (int32(r.args[r.name === 'wait4' ? 2 : 3]) & WNOHANG) !== 0;
    const one = any ? 'a wait for any child when none is left' : poll ? 'a WNOHANG poll when no child is left' : null;
    if (one !== null) return { kind: 'no-child', one, plural: 'waits for any child, or WNOHANG polls, when no child is left', first: null };
  }
  const path = lookupPath(r);
  if (path === null || !LOOKUP_MISSES.has(r.errno ?? '')) return null;
  const name = basename(path);
  if (name === '') return null;
  // The task's next lookups: misses of the same name elsewhere go on with the search; anything else ends it.
  for (let j = i + 1; j < seq.length; j++) {
    const next = seq[j];
    const p = lookupPath(next);
    if (p === null) {
      if (next.name === 'exit' || next.name === 'exit_group') return null;
      continue;
    }
    if (basename(p) !== name || p === path) return null;
    if (!failed(next)) return { kind: 'search', one: `a search that found "${name}" as ${p}`, plural: 'searches that found the name elsewhere', first: `found "${name}" as ${p}` };
    if (!LOOKUP_MISSES.has(next.errno ?? '')) return null;
  }
  return null;
}

const SIGPIPE = 13, SIGKILL = 9;
const PIPE_WRITES = new Set(['write', 'writev', 'pwrite64', 'pwritev', 'pwritev2', 'sendfile', 'splice', 'tee']);
const KILLS = new Set(['kill', 'tkill', 'tgkill']);
/** The pid a kill/tkill/tgkill call targets (tgkill: the thread group). */
const killTarget = (k: SyscallRecord): number => int32(k.args[0]);

/** Calls that wait on a pipe or FIFO: reads and writes, and opens of a FIFO (which wait for the other end). */
const PIPE_WAITS = new Set(['read', 'readv', 'write', 'writev', 'openat', 'splice']);

/**
 * Tasks blocked, when the trace ends, for more than `longTicks` in a read or
 * write of a pipe (or of a path opened in the trace: a FIFO, since regular
 * files do not block that long) or in opening a FIFO: one anomaly for all of
 * them. Reads of ttys and of fds inherited from before the trace (a shell
 * waiting for input) are not.
 */
function blockedAtEnd(records: readonly SyscallRecord[], fds: FdFiles, longTicks: number, at: (r: SyscallRecord) => Pick<Anomaly, 'pid' | 'tid' | 'comm' | 'icount' | 'slice' | 'mtime' | 'example'>): Unranked[] {
  const end = records.reduce((m, r) => Math.max(m, r.exit?.mtime ?? r.entry.mtime), 0);
  // Still open at the end, not dead in the call: no later call by its task, and not reaped since.
  const lastOfTask = new Map<string, number>();
  for (const r of records) lastOfTask.set(r.task, Math.max(lastOfTask.get(r.task) ?? 0, r.entry.icount));
  const reaped = (r: SyscallRecord): boolean => records.some((w) => (w.name === 'wait4' || w.name === 'waitid') && w.wstatus !== null && w.exit !== null && w.exit.icount > r.entry.icount && Number(w.result) === r.pid);
  const blocked = records.filter((r) => {
    if (r.outcome !== 'unfinished' || !PIPE_WAITS.has(r.name) || end - r.entry.mtime <= longTicks) return false;
    if (lastOfTask.get(r.task) !== r.entry.icount || reaped(r)) return false;
    if (r.name === 'openat') {
      const path = quotedText(r.argText[1]);
      return path !== null && !/^\/(dev|proc|sys)(\/|$)/.test(path);
    }
    const fd = int32(r.args[0]);
    return fds.isPipe(r, fd) || fds.isRegularFile(r, fd);
  });
  if (blocked.length === 0) return [];
  const first = blocked[0];
  const secs = ((end - first.entry.mtime) / 1e7).toFixed(3);
  const names = blocked.map((r) => `${who(r)} in ${r.name}`).join(', ');
  return [{
    kind: 'blocked-at-end', severity: 'warning', syscall: first.name, count: blocked.length, durationTicks: end - first.entry.mtime,
    message: blocked.length > 1
      ? `${blocked.length} tasks were blocked on pipes when the trace ended, each waiting for another (a deadlock?): ${names}; the first for ${secs} s`
      : `${names} was blocked on a pipe for ${secs} s when the trace ended`,
    because: blocked.length > 1 ? 'several tasks blocked on pipes until the end, none making progress: a deadlock hangs the run' : undefined,
    ...at(first),
  }];
}

/** Writes to stdout/stderr and sleeps allowed between two tries of a retry loop. */
const RETRY_CHATTER = 8;

function isChatter(r: SyscallRecord): boolean {
  if (r.name === 'nanosleep' || r.name === 'clock_nanosleep') return true;
  return (r.name === 'write' || r.name === 'writev') && (r.args[0] === '1' || r.args[0] === '2');
}

/** The call as strace shows it, without its result. */
function callText(r: SyscallRecord): string {
  const i = r.text.lastIndexOf(' = ');
  return i > 0 ? r.text.slice(0, i) : r.name;
}

function blocksByNature(r: SyscallRecord, fds: FdFiles): boolean {
  if (BLOCKING_BY_NATURE.has(r.name)) return true;
  if (!FD_IO.has(r.name)) return false;
  // sendfile(out, in), splice(in, _, out), tee(in, out): both ends must be files.
  const ends = r.name === 'sendfile' || r.name === 'tee' ? [0, 1] : r.name === 'splice' ? [0, 2] : [0];
  return ends.some((i) => !fds.isRegularFile(r, int32(r.args[i])));
}
