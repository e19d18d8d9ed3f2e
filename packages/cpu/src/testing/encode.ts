/** Tiny instruction encoders for tests (RISC-V unprivileged spec, chapter 2 formats). */
export const R = (f7: number, rs2: number, rs1: number, f3: number, rd: number, op: number) =>
  ((f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op) >>> 0;
export const I = (imm: number, rs1: number, f3: number, rd: number, op: number) =>
  (((imm & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op) >>> 0;
export const S = (imm: number, rs2: number, rs1: number, f3: number, op: number) =>
  ((((imm >> 5) & 0x7f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | ((imm & 0x1f) << 7) | op) >>> 0;
export const B = (imm: number, rs2: number, rs1: number, f3: number) =>
  ((((imm >> 12) & 1) << 31) | (((imm >> 5) & 0x3f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) |
    (((imm >> 1) & 0xf) << 8) | (((imm >> 11) & 1) << 7) | 0x63) >>> 0;
export const csrrw = (rd: number, csr: number, rs1: number) => I(csr, rs1, 1, rd, 0x73);
export const csrrs = (rd: number, csr: number, rs1: number) => I(csr, rs1, 2, rd, 0x73);
export const ld = (rd: number, rs1: number, imm: number) => I(imm, rs1, 3, rd, 0x03);
export const sd = (rs2: number, rs1: number, imm: number) => S(imm, rs2, rs1, 3, 0x23);
export const addi = (rd: number, rs1: number, imm: number) => I(imm, rs1, 0, rd, 0x13);
export const jalr = (rd: number, rs1: number, imm: number) => I(imm, rs1, 0, rd, 0x67);
export const NOP = 0x13;
