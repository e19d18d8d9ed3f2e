/**
 * Symbolic names for syscall flag and enum arguments, as strace prints them,
 * with the riscv64 (generic) values: include/uapi/asm-generic/fcntl.h,
 * mman-common.h, mman.h, linux/mman.h, linux/sched.h, linux/fcntl.h,
 * linux/wait.h, linux/fs.h, linux/time.h, linux/futex.h, asm-generic/ioctls.h.
 */
import { signalName } from './signals.js';

type FlagTable = readonly (readonly [bigint, string])[];

const hex = (v: bigint): string => '0x' + v.toString(16);

/**
 * `A|B|0x40` for the bits of `v` named in `table` (in table order) plus what is
 * left over in hex; `zero` when `v` is 0.
 */
export function formatFlagSet(v: bigint, table: FlagTable, zero = '0'): string {
  v = BigInt.asUintN(64, v);
  if (v === 0n) return zero;
  const parts: string[] = [];
  let rest = v;
  for (const [bits, name] of table) {
    if (bits !== 0n && (rest & bits) === bits) {
      parts.push(name);
      rest &= ~bits;
    }
  }
  if (rest !== 0n) parts.push(hex(rest));
  return parts.join('|');
}

/** `NAME` for a value in the table, else the decimal number (or hex with `asHex`). */
export function formatEnum(v: bigint, table: FlagTable, asHex = false): string {
  for (const [value, name] of table) if (value === v) return name;
  return asHex ? hex(BigInt.asUintN(64, v)) : String(v);
}

// ---------------------------------------------------------------- open(2)

export const O_ACCMODE = 0o3n;
export const O_CREAT = 0o100n;
export const O_DIRECTORY = 0o200000n;
export const O_CLOEXEC = 0o2000000n;
export const O_NONBLOCK = 0o4000n;
export const __O_TMPFILE = 0o20000000n;

// In strace's order (its xlat/open_mode_flags.in), which is the order it prints them in.
const OPEN_FLAGS: FlagTable = [
  [0o100n, 'O_CREAT'],
  [0o200n, 'O_EXCL'],
  [0o400n, 'O_NOCTTY'],
  [0o1000n, 'O_TRUNC'],
  [0o2000n, 'O_APPEND'],
  [0o4000n, 'O_NONBLOCK'],
  [0o4010000n, 'O_SYNC'], // __O_SYNC | O_DSYNC
  [0o10000n, 'O_DSYNC'],
  [0o40000n, 'O_DIRECT'],
  [0o100000n, 'O_LARGEFILE'],
  [0o400000n, 'O_NOFOLLOW'],
  [0o1000000n, 'O_NOATIME'],
  [0o2000000n, 'O_CLOEXEC'],
  [0o10000000n, 'O_PATH'],
  [0o20200000n, 'O_TMPFILE'], // __O_TMPFILE | O_DIRECTORY
  [0o200000n, 'O_DIRECTORY'],
  [0o20000n, 'FASYNC'], // O_ASYNC, by strace's name
];

/** `O_RDONLY|O_CLOEXEC`: the access mode always comes first. */
export function formatOpenFlags(v: bigint): string {
  v = BigInt.asUintN(32, v);
  const acc = v & O_ACCMODE;
  const mode = acc === 0n ? 'O_RDONLY' : acc === 1n ? 'O_WRONLY' : acc === 2n ? 'O_RDWR' : 'O_ACCMODE';
  const rest = v & ~O_ACCMODE;
  return rest === 0n ? mode : `${mode}|${formatFlagSet(rest, OPEN_FLAGS)}`;
}

/** True when open's mode argument matters (strace prints it only then). */
export function openTakesMode(flags: bigint): boolean {
  return (flags & O_CREAT) !== 0n || (flags & __O_TMPFILE) !== 0n;
}

/** File flags of fds only (O_CLOEXEC, O_NONBLOCK), as for pipe2, dup3, eventfd2. */
export function formatFdFlags(v: bigint): string {
  return formatFlagSet(BigInt.asUintN(32, v), [[O_CLOEXEC, 'O_CLOEXEC'], [O_NONBLOCK, 'O_NONBLOCK'], [0o40000n, 'O_DIRECT']]);
}

// ---------------------------------------------------------------- modes

const S_IFMT = 0o170000n;
const FILE_TYPES: FlagTable = [
  [0o140000n, 'S_IFSOCK'],
  [0o120000n, 'S_IFLNK'],
  [0o100000n, 'S_IFREG'],
  [0o60000n, 'S_IFBLK'],
  [0o40000n, 'S_IFDIR'],
  [0o20000n, 'S_IFCHR'],
  [0o10000n, 'S_IFIFO'],
];

/** A permission mode: `0644`, `S_ISUID|0755`. */
export function formatMode(v: bigint, withType = false): string {
  v = BigInt.asUintN(32, v);
  const parts: string[] = [];
  if (withType && (v & S_IFMT) !== 0n) parts.push(formatEnum(v & S_IFMT, FILE_TYPES, true));
  if (v & 0o4000n) parts.push('S_ISUID');
  if (v & 0o2000n) parts.push('S_ISGID');
  if (v & 0o1000n) parts.push('S_ISVTX');
  parts.push(octal(v & 0o777n));
  const other = v & ~(S_IFMT | 0o7777n);
  if (other !== 0n) parts.push(hex(other));
  return parts.join('|');
}

/** A umask: `022`. */
export function formatUmask(v: bigint): string {
  return octal(BigInt.asUintN(32, v));
}

/** C's `%#03o`, as strace prints modes: 000, 007, 022, 0644. */
function octal(v: bigint): string {
  return (v === 0n ? '0' : '0' + v.toString(8)).padStart(3, '0');
}

/** F_OK, or R_OK|W_OK|X_OK. */
export function formatAccessMode(v: bigint): string {
  return formatFlagSet(BigInt.asUintN(32, v), [[4n, 'R_OK'], [2n, 'W_OK'], [1n, 'X_OK']], 'F_OK');
}

// ---------------------------------------------------------------- *at(2)

export const AT_FDCWD = -100;

/** A directory fd: AT_FDCWD for -100. */
export function formatDirfd(v: bigint): string {
  const n = Number(BigInt.asIntN(32, v));
  return n === AT_FDCWD ? 'AT_FDCWD' : String(n);
}

const AT_FLAGS: FlagTable = [
  [0x100n, 'AT_SYMLINK_NOFOLLOW'],
  [0x200n, 'AT_EACCESS'],
  [0x400n, 'AT_SYMLINK_FOLLOW'],
  [0x800n, 'AT_NO_AUTOMOUNT'],
  [0x1000n, 'AT_EMPTY_PATH'],
  [0x2000n, 'AT_STATX_FORCE_SYNC'],
  [0x4000n, 'AT_STATX_DONT_SYNC'],
  [0x8000n, 'AT_RECURSIVE'],
];

export function formatAtFlags(v: bigint): string {
  return formatFlagSet(BigInt.asUintN(32, v), AT_FLAGS);
}

/** unlinkat's flag: 0x200 is AT_REMOVEDIR there. */
export function formatUnlinkFlags(v: bigint): string {
  return formatFlagSet(BigInt.asUintN(32, v), [[0x200n, 'AT_REMOVEDIR']]);
}

// ---------------------------------------------------------------- mmap(2)

const PROT_FLAGS: FlagTable = [
  [0x1n, 'PROT_READ'],
  [0x2n, 'PROT_WRITE'],
  [0x4n, 'PROT_EXEC'],
  [0x8n, 'PROT_SEM'],
  [0x01000000n, 'PROT_GROWSDOWN'],
  [0x02000000n, 'PROT_GROWSUP'],
];

export function formatProt(v: bigint): string {
  return formatFlagSet(BigInt.asUintN(32, v), PROT_FLAGS, 'PROT_NONE');
}

const MAP_FLAGS: FlagTable = [
  [0x10n, 'MAP_FIXED'],
  [0x20n, 'MAP_ANONYMOUS'],
  [0x100n, 'MAP_GROWSDOWN'],
  [0x800n, 'MAP_DENYWRITE'],
  [0x1000n, 'MAP_EXECUTABLE'],
  [0x2000n, 'MAP_LOCKED'],
  [0x4000n, 'MAP_NORESERVE'],
  [0x8000n, 'MAP_POPULATE'],
  [0x10000n, 'MAP_NONBLOCK'],
  [0x20000n, 'MAP_STACK'],
  [0x40000n, 'MAP_HUGETLB'],
  [0x80000n, 'MAP_SYNC'],
  [0x100000n, 'MAP_FIXED_NOREPLACE'],
  [0x4000000n, 'MAP_UNINITIALIZED'],
];

/** `MAP_PRIVATE|MAP_ANONYMOUS`: the mapping type (low 4 bits) first. */
export function formatMmapFlags(v: bigint): string {
  v = BigInt.asUintN(32, v);
  const type = v & 0xfn;
  const typeName = type === 1n ? 'MAP_SHARED' : type === 2n ? 'MAP_PRIVATE' : type === 3n ? 'MAP_SHARED_VALIDATE' : type === 0n ? '' : hex(type);
  const rest = v & ~0xfn;
  if (rest === 0n) return typeName === '' ? '0' : typeName;
  const r = formatFlagSet(rest, MAP_FLAGS);
  return typeName === '' ? r : `${typeName}|${r}`;
}

const MADVISE: FlagTable = [
  [0n, 'MADV_NORMAL'], [1n, 'MADV_RANDOM'], [2n, 'MADV_SEQUENTIAL'], [3n, 'MADV_WILLNEED'],
  [4n, 'MADV_DONTNEED'], [8n, 'MADV_FREE'], [9n, 'MADV_REMOVE'], [10n, 'MADV_DONTFORK'],
  [11n, 'MADV_DOFORK'], [12n, 'MADV_MERGEABLE'], [13n, 'MADV_UNMERGEABLE'], [14n, 'MADV_HUGEPAGE'],
  [15n, 'MADV_NOHUGEPAGE'], [16n, 'MADV_DONTDUMP'], [17n, 'MADV_DODUMP'], [18n, 'MADV_WIPEONFORK'],
  [19n, 'MADV_KEEPONFORK'], [20n, 'MADV_COLD'], [21n, 'MADV_PAGEOUT'], [22n, 'MADV_POPULATE_READ'],
  [23n, 'MADV_POPULATE_WRITE'], [24n, 'MADV_DONTNEED_LOCKED'], [25n, 'MADV_COLLAPSE'],
  [100n, 'MADV_HWPOISON'], [101n, 'MADV_SOFT_OFFLINE'],
];

export function formatMadvise(v: bigint): string {
  return formatEnum(BigInt.asIntN(32, v), MADVISE);
}

// ---------------------------------------------------------------- clone(2)

export const CLONE_VM = 0x100n;
export const CLONE_THREAD = 0x10000n;
export const CLONE_SETTLS = 0x80000n;
export const CLONE_PARENT_SETTID = 0x100000n;
export const CLONE_CHILD_CLEARTID = 0x200000n;
export const CLONE_CHILD_SETTID = 0x1000000n;
export const CLONE_PIDFD = 0x1000n;

const CLONE_FLAGS: FlagTable = [
  [0x100n, 'CLONE_VM'],
  [0x200n, 'CLONE_FS'],
  [0x400n, 'CLONE_FILES'],
  [0x800n, 'CLONE_SIGHAND'],
  [0x1000n, 'CLONE_PIDFD'],
  [0x2000n, 'CLONE_PTRACE'],
  [0x4000n, 'CLONE_VFORK'],
  [0x8000n, 'CLONE_PARENT'],
  [0x10000n, 'CLONE_THREAD'],
  [0x20000n, 'CLONE_NEWNS'],
  [0x40000n, 'CLONE_SYSVSEM'],
  [0x80000n, 'CLONE_SETTLS'],
  [0x100000n, 'CLONE_PARENT_SETTID'],
  [0x200000n, 'CLONE_CHILD_CLEARTID'],
  [0x400000n, 'CLONE_DETACHED'],
  [0x800000n, 'CLONE_UNTRACED'],
  [0x1000000n, 'CLONE_CHILD_SETTID'],
  [0x2000000n, 'CLONE_NEWCGROUP'],
  [0x4000000n, 'CLONE_NEWUTS'],
  [0x8000000n, 'CLONE_NEWIPC'],
  [0x10000000n, 'CLONE_NEWUSER'],
  [0x20000000n, 'CLONE_NEWPID'],
  [0x40000000n, 'CLONE_NEWNET'],
  [0x80000000n, 'CLONE_IO'],
  [0x100000000n, 'CLONE_CLEAR_SIGHAND'],
  [0x200000000n, 'CLONE_INTO_CGROUP'],
];

/** clone's flags: `CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD` (the low byte is the exit signal). */
export function formatCloneFlags(v: bigint, withSignal = true): string {
  v = BigInt.asUintN(64, v);
  const sig = withSignal ? Number(v & 0xffn) : 0;
  const rest = withSignal ? v & ~0xffn : v;
  const parts: string[] = [];
  if (rest !== 0n) parts.push(formatFlagSet(rest, CLONE_FLAGS));
  if (sig !== 0) parts.push(signalName(sig));
  return parts.length === 0 ? '0' : parts.join('|');
}

// ---------------------------------------------------------------- signals, wait

export function formatSigHow(v: bigint): string {
  return formatEnum(BigInt.asIntN(32, v), [[0n, 'SIG_BLOCK'], [1n, 'SIG_UNBLOCK'], [2n, 'SIG_SETMASK']]);
}

export function formatSignal(v: bigint): string {
  const n = Number(BigInt.asIntN(32, v));
  return n === 0 ? '0' : signalName(n);
}

const WAIT_OPTIONS: FlagTable = [
  [0x1n, 'WNOHANG'],
  [0x2n, 'WSTOPPED'],
  [0x4n, 'WEXITED'],
  [0x8n, 'WCONTINUED'],
  [0x01000000n, 'WNOWAIT'],
  [0x20000000n, '__WNOTHREAD'],
  [0x40000000n, '__WALL'],
  [0x80000000n, '__WCLONE'],
];

export function formatWaitOptions(v: bigint): string {
  return formatFlagSet(BigInt.asUintN(32, v), WAIT_OPTIONS);
}

export function formatIdType(v: bigint): string {
  return formatEnum(BigInt.asIntN(32, v), [[0n, 'P_ALL'], [1n, 'P_PID'], [2n, 'P_PGID'], [3n, 'P_PIDFD']]);
}

/** A wait status as strace prints it: `[{WIFEXITED(s) && WEXITSTATUS(s) == 0}]`. */
export function formatWaitStatus(s: number): string {
  return `[{${describeWaitStatus(s)}}]`;
}

export function describeWaitStatus(s: number): string {
  const sig = s & 0x7f;
  if (sig === 0) return `WIFEXITED(s) && WEXITSTATUS(s) == ${(s >> 8) & 0xff}`;
  if ((s & 0xff) === 0x7f) return `WIFSTOPPED(s) && WSTOPSIG(s) == ${signalName((s >> 8) & 0xff)}`;
  if (s === 0xffff) return 'WIFCONTINUED(s)';
  return `WIFSIGNALED(s) && WTERMSIG(s) == ${signalName(sig)}${s & 0x80 ? ' && WCOREDUMP(s)' : ''}`;
}

/** si_code of SIGCHLD (include/uapi/asm-generic/siginfo.h). */
export const CLD_CODES: FlagTable = [
  [1n, 'CLD_EXITED'], [2n, 'CLD_KILLED'], [3n, 'CLD_DUMPED'], [4n, 'CLD_TRAPPED'], [5n, 'CLD_STOPPED'], [6n, 'CLD_CONTINUED'],
];

// ---------------------------------------------------------------- files, time, futex, sockets, ioctl

export function formatWhence(v: bigint): string {
  return formatEnum(BigInt.asUintN(32, v), [[0n, 'SEEK_SET'], [1n, 'SEEK_CUR'], [2n, 'SEEK_END'], [3n, 'SEEK_DATA'], [4n, 'SEEK_HOLE']]);
}

const CLOCKS: FlagTable = [
  [0n, 'CLOCK_REALTIME'], [1n, 'CLOCK_MONOTONIC'], [2n, 'CLOCK_PROCESS_CPUTIME_ID'], [3n, 'CLOCK_THREAD_CPUTIME_ID'],
  [4n, 'CLOCK_MONOTONIC_RAW'], [5n, 'CLOCK_REALTIME_COARSE'], [6n, 'CLOCK_MONOTONIC_COARSE'], [7n, 'CLOCK_BOOTTIME'],
  [8n, 'CLOCK_REALTIME_ALARM'], [9n, 'CLOCK_BOOTTIME_ALARM'], [11n, 'CLOCK_TAI'],
];

export function formatClockId(v: bigint): string {
  return formatEnum(BigInt.asIntN(32, v), CLOCKS);
}

const FUTEX_CMDS = [
  'FUTEX_WAIT', 'FUTEX_WAKE', 'FUTEX_FD', 'FUTEX_REQUEUE', 'FUTEX_CMP_REQUEUE', 'FUTEX_WAKE_OP', 'FUTEX_LOCK_PI',
  'FUTEX_UNLOCK_PI', 'FUTEX_TRYLOCK_PI', 'FUTEX_WAIT_BITSET', 'FUTEX_WAKE_BITSET', 'FUTEX_WAIT_REQUEUE_PI',
  'FUTEX_CMP_REQUEUE_PI', 'FUTEX_LOCK_PI2',
];

/** `FUTEX_WAIT_PRIVATE`, `FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME`. */
export function formatFutexOp(v: bigint): string {
  const op = Number(BigInt.asUintN(32, v));
  const cmd = op & ~(128 | 256);
  let s = FUTEX_CMDS[cmd] ?? hex(BigInt(cmd));
  if (op & 128) s += '_PRIVATE';
  if (op & 256) s += '|FUTEX_CLOCK_REALTIME';
  return s;
}

const FCNTL_CMDS: FlagTable = [
  [0n, 'F_DUPFD'], [1n, 'F_GETFD'], [2n, 'F_SETFD'], [3n, 'F_GETFL'], [4n, 'F_SETFL'], [5n, 'F_GETLK'],
  [6n, 'F_SETLK'], [7n, 'F_SETLKW'], [8n, 'F_SETOWN'], [9n, 'F_GETOWN'], [10n, 'F_SETSIG'], [11n, 'F_GETSIG'],
  [15n, 'F_SETOWN_EX'], [16n, 'F_GETOWN_EX'], [17n, 'F_GETOWNER_UIDS'], [36n, 'F_OFD_GETLK'], [37n, 'F_OFD_SETLK'],
  [38n, 'F_OFD_SETLKW'], [1024n, 'F_SETLEASE'], [1025n, 'F_GETLEASE'], [1026n, 'F_NOTIFY'], [1030n, 'F_DUPFD_CLOEXEC'],
  [1031n, 'F_SETPIPE_SZ'], [1032n, 'F_GETPIPE_SZ'], [1033n, 'F_ADD_SEALS'], [1034n, 'F_GET_SEALS'],
];

export const F_DUPFD = 0n, F_GETFD = 1n, F_SETFD = 2n, F_GETFL = 3n, F_SETFL = 4n, F_DUPFD_CLOEXEC = 1030n;

export function formatFcntlCmd(v: bigint): string {
  return formatEnum(BigInt.asUintN(32, v), FCNTL_CMDS);
}

const IOCTLS: FlagTable = [
  [0x5401n, 'TCGETS'], [0x5402n, 'TCSETS'], [0x5403n, 'TCSETSW'], [0x5404n, 'TCSETSF'], [0x5409n, 'TCSBRK'],
  [0x540an, 'TCXONC'], [0x540bn, 'TCFLSH'], [0x540en, 'TIOCSCTTY'], [0x540fn, 'TIOCGPGRP'], [0x5410n, 'TIOCSPGRP'],
  [0x5411n, 'TIOCOUTQ'], [0x5413n, 'TIOCGWINSZ'], [0x5414n, 'TIOCSWINSZ'], [0x541bn, 'FIONREAD'], [0x5421n, 'FIONBIO'],
  [0x5422n, 'TIOCNOTTY'], [0x5429n, 'TIOCGSID'], [0x5450n, 'FIONCLEX'], [0x5451n, 'FIOCLEX'], [0x5452n, 'FIOASYNC'],
];

export function formatIoctlRequest(v: bigint): string {
  return formatEnum(BigInt.asUintN(32, v), IOCTLS, true);
}

const FAMILIES: FlagTable = [
  [0n, 'AF_UNSPEC'], [1n, 'AF_UNIX'], [2n, 'AF_INET'], [10n, 'AF_INET6'], [16n, 'AF_NETLINK'], [17n, 'AF_PACKET'],
];

export function formatAddressFamily(v: bigint): string {
  return formatEnum(BigInt.asIntN(32, v), FAMILIES);
}

/** `SOCK_STREAM|SOCK_CLOEXEC`. */
export function formatSocketType(v: bigint): string {
  v = BigInt.asUintN(32, v);
  const type = formatEnum(v & 0xfn, [[1n, 'SOCK_STREAM'], [2n, 'SOCK_DGRAM'], [3n, 'SOCK_RAW'], [4n, 'SOCK_RDM'], [5n, 'SOCK_SEQPACKET'], [6n, 'SOCK_DCCP'], [10n, 'SOCK_PACKET']]);
  const rest = v & ~0xfn;
  return rest === 0n ? type : `${type}|${formatFlagSet(rest, [[O_CLOEXEC, 'SOCK_CLOEXEC'], [O_NONBLOCK, 'SOCK_NONBLOCK']])}`;
}

const RLIMITS = [
  'RLIMIT_CPU', 'RLIMIT_FSIZE', 'RLIMIT_DATA', 'RLIMIT_STACK', 'RLIMIT_CORE', 'RLIMIT_RSS', 'RLIMIT_NPROC', 'RLIMIT_NOFILE',
  'RLIMIT_MEMLOCK', 'RLIMIT_AS', 'RLIMIT_LOCKS', 'RLIMIT_SIGPENDING', 'RLIMIT_MSGQUEUE', 'RLIMIT_NICE', 'RLIMIT_RTPRIO', 'RLIMIT_RTTIME',
];

export function formatRlimitResource(v: bigint): string {
  const n = Number(BigInt.asUintN(32, v));
  return RLIMITS[n] ?? String(n);
}

const REBOOT_MAGIC: FlagTable = [[0xfee1deadn, 'LINUX_REBOOT_MAGIC1'], [672274793n, 'LINUX_REBOOT_MAGIC2'], [85072278n, 'LINUX_REBOOT_MAGIC2A'], [369367448n, 'LINUX_REBOOT_MAGIC2B'], [537993216n, 'LINUX_REBOOT_MAGIC2C']];
const REBOOT_CMDS: FlagTable = [
  [0x01234567n, 'LINUX_REBOOT_CMD_RESTART'], [0xcdef0123n, 'LINUX_REBOOT_CMD_HALT'], [0x89abcdefn, 'LINUX_REBOOT_CMD_CAD_ON'],
  [0n, 'LINUX_REBOOT_CMD_CAD_OFF'], [0x4321fedcn, 'LINUX_REBOOT_CMD_POWER_OFF'], [0xa1b2c3d4n, 'LINUX_REBOOT_CMD_RESTART2'],
  [0xd000fce2n, 'LINUX_REBOOT_CMD_SW_SUSPEND'], [0x45584543n, 'LINUX_REBOOT_CMD_KEXEC'],
];

export function formatRebootMagic(v: bigint): string {
  return formatEnum(BigInt.asUintN(32, v), REBOOT_MAGIC, true);
}

export function formatRebootCmd(v: bigint): string {
  return formatEnum(BigInt.asUintN(32, v), REBOOT_CMDS, true);
}

// ---------------------------------------------------------------- mount(2), getrandom(2)

const MOUNT_FLAGS: FlagTable = [
  [1n, 'MS_RDONLY'], [2n, 'MS_NOSUID'], [4n, 'MS_NODEV'], [8n, 'MS_NOEXEC'], [16n, 'MS_SYNCHRONOUS'], [32n, 'MS_REMOUNT'],
  [64n, 'MS_MANDLOCK'], [128n, 'MS_DIRSYNC'], [256n, 'MS_NOSYMFOLLOW'], [1024n, 'MS_NOATIME'], [2048n, 'MS_NODIRATIME'],
  [4096n, 'MS_BIND'], [8192n, 'MS_MOVE'], [16384n, 'MS_REC'], [32768n, 'MS_SILENT'], [1n << 16n, 'MS_POSIXACL'],
  [1n << 17n, 'MS_UNBINDABLE'], [1n << 18n, 'MS_PRIVATE'], [1n << 19n, 'MS_SLAVE'], [1n << 20n, 'MS_SHARED'],
  [1n << 21n, 'MS_RELATIME'], [1n << 22n, 'MS_KERNMOUNT'], [1n << 23n, 'MS_I_VERSION'], [1n << 24n, 'MS_STRICTATIME'],
  [1n << 25n, 'MS_LAZYTIME'],
];
const MS_MGC_VAL = 0xc0ed0000n, MS_MGC_MSK = 0xffff0000n;

/** mount's flags: `MS_NOSUID|MS_NODEV`, with the old magic number shown as MS_MGC_VAL. */
export function formatMountFlags(v: bigint): string {
  v = BigInt.asUintN(64, v);
  if ((v & MS_MGC_MSK) === MS_MGC_VAL) {
    const rest = v & ~MS_MGC_MSK;
    return rest === 0n ? 'MS_MGC_VAL' : `MS_MGC_VAL|${formatFlagSet(rest, MOUNT_FLAGS)}`;
  }
  return formatFlagSet(v, MOUNT_FLAGS);
}

export function formatGetrandomFlags(v: bigint): string {
  return formatFlagSet(BigInt.asUintN(32, v), [[1n, 'GRND_NONBLOCK'], [2n, 'GRND_RANDOM'], [4n, 'GRND_INSECURE']]);
}
