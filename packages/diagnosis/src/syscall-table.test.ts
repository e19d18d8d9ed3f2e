import { describe, expect, it } from 'vitest';
import { NR_SYSCALLS, OUT_KINDS, SYSCALLS, syscallByName, syscallDef, syscallName } from './syscall-table.js';

describe('the riscv64 syscall table', () => {
  it('has the generic numbers', () => {
    const known: [string, number][] = [
      ['io_setup', 0], ['getcwd', 17], ['dup3', 24], ['fcntl', 25], ['ioctl', 29], ['mkdirat', 34], ['unlinkat', 35],
      ['openat', 56], ['close', 57], ['pipe2', 59], ['getdents64', 61], ['lseek', 62], ['read', 63], ['write', 64],
      ['writev', 66], ['ppoll', 73], ['readlinkat', 78], ['newfstatat', 79], ['fstat', 80], ['exit', 93], ['exit_group', 94],
      ['waitid', 95], ['set_tid_address', 96], ['futex', 98], ['nanosleep', 101], ['clock_gettime', 113], ['kill', 129],
      ['tgkill', 131], ['rt_sigaction', 134], ['rt_sigprocmask', 135], ['rt_sigreturn', 139], ['reboot', 142],
      ['setpgid', 154], ['uname', 160], ['umask', 166], ['getpid', 172], ['getppid', 173], ['gettid', 178],
      ['socket', 198], ['connect', 203], ['brk', 214], ['munmap', 215], ['clone', 220], ['execve', 221], ['mmap', 222],
      ['mprotect', 226], ['riscv_flush_icache', 259], ['wait4', 260], ['prlimit64', 261], ['getrandom', 278],
      ['execveat', 281], ['statx', 291], ['rseq', 293], ['pidfd_open', 434], ['clone3', 435], ['faccessat2', 439],
      ['set_mempolicy_home_node', 450],
    ];
    for (const [name, nr] of known) {
      expect([name, syscallByName(name)?.nr]).toEqual([name, nr]);
      expect(syscallName(nr)).toBe(name);
    }
  });

  it('leaves out what riscv64 does not have: renameat, the 32-bit time64 calls, numbers past __NR_syscalls', () => {
    expect(syscallDef(38)).toBeUndefined();
    for (let nr = 403; nr <= 423; nr++) expect(syscallDef(nr)).toBeUndefined();
    expect(syscallDef(NR_SYSCALLS)).toBeUndefined();
    expect(syscallName(1000)).toBe('syscall_1000');
    expect(SYSCALLS.length).toBeGreaterThan(300);
  });

  it('is consistent: unique numbers and names, at most six arguments, length indices that point at an argument', () => {
    expect(new Set(SYSCALLS.map((d) => d.nr)).size).toBe(SYSCALLS.length);
    expect(new Set(SYSCALLS.map((d) => d.name)).size).toBe(SYSCALLS.length);
    for (const d of SYSCALLS) {
      expect(d.args.length).toBeLessThanOrEqual(6);
      expect(d.nr).toBeLessThan(NR_SYSCALLS);
      for (const a of d.args) {
        if (['ibuf', 'obuf', 'obufx', 'iiov', 'oiov'].includes(a.kind)) {
          expect(a.len, `${d.name}: ${a.kind} needs a length argument`).toBeDefined();
          expect(a.len!).toBeLessThan(d.args.length);
        } else {
          expect(a.len).toBeUndefined();
        }
      }
      if (d.args.some((a) => a.kind === 'omode')) expect(d.args.some((a) => a.kind === 'oflags')).toBe(true);
    }
  });

  it('argument kinds and results of a few calls', () => {
    const kinds = (name: string) => syscallByName(name)!.args.map((a) => a.kind + (a.len !== undefined ? `:${a.len}` : ''));
    expect(kinds('openat')).toEqual(['dirfd', 'path', 'oflags', 'omode']);
    expect(kinds('read')).toEqual(['fd', 'obuf:2', 'size']);
    expect(kinds('write')).toEqual(['fd', 'ibuf:2', 'size']);
    expect(kinds('mmap')).toEqual(['ptr', 'size', 'prot', 'mmapflags', 'fd', 'hex']);
    expect(kinds('wait4')).toEqual(['int', 'wstatus', 'waitopts', 'ptr']);
    expect(kinds('execve')).toEqual(['path', 'argv', 'envp']);
    expect(kinds('kill')).toEqual(['int', 'signo']);
    expect(syscallByName('openat')!.result).toBe('fd');
    expect(syscallByName('read')!.result).toBe('ssize');
    expect(syscallByName('mmap')!.result).toBe('ptr');
    expect(syscallByName('exit_group')!.result).toBe('none');
    // riscv is CLONE_BACKWARDS: clone(flags, newsp, parent_tid, tls, child_tid)
    expect(syscallByName('clone')!.args.map((a) => a.label)).toEqual(['flags', 'child_stack', 'parent_tid', 'tls', 'child_tidptr']);
    expect(OUT_KINDS.has('obuf')).toBe(true);
    expect(OUT_KINDS.has('path')).toBe(false);
  });
});
