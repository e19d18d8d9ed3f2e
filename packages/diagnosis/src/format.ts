/**
 * strace-like text for one syscall:
 *
 *   openat(AT_FDCWD, "/etc/passwd", O_RDONLY|O_CLOEXEC) = 3
 *   read(3, "root:x:0:0:root:/root:/bin/sh\n"..., 4096) = 512
 *   openat(AT_FDCWD, "/nonexistent", O_RDONLY) = -1 ENOENT (No such file or directory)
 *
 * Decoding happens in two phases because guest memory changes while the
 * syscall runs: at entry the input arguments are read (paths, strings, buffers
 * being written), at exit the output ones (buffers read into, stat structures,
 * wait statuses). Each phase yields one text per argument register, null for
 * the arguments of the other phase; formatCall puts them together.
 *
 * Strings follow strace's defaults: at most `stringLimit` (32) bytes, then
 * `...` after the closing quote; paths are not shortened; bytes outside
 * printable ASCII as C escapes (\n, \t, octal). A pointer that cannot be read
 * is shown in hex, NULL as NULL.
 */
import { errnoMessage, errnoName, resultErrno } from './errno.js';
import {
  CLD_CODES, F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD, F_GETFL, F_SETFD, F_SETFL,
  formatAccessMode, formatAddressFamily, formatAtFlags, formatClockId, formatCloneFlags, formatDirfd, formatEnum,
  formatFcntlCmd, formatFdFlags, formatFutexOp, formatIdType, formatIoctlRequest, formatMadvise, formatMmapFlags,
  formatMode, formatOpenFlags, formatProt, formatRebootCmd, formatRebootMagic, formatRlimitResource, formatSigHow,
  formatSignal, formatSocketType, formatUmask, formatUnlinkFlags, formatWaitOptions, formatWaitStatus, formatWhence,
  openTakesMode, O_CLOEXEC, O_NONBLOCK, formatFlagSet, formatMountFlags, formatGetrandomFlags,
} from './flags.js';
import { formatSigset, signalName } from './signals.js';
import type { MemoryReader } from './sv39.js';
import type { ArgSpec, SyscallDef } from './syscall-table.js';
import { OUT_KINDS, syscallDef, unknownSyscall } from './syscall-table.js';

export interface FormatOptions {
  /** Bytes of a string or buffer shown before `...` (strace -s; default 32). */
  stringLimit?: number;
  /** Elements of argv or an iovec array shown before `...` (default 32). */
  arrayLimit?: number;
}

/** One text per argument register; null where this phase does not decode the argument. */
export type ArgTexts = (string | null)[];

const PATH_MAX = 4096;
const MASK64 = (1n << 64n) - 1n;

const int32 = (v: bigint): string => String(BigInt.asIntN(32, v));
const uint32 = (v: bigint): string => String(BigInt.asUintN(32, v));
const hex = (v: bigint): string => '0x' + BigInt.asUintN(64, v).toString(16);
const ptr = (v: bigint): string => (BigInt.asUintN(64, v) === 0n ? 'NULL' : hex(v));

/** A byte string as a C string literal the way strace prints it (without the `...`). */
export function quoteBytes(bytes: Uint8Array): string {
  let s = '"';
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i];
    switch (c) {
      case 0x22: s += '\\"'; continue;
      case 0x5c: s += '\\\\'; continue;
      case 0x0c: s += '\\f'; continue;
      case 0x0a: s += '\\n'; continue;
      case 0x0d: s += '\\r'; continue;
      case 0x09: s += '\\t'; continue;
      case 0x0b: s += '\\v'; continue;
    }
    if (c >= 0x20 && c < 0x7f) {
      s += String.fromCharCode(c);
      continue;
    }
    // Octal, as short as possible unless an octal digit follows.
    const next = i + 1 < bytes.length ? bytes[i + 1] : -1;
    if (next >= 0x30 && next <= 0x37) s += '\\' + c.toString(8).padStart(3, '0');
    else s += '\\' + c.toString(8);
  }
  return s + '"';
}

/** Every byte as `\xNN`: strace's QUOTE_FORCE_HEX (getrandom's buffer). */
export function quoteBytesHex(bytes: Uint8Array): string {
  let s = '"';
  for (const c of bytes) s += '\\x' + c.toString(16).padStart(2, '0');
  return s + '"';
}

/** `"text"`, or `"text"...` when the guest's data went on beyond what is shown. */
function quoted(bytes: Uint8Array, more: boolean): string {
  return quoteBytes(bytes) + (more ? '...' : '');
}

function readString(mem: MemoryReader | null, addr: bigint, limit: number): string {
  if (addr === 0n) return 'NULL';
  const s = mem?.readCString(addr, limit);
  if (s === null || s === undefined) return hex(addr);
  return quoted(s.bytes, s.truncated);
}

function readBuffer(mem: MemoryReader | null, addr: bigint, len: bigint, limit: number, forceHex = false): string {
  if (addr === 0n) return 'NULL';
  if (len < 0n) return hex(addr);
  const shown = len > BigInt(limit) ? limit : Number(len);
  const bytes = mem?.readVirt(addr, shown);
  if (bytes === null || bytes === undefined) return hex(addr);
  return forceHex ? quoteBytesHex(bytes) + (len > BigInt(shown) ? '...' : '') : quoted(bytes, len > BigInt(shown));
}

function readIovec(mem: MemoryReader | null, addr: bigint, count: bigint, total: bigint | null, o: Required<FormatOptions>): string {
  if (addr === 0n) return 'NULL';
  if (mem === null || count < 0n || count > 1024n) return hex(addr);
  const n = Number(count);
  const parts: string[] = [];
  let left = total;
  for (let i = 0; i < n && i < o.arrayLimit; i++) {
    const base = mem.readU64(addr + BigInt(16 * i));
    const len = mem.readU64(addr + BigInt(16 * i + 8));
    if (base === null || len === null) return hex(addr);
    let shown = len;
    if (left !== null) {
      shown = left < len ? left : len;
      left -= shown;
    }
    parts.push(`{iov_base=${readBuffer(mem, base, shown, o.stringLimit)}, iov_len=${len}}`);
  }
  if (n > o.arrayLimit) parts.push('...');
  return `[${parts.join(', ')}]`;
}

function readArgv(mem: MemoryReader | null, addr: bigint, o: Required<FormatOptions>): string {
  if (addr === 0n) return 'NULL';
  if (mem === null) return hex(addr);
  const parts: string[] = [];
  for (let i = 0; ; i++) {
    const p = mem.readU64(addr + BigInt(8 * i));
    if (p === null) return hex(addr);
    if (p === 0n) break;
    if (i === o.arrayLimit) {
      parts.push('...');
      break;
    }
    parts.push(readString(mem, p, o.stringLimit));
  }
  return `[${parts.join(', ')}]`;
}

function readEnvp(mem: MemoryReader | null, addr: bigint): string {
  if (addr === 0n) return 'NULL';
  if (mem === null) return hex(addr);
  let n = 0;
  for (; n < 4096; n++) {
    const p = mem.readU64(addr + BigInt(8 * n));
    if (p === null) return hex(addr);
    if (p === 0n) break;
  }
  return `${hex(addr)} /* ${n} var${n === 1 ? '' : 's'} */`;
}

function readTimespec(mem: MemoryReader | null, addr: bigint): string {
  if (addr === 0n) return 'NULL';
  const b = mem?.readVirt(addr, 16);
  if (b === null || b === undefined) return hex(addr);
  const v = new DataView(b.buffer);
  return `{tv_sec=${v.getBigInt64(0, true)}, tv_nsec=${v.getBigInt64(8, true)}}`;
}

function readSigset(mem: MemoryReader | null, addr: bigint): string {
  if (addr === 0n) return 'NULL';
  const v = mem?.readU64(addr);
  return v === null || v === undefined ? hex(addr) : formatSigset(v);
}

/** struct stat of the generic ABI (include/uapi/asm-generic/stat.h): st_mode at 16, st_rdev at 32, st_size at 48. */
function readStat(mem: MemoryReader | null, addr: bigint): string {
  const b = mem?.readVirt(addr, 56);
  if (b === null || b === undefined) return ptr(addr);
  const v = new DataView(b.buffer);
  const mode = BigInt(v.getUint32(16, true));
  const type = mode & 0o170000n;
  if (type === 0o20000n || type === 0o60000n) {
    const rdev = v.getBigUint64(32, true);
    const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn);
    const minor = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn);
    return `{st_mode=${formatMode(mode, true)}, st_rdev=makedev(${hex(major)}, ${hex(minor)}), ...}`;
  }
  return `{st_mode=${formatMode(mode, true)}, st_size=${v.getBigInt64(48, true)}, ...}`;
}

/** struct new_utsname: six fields of 65 bytes. */
function readUts(mem: MemoryReader | null, addr: bigint): string {
  const b = mem?.readVirt(addr, 65 * 2);
  if (b === null || b === undefined) return ptr(addr);
  const field = (i: number): string => {
    const f = b.subarray(65 * i, 65 * (i + 1));
    const end = f.indexOf(0);
    return quoteBytes(f.subarray(0, end < 0 ? 65 : end));
  };
  return `{sysname=${field(0)}, nodename=${field(1)}, ...}`;
}

/** getdents64's buffer: `0x... /* 5 entries *\/` (strace's non-verbose form). */
function readDents(mem: MemoryReader | null, addr: bigint, size: bigint): string {
  if (mem === null || size <= 0n || size > 1n << 20n) return hex(addr);
  const b = mem.readVirt(addr, Number(size));
  if (b === null) return hex(addr);
  const v = new DataView(b.buffer);
  let n = 0;
  for (let off = 0; off + 19 <= b.length; n++) {
    const reclen = v.getUint16(off + 16, true);
    if (reclen === 0) break;
    off += reclen;
  }
  return `${hex(addr)} /* ${n} entr${n === 1 ? 'y' : 'ies'} */`;
}

/** The int[2] of pipe2 and socketpair. */
function readFdPair(mem: MemoryReader | null, addr: bigint): string {
  const b = mem?.readVirt(addr, 8);
  if (b === null || b === undefined) return ptr(addr);
  const v = new DataView(b.buffer);
  return `[${v.getInt32(0, true)}, ${v.getInt32(4, true)}]`;
}

/**
 * waitid's siginfo_t (64-bit layout): si_signo at 0, si_code at 8, si_pid at
 * 16, si_uid at 20, si_status at 24. Returns the text and the status as a
 * wait4-style wstatus.
 */
function readSiginfo(mem: MemoryReader | null, addr: bigint): { text: string; wstatus: number | null } {
  const b = mem?.readVirt(addr, 28);
  if (b === null || b === undefined) return { text: ptr(addr), wstatus: null };
  const v = new DataView(b.buffer);
  const signo = v.getInt32(0, true);
  const code = v.getInt32(8, true);
  const pid = v.getInt32(16, true);
  const uid = v.getUint32(20, true);
  const status = v.getInt32(24, true);
  if (signo === 0) return { text: '{}', wstatus: null };
  const killed = code === 2 || code === 3;
  const statusText = killed ? signalName(status) : String(status);
  const text = `{si_signo=${signalName(signo)}, si_code=${formatEnum(BigInt(code), CLD_CODES)}, si_pid=${pid}, si_uid=${uid}, si_status=${statusText}, ...}`;
  const wstatus = code === 1 ? (status & 0xff) << 8 : killed ? (status & 0x7f) | (code === 3 ? 0x80 : 0) : null;
  return { text, wstatus };
}

function fcntlArg(args: readonly bigint[]): string {
  const cmd = BigInt.asUintN(32, args[1]);
  const arg = args[2];
  if (cmd === F_SETFD) return formatFlagSet(BigInt.asUintN(32, arg), [[1n, 'FD_CLOEXEC']]);
  if (cmd === F_SETFL) return formatOpenFlags(arg);
  if (cmd === F_DUPFD || cmd === F_DUPFD_CLOEXEC) return int32(arg);
  return hex(arg);
}

function options(o: FormatOptions | undefined): Required<FormatOptions> {
  return { stringLimit: o?.stringLimit ?? 32, arrayLimit: o?.arrayLimit ?? 32 };
}

/** Whether argument `i` appears in the line at all (open's mode only with O_CREAT, fcntl's arg only for commands that take one, clone's pointers only when a flag uses them). */
export function isArgShown(def: SyscallDef, args: readonly bigint[], i: number): boolean {
  const spec = def.args[i];
  if (spec.kind === 'skip') return false;
  if (spec.kind === 'omode') {
    const flagsIdx = def.args.findIndex((a) => a.kind === 'oflags');
    return flagsIdx >= 0 && openTakesMode(args[flagsIdx]);
  }
  if (spec.kind === 'fcntlarg') {
    const cmd = BigInt.asUintN(32, args[1]);
    return cmd !== F_GETFD && cmd !== F_GETFL && cmd !== 9n /* F_GETOWN */ && cmd !== 11n /* F_GETSIG */ && cmd !== 1025n /* F_GETLEASE */ && cmd !== 1032n && cmd !== 1034n;
  }
  if (def.name === 'clone') {
    const flags = args[0];
    if (spec.label === 'parent_tid') return (flags & (0x100000n | 0x1000n)) !== 0n;
    if (spec.label === 'tls') return (flags & 0x80000n) !== 0n;
    if (spec.label === 'child_tidptr') return (flags & (0x200000n | 0x1000000n)) !== 0n;
  }
  return true;
}

/** Texts of the arguments decoded at syscall entry (inputs); null for outputs. */
export function decodeEntryArgs(def: SyscallDef, args: readonly bigint[], mem: MemoryReader | null, opts?: FormatOptions): ArgTexts {
  const o = options(opts);
  return def.args.map((spec, i) => (OUT_KINDS.has(spec.kind) ? null : decodeIn(spec, args, i, mem, o)));
}

function decodeIn(spec: ArgSpec, args: readonly bigint[], i: number, mem: MemoryReader | null, o: Required<FormatOptions>): string {
  const v = BigInt.asUintN(64, args[i] ?? 0n);
  switch (spec.kind) {
    case 'int': case 'fd': return int32(v);
    case 'uint': return uint32(v);
    case 'long': case 'off': return String(BigInt.asIntN(64, v));
    case 'ulong': case 'size': return String(v);
    case 'hex': return v === 0n ? '0' : hex(v);
    case 'ptr': return ptr(v);
    case 'skip': return '';
    case 'dirfd': return formatDirfd(v);
    case 'path': return readString(mem, v, PATH_MAX);
    case 'str': return readString(mem, v, o.stringLimit);
    case 'ibuf': return readBuffer(mem, v, BigInt.asUintN(64, args[spec.len!]), o.stringLimit);
    case 'iiov': return readIovec(mem, v, BigInt.asUintN(64, args[spec.len!]), null, o);
    case 'oflags': return formatOpenFlags(v);
    case 'omode': case 'mode': return formatMode(v);
    case 'ftmode': return formatMode(v, true);
    case 'umask': return formatUmask(v);
    case 'fdflags': return formatFdFlags(v);
    case 'sockflags': return formatFlagSet(BigInt.asUintN(32, v), [[O_CLOEXEC, 'SOCK_CLOEXEC'], [O_NONBLOCK, 'SOCK_NONBLOCK']]);
    case 'accessmode': return formatAccessMode(v);
    case 'atflags': return formatAtFlags(v);
    case 'unlinkflags': return formatUnlinkFlags(v);
    case 'prot': return formatProt(v);
    case 'mmapflags': return formatMmapFlags(v);
    case 'madvise': return formatMadvise(v);
    case 'cloneflags': return formatCloneFlags(v);
    case 'signo': return formatSignal(v);
    case 'sigset': return readSigset(mem, v);
    case 'sighow': return formatSigHow(v);
    case 'waitopts': return formatWaitOptions(v);
    case 'idtype': return formatIdType(v);
    case 'argv': return readArgv(mem, v, o);
    case 'envp': return readEnvp(mem, v);
    case 'timespec': return readTimespec(mem, v);
    case 'whence': return formatWhence(v);
    case 'clockid': return formatClockId(v);
    case 'futexop': return formatFutexOp(v);
    case 'fcntlcmd': return formatFcntlCmd(v);
    case 'fcntlarg': return fcntlArg(args);
    case 'ioctlreq': return formatIoctlRequest(v);
    case 'family': return formatAddressFamily(v);
    case 'socktype': return formatSocketType(v);
    case 'rlimit': return formatRlimitResource(v);
    case 'rebootmagic': return formatRebootMagic(v);
    case 'rebootcmd': return formatRebootCmd(v);
    case 'mountflags': return formatMountFlags(v);
    case 'grndflags': return formatGetrandomFlags(v);
    default: return hex(v);
  }
}

/** Input kinds read from guest memory. */
const MEMORY_IN_KINDS: ReadonlySet<string> = new Set(['path', 'str', 'ibuf', 'iiov', 'argv', 'envp', 'timespec', 'sigset']);

/**
 * Input arguments that could not be read at entry, read again at exit: a
 * pointer into a page the program had not touched yet (demand paging) is
 * readable once the kernel has copied from it. Returns the texts to use.
 */
export function retryEntryArgs(def: SyscallDef, args: readonly bigint[], entry: ArgTexts, mem: MemoryReader | null, opts?: FormatOptions): ArgTexts {
  const o = options(opts);
  return def.args.map((spec, i) => {
    const t = entry[i] ?? null;
    const v = BigInt.asUintN(64, args[i] ?? 0n);
    if (t === null || v === 0n || !MEMORY_IN_KINDS.has(spec.kind) || t !== hex(v)) return t;
    return decodeIn(spec, args, i, mem, o);
  });
}

/**
 * The entry texts, with inputs the entry could not read taken from `late`
 * (the same arguments decoded later, e.g. by retryEntryArgs at the return).
 */
export function fillUnreadArgs(def: SyscallDef, args: readonly bigint[], entry: ArgTexts, late: ArgTexts): ArgTexts {
  return def.args.map((spec, i) => {
    const t = entry[i] ?? null;
    const v = BigInt.asUintN(64, args[i] ?? 0n);
    const l = late[i] ?? null;
    if (t === null || l === null || v === 0n || !MEMORY_IN_KINDS.has(spec.kind) || t !== hex(v)) return t;
    return l;
  });
}

export interface ExitDecoding {
  texts: ArgTexts;
  /** wait4's status (or waitid's, in wait4's encoding) when the call reaped a child. */
  wstatus: number | null;
}

/**
 * Texts of the output arguments, decoded when the syscall has returned
 * `result` (a0, unsigned); null for inputs. A failed call's outputs are shown
 * as pointers (the kernel wrote nothing).
 */
export function decodeExitArgs(def: SyscallDef, args: readonly bigint[], result: bigint, mem: MemoryReader | null, opts?: FormatOptions): ExitDecoding {
  const o = options(opts);
  const failed = resultErrno(result) !== null;
  const res = BigInt.asIntN(64, result);
  let wstatus: number | null = null;
  const texts = def.args.map((spec, i): string | null => {
    if (!OUT_KINDS.has(spec.kind)) return null;
    const v = BigInt.asUintN(64, args[i] ?? 0n);
    if (failed || v === 0n) return ptr(v);
    switch (spec.kind) {
      case 'obuf': return readBuffer(mem, v, res, o.stringLimit);
      case 'obufx': return readBuffer(mem, v, res, o.stringLimit, true);
      case 'ostr': return readString(mem, v, PATH_MAX);
      case 'oiov': return readIovec(mem, v, BigInt.asUintN(64, args[spec.len!]), res, o);
      case 'osigset': return readSigset(mem, v);
      case 'otimespec': return readTimespec(mem, v);
      case 'stat': return readStat(mem, v);
      case 'uts': return readUts(mem, v);
      case 'dents': return res > 0n ? readDents(mem, v, res) : `${hex(v)} /* 0 entries */`;
      case 'pipefds': return readFdPair(mem, v);
      case 'wstatus': {
        if (res <= 0n) return hex(v);
        const s = mem?.readU32(v);
        if (s === null || s === undefined) return hex(v);
        wstatus = s | 0;
        return formatWaitStatus(wstatus);
      }
      case 'siginfo': {
        const r = readSiginfo(mem, v);
        wstatus = r.wstatus;
        return r.text;
      }
      default: return hex(v);
    }
  });
  return { texts, wstatus };
}

export interface ResultText {
  /** `3`, `0x3fff000`, `-1 ENOENT (No such file or directory)`, `?` */
  text: string;
  /** The errno name of a failed call, else null. */
  errno: string | null;
}

/** The text after ` = `; `result` null for a call that did not return (exit_group) or whose result is unknown. */
export function formatResult(def: SyscallDef, result: bigint | null): ResultText {
  if (result === null || def.result === 'none') return { text: '?', errno: null };
  const e = resultErrno(result);
  if (e !== null) return { text: `-1 ${errnoName(e)} (${errnoMessage(e)})`, errno: errnoName(e) };
  switch (def.result) {
    case 'ptr': return { text: hex(result), errno: null };
    case 'umask': return { text: formatUmask(result), errno: null };
    default: return { text: String(BigInt.asIntN(64, result & MASK64)), errno: null };
  }
}

/** The final text of every argument, in register order: the entry phase's, else the exit phase's, else the raw value. */
export function finalArgTexts(def: SyscallDef, args: readonly bigint[], entry: ArgTexts | null, exit: ArgTexts | null): string[] {
  return def.args.map((spec, i) => {
    const t = entry?.[i] ?? exit?.[i] ?? null;
    if (t !== null) return t;
    return OUT_KINDS.has(spec.kind) ? ptr(args[i] ?? 0n) : decodeIn(spec, args, i, null, options(undefined));
  });
}

/** Puts one line together from the final argument texts (see finalArgTexts) and the result text. */
export function formatCall(def: SyscallDef, args: readonly bigint[], texts: readonly string[], resultText: string): string {
  const idx = def.order ?? def.args.map((_, i) => i);
  const parts: string[] = [];
  for (const i of idx) {
    if (!isArgShown(def, args, i)) continue;
    const spec = def.args[i];
    parts.push(spec.label !== undefined ? `${spec.label}=${texts[i]}` : texts[i]);
  }
  return `${def.name}(${parts.join(', ')}) = ${resultText}`;
}

/** The definition of `nr`, or a generic one for a number the table does not know. */
export function defFor(nr: number): SyscallDef {
  return syscallDef(nr) ?? unknownSyscall(nr);
}

/**
 * One line for a syscall whose memory did not change in between (tests, a
 * paused machine): both phases decoded from the same `mem`. `result` null: no return.
 */
export function formatSyscall(nr: number, args: readonly bigint[], result: bigint | null, mem: MemoryReader | null, opts?: FormatOptions): string {
  const def = defFor(nr);
  const entry = decodeEntryArgs(def, args, mem, opts);
  const exit = result === null ? null : decodeExitArgs(def, args, result, mem, opts).texts;
  return formatCall(def, args, finalArgTexts(def, args, entry, exit), formatResult(def, result).text);
}
