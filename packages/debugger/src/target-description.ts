/**
 * The registers the stub shows, and the target description (GDB manual,
 * "Target Descriptions"; features org.gnu.gdb.riscv.cpu, .fpu, .csr and
 * .virtual as GDB's RISC-V support expects them) that tells GDB their names,
 * sizes and protocol numbers. Numbers follow GDB's own RISC-V numbering: x0..x31
 * 0..31, pc 32, f0..f31 33..64, CSR n at 65 + n, priv 4161.
 */
import { CSR, peekCsr, type Hart } from '@prnr/cpu';

export interface RegisterInfo {
  name: string;
  regnum: number;
  feature: 'cpu' | 'fpu' | 'csr' | 'virtual';
  type: string;
  group?: string;
  read(h: Hart): bigint | null;
}

const X_NAMES = ['zero', 'ra', 'sp', 'gp', 'tp', 't0', 't1', 't2', 'fp', 's1', 'a0', 'a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7',
  's2', 's3', 's4', 's5', 's6', 's7', 's8', 's9', 's10', 's11', 't3', 't4', 't5', 't6'];
const F_NAMES = ['ft0', 'ft1', 'ft2', 'ft3', 'ft4', 'ft5', 'ft6', 'ft7', 'fs0', 'fs1', 'fa0', 'fa1', 'fa2', 'fa3', 'fa4', 'fa5', 'fa6', 'fa7',
  'fs2', 'fs3', 'fs4', 'fs5', 'fs6', 'fs7', 'fs8', 'fs9', 'fs10', 'fs11', 'ft8', 'ft9', 'ft10', 'ft11'];

/** The CSRs a kernel debugger looks at: supervisor trap state and translation, machine trap state, counters. */
const CSRS: Array<keyof typeof CSR> = [
  'sstatus', 'sie', 'stvec', 'scounteren', 'sscratch', 'sepc', 'scause', 'stval', 'sip', 'satp',
  'mstatus', 'misa', 'medeleg', 'mideleg', 'mie', 'mtvec', 'mcounteren', 'mscratch', 'mepc', 'mcause', 'mtval', 'mip', 'mhartid',
  'cycle', 'time', 'instret',
];

export const PRIV_REGNUM = 65 + 4096;

export const REGISTERS: readonly RegisterInfo[] = ([
  ...X_NAMES.map((name, i): RegisterInfo => ({ name, regnum: i, feature: 'cpu', type: i === 2 ? 'data_ptr' : i === 1 ? 'code_ptr' : 'int', read: (h) => h.getX(i) })),
  { name: 'pc', regnum: 32, feature: 'cpu', type: 'code_ptr', read: (h: Hart) => h.pc },
  ...F_NAMES.map((name, i): RegisterInfo => ({ name, regnum: 33 + i, feature: 'fpu', type: 'ieee_double', read: (h) => h.getF(i) })),
  ...(['fflags', 'frm', 'fcsr'] as const).map((name): RegisterInfo => ({ name, regnum: 65 + CSR[name], feature: 'fpu', type: 'int', group: 'float', read: (h) => peekCsr(h, CSR[name]) })),
  ...CSRS.map((name): RegisterInfo => ({ name, regnum: 65 + CSR[name], feature: 'csr', type: 'int', group: 'system', read: (h) => peekCsr(h, CSR[name]) })),
  { name: 'priv', regnum: PRIV_REGNUM, feature: 'virtual', type: 'int', group: 'system', read: (h: Hart) => BigInt(h.priv) },
] satisfies RegisterInfo[] as RegisterInfo[]).sort((a, b) => a.regnum - b.regnum);

export const REGISTER_BY_NUMBER = new Map(REGISTERS.map((r) => [r.regnum, r]));

/** Registers sent in reply to `g`: x0..x31, pc and f0..f31 (GDB asks for the others one at a time with `p`). */
export const G_PACKET_REGISTERS = REGISTERS.filter((r) => r.regnum <= 64);

const FEATURE_NAMES = { cpu: 'org.gnu.gdb.riscv.cpu', fpu: 'org.gnu.gdb.riscv.fpu', csr: 'org.gnu.gdb.riscv.csr', virtual: 'org.gnu.gdb.riscv.virtual' } as const;

/**
 * target.xml: riscv64, no OS ABI, every register above with its protocol number. Without
 * `<osabi>none</osabi>` GDB may assume GNU/Linux and single-step by a breakpoint at the next pc and
 * a continue, which runs on through an ecall or sret; with it GDB sends `s` (exactly one instruction).
 */
export function targetXml(): string {
  const features = (Object.keys(FEATURE_NAMES) as Array<keyof typeof FEATURE_NAMES>).map((f) => {
    const regs = REGISTERS.filter((r) => r.feature === f)
      .map((r) => `    <reg name="${r.name}" bitsize="64" type="${r.type}" regnum="${r.regnum}"${r.group ? ` group="${r.group}"` : ''}/>`)
      .join('\n');
    return `  <feature name="${FEATURE_NAMES[f]}">\n${regs}\n  </feature>`;
  });
  return `<?xml version="1.0"?>\n<!DOCTYPE target SYSTEM "gdb-target.dtd">\n<target version="1.0">\n  <architecture>riscv:rv64</architecture>\n  <osabi>none</osabi>\n${features.join('\n')}\n</target>\n`;
}
