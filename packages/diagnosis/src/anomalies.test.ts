import { describe, expect, it } from 'vitest';
import { findAnomalies } from './anomalies.js';
import { errnoName } from './errno.js';
import { syscallByName } from './syscall-table.js';
import type { SyscallRecord } from './syscall-tracer.js';

let clock = 0;

/** A synthetic record: `name(args) = result`, entered 100 steps after the previous one, lasting `ticks` of mtime. */
function rec(pid: number, comm: string, name: string, args: (number | string)[], result: number | null, o: { ticks?: number; wstatus?: number; argText?: string[]; slice?: number } = {}): SyscallRecord {
  clock += 100;
  const entry = { icount: clock, mtime: clock, slice: o.slice ?? 0 };
  const errno = result !== null && result < 0 && result >= -4095 ? errnoName(-result) : null;
  // A string argument: its text is decoded, its register holds the same buffer every time.
  const raw = args.map((a) => String(typeof a === 'string' && a.startsWith('"') ? 0x1000n : BigInt.asUintN(64, BigInt(a))));
  while (raw.length < 6) raw.push('0');
  return {
    task: `0xffffffd8000${pid.toString(16).padStart(5, '0')}`, pid, tid: pid, comm,
    nr: syscallByName(name)!.nr, name, args: raw, argText: o.argText ?? args.map(String),
    result: result === null ? null : String(result), errno,
    outcome: result === null ? 'no-return' : 'returned',
    text: `${name}(${args.join(', ')}) = ${result ?? '?'}`,
    entry, exit: result === null ? null : { icount: clock + 50, mtime: clock + (o.ticks ?? 50), slice: entry.slice },
    wstatus: o.wstatus ?? null, signal: null,
  };
}

describe('anomaly rules', () => {
  it('groups failed calls by process, syscall and errno, at the first one', () => {
    const rs = [
      rec(5, 'app', 'openat', [-100, '"/a"', 0], -2),
      rec(5, 'app', 'openat', [-100, '"/b"', 0], -2),
      rec(5, 'app', 'openat', [-100, '"/c"', 0], -13),
      rec(6, 'other', 'openat', [-100, '"/a"', 0], -2),
      rec(5, 'app', 'getpid', [], 5),
    ];
    const a = findAnomalies(rs).filter((x) => x.kind === 'failed-syscalls');
    expect(a.map((x) => [x.pid, x.syscall, x.errno, x.count, x.icount, x.severity])).toEqual([
      [5, 'openat', 'ENOENT', 2, rs[0].entry.icount, 'info'],
      [5, 'openat', 'EACCES', 1, rs[2].entry.icount, 'info'],
      [6, 'openat', 'ENOENT', 1, rs[3].entry.icount, 'info'],
    ]);
    expect(a[0].message).toBe('app (pid 5): openat failed with ENOENT 2 times');
  });

  it("exit_group(n != 0) is reported, and makes the process's failures warnings", () => {
    const rs = [rec(5, 'app', 'openat', [-100, '"/etc/app.conf"', 0], -2), rec(5, 'app', 'exit_group', [3], null)];
    const a = findAnomalies(rs);
    expect(a.map((x) => [x.kind, x.severity, x.message])).toEqual([
      ['failed-syscalls', 'warning', 'app (pid 5): openat failed with ENOENT before the process failed'],
      ['exit-nonzero', 'warning', 'app (pid 5) exited with status 3'],
    ]);
    expect(a[1]).toMatchObject({ exitCode: 3, icount: rs[1].entry.icount, slice: 0, pid: 5, comm: 'app' });
  });

  it('a child killed by a signal, from the status its parent reaped: an error, at the end of its last syscall', () => {
    const wait = rec(1, 'sh', 'wait4', [-1, '0x3ff0', 0, 0], 42, { wstatus: 0x86, slice: 2 }); // SIGABRT, core dumped
    const child = [rec(42, 'crashy', 'openat', [-100, '"/x"', 0], -13, { slice: 1 }), rec(42, 'crashy', 'tgkill', [42, 42, 6], 0, { slice: 1 })];
    // The parent entered wait4 before the child's calls and returned after them.
    wait.exit = { icount: clock + 100, mtime: clock + 100, slice: 2 };
    const a = findAnomalies([wait, ...child]);
    expect(a[0]).toMatchObject({
      kind: 'killed-by-signal', severity: 'error', signal: 'SIGABRT', pid: 42, comm: 'crashy',
      icount: child[1].exit!.icount, slice: 1, beforeIcount: wait.exit.icount,
      message: 'crashy (pid 42) was killed by SIGABRT (Aborted), core dumped; reaped by sh (pid 1)',
    });
    // Its failure before dying is a warning, not information.
    expect(a.find((x) => x.kind === 'failed-syscalls')).toMatchObject({ pid: 42, severity: 'warning', errno: 'EACCES' });
  });

  it('a non-zero exit seen only through wait4 (exit_group not traced) is reported once', () => {
    const a = findAnomalies([rec(1, 'sh', 'wait4', [-1, '0x3ff0', 0, 0], 7, { wstatus: 2 << 8 })]);
    expect(a.map((x) => [x.kind, x.message])).toEqual([['exit-nonzero', 'pid 7 exited with status 2 (seen by sh (pid 1))']]);
    const traced = findAnomalies([rec(7, 'tool', 'exit_group', [2], null), rec(1, 'sh', 'wait4', [-1, '0x3ff0', 0, 0], 7, { wstatus: 2 << 8 })]);
    expect(traced.map((x) => x.message)).toEqual(['tool (pid 7) exited with status 2']);
    // Normal exits and stops are not anomalies.
    expect(findAnomalies([rec(1, 'sh', 'wait4', [-1, '0x3ff0', 0, 0], 7, { wstatus: 0 }), rec(1, 'sh', 'wait4', [-1, '0x3ff0', 2, 0], 8, { wstatus: 0x137f })])).toEqual([]);
  });

  it('retry loops: the same failing call repeated by one task, a sleep in between allowed', () => {
    const rs: SyscallRecord[] = [];
    for (let i = 0; i < 6; i++) {
      rs.push(rec(9, 'svc', 'openat', [-100, 4096, 0], -2));
      rs.push(rec(9, 'svc', 'nanosleep', [8192, 0], 0));
      rs.push(rec(10, 'noise', 'getpid', [], 10)); // another task: does not break the run
    }
    const a = findAnomalies(rs).filter((x) => x.kind === 'retry-loop');
    expect(a).toHaveLength(1);
    expect(a[0]).toMatchObject({ pid: 9, syscall: 'openat', errno: 'ENOENT', count: 6, icount: rs[0].entry.icount, message: expect.stringMatching(/^svc \(pid 9\) retried openat\(.*\) 6 times, failing each time with ENOENT$/) });
  });

  it('no retry loop: different arguments, too few repeats, or too much in between', () => {
    const differentArgs = [0, 1, 2, 3, 4, 5].map((i) => rec(9, 'svc', 'openat', [-100, `"/etc/conf.${i}"`, 0], -2)); // same buffer, other paths
    const four = [0, 1, 2, 3].map(() => rec(9, 'svc', 'openat', [-100, 4096, 0], -2));
    const spread: SyscallRecord[] = [];
    for (let i = 0; i < 6; i++) {
      spread.push(rec(9, 'svc', 'openat', [-100, 4096, 0], -2));
      for (let j = 0; j < 3; j++) spread.push(rec(9, 'svc', 'getpid', [], 9));
    }
    // Logging between tries (writes to stderr) does not break a run; other work does.
    const logged: SyscallRecord[] = [];
    for (let i = 0; i < 6; i++) {
      logged.push(rec(9, 'svc', 'openat', [-100, 4096, 0], -2));
      for (let j = 0; j < 3; j++) logged.push(rec(9, 'svc', 'write', [2, 4096, 10], 10));
    }
    expect(findAnomalies(logged).filter((x) => x.kind === 'retry-loop')).toHaveLength(1);
    for (const rs of [differentArgs, four, spread]) expect(findAnomalies(rs).filter((x) => x.kind === 'retry-loop')).toEqual([]);
    // A threshold of 4 finds the four.
    expect(findAnomalies(four, { retryMin: 4 }).filter((x) => x.kind === 'retry-loop')).toHaveLength(1);
  });

  it('long syscalls in virtual time, except calls that wait by nature', () => {
    const rs = [
      rec(3, 'db', 'openat', [-100, '"/data/db"', 0], 5, { argText: ['AT_FDCWD', '"/data/db"', 'O_RDONLY'] }),
      rec(3, 'db', 'read', [5, 4096, 4096], 4096, { ticks: 25_000_000 }), // a regular file: anomaly
      rec(3, 'db', 'read', [0, 4096, 1], 1, { ticks: 90_000_000 }), // stdin: waits for input
      rec(3, 'db', 'wait4', [-1, 0, 0, 0], 4, { ticks: 90_000_000 }),
      rec(3, 'db', 'nanosleep', [4096, 0], 0, { ticks: 90_000_000 }),
      rec(3, 'db', 'fsync', [5], 0, { ticks: 12_000_000 }),
      rec(3, 'db', 'fsync', [5], 0, { ticks: 9_000_000 }),
    ];
    const a = findAnomalies(rs).filter((x) => x.kind === 'long-syscall');
    expect(a.map((x) => [x.syscall, x.durationTicks, x.message])).toEqual([
      ['read', 25_000_000, 'db (pid 3): read took 2.500 s of virtual time'],
      ['fsync', 12_000_000, 'db (pid 3): fsync took 1.200 s of virtual time'],
    ]);
    expect(findAnomalies(rs, { longTicks: 50_000_000 }).filter((x) => x.kind === 'long-syscall')).toEqual([]);
    // A file on /dev is not a regular file; a closed fd is forgotten.
    const dev = [rec(3, 'db', 'openat', [-100, '"/dev/vda"', 0], 6, { argText: ['AT_FDCWD', '"/dev/vda"', 'O_RDONLY'] }), rec(3, 'db', 'read', [6, 4096, 512], 512, { ticks: 25_000_000 })];
    expect(findAnomalies(dev).filter((x) => x.kind === 'long-syscall')).toEqual([]);
    const closed = [rs[0], rec(3, 'db', 'close', [5], 0), rec(3, 'db', 'read', [5, 4096, 1], 1, { ticks: 25_000_000 })];
    expect(findAnomalies(closed).filter((x) => x.kind === 'long-syscall')).toEqual([]);
  });

  it('orders by severity, then position', () => {
    const rs = [
      rec(5, 'a', 'openat', [-100, 1, 0], -2),
      rec(5, 'a', 'exit_group', [1], null),
      rec(1, 'sh', 'wait4', [-1, 0, 0, 0], 6, { wstatus: 11 }),
      rec(7, 'b', 'openat', [-100, 1, 0], -2),
    ];
    expect(findAnomalies(rs).map((x) => [x.severity, x.kind, x.pid])).toEqual([
      ['error', 'killed-by-signal', 6],
      ['warning', 'failed-syscalls', 5],
      ['warning', 'exit-nonzero', 5],
      ['info', 'failed-syscalls', 7],
    ]);
  });
  it('SIGPIPE ending a pipeline writer (killed in a write to a pipe) is information, not an error', () => {
    const pipe = rec(20, 'sh', 'pipe2', [], 0, { argText: ['[3, 4]', '0'] });
    const fork = rec(20, 'sh', 'clone', [], 21);
    const write = { ...rec(21, 'yes', 'write', [4, '"y\\n"', 2], null), outcome: 'unfinished' as const, exit: null, errno: null };
    const wait = rec(20, 'sh', 'wait4', [-1, '0x3ff0', 0, 0], 21, { wstatus: 13 });
    const a = findAnomalies([pipe, fork, write, wait]);
    expect(a).toHaveLength(1);
    expect(a[0]).toMatchObject({ kind: 'killed-by-signal', severity: 'info', signal: 'SIGPIPE', pid: 21, rank: 1 });
    expect(a[0].message).toBe('yes (pid 21) was killed by SIGPIPE (Broken pipe) writing to a pipe whose reader had exited; reaped by sh (pid 20)');
    expect(a[0].why).toMatch(/pipeline writer/);
    // The same signal in another call (not a pipe write) stays an error.
    const other = findAnomalies([rec(31, 'app', 'getpid', [], 31), rec(30, 'sh', 'wait4', [-1, '0x3ff0', 0, 0], 31, { wstatus: 13 })]);
    expect(other[0]).toMatchObject({ kind: 'killed-by-signal', severity: 'error', signal: 'SIGPIPE' });
  });

  it('ranks by what most likely explains the failure: a crash, the failures before it, retries, exits; each says why', () => {
    const retry = Array.from({ length: 5 }, () => rec(8, 'poller', 'openat', [-100, '"/run/x"', 0], -2));
    const helperFail = rec(9, 'helper', 'openat', [-100, '"/etc/h.conf"', 0], -2);
    const helperExit = rec(9, 'helper', 'exit_group', [1], null);
    const crashFail = rec(42, 'crashy', 'openat', [-100, '"/x"', 0], -13);
    const crashLast = rec(42, 'crashy', 'getpid', [], 42);
    const wait = rec(1, 'sh', 'wait4', [-1, '0x3ff0', 0, 0], 42, { wstatus: 11 });
    const probe = rec(1, 'sh', 'newfstatat', [-100, '"/usr/bin/x"', '0x1', 0], -2);
    const a = findAnomalies([...retry, helperFail, helperExit, crashFail, crashLast, wait, probe]);
    expect(a.map((x) => [x.rank, x.kind, x.comm])).toEqual([
      [1, 'killed-by-signal', 'crashy'],
      [2, 'failed-syscalls', 'helper'],
      [3, 'failed-syscalls', 'crashy'],
      [4, 'retry-loop', 'poller'],
      [5, 'exit-nonzero', 'helper'],
      [6, 'failed-syscalls', 'poller'],
      [7, 'failed-syscalls', 'sh'],
    ]);
    expect(a[0].why).toMatch(/crashed/);
    expect(a[1].why).toMatch(/then crashed or exited non-zero/);
    expect(a[3].why).toMatch(/retry loop/);
    expect(a[6].why).toMatch(/^information/);
  });

  it('a SIGKILL that no traced kill() sent is put down to the kernel (the OOM killer)', () => {
    const a = findAnomalies([rec(50, 'hog', 'brk', [0], 4096), rec(1, 'sh', 'wait4', [-1, '0x3ff0', 0, 0], 50, { wstatus: 9 })]);
    expect(a[0].message).toBe('hog (pid 50) was killed by SIGKILL (Killed), sent by the kernel (no traced kill): likely the OOM killer; reaped by sh (pid 1)');
    const sent = findAnomalies([rec(50, 'hog', 'brk', [0], 4096), rec(2, 'killer', 'kill', [50, 9], 0), rec(1, 'sh', 'wait4', [-1, '0x3ff0', 0, 0], 50, { wstatus: 9 })]);
    expect(sent[0].message).toBe('hog (pid 50) was killed by SIGKILL (Killed); reaped by sh (pid 1)');
  });

  it('tasks blocked on pipes when the trace ends: a hang, ranked after crashes and before failures', () => {
    const pipe = rec(60, 'sh', 'pipe2', [], 0, { argText: ['[3, 4]', '0'] });
    // pid 62 inherits the pipe from 60 by fork.
    const fork = rec(60, 'sh', 'clone', [], 62);
    const fifo = rec(61, 'cat', 'openat', [-100, '"/tmp/fifo"', 0], 3);
    const r1 = { ...rec(61, 'cat', 'read', [3, '0x1000', 4096], null), outcome: 'unfinished' as const, exit: null, errno: null };
    const dup = rec(62, 'cat', 'dup3', [3, 0, 0], 0);
    const r2 = { ...rec(62, 'cat', 'read', [0, '0x1000', 4096], null), outcome: 'unfinished' as const, exit: null, errno: null };
    const tty = { ...rec(1, 'sh', 'read', [0, '0x1000', 1], null), outcome: 'unfinished' as const, exit: null, errno: null };
    const later = rec(63, 'sleep', 'getpid', [], 63, { ticks: 30_000_000 });
    const a = findAnomalies([pipe, fork, fifo, r1, dup, r2, tty, later]);
    expect(a[0]).toMatchObject({ kind: 'blocked-at-end', severity: 'warning', count: 2, pid: 61, rank: 1 });
    expect(a[0].message).toMatch(/^2 tasks were blocked on pipes when the trace ended, each waiting for another \(a deadlock\?\): cat \(pid 61\) in read, cat \(pid 62\) in read; the first for 3\.\d+ s$/);
    expect(a[0].why).toMatch(/deadlock/);
    // A writer that died in its write (SIGPIPE, reaped) long before the end is not blocked; had it not been reaped, it would be.
    const p2 = rec(69, 'sh', 'pipe2', [], 0, { argText: ['[5, 6]', '0'] });
    const fork2 = rec(69, 'sh', 'clone', [], 70);
    const w = { ...rec(70, 'yes', 'write', [6, '"y\\n"', 2], null), outcome: 'unfinished' as const, exit: null, errno: null };
    const reap = rec(69, 'sh', 'wait4', [-1, '0x3ff0', 0, 0], 70, { wstatus: 13 });
    const tail = rec(69, 'sh', 'getpid', [], 69, { ticks: 30_000_000 });
    expect(findAnomalies([p2, fork2, w, tail]).filter((x) => x.kind === 'blocked-at-end')).toHaveLength(1);
    expect(findAnomalies([p2, fork2, w, reap, tail]).filter((x) => x.kind === 'blocked-at-end')).toEqual([]);
  });

  describe('failures by design are information, even in a process that then failed', () => {
    /** A lookup: the path is argument 1 (argument 0 for execve), as decoded. */
    const lookup = (pid: number, comm: string, name: string, path: string, result: number): SyscallRecord =>
      rec(pid, comm, name, name === 'execve' ? [`"${path}"`, '0x1', '0x2'] : [-100, `"${path}"`, '0x1', 0], result);

    it('a PATH search: misses in other directories before the name is found; the real failure after it ranks first', () => {
      const rs = [
        lookup(40, 'sh', 'newfstatat', '/sbin/cat', -2),
        lookup(40, 'sh', 'newfstatat', '/usr/sbin/cat', -2),
        rec(40, 'sh', 'rt_sigaction', [2, 0, 0, 8], 0), // calls without a path in between do not end the search
        lookup(40, 'sh', 'newfstatat', '/bin/cat', 0),
        lookup(40, 'sh', 'openat', '/mnt/app/state.db', -2),
        rec(40, 'sh', 'exit_group', [3], null),
      ];
      const a = findAnomalies(rs).filter((x) => x.kind === 'failed-syscalls');
      expect(a.map((x) => [x.rank, x.severity, x.syscall, x.count, x.icount])).toEqual([
        [1, 'warning', 'openat', 1, rs[4].entry.icount],
        [3, 'info', 'newfstatat', 2, rs[0].entry.icount],
      ]);
      expect(a[0].why).toMatch(/likely cause/);
      expect(a[1].message).toBe('sh (pid 40): newfstatat failed with ENOENT 2 times, by design: searches that found the name elsewhere (the first found "cat" as /bin/cat)');
      // Searches for other names in the same process join the same group; one alone says what it found.
      const two = findAnomalies([...rs.slice(0, 4), lookup(40, 'sh', 'newfstatat', '/sbin/ls', -2), lookup(40, 'sh', 'newfstatat', '/bin/ls', 0)]);
      expect(two.filter((x) => x.kind === 'failed-syscalls').map((x) => x.count)).toEqual([3]);
      const one = findAnomalies([lookup(40, 'sh', 'newfstatat', '/sbin/ls', -2), lookup(40, 'sh', 'newfstatat', '/bin/ls', 0)]);
      expect(one[0].message).toBe('sh (pid 40): newfstatat failed with ENOENT, by design: a search that found "ls" as /bin/ls');
      expect(a[1].why).not.toMatch(/likely cause/);
      expect(a[1].why).toMatch(/^information: failed by design/);
    });

    it('not a search: the name never found, found under the same path (a retry), another name next, or an error other than a miss', () => {
      const never = [lookup(7, 'app', 'openat', '/etc/app.conf', -2), rec(7, 'app', 'exit_group', [1], null), lookup(8, 'x', 'openat', '/etc/app.conf', 3)];
      const same = [lookup(7, 'app', 'openat', '/run/ready', -2), lookup(7, 'app', 'openat', '/run/ready', 3), rec(7, 'app', 'exit_group', [1], null)];
      const other = [lookup(7, 'app', 'openat', '/etc/a.conf', -2), lookup(7, 'app', 'openat', '/etc/b.conf', -2), lookup(7, 'app', 'openat', '/usr/etc/a.conf', 3), rec(7, 'app', 'exit_group', [1], null)];
      const denied = [lookup(7, 'app', 'execve', '/tmp/script', -13), lookup(7, 'app', 'execve', '/bin/script', 0), rec(7, 'app', 'exit_group', [1], null)];
      for (const rs of [never, same, other, denied]) {
        const first = findAnomalies(rs).find((x) => x.kind === 'failed-syscalls' && x.pid === 7);
        expect(first, rs[0].text).toMatchObject({ severity: 'warning', icount: rs[0].entry.icount });
      }
    });

    it('ECHILD from a wait for any child, or with WNOHANG, when none is left; not from a wait for one given child', () => {
      const wnohang = rec(40, 'sh', 'wait4', [41, '0x3ff0', 1, 0], -10); // WNOHANG
      const any = rec(40, 'sh', 'wait4', [-1, '0x3ff0', 0, 0], -10);
      const anyId = rec(40, 'sh', 'waitid', [0, 0, '0x3ff0', 4, 0], -10); // P_ALL, WEXITED
      const given = rec(40, 'sh', 'wait4', [41, '0x3ff0', 0, 0], -10);
      for (const [r, design] of [[wnohang, true], [any, true], [anyId, true], [given, false]] as const) {
        const a = findAnomalies([r, rec(40, 'sh', 'exit_group', [3], null)]).find((x) => x.kind === 'failed-syscalls')!;
        expect(a.severity, r.text).toBe(design ? 'info' : 'warning');
        if (design) expect(a.message).toMatch(/by design: a (wait for any child|WNOHANG poll) when (none|no child) is left$/);
      }
    });
  });
});
