/**
 * strace-like lines, checked by hand against what strace 6.1 prints for the
 * same calls (default -s 32, no -v).
 */
import { describe, expect, it } from 'vitest';
import { decodeEntryArgs, decodeExitArgs, defFor, fillUnreadArgs, finalArgTexts, formatCall, formatResult, formatSyscall, quoteBytes, retryEntryArgs } from './format.js';
import { GuestMemory } from './sv39.js';
import { syscallByName } from './syscall-table.js';
import { RAM_BASE, newRam, putBytes, putString, putU32, putU64 } from './test-support.js';

const neg = (n: number): bigint => BigInt.asUintN(64, BigInt(n));
const AT_FDCWD = neg(-100);
const nr = (name: string): number => syscallByName(name)!.nr;

/** Bare-mode guest memory (virtual = physical) over 64 pages of RAM. */
function memory() {
  const ram = newRam(64);
  return { ram, mem: new GuestMemory(ram, () => 0n) };
}
const A = (page: number, off = 0): number => RAM_BASE + page * 4096 + off;

describe('quoting', () => {
  it('escapes like strace: C escapes, octal as short as the next byte allows', () => {
    const q = (s: number[]) => quoteBytes(Uint8Array.from(s));
    expect(q([...'a"b\\c'].map((c) => c.charCodeAt(0)))).toBe('"a\\"b\\\\c"');
    expect(q([10, 9, 13, 12, 11])).toBe('"\\n\\t\\r\\f\\v"');
    expect(q([0, 1, 0x1b, 0x7f, 0xff])).toBe('"\\0\\1\\33\\177\\377"');
    expect(q([0, 0x31])).toBe('"\\0001"'); // \0 before a digit: three digits
    expect(q([0x1b, 0x38])).toBe('"\\338"'); // 8 is not an octal digit
  });
});

describe('formatting one syscall', () => {
  it('openat: a path read from memory, flags by name, the new fd', () => {
    const { ram, mem } = memory();
    putString(ram, A(1), '/etc/passwd');
    expect(formatSyscall(nr('openat'), [AT_FDCWD, BigInt(A(1)), 0o2000000n, 0n], 3n, mem)).toBe('openat(AT_FDCWD, "/etc/passwd", O_RDONLY|O_CLOEXEC) = 3');
    expect(formatSyscall(nr('openat'), [AT_FDCWD, BigInt(A(1)), 0o1101n, 0o644n], 4n, mem)).toBe('openat(AT_FDCWD, "/etc/passwd", O_WRONLY|O_CREAT|O_TRUNC, 0644) = 4');
  });

  it('a failed call: -1, the errno name and its message', () => {
    const { ram, mem } = memory();
    putString(ram, A(1), '/nonexistent');
    expect(formatSyscall(nr('openat'), [AT_FDCWD, BigInt(A(1)), 0n, 0n], neg(-2), mem)).toBe('openat(AT_FDCWD, "/nonexistent", O_RDONLY) = -1 ENOENT (No such file or directory)');
    expect(formatSyscall(nr('close'), [9n], neg(-9), mem)).toBe('close(9) = -1 EBADF (Bad file descriptor)');
    expect(formatResult(defFor(nr('read')), neg(-11))).toEqual({ text: '-1 EAGAIN (Resource temporarily unavailable)', errno: 'EAGAIN' });
  });

  it('read: the buffer as it is after the call, 32 bytes then ...', () => {
    const { ram, mem } = memory();
    const text = 'root:x:0:0:root:/root:/bin/sh\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n';
    putString(ram, A(2), text);
    expect(formatSyscall(nr('read'), [3n, BigInt(A(2)), 4096n], BigInt(text.length), mem)).toBe('read(3, "root:x:0:0:root:/root:/bin/sh\\nda"..., 4096) = 78');
    expect(formatSyscall(nr('read'), [3n, BigInt(A(2)), 4096n], 30n, mem)).toBe('read(3, "root:x:0:0:root:/root:/bin/sh\\n", 4096) = 30');
    expect(formatSyscall(nr('read'), [3n, BigInt(A(2)), 4096n], 0n, mem)).toBe('read(3, "", 4096) = 0');
    // Failed: the buffer is not shown.
    expect(formatSyscall(nr('read'), [3n, BigInt(A(2)), 4096n], neg(-4), mem)).toBe(`read(3, 0x${A(2).toString(16)}, 4096) = -1 EINTR (Interrupted system call)`);
    expect(formatSyscall(nr('write'), [1n, BigInt(A(2)), 5n], 5n, mem)).toBe('write(1, "root:", 5) = 5');
  });

  it("getrandom: the random bytes as \\xNN (strace's QUOTE_FORCE_HEX); getdents64 at the end: 0 entries", () => {
    const { ram, mem } = memory();
    putBytes(ram, A(2), [0x4a, 0x15, 0x97, 0x5d, 0xd5, 0x31, 0x20, 0xff]);
    expect(formatSyscall(nr('getrandom'), [BigInt(A(2)), 8n, 1n], 8n, mem)).toBe('getrandom("\\x4a\\x15\\x97\\x5d\\xd5\\x31\\x20\\xff", 8, GRND_NONBLOCK) = 8');
    expect(formatSyscall(nr('getdents64'), [3n, BigInt(A(3)), 32768n], 0n, mem)).toBe(`getdents64(3, 0x${A(3).toString(16)} /* 0 entries */, 32768) = 0`);
  });

  it('unreadable pointers are shown in hex, NULL as NULL; a custom string limit', () => {
    const { ram, mem } = memory();
    expect(formatSyscall(nr('openat'), [AT_FDCWD, 0x1234_0000n, 0n, 0n], neg(-14), mem)).toBe('openat(AT_FDCWD, 0x12340000, O_RDONLY) = -1 EFAULT (Bad address)');
    expect(formatSyscall(nr('write'), [1n, 0n, 5n], neg(-14), mem)).toBe('write(1, NULL, 5) = -1 EFAULT (Bad address)');
    expect(formatSyscall(nr('write'), [1n, 0x1234_0000n, 5n], 5n, null)).toBe('write(1, 0x12340000, 5) = 5');
    putString(ram, A(1), 'hello world');
    expect(formatSyscall(nr('write'), [1n, BigInt(A(1)), 11n], 11n, mem, { stringLimit: 5 })).toBe('write(1, "hello"..., 11) = 11');
  });

  it('paths are not shortened, strings are', () => {
    const { ram, mem } = memory();
    const long = '/' + 'x'.repeat(60);
    putString(ram, A(1), long);
    expect(formatSyscall(nr('chdir'), [BigInt(A(1))], 0n, mem)).toBe(`chdir("${long}") = 0`);
    expect(formatSyscall(nr('memfd_create'), [BigInt(A(1)), 1n], 3n, mem)).toBe(`memfd_create("${long.slice(0, 32)}"..., 0x1) = 3`);
  });

  it('mmap: flags, fd -1, a pointer result', () => {
    expect(formatSyscall(nr('mmap'), [0n, 8192n, 3n, 0x22n, neg(-1), 0n], 0x3ff7ffe000n, null)).toBe('mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x3ff7ffe000');
    expect(formatSyscall(nr('mmap'), [0n, 8192n, 1n, 2n, 3n, 0x1000n], neg(-12), null)).toBe('mmap(NULL, 8192, PROT_READ, MAP_PRIVATE, 3, 0x1000) = -1 ENOMEM (Cannot allocate memory)');
    expect(formatSyscall(nr('brk'), [0n], 0x2190a000n, null)).toBe('brk(NULL) = 0x2190a000');
  });

  it('execve: argv strings and a count of the environment', () => {
    const { ram, mem } = memory();
    putString(ram, A(1), '/bin/ls');
    putString(ram, A(1, 64), 'ls');
    putString(ram, A(1, 128), '-l');
    putU64(ram, A(2), BigInt(A(1, 64)));
    putU64(ram, A(2, 8), BigInt(A(1, 128)));
    putU64(ram, A(2, 16), 0n);
    putU64(ram, A(3), BigInt(A(1, 128)));
    putU64(ram, A(3, 8), BigInt(A(1, 128)));
    putU64(ram, A(3, 16), 0n);
    expect(formatSyscall(nr('execve'), [BigInt(A(1)), BigInt(A(2)), BigInt(A(3))], 0n, mem))
      .toBe(`execve("/bin/ls", ["ls", "-l"], 0x${A(3).toString(16)} /* 2 vars */) = 0`);
  });

  it('clone as strace shows it on riscv (flags first in the registers, child_stack first in the line)', () => {
    expect(formatSyscall(nr('clone'), [0x1200011n, 0n, 0n, 0n, 0x3bb9a0d0n], 34n, null))
      .toBe('clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x3bb9a0d0) = 34');
  });

  it('wait4 reads the status after the call; exit_group never returns', () => {
    const { ram, mem } = memory();
    putU32(ram, A(1), 0x8b);
    expect(formatSyscall(nr('wait4'), [neg(-1), BigInt(A(1)), 0n, 0n], 42n, mem)).toBe('wait4(-1, [{WIFSIGNALED(s) && WTERMSIG(s) == SIGSEGV && WCOREDUMP(s)}], 0, NULL) = 42');
    expect(decodeExitArgs(defFor(nr('wait4')), [neg(-1), BigInt(A(1)), 0n, 0n], 42n, mem).wstatus).toBe(0x8b);
    expect(formatSyscall(nr('wait4'), [neg(-1), BigInt(A(1)), 1n, 0n], neg(-10), mem)).toBe(`wait4(-1, 0x${A(1).toString(16)}, WNOHANG, NULL) = -1 ECHILD (No child processes)`);
    expect(formatSyscall(nr('exit_group'), [1n], null, mem)).toBe('exit_group(1) = ?');
  });

  it('waitid reads siginfo and gives the status in wait4 encoding', () => {
    const { ram, mem } = memory();
    putU32(ram, A(1), 17); // si_signo
    putU32(ram, A(1, 8), 2); // si_code CLD_KILLED
    putU32(ram, A(1, 16), 42); // si_pid
    putU32(ram, A(1, 24), 6); // si_status: SIGABRT
    const d = decodeExitArgs(defFor(nr('waitid')), [0n, 0n, BigInt(A(1)), 4n, 0n], 0n, mem);
    expect(d.texts[2]).toBe('{si_signo=SIGCHLD, si_code=CLD_KILLED, si_pid=42, si_uid=0, si_status=SIGABRT, ...}');
    expect(d.wstatus).toBe(6);
  });

  it('fcntl shows the third argument only for commands that take one', () => {
    expect(formatSyscall(nr('fcntl'), [3n, 3n, 0n], 0o100002n, null)).toBe('fcntl(3, F_GETFL) = 32770');
    expect(formatSyscall(nr('fcntl'), [3n, 2n, 1n], 0n, null)).toBe('fcntl(3, F_SETFD, FD_CLOEXEC) = 0');
    expect(formatSyscall(nr('fcntl'), [3n, 1030n, 10n], 10n, null)).toBe('fcntl(3, F_DUPFD_CLOEXEC, 10) = 10');
  });

  it('output structures: pipe2, newfstatat, clock_gettime, uname', () => {
    const { ram, mem } = memory();
    putU32(ram, A(1), 3);
    putU32(ram, A(1, 4), 4);
    expect(formatSyscall(nr('pipe2'), [BigInt(A(1)), 0o2000000n], 0n, mem)).toBe('pipe2([3, 4], O_CLOEXEC) = 0');
    putString(ram, A(2), '/etc');
    putU32(ram, A(3, 16), 0o100644);
    putU64(ram, A(3, 48), 1234n);
    expect(formatSyscall(nr('newfstatat'), [AT_FDCWD, BigInt(A(2)), BigInt(A(3)), 0x100n], 0n, mem)).toBe('newfstatat(AT_FDCWD, "/etc", {st_mode=S_IFREG|0644, st_size=1234, ...}, AT_SYMLINK_NOFOLLOW) = 0');
    putU32(ram, A(3, 16), 0o20600);
    putU64(ram, A(3, 32), (4n << 8n) | 64n);
    expect(formatSyscall(nr('fstat'), [1n, BigInt(A(3))], 0n, mem)).toBe('fstat(1, {st_mode=S_IFCHR|0600, st_rdev=makedev(0x4, 0x40), ...}) = 0');
    putU64(ram, A(4), 5n);
    putU64(ram, A(4, 8), 250n);
    expect(formatSyscall(nr('clock_gettime'), [1n, BigInt(A(4))], 0n, mem)).toBe('clock_gettime(CLOCK_MONOTONIC, {tv_sec=5, tv_nsec=250}) = 0');
    putString(ram, A(5), 'Linux');
    putString(ram, A(5, 65), 'prnr');
    expect(formatSyscall(nr('uname'), [BigInt(A(5))], 0n, mem)).toBe('uname({sysname="Linux", nodename="prnr", ...}) = 0');
  });

  it('writev shows each iovec; readv only as many bytes as were read', () => {
    const { ram, mem } = memory();
    putString(ram, A(1), 'hello ');
    putString(ram, A(1, 64), 'world\n');
    putU64(ram, A(2), BigInt(A(1)));
    putU64(ram, A(2, 8), 6n);
    putU64(ram, A(2, 16), BigInt(A(1, 64)));
    putU64(ram, A(2, 24), 6n);
    expect(formatSyscall(nr('writev'), [1n, BigInt(A(2)), 2n], 12n, mem)).toBe('writev(1, [{iov_base="hello ", iov_len=6}, {iov_base="world\\n", iov_len=6}], 2) = 12');
    expect(formatSyscall(nr('readv'), [0n, BigInt(A(2)), 2n], 8n, mem)).toBe('readv(0, [{iov_base="hello ", iov_len=6}, {iov_base="wo", iov_len=6}], 2) = 8');
  });

  it('signals, sets and the rest', () => {
    const { ram, mem } = memory();
    putU64(ram, A(1), 1n << 16n);
    expect(formatSyscall(nr('rt_sigprocmask'), [0n, BigInt(A(1)), 0n, 8n], 0n, mem)).toBe('rt_sigprocmask(SIG_BLOCK, [CHLD], NULL, 8) = 0');
    expect(formatSyscall(nr('kill'), [42n, 9n], 0n, mem)).toBe('kill(42, SIGKILL) = 0');
    expect(formatSyscall(nr('tgkill'), [42n, 42n, 6n], 0n, mem)).toBe('tgkill(42, 42, SIGABRT) = 0');
    expect(formatSyscall(nr('umask'), [0o22n], 0o22n, mem)).toBe('umask(022) = 022');
    expect(formatSyscall(nr('getpid'), [], 7n, mem)).toBe('getpid() = 7');
    expect(formatSyscall(nr('lseek'), [3n, 0n, 2n], 22n, mem)).toBe('lseek(3, 0, SEEK_END) = 22');
    expect(formatSyscall(nr('ioctl'), [1n, 0x5401n, 0x3fcfbb7a00n], 0n, mem)).toBe('ioctl(1, TCGETS, 0x3fcfbb7a00) = 0');
    expect(formatSyscall(nr('reboot'), [0xfee1deadn, 672274793n, 0x4321fedcn, 0n], null, mem)).toBe('reboot(LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, LINUX_REBOOT_CMD_POWER_OFF, NULL) = ?');
    expect(formatSyscall(999, [1n, 2n, 0n, 0n, 0n, 0n], neg(-38), mem)).toBe('syscall_999(0x1, 0x2, 0, 0, 0, 0) = -1 ENOSYS (Function not implemented)');
  });

  it('two phases: inputs at entry, outputs at exit; unread inputs can be read again at the return', () => {
    const { ram, mem } = memory();
    const def = defFor(nr('readlinkat'));
    const args = [AT_FDCWD, BigInt(A(1)), BigInt(A(2)), 4096n];
    // At entry the path's page is "not yet mapped": no memory at all.
    const entry = decodeEntryArgs(def, args, null);
    expect(entry).toEqual(['AT_FDCWD', `0x${A(1).toString(16)}`, null, '4096']);
    putString(ram, A(1), '/proc/self/exe');
    putString(ram, A(2), '/bin/busybox');
    const exit = decodeExitArgs(def, args, 12n, mem);
    expect(exit.texts).toEqual([null, null, '"/bin/busybox"', null]);
    const late = retryEntryArgs(def, args, entry, mem);
    expect(late[1]).toBe('"/proc/self/exe"');
    const filled = fillUnreadArgs(def, args, entry, late);
    expect(formatCall(def, args, finalArgTexts(def, args, filled, exit.texts), '12')).toBe('readlinkat(AT_FDCWD, "/proc/self/exe", "/bin/busybox", 4096) = 12');
  });
});
