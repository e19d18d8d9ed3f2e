/**
 * RVC (the C extension, RV64) expanded to the equivalent 32-bit instruction.
 *
 * `expandRvc(half)` gives, for a 16-bit pattern, the 32-bit encoding that
 * does the same work, or 0 if the pattern is illegal or reserved. The hart
 * executes the expansion with an instruction length of 2, so link registers
 * and pc increments come out right. Each pattern is expanded once, when it is
 * first met, and remembered: executing a compressed instruction is then one
 * lookup. (A table of all 65,536 built at load cost every new thread 13-35 ms
 * before its first instruction; a guest meets a few thousand patterns.)
 */

const rType = (f7: number, rs2: number, rs1: number, f3: number, rd: number, op: number) =>
  ((f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op) | 0;
const iType = (imm: number, rs1: number, f3: number, rd: number, op: number) =>
  (((imm & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op) | 0;
const sType = (imm: number, rs2: number, rs1: number, f3: number, op: number) =>
  ((((imm >> 5) & 0x7f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | ((imm & 0x1f) << 7) | op) | 0;
const bType = (imm: number, rs2: number, rs1: number, f3: number) =>
  ((((imm >> 12) & 1) << 31) | (((imm >> 5) & 0x3f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) |
    (((imm >> 1) & 0xf) << 8) | (((imm >> 11) & 1) << 7) | 0x63) | 0;
const jType = (imm: number, rd: number) =>
  ((((imm >> 20) & 1) << 31) | (((imm >> 1) & 0x3ff) << 21) | (((imm >> 11) & 1) << 20) |
    (((imm >> 12) & 0xff) << 12) | (rd << 7) | 0x6f) | 0;

const bit = (x: number, i: number) => (x >> i) & 1;
const bits = (x: number, hi: number, lo: number) => (x >> lo) & ((1 << (hi - lo + 1)) - 1);
const sext = (x: number, width: number) => (x << (32 - width)) >> (32 - width);

const OP_LOAD = 0x03, OP_LOAD_FP = 0x07, OP_IMM = 0x13, OP_IMM32 = 0x1b, OP_STORE = 0x23, OP_STORE_FP = 0x27;
const OP = 0x33, OP_LUI = 0x37, OP_32 = 0x3b, OP_JALR = 0x67;

/** Expand one 16-bit instruction; returns 0 when it is illegal or reserved. */
export function expandCompressed(c: number): number {
  const op = c & 3;
  const f3 = bits(c, 15, 13);
  const rdp = bits(c, 4, 2) + 8; // rd' / rs2'
  const rs1p = bits(c, 9, 7) + 8;
  const rd = bits(c, 11, 7);
  const rs2 = bits(c, 6, 2);
  const imm6 = sext((bit(c, 12) << 5) | bits(c, 6, 2), 6);
  if (op === 0) {
    switch (f3) {
      case 0: { // C.ADDI4SPN
        const nz = (bits(c, 12, 11) << 4) | (bits(c, 10, 7) << 6) | (bit(c, 6) << 2) | (bit(c, 5) << 3);
        return nz === 0 ? 0 : iType(nz, 2, 0, rdp, OP_IMM);
      }
      case 1: return iType((bits(c, 12, 10) << 3) | (bits(c, 6, 5) << 6), rs1p, 3, rdp, OP_LOAD_FP); // C.FLD
      case 2: return iType((bits(c, 12, 10) << 3) | (bit(c, 6) << 2) | (bit(c, 5) << 6), rs1p, 2, rdp, OP_LOAD); // C.LW
      case 3: return iType((bits(c, 12, 10) << 3) | (bits(c, 6, 5) << 6), rs1p, 3, rdp, OP_LOAD); // C.LD
      case 5: return sType((bits(c, 12, 10) << 3) | (bits(c, 6, 5) << 6), rdp, rs1p, 3, OP_STORE_FP); // C.FSD
      case 6: return sType((bits(c, 12, 10) << 3) | (bit(c, 6) << 2) | (bit(c, 5) << 6), rdp, rs1p, 2, OP_STORE); // C.SW
      case 7: return sType((bits(c, 12, 10) << 3) | (bits(c, 6, 5) << 6), rdp, rs1p, 3, OP_STORE); // C.SD
      default: return 0;
    }
  }
  if (op === 1) {
    switch (f3) {
      case 0: return iType(imm6, rd, 0, rd, OP_IMM); // C.ADDI / C.NOP
      case 1: return rd === 0 ? 0 : iType(imm6, rd, 0, rd, OP_IMM32); // C.ADDIW
      case 2: return iType(imm6, 0, 0, rd, OP_IMM); // C.LI
      case 3: {
        if (rd === 2) { // C.ADDI16SP
          const nz = sext((bit(c, 12) << 9) | (bit(c, 6) << 4) | (bit(c, 5) << 6) | (bits(c, 4, 3) << 7) | (bit(c, 2) << 5), 10);
          return nz === 0 ? 0 : iType(nz, 2, 0, 2, OP_IMM);
        }
        const nz = sext((bit(c, 12) << 17) | (bits(c, 6, 2) << 12), 18); // C.LUI
        return nz === 0 ? 0 : ((nz & 0xfffff000) | (rd << 7) | OP_LUI) | 0;
      }
      case 4: {
        const f2 = bits(c, 11, 10);
        const shamt = (bit(c, 12) << 5) | bits(c, 6, 2);
        if (f2 === 0) return iType(shamt, rs1p, 5, rs1p, OP_IMM); // C.SRLI
        if (f2 === 1) return iType(shamt | 0x400, rs1p, 5, rs1p, OP_IMM); // C.SRAI
        if (f2 === 2) return iType(imm6, rs1p, 7, rs1p, OP_IMM); // C.ANDI
        const f = bits(c, 6, 5);
        if (bit(c, 12) === 0) {
          if (f === 0) return rType(0x20, rdp, rs1p, 0, rs1p, OP); // C.SUB
          if (f === 1) return rType(0, rdp, rs1p, 4, rs1p, OP); // C.XOR
          if (f === 2) return rType(0, rdp, rs1p, 6, rs1p, OP); // C.OR
          return rType(0, rdp, rs1p, 7, rs1p, OP); // C.AND
        }
        if (f === 0) return rType(0x20, rdp, rs1p, 0, rs1p, OP_32); // C.SUBW
        if (f === 1) return rType(0, rdp, rs1p, 0, rs1p, OP_32); // C.ADDW
        return 0;
      }
      case 5: { // C.J
        const off = sext((bit(c, 12) << 11) | (bit(c, 11) << 4) | (bits(c, 10, 9) << 8) | (bit(c, 8) << 10) |
          (bit(c, 7) << 6) | (bit(c, 6) << 7) | (bits(c, 5, 3) << 1) | (bit(c, 2) << 5), 12);
        return jType(off, 0);
      }
      default: { // 6: C.BEQZ, 7: C.BNEZ
        const off = sext((bit(c, 12) << 8) | (bits(c, 11, 10) << 3) | (bits(c, 6, 5) << 6) | (bits(c, 4, 3) << 1) | (bit(c, 2) << 5), 9);
        return bType(off, 0, rs1p, f3 === 6 ? 0 : 1);
      }
    }
  }
  if (op === 2) {
    switch (f3) {
      case 0: return iType((bit(c, 12) << 5) | bits(c, 6, 2), rd, 1, rd, OP_IMM); // C.SLLI
      case 1: return iType((bit(c, 12) << 5) | (bits(c, 6, 5) << 3) | (bits(c, 4, 2) << 6), 2, 3, rd, OP_LOAD_FP); // C.FLDSP
      case 2: return rd === 0 ? 0 : iType((bit(c, 12) << 5) | (bits(c, 6, 4) << 2) | (bits(c, 3, 2) << 6), 2, 2, rd, OP_LOAD); // C.LWSP
      case 3: return rd === 0 ? 0 : iType((bit(c, 12) << 5) | (bits(c, 6, 5) << 3) | (bits(c, 4, 2) << 6), 2, 3, rd, OP_LOAD); // C.LDSP
      case 4:
        if (bit(c, 12) === 0) {
          if (rs2 === 0) return rd === 0 ? 0 : iType(0, rd, 0, 0, OP_JALR); // C.JR
          return rType(0, rs2, 0, 0, rd, OP); // C.MV
        }
        if (rs2 === 0) return rd === 0 ? 0x00100073 : iType(0, rd, 0, 1, OP_JALR); // C.EBREAK / C.JALR
        return rType(0, rs2, rd, 0, rd, OP); // C.ADD
      case 5: return sType((bits(c, 12, 10) << 3) | (bits(c, 9, 7) << 6), rs2, 2, 3, OP_STORE_FP); // C.FSDSP
      case 6: return sType((bits(c, 12, 9) << 2) | (bits(c, 8, 7) << 6), rs2, 2, 2, OP_STORE); // C.SWSP
      default: return sType((bits(c, 12, 10) << 3) | (bits(c, 9, 7) << 6), rs2, 2, 3, OP_STORE); // C.SDSP
    }
  }
  return 0;
}

/**
 * Expansions met so far, each stored XOR 1: 0 means not expanded yet, 1 an illegal pattern.
 * No expansion is 1 (a 32-bit encoding ends in binary 11), so every stored entry is non-zero.
 */
const memo = new Int32Array(65536);

/** The 32-bit expansion of compressed pattern `half` (0..0xffff, low bits not 11), 0 if illegal. Hot: the interpreter and the translator call it per compressed instruction. */
export function expandRvc(half: number): number {
  const m = memo[half];
  return m !== 0 ? m ^ 1 : expandOnce(half);
}

function expandOnce(half: number): number {
  const e = (half & 3) !== 3 ? expandCompressed(half) : 0;
  memo[half] = e ^ 1;
  return e;
}

