/**
 * A tiny RV64 assembler for test guests: the few base-ISA instructions they
 * use, labels with forward references, and an origin to place code and data
 * at fixed offsets of one flat image. Encodings: RISC-V unprivileged spec,
 * chapter 2 (RV32I base formats) and 5 (RV64I); `mret`: privileged spec 3.3.2.
 */

/** Integer registers by ABI name. */
export const R = {
  zero: 0, ra: 1, sp: 2, gp: 3, tp: 4, t0: 5, t1: 6, t2: 7, s0: 8, s1: 9,
  a0: 10, a1: 11, a2: 12, a3: 13, a4: 14, a5: 15,
  s2: 18, s3: 19, s4: 20, s5: 21, s6: 22, s7: 23,
} as const;
type Reg = number;

export const CSR_NUM = { satp: 0x180, mstatus: 0x300, mtvec: 0x305, mcounteren: 0x306, mepc: 0x341, instret: 0xc02 } as const;

const reg = (r: Reg): number => {
  if (!Number.isInteger(r) || r < 0 || r > 31) throw new Error(`bad register x${r}`);
  return r;
};
const simm = (v: number, bits: number): number => {
  if (!Number.isInteger(v) || v < -(2 ** (bits - 1)) || v >= 2 ** (bits - 1)) throw new Error(`${v} does not fit a ${bits}-bit signed immediate`);
  return v;
};

/** The instruction formats: each returns the 32-bit word (unsigned). */
export const enc = {
  r: (op: number, f3: number, f7: number, rd: Reg, rs1: Reg, rs2: Reg): number =>
    ((f7 << 25) | (reg(rs2) << 20) | (reg(rs1) << 15) | (f3 << 12) | (reg(rd) << 7) | op) >>> 0,
  i: (op: number, f3: number, rd: Reg, rs1: Reg, imm: number): number =>
    (((simm(imm, 12) & 0xfff) << 20) | (reg(rs1) << 15) | (f3 << 12) | (reg(rd) << 7) | op) >>> 0,
  s: (op: number, f3: number, rs1: Reg, rs2: Reg, imm: number): number => {
    const v = simm(imm, 12) & 0xfff;
    return (((v >> 5) << 25) | (reg(rs2) << 20) | (reg(rs1) << 15) | (f3 << 12) | ((v & 31) << 7) | op) >>> 0;
  },
  b: (f3: number, rs1: Reg, rs2: Reg, off: number): number => {
    if (off % 2 !== 0) throw new Error(`branch offset ${off} is odd`);
    const v = simm(off, 13) & 0x1fff;
    return ((((v >> 12) & 1) << 31) | (((v >> 5) & 0x3f) << 25) | (reg(rs2) << 20) | (reg(rs1) << 15) | (f3 << 12) |
      (((v >> 1) & 0xf) << 8) | (((v >> 11) & 1) << 7) | 0x63) >>> 0;
  },
  u: (op: number, rd: Reg, imm20: number): number => (((imm20 & 0xfffff) << 12) | (reg(rd) << 7) | op) >>> 0,
  j: (rd: Reg, off: number): number => {
    if (off % 2 !== 0) throw new Error(`jump offset ${off} is odd`);
    const v = simm(off, 21) & 0x1fffff;
    return ((((v >> 20) & 1) << 31) | (((v >> 1) & 0x3ff) << 21) | (((v >> 11) & 1) << 20) | (((v >> 12) & 0xff) << 12) | (reg(rd) << 7) | 0x6f) >>> 0;
  },
};

const csrOp = (f3: number, rd: Reg, csr: number, rs1: Reg): number => (((csr & 0xfff) << 20) | (reg(rs1) << 15) | (f3 << 12) | (reg(rd) << 7) | 0x73) >>> 0;

/** Single instructions that need no label. */
export const insn = {
  addi: (rd: Reg, rs1: Reg, imm: number) => enc.i(0x13, 0, rd, rs1, imm),
  sltu: (rd: Reg, rs1: Reg, rs2: Reg) => enc.r(0x33, 3, 0, rd, rs1, rs2),
  or: (rd: Reg, rs1: Reg, rs2: Reg) => enc.r(0x33, 6, 0, rd, rs1, rs2),
  ld: (rd: Reg, imm: number, rs1: Reg) => enc.i(0x03, 3, rd, rs1, imm),
  sd: (rs2: Reg, imm: number, rs1: Reg) => enc.s(0x23, 3, rs1, rs2, imm),
  sw: (rs2: Reg, imm: number, rs1: Reg) => enc.s(0x23, 2, rs1, rs2, imm),
  auipc: (rd: Reg, imm20: number) => enc.u(0x17, rd, imm20),
  csrrw: (rd: Reg, csr: number, rs1: Reg) => csrOp(1, rd, csr, rs1),
  csrrs: (rd: Reg, csr: number, rs1: Reg) => csrOp(2, rd, csr, rs1),
  mret: () => 0x30200073,
};

type Fixup = { at: number; label: string; make: (off: number) => number };

/** Emits into a flat little-endian image; `here` is a byte offset from the image base. */
export class Asm {
  private bytes = new Uint8Array(0x1000);
  private end = 0;
  here = 0;
  private readonly labels = new Map<string, number>();
  private readonly fixups: Fixup[] = [];

  /** Continue at byte offset `at` (forwards only: a guard against overlapping pieces). */
  org(at: number): this {
    if (at < this.here) throw new Error(`org 0x${at.toString(16)} is behind 0x${this.here.toString(16)}`);
    this.here = at;
    return this;
  }

  label(name: string): this {
    if (this.labels.has(name)) throw new Error(`label ${name} defined twice`);
    this.labels.set(name, this.here);
    return this;
  }

  /** Offset of a label (after it is defined). */
  at(name: string): number {
    const v = this.labels.get(name);
    if (v === undefined) throw new Error(`label ${name} is not defined`);
    return v;
  }

  word(w: number): this {
    this.put(this.here, 4, BigInt(w >>> 0));
    this.here += 4;
    return this;
  }

  dword(v: bigint): this {
    this.put(this.here, 8, BigInt.asUintN(64, v));
    this.here += 8;
    return this;
  }

  /** Instructions, in order. */
  emit(...words: number[]): this {
    for (const w of words) this.word(w);
    return this;
  }

  bne(rs1: Reg, rs2: Reg, target: string): this { return this.branch(1, rs1, rs2, target); }
  bltu(rs1: Reg, rs2: Reg, target: string): this { return this.branch(6, rs1, rs2, target); }
  j(target: string): this { return this.ref(target, (off) => enc.j(R.zero, off)); }

  /** The image: every label resolved. */
  link(): Uint8Array {
    for (const f of this.fixups) {
      const w = f.make(this.at(f.label) - f.at);
      this.put(f.at, 4, BigInt(w >>> 0));
    }
    return this.bytes.slice(0, this.end);
  }

  private branch(f3: number, rs1: Reg, rs2: Reg, target: string): this {
    return this.ref(target, (off) => enc.b(f3, rs1, rs2, off));
  }

  private ref(label: string, make: (off: number) => number): this {
    this.fixups.push({ at: this.here, label, make });
    return this.word(0);
  }

  private put(at: number, size: number, v: bigint): void {
    while (at + size > this.bytes.length) {
      const grown = new Uint8Array(this.bytes.length * 2);
      grown.set(this.bytes);
      this.bytes = grown;
    }
    for (let i = 0; i < size; i++) this.bytes[at + i] = Number((v >> BigInt(8 * i)) & 0xffn);
    this.end = Math.max(this.end, at + size);
  }
}
