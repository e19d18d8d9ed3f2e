/**
 * The hart's architectural state as plain, versioned data (structured-clone-able).
 * Bump HART_STATE_VERSION whenever a field is added, removed or changes meaning.
 */
export const HART_STATE_VERSION = 1;

export interface HartCsrState {
  mstatus: number; mie: number; mipSoft: number; mipExt: number;
  medeleg: number; mideleg: number; mcounteren: number; scounteren: number; mcountinhibit: number;
  mtvec: bigint; stvec: bigint; mepc: bigint; sepc: bigint; mcause: bigint; scause: bigint;
  mtval: bigint; stval: bigint; mscratch: bigint; sscratch: bigint; menvcfg: bigint; senvcfg: bigint;
  satp: bigint; fflags: number; frm: number;
  pmpcfg: bigint[]; pmpaddr: bigint[];
  /** mcycle = icount + mcycleBase; minstret likewise. */
  mcycleBase: bigint; minstretBase: bigint;
}

export interface HartState {
  version: number;
  /** x0..x31, unsigned 64-bit. */
  x: bigint[];
  /** f0..f31, raw 64-bit patterns. */
  f: bigint[];
  pc: bigint;
  /** 0 = U, 1 = S, 3 = M. */
  priv: number;
  /** Steps since power-on: retired instructions plus trap entries. */
  icount: bigint;
  /** Stopped in WFI. */
  waiting: boolean;
  csr: HartCsrState;
  /** LR/SC reservation physical address, or -1. */
  reservation: number;
}
