import { describe, expect, it } from 'vitest';
import { errnoMessage, errnoName, errnoNumber, resultErrno } from './errno.js';
import {
  AT_FDCWD, describeWaitStatus, formatAccessMode, formatAtFlags, formatCloneFlags, formatDirfd, formatFutexOp, formatMmapFlags,
  formatMode, formatOpenFlags, formatProt, formatSocketType, formatUmask, formatWaitOptions, formatWaitStatus, formatMountFlags,
} from './flags.js';
import { formatSigset, signalDescription, signalName } from './signals.js';

describe('errno', () => {
  it('names and messages (generic values)', () => {
    expect(errnoName(2)).toBe('ENOENT');
    expect(errnoMessage(2)).toBe('No such file or directory');
    expect(errnoName(13)).toBe('EACCES');
    expect(errnoName(11)).toBe('EAGAIN');
    expect(errnoName(38)).toBe('ENOSYS');
    expect(errnoName(110)).toBe('ETIMEDOUT');
    expect(errnoName(512)).toBe('ERESTARTSYS');
    expect(errnoName(4000)).toBe('E4000');
    expect(errnoNumber('EWOULDBLOCK')).toBe(11);
    expect(errnoNumber('ECHILD')).toBe(10);
  });
  it('a result is an error when in [-4095, -1]', () => {
    expect(resultErrno(BigInt.asUintN(64, -2n))).toBe(2);
    expect(resultErrno(BigInt.asUintN(64, -4095n))).toBe(4095);
    expect(resultErrno(BigInt.asUintN(64, -4096n))).toBeNull();
    expect(resultErrno(0n)).toBeNull();
    expect(resultErrno(0xffff_ffc0_0000_0000n)).toBeNull(); // a kernel-half address from mmap is not an error
  });
});

describe('signals', () => {
  it('names (generic numbering) and sets', () => {
    expect(signalName(9)).toBe('SIGKILL');
    expect(signalName(11)).toBe('SIGSEGV');
    expect(signalName(6)).toBe('SIGABRT');
    expect(signalName(17)).toBe('SIGCHLD');
    expect(signalName(32)).toBe('SIGRTMIN');
    expect(signalName(34)).toBe('SIGRT_2');
    expect(signalDescription(11)).toBe('Segmentation fault');
    expect(formatSigset(0n)).toBe('[]');
    expect(formatSigset((1n << 1n) | (1n << 16n))).toBe('[INT CHLD]');
    expect(formatSigset(~((1n << 8n) | (1n << 18n)) & ((1n << 64n) - 1n))).toBe('~[KILL STOP]');
  });
});

describe('symbolic flags', () => {
  it('open flags, access mode first', () => {
    expect(formatOpenFlags(0n)).toBe('O_RDONLY');
    expect(formatOpenFlags(0o2000000n)).toBe('O_RDONLY|O_CLOEXEC');
    expect(formatOpenFlags(0o1101n)).toBe('O_WRONLY|O_CREAT|O_TRUNC');
    expect(formatOpenFlags(0o2204000n)).toBe('O_RDONLY|O_NONBLOCK|O_CLOEXEC|O_DIRECTORY');
    expect(formatOpenFlags(0o4010002n)).toBe('O_RDWR|O_SYNC');
    expect(formatOpenFlags(0o20200002n)).toBe('O_RDWR|O_TMPFILE');
    expect(formatOpenFlags(0o100000000n)).toBe('O_RDONLY|0x1000000');
  });
  it('*at', () => {
    expect(AT_FDCWD).toBe(-100);
    expect(formatDirfd(BigInt.asUintN(64, -100n))).toBe('AT_FDCWD');
    expect(formatDirfd(3n)).toBe('3');
    expect(formatAtFlags(0x100n)).toBe('AT_SYMLINK_NOFOLLOW');
    expect(formatAtFlags(0x1000n)).toBe('AT_EMPTY_PATH');
    expect(formatAtFlags(0n)).toBe('0');
    expect(formatAccessMode(0n)).toBe('F_OK');
    expect(formatAccessMode(6n)).toBe('R_OK|W_OK');
  });
  it('modes', () => {
    expect(formatMode(0o644n)).toBe('0644');
    expect(formatMode(0n)).toBe('000');
    expect(formatMode(0o4755n)).toBe('S_ISUID|0755');
    expect(formatMode(0o100644n, true)).toBe('S_IFREG|0644');
    expect(formatUmask(0o22n)).toBe('022');
  });
  it('mmap, clone, wait, futex, sockets, mount', () => {
    expect(formatProt(0n)).toBe('PROT_NONE');
    expect(formatProt(3n)).toBe('PROT_READ|PROT_WRITE');
    expect(formatMmapFlags(0x22n)).toBe('MAP_PRIVATE|MAP_ANONYMOUS');
    expect(formatMmapFlags(0x812n)).toBe('MAP_PRIVATE|MAP_FIXED|MAP_DENYWRITE');
    expect(formatCloneFlags(0x1200011n)).toBe('CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD');
    expect(formatCloneFlags(0x3d0f00n)).toBe('CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID');
    expect(formatWaitOptions(0n)).toBe('0');
    expect(formatWaitOptions(3n)).toBe('WNOHANG|WSTOPPED');
    expect(formatWaitStatus(0x100)).toBe('[{WIFEXITED(s) && WEXITSTATUS(s) == 1}]');
    expect(describeWaitStatus(0x8b)).toBe('WIFSIGNALED(s) && WTERMSIG(s) == SIGSEGV && WCOREDUMP(s)');
    expect(describeWaitStatus(9)).toBe('WIFSIGNALED(s) && WTERMSIG(s) == SIGKILL');
    expect(describeWaitStatus(0x137f)).toBe('WIFSTOPPED(s) && WSTOPSIG(s) == SIGSTOP');
    expect(formatFutexOp(128n)).toBe('FUTEX_WAIT_PRIVATE');
    expect(formatFutexOp(137n | 256n)).toBe('FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME');
    expect(formatSocketType(0o2000001n)).toBe('SOCK_STREAM|SOCK_CLOEXEC');
    expect(formatMountFlags(0x8000n)).toBe('MS_SILENT');
    expect(formatMountFlags(0xc0ed0000n | 6n)).toBe('MS_MGC_VAL|MS_NOSUID|MS_NODEV');
  });
});
