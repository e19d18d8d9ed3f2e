/** CSR addresses (RISC-V privileged spec v1.12, tables 2.2-2.6). */
export const CSR = {
  fflags: 0x001, frm: 0x002, fcsr: 0x003,
  cycle: 0xc00, time: 0xc01, instret: 0xc02,
  sstatus: 0x100, sie: 0x104, stvec: 0x105, scounteren: 0x106, senvcfg: 0x10a,
  sscratch: 0x140, sepc: 0x141, scause: 0x142, stval: 0x143, sip: 0x144, satp: 0x180,
  mstatus: 0x300, misa: 0x301, medeleg: 0x302, mideleg: 0x303, mie: 0x304, mtvec: 0x305,
  mcounteren: 0x306, menvcfg: 0x30a, mcountinhibit: 0x320,
  mscratch: 0x340, mepc: 0x341, mcause: 0x342, mtval: 0x343, mip: 0x344,
  pmpcfg0: 0x3a0, pmpaddr0: 0x3b0,
  tselect: 0x7a0, tdata1: 0x7a1, tdata2: 0x7a2, tdata3: 0x7a3,
  mcycle: 0xb00, minstret: 0xb02,
  mvendorid: 0xf11, marchid: 0xf12, mimpid: 0xf13, mhartid: 0xf14, mconfigptr: 0xf15,
} as const;

/** mstatus bits (privileged spec 3.1.6). Low 32 bits only: the hart keeps the upper half fixed. */
export const MSTATUS = {
  SIE: 1 << 1, MIE: 1 << 3, SPIE: 1 << 5, UBE: 1 << 6, MPIE: 1 << 7, SPP: 1 << 8,
  MPP_SHIFT: 11, MPP: 3 << 11, FS_SHIFT: 13, FS: 3 << 13, XS: 3 << 15,
  MPRV: 1 << 17, SUM: 1 << 18, MXR: 1 << 19, TVM: 1 << 20, TW: 1 << 21, TSR: 1 << 22,
} as const;

/** Interrupt bit positions in mip/mie. */
export const IRQ = { SSI: 1, MSI: 3, STI: 5, MTI: 7, SEI: 9, MEI: 11 } as const;

/** Exception causes (privileged spec table 3.6). */
export const CAUSE = {
  INSN_MISALIGNED: 0, INSN_ACCESS: 1, ILLEGAL: 2, BREAKPOINT: 3,
  LOAD_MISALIGNED: 4, LOAD_ACCESS: 5, STORE_MISALIGNED: 6, STORE_ACCESS: 7,
  ECALL_U: 8, ECALL_S: 9, ECALL_M: 11,
  INSN_PAGE: 12, LOAD_PAGE: 13, STORE_PAGE: 15,
} as const;

export const PRIV_U = 0, PRIV_S = 1, PRIV_M = 3;
