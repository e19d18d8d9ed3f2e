/**
 * The guest profile from debug info: the same fields self-calibration learns
 * (calibrate.ts), read from the kernel's BTF (`prnr profile vmlinux`). The
 * two can then be compared (profilesAgree).
 */
import { decompress as zstdDecompress } from 'fzstd';
import { Btf, BtfError, btfSectionOfElf, BTF_MAGIC } from './btf.js';
import { taskLayoutFromProfile, type TaskLayout } from './process.js';

export interface BtfProfile {
  schema: 'prnr.guest-profile/1';
  kernel: { machine: 'riscv64'; release: string };
  sizes: { task_struct: number; pt_regs: number; task_comm_len: number };
  offsets: {
    task_struct: { pid: number; tgid: number; comm: number };
    thread_info: { kernel_sp: number };
    pt_regs: { cause: number; orig_a0: number };
  };
  source: { kind: 'btf'; types: number };
}

const ZSTD_MAGIC = 0xfd2fb528;

/** BTF bytes from a vmlinux (its .BTF section) or raw BTF (/sys/kernel/btf/vmlinux, vmlinux.btf), either zstd-compressed or not. */
export function btfBytes(input: Uint8Array): Uint8Array {
  const zstd = input.length >= 4 && new DataView(input.buffer, input.byteOffset, 4).getUint32(0, true) === ZSTD_MAGIC;
  const file = zstd ? zstdDecompress(input) : input;
  if (file.length >= 2 && (file[0] | (file[1] << 8)) === BTF_MAGIC) return file;
  const sec = btfSectionOfElf(file);
  if (sec === null) throw new BtfError(file.length >= 4 && file[0] === 0x7f && file[1] === 0x45 ? 'the ELF file has no .BTF section (build the kernel with CONFIG_DEBUG_INFO_BTF=y)' : 'neither an ELF vmlinux nor raw BTF');
  return sec;
}

/** Reads the profile fields from BTF; throws BtfError naming what is missing. */
export function profileFromBtf(bytes: Uint8Array, release = 'unknown'): BtfProfile {
  const btf = Btf.parse(btfBytes(bytes));
  const need = (struct: string) => {
    const s = btf.struct(struct);
    if (s === null) throw new BtfError(`the BTF has no struct ${struct}`);
    return s;
  };
  const field = (struct: string, name: string) => {
    const f = btf.member(need(struct), name);
    if (f === null) throw new BtfError(`struct ${struct} in the BTF has no member ${name}`);
    if (f.bitOffset % 8 !== 0) throw new BtfError(`${struct}.${name} is a bitfield`);
    return f;
  };
  const task = need('task_struct');
  const pid = field('task_struct', 'pid'), tgid = field('task_struct', 'tgid'), comm = field('task_struct', 'comm');
  // thread_info sits in task_struct (THREAD_INFO_IN_TASK; at offset 0 on riscv): kernel_sp relative to the task.
  const ti = field('task_struct', 'thread_info');
  const ksp = field('thread_info', 'kernel_sp');
  const ptRegs = need('pt_regs');
  const cause = field('pt_regs', 'cause'), origA0 = field('pt_regs', 'orig_a0');
  const commLen = btf.sizeOf(comm.type);
  if (commLen === null) throw new BtfError('the size of task_struct.comm is unknown');
  return {
    schema: 'prnr.guest-profile/1',
    kernel: { machine: 'riscv64', release },
    sizes: { task_struct: task.size, pt_regs: ptRegs.size, task_comm_len: commLen },
    offsets: {
      task_struct: { pid: pid.offset, tgid: tgid.offset, comm: comm.offset },
      thread_info: { kernel_sp: ti.offset + ksp.offset },
      pt_regs: { cause: cause.offset, orig_a0: origA0.offset },
    },
    source: { kind: 'btf', types: btf.types.length - 1 },
  };
}

/** The fields attribution reads, for comparing profiles. */
function essentials(l: TaskLayout) {
  return { pid: l.pid, tgid: l.tgid, comm: l.comm, commLen: l.commLen, kernelSp: l.kernelSp, ptRegsOnStack: l.ptRegsOnStack, ptCause: l.ptCause, ptOrigA0: l.ptOrigA0 };
}

/** Where two profiles disagree on what attribution reads (empty: they agree). */
export function profileDifferences(a: unknown, b: unknown): string[] {
  const la = taskLayoutFromProfile(a), lb = taskLayoutFromProfile(b);
  if (!la.ok) return [`first profile: ${la.reason}`];
  if (!lb.ok) return [`second profile: ${lb.reason}`];
  const ea = essentials(la.layout), eb = essentials(lb.layout);
  return (Object.keys(ea) as (keyof typeof ea)[]).filter((k) => ea[k] !== eb[k]).map((k) => `${k}: ${ea[k]} vs ${eb[k]}`);
}
