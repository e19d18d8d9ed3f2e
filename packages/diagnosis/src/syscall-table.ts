/**
 * The riscv64 Linux syscall table: numbers and names of the generic table
 * (include/uapi/asm-generic/unistd.h, with riscv's __ARCH_WANT_NEW_STAT,
 * __ARCH_WANT_SET_GET_RLIMIT, __ARCH_WANT_SYS_CLONE3, __ARCH_WANT_MEMFD_SECRET and
 * riscv_flush_icache; no renameat, no 32-bit time64 calls), the kind of each
 * argument register a0..a5 (from the SYSCALL_DEFINE signatures of Linux 6.1),
 * and the kind of the result. Data only; format.ts turns it into strace lines.
 */

/**
 * How one argument register is shown. Kinds decoded when the syscall returns
 * (its contents are written by the kernel) are listed in OUT_KINDS.
 *
 * - int, uint, long, ulong, size, off: numbers (int and uint: low 32 bits)
 * - hex: 0x.. (0 as 0: mostly flags without names); ptr: NULL or 0x..; skip: never shown (the high half of a split offset)
 * - fd; dirfd: AT_FDCWD for -100
 * - path: a NUL-terminated string read at entry, not shortened; str: the same, shortened
 * - ibuf: a buffer read at entry, `len` bytes (the length argument); obuf: a buffer
 *   read at exit, as many bytes as the result says; obufx: the same, every byte as \xNN
 *   (strace's QUOTE_FORCE_HEX: getrandom's random bytes); ostr: a string read at exit
 * - iiov / oiov: an iovec array of `len` entries, read at entry / at exit
 * - oflags, omode (only shown with O_CREAT or O_TMPFILE), mode, ftmode (with the
 *   file type), umask, fdflags, sockflags, accessmode, atflags, unlinkflags
 * - prot, mmapflags, madvise, cloneflags, signo, sigset / osigset (a 64-bit set
 *   read at entry / exit), sighow, waitopts, wstatus (an int read at exit),
 *   idtype, siginfo (waitid's, read at exit), pipefds (int[2] read at exit)
 * - argv (strings), envp (counted), timespec / otimespec, stat, uts, dents
 *   (getdents64's buffer, counted), whence, clockid, futexop, fcntlcmd, fcntlarg
 *   (shown according to the command), ioctlreq, family, socktype, rlimit,
 *   rebootmagic, rebootcmd, mountflags, grndflags
 */
export type ArgKind =
  | 'int' | 'uint' | 'long' | 'ulong' | 'size' | 'off' | 'hex' | 'ptr' | 'skip'
  | 'fd' | 'dirfd' | 'path' | 'str' | 'ibuf' | 'obuf' | 'obufx' | 'ostr' | 'iiov' | 'oiov'
  | 'oflags' | 'omode' | 'mode' | 'ftmode' | 'umask' | 'fdflags' | 'sockflags' | 'accessmode' | 'atflags' | 'unlinkflags'
  | 'prot' | 'mmapflags' | 'madvise' | 'cloneflags' | 'signo' | 'sigset' | 'osigset' | 'sighow'
  | 'waitopts' | 'wstatus' | 'idtype' | 'siginfo' | 'pipefds'
  | 'argv' | 'envp' | 'timespec' | 'otimespec' | 'stat' | 'uts' | 'dents'
  | 'whence' | 'clockid' | 'futexop' | 'fcntlcmd' | 'fcntlarg' | 'ioctlreq' | 'family' | 'socktype' | 'rlimit'
  | 'rebootmagic' | 'rebootcmd' | 'mountflags' | 'grndflags';

/** Argument kinds whose contents are only meaningful once the syscall returned. */
export const OUT_KINDS: ReadonlySet<ArgKind> = new Set<ArgKind>([
  'obuf', 'obufx', 'ostr', 'oiov', 'osigset', 'wstatus', 'siginfo', 'pipefds', 'otimespec', 'stat', 'uts', 'dents',
]);

export interface ArgSpec {
  readonly kind: ArgKind;
  /** For ibuf, obuf, obufx, iiov, oiov: the index of the argument that holds the length (or count). */
  readonly len?: number;
  /** Shown as `label=value` (clone). */
  readonly label?: string;
}

/**
 * int, pid, long: signed decimal; fd: a new fd; ssize: a byte count; off: a
 * file offset; ptr: an address (hex); umask: octal; none: never returns.
 * Results in [-4095, -1] are errors whatever the kind.
 */
export type ResultKind = 'int' | 'fd' | 'pid' | 'long' | 'ssize' | 'off' | 'ptr' | 'umask' | 'none';

export interface SyscallDef {
  readonly nr: number;
  readonly name: string;
  readonly result: ResultKind;
  /** One per argument register, in register order (a0 first). */
  readonly args: readonly ArgSpec[];
  /** Display order of the arguments when it differs from register order (clone). */
  readonly order?: readonly number[];
}

/** [number, name, result kind, argument kinds (`kind` or `kind:lenIndex`, space-separated)] */
const ROWS: readonly (readonly [number, string, ResultKind, string])[] = [
  [0, 'io_setup', 'int', 'uint ptr'],
  [1, 'io_destroy', 'int', 'hex'],
  [2, 'io_submit', 'int', 'hex long ptr'],
  [3, 'io_cancel', 'int', 'hex ptr ptr'],
  [4, 'io_getevents', 'int', 'hex long long ptr timespec'],
  [5, 'setxattr', 'int', 'path str ibuf:3 size int'],
  [6, 'lsetxattr', 'int', 'path str ibuf:3 size int'],
  [7, 'fsetxattr', 'int', 'fd str ibuf:3 size int'],
  [8, 'getxattr', 'ssize', 'path str obuf:3 size'],
  [9, 'lgetxattr', 'ssize', 'path str obuf:3 size'],
  [10, 'fgetxattr', 'ssize', 'fd str obuf:3 size'],
  [11, 'listxattr', 'ssize', 'path obuf:2 size'],
  [12, 'llistxattr', 'ssize', 'path obuf:2 size'],
  [13, 'flistxattr', 'ssize', 'fd obuf:2 size'],
  [14, 'removexattr', 'int', 'path str'],
  [15, 'lremovexattr', 'int', 'path str'],
  [16, 'fremovexattr', 'int', 'fd str'],
  [17, 'getcwd', 'ssize', 'ostr size'],
  [18, 'lookup_dcookie', 'int', 'hex obuf:2 size'],
  [19, 'eventfd2', 'fd', 'uint fdflags'],
  [20, 'epoll_create1', 'fd', 'fdflags'],
  [21, 'epoll_ctl', 'int', 'fd int fd ptr'],
  [22, 'epoll_pwait', 'int', 'fd ptr int int sigset size'],
  [23, 'dup', 'fd', 'fd'],
  [24, 'dup3', 'fd', 'fd fd fdflags'],
  [25, 'fcntl', 'int', 'fd fcntlcmd fcntlarg'],
  [26, 'inotify_init1', 'fd', 'fdflags'],
  [27, 'inotify_add_watch', 'int', 'fd path hex'],
  [28, 'inotify_rm_watch', 'int', 'fd int'],
  [29, 'ioctl', 'int', 'fd ioctlreq ptr'],
  [30, 'ioprio_set', 'int', 'int int int'],
  [31, 'ioprio_get', 'int', 'int int'],
  [32, 'flock', 'int', 'fd int'],
  [33, 'mknodat', 'int', 'dirfd path ftmode hex'],
  [34, 'mkdirat', 'int', 'dirfd path mode'],
  [35, 'unlinkat', 'int', 'dirfd path unlinkflags'],
  [36, 'symlinkat', 'int', 'path dirfd path'],
  [37, 'linkat', 'int', 'dirfd path dirfd path atflags'],
  [39, 'umount2', 'int', 'path hex'],
  [40, 'mount', 'int', 'str path str mountflags ptr'],
  [41, 'pivot_root', 'int', 'path path'],
  [42, 'nfsservctl', 'int', ''],
  [43, 'statfs', 'int', 'path ptr'],
  [44, 'fstatfs', 'int', 'fd ptr'],
  [45, 'truncate', 'int', 'path off'],
  [46, 'ftruncate', 'int', 'fd off'],
  [47, 'fallocate', 'int', 'fd int off off'],
  [48, 'faccessat', 'int', 'dirfd path accessmode'],
  [49, 'chdir', 'int', 'path'],
  [50, 'fchdir', 'int', 'fd'],
  [51, 'chroot', 'int', 'path'],
  [52, 'fchmod', 'int', 'fd mode'],
  [53, 'fchmodat', 'int', 'dirfd path mode'],
  [54, 'fchownat', 'int', 'dirfd path int int atflags'],
  [55, 'fchown', 'int', 'fd int int'],
  [56, 'openat', 'fd', 'dirfd path oflags omode'],
  [57, 'close', 'int', 'fd'],
  [58, 'vhangup', 'int', ''],
  [59, 'pipe2', 'int', 'pipefds fdflags'],
  [60, 'quotactl', 'int', 'hex path int ptr'],
  [61, 'getdents64', 'ssize', 'fd dents uint'],
  [62, 'lseek', 'off', 'fd off whence'],
  [63, 'read', 'ssize', 'fd obuf:2 size'],
  [64, 'write', 'ssize', 'fd ibuf:2 size'],
  [65, 'readv', 'ssize', 'fd oiov:2 int'],
  [66, 'writev', 'ssize', 'fd iiov:2 int'],
  [67, 'pread64', 'ssize', 'fd obuf:2 size off'],
  [68, 'pwrite64', 'ssize', 'fd ibuf:2 size off'],
  [69, 'preadv', 'ssize', 'fd oiov:2 int off skip'],
  [70, 'pwritev', 'ssize', 'fd iiov:2 int off skip'],
  [71, 'sendfile', 'ssize', 'fd fd ptr size'],
  [72, 'pselect6', 'int', 'int ptr ptr ptr timespec ptr'],
  [73, 'ppoll', 'int', 'ptr uint timespec sigset size'],
  [74, 'signalfd4', 'fd', 'fd sigset size fdflags'],
  [75, 'vmsplice', 'ssize', 'fd ptr ulong hex'],
  [76, 'splice', 'ssize', 'fd ptr fd ptr size hex'],
  [77, 'tee', 'ssize', 'fd fd size hex'],
  [78, 'readlinkat', 'ssize', 'dirfd path obuf:3 int'],
  [79, 'newfstatat', 'int', 'dirfd path stat atflags'],
  [80, 'fstat', 'int', 'fd stat'],
  [81, 'sync', 'int', ''],
  [82, 'fsync', 'int', 'fd'],
  [83, 'fdatasync', 'int', 'fd'],
  [84, 'sync_file_range', 'int', 'fd off off hex'],
  [85, 'timerfd_create', 'fd', 'clockid hex'],
  [86, 'timerfd_settime', 'int', 'fd hex ptr ptr'],
  [87, 'timerfd_gettime', 'int', 'fd ptr'],
  [88, 'utimensat', 'int', 'dirfd path ptr atflags'],
  [89, 'acct', 'int', 'path'],
  [90, 'capget', 'int', 'ptr ptr'],
  [91, 'capset', 'int', 'ptr ptr'],
  [92, 'personality', 'int', 'hex'],
  [93, 'exit', 'none', 'int'],
  [94, 'exit_group', 'none', 'int'],
  [95, 'waitid', 'int', 'idtype int siginfo waitopts ptr'],
  [96, 'set_tid_address', 'pid', 'ptr'],
  [97, 'unshare', 'int', 'cloneflags'],
  [98, 'futex', 'int', 'ptr futexop uint ptr ptr uint'],
  [99, 'set_robust_list', 'int', 'ptr size'],
  [100, 'get_robust_list', 'int', 'int ptr ptr'],
  [101, 'nanosleep', 'int', 'timespec ptr'],
  [102, 'getitimer', 'int', 'int ptr'],
  [103, 'setitimer', 'int', 'int ptr ptr'],
  [104, 'kexec_load', 'int', 'hex ulong ptr hex'],
  [105, 'init_module', 'int', 'ptr ulong str'],
  [106, 'delete_module', 'int', 'str hex'],
  [107, 'timer_create', 'int', 'clockid ptr ptr'],
  [108, 'timer_gettime', 'int', 'int ptr'],
  [109, 'timer_getoverrun', 'int', 'int'],
  [110, 'timer_settime', 'int', 'int hex ptr ptr'],
  [111, 'timer_delete', 'int', 'int'],
  [112, 'clock_settime', 'int', 'clockid timespec'],
  [113, 'clock_gettime', 'int', 'clockid otimespec'],
  [114, 'clock_getres', 'int', 'clockid otimespec'],
  [115, 'clock_nanosleep', 'int', 'clockid hex timespec ptr'],
  [116, 'syslog', 'int', 'int ptr int'],
  [117, 'ptrace', 'long', 'long int ptr ptr'],
  [118, 'sched_setparam', 'int', 'int ptr'],
  [119, 'sched_setscheduler', 'int', 'int int ptr'],
  [120, 'sched_getscheduler', 'int', 'int'],
  [121, 'sched_getparam', 'int', 'int ptr'],
  [122, 'sched_setaffinity', 'int', 'int uint ptr'],
  [123, 'sched_getaffinity', 'int', 'int uint ptr'],
  [124, 'sched_yield', 'int', ''],
  [125, 'sched_get_priority_max', 'int', 'int'],
  [126, 'sched_get_priority_min', 'int', 'int'],
  [127, 'sched_rr_get_interval', 'int', 'int ptr'],
  [128, 'restart_syscall', 'int', ''],
  [129, 'kill', 'int', 'int signo'],
  [130, 'tkill', 'int', 'int signo'],
  [131, 'tgkill', 'int', 'int int signo'],
  [132, 'sigaltstack', 'int', 'ptr ptr'],
  [133, 'rt_sigsuspend', 'int', 'sigset size'],
  [134, 'rt_sigaction', 'int', 'signo ptr ptr size'],
  [135, 'rt_sigprocmask', 'int', 'sighow sigset osigset size'],
  [136, 'rt_sigpending', 'int', 'osigset size'],
  [137, 'rt_sigtimedwait', 'int', 'sigset ptr timespec size'],
  [138, 'rt_sigqueueinfo', 'int', 'int signo ptr'],
  [139, 'rt_sigreturn', 'int', ''],
  [140, 'setpriority', 'int', 'int int int'],
  [141, 'getpriority', 'int', 'int int'],
  [142, 'reboot', 'int', 'rebootmagic rebootmagic rebootcmd ptr'],
  [143, 'setregid', 'int', 'int int'],
  [144, 'setgid', 'int', 'int'],
  [145, 'setreuid', 'int', 'int int'],
  [146, 'setuid', 'int', 'int'],
  [147, 'setresuid', 'int', 'int int int'],
  [148, 'getresuid', 'int', 'ptr ptr ptr'],
  [149, 'setresgid', 'int', 'int int int'],
  [150, 'getresgid', 'int', 'ptr ptr ptr'],
  [151, 'setfsuid', 'int', 'int'],
  [152, 'setfsgid', 'int', 'int'],
  [153, 'times', 'long', 'ptr'],
  [154, 'setpgid', 'int', 'int int'],
  [155, 'getpgid', 'pid', 'int'],
  [156, 'getsid', 'pid', 'int'],
  [157, 'setsid', 'pid', ''],
  [158, 'getgroups', 'int', 'int ptr'],
  [159, 'setgroups', 'int', 'int ptr'],
  [160, 'uname', 'int', 'uts'],
  [161, 'sethostname', 'int', 'ibuf:1 int'],
  [162, 'setdomainname', 'int', 'ibuf:1 int'],
  [163, 'getrlimit', 'int', 'rlimit ptr'],
  [164, 'setrlimit', 'int', 'rlimit ptr'],
  [165, 'getrusage', 'int', 'int ptr'],
  [166, 'umask', 'umask', 'umask'],
  [167, 'prctl', 'int', 'int hex hex hex hex'],
  [168, 'getcpu', 'int', 'ptr ptr ptr'],
  [169, 'gettimeofday', 'int', 'ptr ptr'],
  [170, 'settimeofday', 'int', 'ptr ptr'],
  [171, 'adjtimex', 'int', 'ptr'],
  [172, 'getpid', 'pid', ''],
  [173, 'getppid', 'pid', ''],
  [174, 'getuid', 'int', ''],
  [175, 'geteuid', 'int', ''],
  [176, 'getgid', 'int', ''],
  [177, 'getegid', 'int', ''],
  [178, 'gettid', 'pid', ''],
  [179, 'sysinfo', 'int', 'ptr'],
  [180, 'mq_open', 'fd', 'str oflags mode ptr'],
  [181, 'mq_unlink', 'int', 'str'],
  [182, 'mq_timedsend', 'int', 'fd ibuf:2 size uint timespec'],
  [183, 'mq_timedreceive', 'ssize', 'fd obuf:2 size ptr timespec'],
  [184, 'mq_notify', 'int', 'fd ptr'],
  [185, 'mq_getsetattr', 'int', 'fd ptr ptr'],
  [186, 'msgget', 'int', 'hex hex'],
  [187, 'msgctl', 'int', 'int int ptr'],
  [188, 'msgrcv', 'ssize', 'int ptr size long hex'],
  [189, 'msgsnd', 'int', 'int ptr size hex'],
  [190, 'semget', 'int', 'hex int hex'],
  [191, 'semctl', 'int', 'int int int hex'],
  [192, 'semtimedop', 'int', 'int ptr uint timespec'],
  [193, 'semop', 'int', 'int ptr uint'],
  [194, 'shmget', 'int', 'hex size hex'],
  [195, 'shmctl', 'int', 'int int ptr'],
  [196, 'shmat', 'ptr', 'int ptr hex'],
  [197, 'shmdt', 'int', 'ptr'],
  [198, 'socket', 'fd', 'family socktype int'],
  [199, 'socketpair', 'int', 'family socktype int pipefds'],
  [200, 'bind', 'int', 'fd ptr int'],
  [201, 'listen', 'int', 'fd int'],
  [202, 'accept', 'fd', 'fd ptr ptr'],
  [203, 'connect', 'int', 'fd ptr int'],
  [204, 'getsockname', 'int', 'fd ptr ptr'],
  [205, 'getpeername', 'int', 'fd ptr ptr'],
  [206, 'sendto', 'ssize', 'fd ibuf:2 size hex ptr int'],
  [207, 'recvfrom', 'ssize', 'fd obuf:2 size hex ptr ptr'],
  [208, 'setsockopt', 'int', 'fd int int ptr int'],
  [209, 'getsockopt', 'int', 'fd int int ptr ptr'],
  [210, 'shutdown', 'int', 'fd int'],
  [211, 'sendmsg', 'ssize', 'fd ptr hex'],
  [212, 'recvmsg', 'ssize', 'fd ptr hex'],
  [213, 'readahead', 'ssize', 'fd off size'],
  [214, 'brk', 'ptr', 'ptr'],
  [215, 'munmap', 'int', 'ptr size'],
  [216, 'mremap', 'ptr', 'ptr size size hex ptr'],
  [217, 'add_key', 'int', 'str str ptr size int'],
  [218, 'request_key', 'int', 'str str str int'],
  [219, 'keyctl', 'long', 'int hex hex hex hex'],
  [220, 'clone', 'pid', 'cloneflags ptr ptr ptr ptr'],
  [221, 'execve', 'int', 'path argv envp'],
  [222, 'mmap', 'ptr', 'ptr size prot mmapflags fd hex'],
  [223, 'fadvise64', 'int', 'fd off off int'],
  [224, 'swapon', 'int', 'path hex'],
  [225, 'swapoff', 'int', 'path'],
  [226, 'mprotect', 'int', 'ptr size prot'],
  [227, 'msync', 'int', 'ptr size hex'],
  [228, 'mlock', 'int', 'ptr size'],
  [229, 'munlock', 'int', 'ptr size'],
  [230, 'mlockall', 'int', 'hex'],
  [231, 'munlockall', 'int', ''],
  [232, 'mincore', 'int', 'ptr size ptr'],
  [233, 'madvise', 'int', 'ptr size madvise'],
  [234, 'remap_file_pages', 'int', 'ptr size prot ulong hex'],
  [235, 'mbind', 'int', 'ptr ulong int ptr ulong hex'],
  [236, 'get_mempolicy', 'int', 'ptr ptr ulong ptr hex'],
  [237, 'set_mempolicy', 'int', 'int ptr ulong'],
  [238, 'migrate_pages', 'long', 'int ulong ptr ptr'],
  [239, 'move_pages', 'long', 'int ulong ptr ptr ptr hex'],
  [240, 'rt_tgsigqueueinfo', 'int', 'int int signo ptr'],
  [241, 'perf_event_open', 'fd', 'ptr int int fd hex'],
  [242, 'accept4', 'fd', 'fd ptr ptr sockflags'],
  [243, 'recvmmsg', 'int', 'fd ptr uint hex timespec'],
  [259, 'riscv_flush_icache', 'int', 'ptr ptr hex'],
  [260, 'wait4', 'pid', 'int wstatus waitopts ptr'],
  [261, 'prlimit64', 'int', 'int rlimit ptr ptr'],
  [262, 'fanotify_init', 'fd', 'hex hex'],
  [263, 'fanotify_mark', 'int', 'fd hex hex dirfd path'],
  [264, 'name_to_handle_at', 'int', 'dirfd path ptr ptr atflags'],
  [265, 'open_by_handle_at', 'fd', 'fd ptr oflags'],
  [266, 'clock_adjtime', 'int', 'clockid ptr'],
  [267, 'syncfs', 'int', 'fd'],
  [268, 'setns', 'int', 'fd cloneflags'],
  [269, 'sendmmsg', 'int', 'fd ptr uint hex'],
  [270, 'process_vm_readv', 'ssize', 'int ptr ulong ptr ulong hex'],
  [271, 'process_vm_writev', 'ssize', 'int ptr ulong ptr ulong hex'],
  [272, 'kcmp', 'int', 'int int int ulong ulong'],
  [273, 'finit_module', 'int', 'fd str hex'],
  [274, 'sched_setattr', 'int', 'int ptr hex'],
  [275, 'sched_getattr', 'int', 'int ptr uint hex'],
  [276, 'renameat2', 'int', 'dirfd path dirfd path hex'],
  [277, 'seccomp', 'int', 'uint hex ptr'],
  [278, 'getrandom', 'ssize', 'obufx:1 size grndflags'],
  [279, 'memfd_create', 'fd', 'str hex'],
  [280, 'bpf', 'int', 'int ptr uint'],
  [281, 'execveat', 'int', 'dirfd path argv envp atflags'],
  [282, 'userfaultfd', 'fd', 'fdflags'],
  [283, 'membarrier', 'int', 'int hex int'],
  [284, 'mlock2', 'int', 'ptr size hex'],
  [285, 'copy_file_range', 'ssize', 'fd ptr fd ptr size hex'],
  [286, 'preadv2', 'ssize', 'fd oiov:2 int off skip hex'],
  [287, 'pwritev2', 'ssize', 'fd iiov:2 int off skip hex'],
  [288, 'pkey_mprotect', 'int', 'ptr size prot int'],
  [289, 'pkey_alloc', 'int', 'hex hex'],
  [290, 'pkey_free', 'int', 'int'],
  [291, 'statx', 'int', 'dirfd path atflags hex ptr'],
  [292, 'io_pgetevents', 'int', 'hex long long ptr timespec ptr'],
  [293, 'rseq', 'int', 'ptr uint hex hex'],
  [294, 'kexec_file_load', 'int', 'fd fd ulong str hex'],
  [424, 'pidfd_send_signal', 'int', 'fd signo ptr hex'],
  [425, 'io_uring_setup', 'fd', 'uint ptr'],
  [426, 'io_uring_enter', 'int', 'fd uint uint hex ptr size'],
  [427, 'io_uring_register', 'int', 'fd uint ptr uint'],
  [428, 'open_tree', 'fd', 'dirfd path hex'],
  [429, 'move_mount', 'int', 'dirfd path dirfd path hex'],
  [430, 'fsopen', 'fd', 'str hex'],
  [431, 'fsconfig', 'int', 'fd uint str ptr int'],
  [432, 'fsmount', 'fd', 'fd hex hex'],
  [433, 'fspick', 'fd', 'dirfd path hex'],
  [434, 'pidfd_open', 'fd', 'int hex'],
  [435, 'clone3', 'pid', 'ptr size'],
  [436, 'close_range', 'int', 'uint uint hex'],
  [437, 'openat2', 'fd', 'dirfd path ptr size'],
  [438, 'pidfd_getfd', 'fd', 'fd fd hex'],
  [439, 'faccessat2', 'int', 'dirfd path accessmode atflags'],
  [440, 'process_madvise', 'ssize', 'fd ptr size madvise hex'],
  [441, 'epoll_pwait2', 'int', 'fd ptr int timespec sigset size'],
  [442, 'mount_setattr', 'int', 'dirfd path atflags ptr size'],
  [443, 'quotactl_fd', 'int', 'fd hex int ptr'],
  [444, 'landlock_create_ruleset', 'fd', 'ptr size hex'],
  [445, 'landlock_add_rule', 'int', 'fd int ptr hex'],
  [446, 'landlock_restrict_self', 'int', 'fd hex'],
  [447, 'memfd_secret', 'fd', 'hex'],
  [448, 'process_mrelease', 'int', 'fd hex'],
  [449, 'futex_waitv', 'int', 'ptr uint hex timespec clockid'],
  [450, 'set_mempolicy_home_node', 'int', 'ptr ulong ulong hex'],
];

function parseArgs(spec: string): ArgSpec[] {
  if (spec === '') return [];
  return spec.split(' ').map((tok) => {
    const [kind, len] = tok.split(':');
    return len === undefined ? { kind: kind as ArgKind } : { kind: kind as ArgKind, len: Number(len) };
  });
}

function build(): SyscallDef[] {
  const defs: SyscallDef[] = ROWS.map(([nr, name, result, spec]) => ({ nr, name, result, args: parseArgs(spec) }));
  // riscv selects CLONE_BACKWARDS: clone(flags, newsp, parent_tid, tls, child_tid). strace shows
  // child_stack first and names each argument.
  const i = defs.findIndex((d) => d.name === 'clone');
  defs[i] = {
    ...defs[i],
    args: [
      { kind: 'cloneflags', label: 'flags' },
      { kind: 'ptr', label: 'child_stack' },
      { kind: 'ptr', label: 'parent_tid' },
      { kind: 'ptr', label: 'tls' },
      { kind: 'ptr', label: 'child_tidptr' },
    ],
    order: [1, 0, 2, 3, 4],
  };
  return defs;
}

/** Every riscv64 syscall, by number. */
export const SYSCALLS: readonly SyscallDef[] = build();

const BY_NR = new Map<number, SyscallDef>(SYSCALLS.map((d) => [d.nr, d]));
const BY_NAME = new Map<string, SyscallDef>(SYSCALLS.map((d) => [d.name, d]));

/** One past the largest syscall number (__NR_syscalls). */
export const NR_SYSCALLS = 451;

export function syscallDef(nr: number): SyscallDef | undefined {
  return BY_NR.get(nr);
}

export function syscallByName(name: string): SyscallDef | undefined {
  return BY_NAME.get(name);
}

/** The name of a syscall number; `syscall_N` for a number the table does not know (strace's style). */
export function syscallName(nr: number): string {
  return BY_NR.get(nr)?.name ?? `syscall_${nr}`;
}

/** The definition used for an unknown number: six raw hex arguments, an int result. */
export function unknownSyscall(nr: number): SyscallDef {
  return { nr, name: syscallName(nr), result: 'int', args: parseArgs('hex hex hex hex hex hex') };
}
