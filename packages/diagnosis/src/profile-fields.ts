/**
 * The guest profile's fields from a kernel's type information, whichever
 * reader found it (BTF: btf-profile.ts, DWARF: dwarf-profile.ts): the same
 * fields self-calibration learns (calibrate.ts), so the two can be compared.
 */
import { DebugInfoError } from './debug-info-error.js';

/** What a debug-info reader answers (Btf and Dwarf both do): structs by name, their members by name (through anonymous members), type sizes. */
export interface StructReader<S extends { size: number }> {
  struct(name: string): S | null;
  /** null: no such member. */
  member(struct: S, name: string): { bitOffset: number; bitSize: number; type: number } | null;
  /** null: unknown. */
  sizeOf(type: number): number | null;
}

/** Struct sizes and members by struct and member name, as profileFromTypes reads them. */
export interface TypeLayouts {
  structSize(struct: string): number | null;
  /** null: no such member. `size`: of the member's type, null if unknown. */
  member(struct: string, name: string): { bitOffset: number; bitSize: number; size: number | null } | null;
}

/** The TypeLayouts view of a reader. */
export function typeLayouts<S extends { size: number }>(r: StructReader<S>): TypeLayouts {
  return {
    structSize: (name) => r.struct(name)?.size ?? null,
    member: (struct, name) => {
      const s = r.struct(struct);
      const m = s === null ? null : r.member(s, name);
      return m === null ? null : { bitOffset: m.bitOffset, bitSize: m.bitSize, size: r.sizeOf(m.type) };
    },
  };
}

export interface DebugInfoSource {
  kind: 'btf' | 'dwarf';
  /** BTF: the number of types; DWARF: the number of units. */
  types?: number;
  units?: number;
}

export interface DebugInfoProfile {
  schema: 'prnr.guest-profile/1';
  kernel: { machine: 'riscv64'; release: string };
  sizes: { task_struct: number; pt_regs: number; task_comm_len: number };
  offsets: {
    task_struct: { pid: number; tgid: number; comm: number };
    thread_info: { kernel_sp: number };
    pt_regs: { cause: number; orig_a0: number };
  };
  source: DebugInfoSource;
}

/** Reads the profile fields; throws DebugInfoError naming what is missing. */
export function profileFromTypes(t: TypeLayouts, source: DebugInfoSource, release = 'unknown'): DebugInfoProfile {
  const size = (struct: string) => {
    const s = t.structSize(struct);
    if (s === null) throw new DebugInfoError(`the ${source.kind === 'btf' ? 'BTF' : 'DWARF'} has no struct ${struct}`);
    return s;
  };
  const field = (struct: string, name: string) => {
    size(struct);
    const f = t.member(struct, name);
    if (f === null) throw new DebugInfoError(`struct ${struct} in the ${source.kind === 'btf' ? 'BTF' : 'DWARF'} has no member ${name}`);
    if (f.bitSize !== 0 || f.bitOffset % 8 !== 0) throw new DebugInfoError(`${struct}.${name} is a bitfield`);
    return { offset: f.bitOffset / 8, size: f.size };
  };
  const pid = field('task_struct', 'pid'), tgid = field('task_struct', 'tgid'), comm = field('task_struct', 'comm');
  // thread_info sits in task_struct (THREAD_INFO_IN_TASK; at offset 0 on riscv): kernel_sp relative to the task.
  const ti = field('task_struct', 'thread_info');
  const ksp = field('thread_info', 'kernel_sp');
  const cause = field('pt_regs', 'cause'), origA0 = field('pt_regs', 'orig_a0');
  if (comm.size === null) throw new DebugInfoError('the size of task_struct.comm is unknown');
  return {
    schema: 'prnr.guest-profile/1',
    kernel: { machine: 'riscv64', release },
    sizes: { task_struct: size('task_struct'), pt_regs: size('pt_regs'), task_comm_len: comm.size },
    offsets: {
      task_struct: { pid: pid.offset, tgid: tgid.offset, comm: comm.offset },
      thread_info: { kernel_sp: ti.offset + ksp.offset },
      pt_regs: { cause: cause.offset, orig_a0: origA0.offset },
    },
    source,
  };
}
