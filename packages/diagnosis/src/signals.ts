/**
 * Signal numbers for riscv64 Linux (the generic ones:
 * include/uapi/asm-generic/signal.h), named as strace names them.
 */

/** [number, name, description (as strsignal)] */
const SIGNALS: readonly (readonly [number, string, string])[] = [
  [1, 'SIGHUP', 'Hangup'],
  [2, 'SIGINT', 'Interrupt'],
  [3, 'SIGQUIT', 'Quit'],
  [4, 'SIGILL', 'Illegal instruction'],
  [5, 'SIGTRAP', 'Trace/breakpoint trap'],
  [6, 'SIGABRT', 'Aborted'],
  [7, 'SIGBUS', 'Bus error'],
  [8, 'SIGFPE', 'Floating point exception'],
  [9, 'SIGKILL', 'Killed'],
  [10, 'SIGUSR1', 'User defined signal 1'],
  [11, 'SIGSEGV', 'Segmentation fault'],
  [12, 'SIGUSR2', 'User defined signal 2'],
  [13, 'SIGPIPE', 'Broken pipe'],
  [14, 'SIGALRM', 'Alarm clock'],
  [15, 'SIGTERM', 'Terminated'],
  [16, 'SIGSTKFLT', 'Stack fault'],
  [17, 'SIGCHLD', 'Child exited'],
  [18, 'SIGCONT', 'Continued'],
  [19, 'SIGSTOP', 'Stopped (signal)'],
  [20, 'SIGTSTP', 'Stopped'],
  [21, 'SIGTTIN', 'Stopped (tty input)'],
  [22, 'SIGTTOU', 'Stopped (tty output)'],
  [23, 'SIGURG', 'Urgent I/O condition'],
  [24, 'SIGXCPU', 'CPU time limit exceeded'],
  [25, 'SIGXFSZ', 'File size limit exceeded'],
  [26, 'SIGVTALRM', 'Virtual timer expired'],
  [27, 'SIGPROF', 'Profiling timer expired'],
  [28, 'SIGWINCH', 'Window changed'],
  [29, 'SIGIO', 'I/O possible'],
  [30, 'SIGPWR', 'Power failure'],
  [31, 'SIGSYS', 'Bad system call'],
];

export const SIGRTMIN = 32;
export const SIGRTMAX = 64;

const BY_NUMBER = new Map(SIGNALS.map(([n, name, description]) => [n, { name, description }]));

/** 'SIGSEGV' for 11; 'SIGRTMIN', 'SIGRT_1' ... for real-time signals; the number itself otherwise. */
export function signalName(n: number): string {
  const s = BY_NUMBER.get(n);
  if (s !== undefined) return s.name;
  if (n === SIGRTMIN) return 'SIGRTMIN';
  if (n > SIGRTMIN && n <= SIGRTMAX) return `SIGRT_${n - SIGRTMIN}`;
  return String(n);
}

/** 'Segmentation fault' for 11. */
export function signalDescription(n: number): string {
  const s = BY_NUMBER.get(n);
  if (s !== undefined) return s.description;
  if (n >= SIGRTMIN && n <= SIGRTMAX) return `Real-time signal ${n - SIGRTMIN}`;
  return `Unknown signal ${n}`;
}

/** Signals whose default action dumps core (man 7 signal). */
export const CORE_SIGNALS: ReadonlySet<number> = new Set([3, 4, 5, 6, 7, 8, 11, 24, 25, 31]);

/**
 * A 64-bit signal set as strace prints it: `[INT CHLD]`, or `~[...]` listing
 * the signals not in the set when more than half are in it; `[]` when empty.
 */
export function formatSigset(set: bigint): string {
  const members: number[] = [];
  for (let s = 1; s <= 64; s++) if ((set >> BigInt(s - 1)) & 1n) members.push(s);
  const short = (n: number): string => signalName(n).replace(/^SIG/, '');
  if (members.length > 32) {
    const absent: number[] = [];
    for (let s = 1; s <= 64; s++) if (!((set >> BigInt(s - 1)) & 1n)) absent.push(s);
    return `~[${absent.map(short).join(' ')}]`;
  }
  return `[${members.map(short).join(' ')}]`;
}
