/**
 * RV64GC disassembler that prints what GNU objdump (binutils 2.40, default options, so
 * aliases on) prints for the same word: ABI register names, CSR names, objdump's
 * pseudo-instructions (li, mv, ret, beqz, csrw, frflags, fence.tso, ...), a rounding mode
 * only when it is static, `.2byte`/`.4byte` for what it cannot decode.
 * Two deliberate differences: register-immediate instructions keep their spec names
 * (`addi sp,sp,-16`, `csrsi sstatus,2`, where objdump 2.40 prints `add sp,sp,-16` and
 * `csrs sstatus,2`), and there is no `# 0x...` address comment (it needs the instructions
 * before this one).
 *
 * Encodings: RISC-V unprivileged spec 20191213 (RV64I, M, A, F, D, C, Zicsr, Zifencei) and
 * privileged spec 1.12 (trap returns, wfi, sfence.vma, CSR addresses in tables 2.2-2.6).
 * A compressed instruction prints through its 32-bit expansion (expandRvc).
 * Checked against objdump by test-vectors/disasm/make-vectors.sh and disasm.test.ts.
 */
import { expandRvc } from './rvc.js';

export interface Disassembly {
  text: string;
  /** Instruction length in bytes. */
  length: 2 | 4;
}

/** ABI names of x0..x31. */
export const ABI_REGISTER_NAMES: readonly string[] = [
  'zero', 'ra', 'sp', 'gp', 'tp', 't0', 't1', 't2', 's0', 's1', 'a0', 'a1', 'a2', 'a3', 'a4', 'a5',
  'a6', 'a7', 's2', 's3', 's4', 's5', 's6', 's7', 's8', 's9', 's10', 's11', 't3', 't4', 't5', 't6',
];
const X = ABI_REGISTER_NAMES;
const F = [
  'ft0', 'ft1', 'ft2', 'ft3', 'ft4', 'ft5', 'ft6', 'ft7', 'fs0', 'fs1', 'fa0', 'fa1', 'fa2', 'fa3', 'fa4', 'fa5',
  'fa6', 'fa7', 'fs2', 'fs3', 'fs4', 'fs5', 'fs6', 'fs7', 'fs8', 'fs9', 'fs10', 'fs11', 'ft8', 'ft9', 'ft10', 'ft11',
];
/** Rounding-mode field (unprivileged spec table 11.1); 5 and 6 are reserved. */
const RM = ['rne', 'rtz', 'rdn', 'rup', 'rmm', 'unknown', 'unknown', 'dyn'];

/** CSR names by address: privileged spec 1.12 tables 2.2-2.6, plus the vector, AIA, Sstc,
 * Smstateen, Zkr and debug-spec CSRs, which objdump also names. */
const CSR_NAMES: ReadonlyMap<number, string> = (() => {
  const m = new Map<number, string>();
  const put = (base: number, names: string) => names.split(' ').forEach((n, i) => n !== '-' && m.set(base + i, n));
  const series = (base: number, prefix: string, from: number, to: number, suffix = '') => {
    for (let i = from; i <= to; i++) m.set(base + i - from, `${prefix}${i}${suffix}`);
  };
  // Unprivileged: floating point, vector, entropy source, counters.
  put(0x001, 'fflags frm fcsr');
  put(0x008, 'vstart vxsat vxrm - - - - vcsr');
  m.set(0x015, 'seed');
  put(0xc00, 'cycle time instret');
  series(0xc03, 'hpmcounter', 3, 31);
  put(0xc20, 'vl vtype vlenb');
  put(0xc80, 'cycleh timeh instreth');
  series(0xc83, 'hpmcounter', 3, 31, 'h');
  // Supervisor.
  put(0x100, 'sstatus - - - sie stvec scounteren - - - senvcfg - sstateen0 sstateen1 sstateen2 sstateen3');
  m.set(0x114, 'sieh');
  put(0x140, 'sscratch sepc scause stval sip');
  m.set(0x14d, 'stimecmp');
  put(0x150, 'siselect sireg');
  m.set(0x154, 'siph');
  put(0x15c, 'stopei stimecmph');
  m.set(0x180, 'satp');
  m.set(0x5a8, 'scontext');
  m.set(0xda0, 'scountovf');
  m.set(0xdb0, 'stopi');
  // Hypervisor and virtual supervisor.
  put(0x600, 'hstatus - hedeleg hideleg hie htimedelta hcounteren hgeie hvien hvictl henvcfg - hstateen0 hstateen1 hstateen2 hstateen3');
  put(0x613, 'hidelegh - htimedeltah - - hvienh - henvcfgh - hstateen0h hstateen1h hstateen2h hstateen3h');
  put(0x643, 'htval hip hvip hviprio1 hviprio2 - - htinst');
  put(0x655, 'hviph hviprio1h hviprio2h');
  m.set(0x680, 'hgatp');
  m.set(0x6a8, 'hcontext');
  m.set(0xe12, 'hgeip');
  m.set(0xeb0, 'vstopi');
  put(0x200, 'vsstatus - - - vsie vstvec');
  m.set(0x214, 'vsieh');
  put(0x240, 'vsscratch vsepc vscause vstval vsip');
  m.set(0x24d, 'vstimecmp');
  put(0x250, 'vsiselect vsireg');
  m.set(0x254, 'vsiph');
  put(0x25c, 'vstopei vstimecmph');
  m.set(0x280, 'vsatp');
  // Machine.
  put(0xf11, 'mvendorid marchid mimpid mhartid mconfigptr');
  m.set(0xfb0, 'mtopi');
  put(0x300, 'mstatus misa medeleg mideleg mie mtvec mcounteren - mvien mvip menvcfg - mstateen0 mstateen1 mstateen2 mstateen3');
  put(0x310, 'mstatush - - midelegh mieh - - - mvienh mviph menvcfgh - mstateen0h mstateen1h mstateen2h mstateen3h');
  m.set(0x320, 'mcountinhibit');
  series(0x323, 'mhpmevent', 3, 31);
  series(0x723, 'mhpmevent', 3, 31, 'h');
  put(0x340, 'mscratch mepc mcause mtval mip - - - - - mtinst mtval2');
  put(0x350, 'miselect mireg');
  m.set(0x354, 'miph');
  m.set(0x35c, 'mtopei');
  series(0x3a0, 'pmpcfg', 0, 15);
  series(0x3b0, 'pmpaddr', 0, 63);
  m.set(0x747, 'mseccfg');
  m.set(0x757, 'mseccfgh');
  m.set(0xb00, 'mcycle');
  m.set(0xb02, 'minstret');
  series(0xb03, 'mhpmcounter', 3, 31);
  m.set(0xb80, 'mcycleh');
  m.set(0xb82, 'minstreth');
  series(0xb83, 'mhpmcounter', 3, 31, 'h');
  // Debug and trigger modules (debug spec 0.13).
  put(0x7a0, 'tselect tdata1 tdata2 tdata3 tinfo tcontrol - - mcontext - mscontext');
  put(0x7b0, 'dcsr dpc dscratch0 dscratch1');
  return m;
})();

/** The name objdump gives a CSR address, or the address in hex. */
export function csrName(csr: number): string {
  return CSR_NAMES.get(csr) ?? `0x${csr.toString(16)}`;
}

const bits = (x: number, hi: number, lo: number) => (x >>> lo) & ((1 << (hi - lo + 1)) - 1);
const hex = (n: number) => `0x${(n >>> 0).toString(16)}`;
const MASK64 = (1n << 64n) - 1n;

function target(pc: bigint | undefined, offset: number): string {
  if (pc === undefined) return offset < 0 ? `pc-${-offset}` : `pc+${offset}`;
  return `0x${((pc + BigInt(offset)) & MASK64).toString(16)}`;
}

const op = (mnemonic: string, ...operands: string[]) =>
  operands.length === 0 ? mnemonic : `${mnemonic} ${operands.join(',')}`;

/** Disassemble one instruction. `insn` is the fetched word; only its low 16 bits matter
 * when it is compressed ((insn & 3) !== 3). Branch and jump targets are absolute when `pc`
 * is given, else `pc+N` / `pc-N`. Unknown encodings print as objdump's `.2byte`/`.4byte`. */
export function disassemble(insn: number, pc?: bigint): Disassembly {
  if ((insn & 3) !== 3) {
    const half = insn & 0xffff;
    const text = half === 0 ? 'unimp' : compressed(half, pc) ?? `.2byte ${hex(half)}`;
    return { text, length: 2 };
  }
  // Low bits 11111 start a 48-bit or longer instruction, which RV64GC does not have: objdump
  // prints those bytes as data too (`.2byte` for the reserved lengths).
  if ((insn & 0x1f) === 0x1f) return { text: `.2byte ${hex(insn & 0xffff)}`, length: 2 };
  return { text: decode32(insn >>> 0, pc) ?? `.4byte ${hex(insn)}`, length: 4 };
}

/** A 16-bit instruction prints as its 32-bit expansion, except the HINT encodings (rd = x0,
 * or a zero immediate or shift amount), which objdump names with their `c.` mnemonic or
 * prints without the alias the expansion would get (`addi a0,a0,0`, not `mv a0,a0`). */
function compressed(c: number, pc: bigint | undefined): string | undefined {
  const e = expandRvc(c) >>> 0;
  const quadrant = c & 3, f3 = c >>> 13, rd = bits(c, 11, 7), rs2 = bits(c, 6, 2);
  const imm6 = (bits(c, 12, 12) ? -32 : 0) | rs2;
  const shamt = (bits(c, 12, 12) << 5) | rs2;
  if (quadrant === 1) {
    if (f3 === 0 && rd === 0) return imm6 === 0 ? 'nop' : op('c.nop', `${imm6}`);
    if (f3 === 0 && imm6 === 0) return op('addi', X[rd], X[rd], '0');
    if (f3 === 2 && rd === 0) return op('c.li', 'zero', `${imm6}`);
    if (f3 === 3 && rd === 0 && e !== 0) return op('c.lui', 'zero', hex(e >>> 12));
    if (f3 === 3 && rd === 2 && e === 0) return op('addi', 'sp', 'sp', '0'); // C.ADDI16SP 0, reserved
    if (f3 === 4 && bits(c, 11, 11) === 0 && shamt === 0) {
      return op(bits(c, 10, 10) ? 'c.srai64' : 'c.srli64', X[bits(c, 9, 7) + 8]);
    }
  }
  if (quadrant === 2) {
    if (f3 === 0 && shamt === 0) return op('c.slli64', X[rd]);
    if (f3 === 0 && rd === 0) return op('c.slli', 'zero', hex(shamt));
    if (f3 === 4 && rs2 !== 0 && rd === 0) return op(bits(c, 12, 12) ? 'c.add' : 'c.mv', 'zero', X[rs2]);
    if (f3 === 4 && rs2 !== 0 && bits(c, 12, 12) === 0) return op('mv', X[rd], X[rs2]); // add rd,zero,rs2
  }
  return e === 0 ? undefined : decode32(e, pc);
}

function decode32(w: number, pc: bigint | undefined): string | undefined {
  const rd = bits(w, 11, 7), rs1 = bits(w, 19, 15), rs2 = bits(w, 24, 20);
  const f3 = bits(w, 14, 12), f7 = bits(w, 31, 25);
  const immI = w >> 20;
  const immS = ((w >> 25) << 5) | rd;
  switch (w & 0x7f) {
    case 0x03: { // LOAD
      const m = ['lb', 'lh', 'lw', 'ld', 'lbu', 'lhu', 'lwu'][f3];
      return m && op(m, X[rd], `${immI}(${X[rs1]})`);
    }
    case 0x07: { // LOAD-FP
      const m = f3 === 2 ? 'flw' : f3 === 3 ? 'fld' : undefined;
      return m && op(m, F[rd], `${immI}(${X[rs1]})`);
    }
    case 0x0f: return miscMem(w);
    case 0x13: return opImm(f3, rd, rs1, immI, w);
    case 0x17: return op('auipc', X[rd], hex(w >>> 12));
    case 0x1b: return opImm32(f3, rd, rs1, immI, f7, rs2);
    case 0x23: {
      const m = ['sb', 'sh', 'sw', 'sd'][f3];
      return m && op(m, X[rs2], `${immS}(${X[rs1]})`);
    }
    case 0x27: {
      const m = f3 === 2 ? 'fsw' : f3 === 3 ? 'fsd' : undefined;
      return m && op(m, F[rs2], `${immS}(${X[rs1]})`);
    }
    case 0x2f: return amo(w, f3, rd, rs1, rs2);
    case 0x33: return opReg(f7, f3, rd, rs1, rs2);
    case 0x37: return op('lui', X[rd], hex(w >>> 12));
    case 0x3b: return opReg32(f7, f3, rd, rs1, rs2);
    case 0x43: case 0x47: case 0x4b: case 0x4f: {
      const fmt = bits(w, 26, 25);
      if (fmt > 1) return undefined;
      const m = ['fmadd', 'fmsub', 'fnmsub', 'fnmadd'][((w & 0x7f) - 0x43) >> 2] + (fmt ? '.d' : '.s');
      return withRm(op(m, F[rd], F[rs1], F[rs2], F[bits(w, 31, 27)]), f3);
    }
    case 0x53: return opFp(f7, f3, rd, rs1, rs2);
    case 0x63: {
      const off = ((w >> 31) << 12) | (bits(w, 7, 7) << 11) | (bits(w, 30, 25) << 5) | (bits(w, 11, 8) << 1);
      return branch(f3, rs1, rs2, target(pc, off));
    }
    case 0x67: {
      if (f3 !== 0) return undefined;
      if (immI === 0 && rd === 0) return rs1 === 1 ? 'ret' : op('jr', X[rs1]);
      if (immI === 0) return rd === 1 ? op('jalr', X[rs1]) : op('jalr', X[rd], X[rs1]);
      if (rd === 0 || rd === 1) return op(rd ? 'jalr' : 'jr', `${immI}(${X[rs1]})`);
      return op('jalr', X[rd], `${immI}(${X[rs1]})`);
    }
    case 0x6f: {
      const off = ((w >> 31) << 20) | (bits(w, 19, 12) << 12) | (bits(w, 20, 20) << 11) | (bits(w, 30, 21) << 1);
      const t = target(pc, off);
      return rd === 0 ? op('j', t) : rd === 1 ? op('jal', t) : op('jal', X[rd], t);
    }
    case 0x73: return system(w, f3, rd, rs1, rs2, f7);
    default: return undefined;
  }
}

function withRm(text: string, rm: number): string {
  return rm === 7 ? text : `${text},${RM[rm]}`;
}

const FENCE_SET = (s: number) => (s === 0 ? 'unknown' : ['i', 'o', 'r', 'w'].filter((_, i) => s & (8 >> i)).join(''));

/** objdump accepts only the plain forms: fm, rd and rs1 zero (fence.tso, fence.i exact). */
function miscMem(w: number): string | undefined {
  if (w === 0x0000100f) return 'fence.i';
  if (w === 0x8330000f) return 'fence.tso';
  if ((w & 0xf00fffff) !== 0x0000000f) return undefined;
  const pred = bits(w, 27, 24), succ = bits(w, 23, 20);
  return pred === 15 && succ === 15 ? 'fence' : op('fence', FENCE_SET(pred), FENCE_SET(succ));
}

function opImm(f3: number, rd: number, rs1: number, imm: number, w: number): string | undefined {
  switch (f3) {
    case 0:
      if (rd === 0 && rs1 === 0 && imm === 0) return 'nop';
      if (rs1 === 0) return op('li', X[rd], `${imm}`);
      if (imm === 0) return op('mv', X[rd], X[rs1]);
      return op('addi', X[rd], X[rs1], `${imm}`);
    case 1:
      return bits(w, 31, 26) === 0 ? op('slli', X[rd], X[rs1], hex(bits(w, 25, 20))) : undefined;
    case 2: return op('slti', X[rd], X[rs1], `${imm}`);
    case 3: return imm === 1 ? op('seqz', X[rd], X[rs1]) : op('sltiu', X[rd], X[rs1], `${imm}`);
    case 4: return imm === -1 ? op('not', X[rd], X[rs1]) : op('xori', X[rd], X[rs1], `${imm}`);
    case 5: {
      const top = bits(w, 31, 26);
      if (top !== 0 && top !== 0x10) return undefined;
      return op(top ? 'srai' : 'srli', X[rd], X[rs1], hex(bits(w, 25, 20)));
    }
    case 6: return op('ori', X[rd], X[rs1], `${imm}`);
    default: return imm === 255 ? op('zext.b', X[rd], X[rs1]) : op('andi', X[rd], X[rs1], `${imm}`);
  }
}

function opImm32(f3: number, rd: number, rs1: number, imm: number, f7: number, shamt: number): string | undefined {
  if (f3 === 0) return imm === 0 ? op('sext.w', X[rd], X[rs1]) : op('addiw', X[rd], X[rs1], `${imm}`);
  if (f3 === 1 && f7 === 0) return op('slliw', X[rd], X[rs1], hex(shamt));
  if (f3 === 5 && (f7 === 0 || f7 === 0x20)) return op(f7 ? 'sraiw' : 'srliw', X[rd], X[rs1], hex(shamt));
  return undefined;
}

function opReg(f7: number, f3: number, rd: number, rs1: number, rs2: number): string | undefined {
  let m: string | undefined;
  if (f7 === 0) m = ['add', 'sll', 'slt', 'sltu', 'xor', 'srl', 'or', 'and'][f3];
  else if (f7 === 0x20) m = f3 === 0 ? 'sub' : f3 === 5 ? 'sra' : undefined;
  else if (f7 === 1) m = ['mul', 'mulh', 'mulhsu', 'mulhu', 'div', 'divu', 'rem', 'remu'][f3];
  if (!m) return undefined;
  if (m === 'sub' && rs1 === 0) return op('neg', X[rd], X[rs2]);
  if (m === 'sltu' && rs1 === 0) return op('snez', X[rd], X[rs2]);
  if (m === 'slt' && rs2 === 0) return op('sltz', X[rd], X[rs1]);
  if (m === 'slt' && rs1 === 0) return op('sgtz', X[rd], X[rs2]);
  return op(m, X[rd], X[rs1], X[rs2]);
}

function opReg32(f7: number, f3: number, rd: number, rs1: number, rs2: number): string | undefined {
  let m: string | undefined;
  if (f7 === 0) m = f3 === 0 ? 'addw' : f3 === 1 ? 'sllw' : f3 === 5 ? 'srlw' : undefined;
  else if (f7 === 0x20) m = f3 === 0 ? 'subw' : f3 === 5 ? 'sraw' : undefined;
  else if (f7 === 1) m = ['mulw', undefined, undefined, undefined, 'divw', 'divuw', 'remw', 'remuw'][f3];
  if (!m) return undefined;
  if (m === 'subw' && rs1 === 0) return op('negw', X[rd], X[rs2]);
  return op(m, X[rd], X[rs1], X[rs2]);
}

function branch(f3: number, rs1: number, rs2: number, t: string): string | undefined {
  const m = ['beq', 'bne', undefined, undefined, 'blt', 'bge', 'bltu', 'bgeu'][f3];
  if (!m) return undefined;
  if (rs1 === 0 && m === 'bge') return op('blez', X[rs2], t); // before bgez: bge zero,zero is blez
  if (rs2 === 0) {
    if (m === 'beq') return op('beqz', X[rs1], t);
    if (m === 'bne') return op('bnez', X[rs1], t);
    if (m === 'blt') return op('bltz', X[rs1], t);
    if (m === 'bge') return op('bgez', X[rs1], t);
  }
  if (rs1 === 0 && m === 'blt') return op('bgtz', X[rs2], t);
  return op(m, X[rs1], X[rs2], t);
}

const AMO_OPS: Record<number, string> = {
  0x00: 'amoadd', 0x01: 'amoswap', 0x02: 'lr', 0x03: 'sc', 0x04: 'amoxor', 0x08: 'amoor', 0x0c: 'amoand',
  0x10: 'amomin', 0x14: 'amomax', 0x18: 'amominu', 0x1c: 'amomaxu',
};

function amo(w: number, f3: number, rd: number, rs1: number, rs2: number): string | undefined {
  const name = AMO_OPS[bits(w, 31, 27)];
  if (!name || (f3 !== 2 && f3 !== 3)) return undefined;
  const order = ['', '.rl', '.aq', '.aqrl'][bits(w, 26, 25)];
  const m = `${name}.${f3 === 2 ? 'w' : 'd'}${order}`;
  if (name === 'lr') return rs2 === 0 ? op(m, X[rd], `(${X[rs1]})`) : undefined;
  return op(m, X[rd], X[rs2], `(${X[rs1]})`);
}

function opFp(f7: number, rm: number, rd: number, rs1: number, rs2: number): string | undefined {
  const fmt = f7 & 3;
  if (fmt > 1) return undefined;
  const s = fmt ? '.d' : '.s';
  switch (f7 >> 2) {
    case 0x00: case 0x01: case 0x02: case 0x03:
      return withRm(op(['fadd', 'fsub', 'fmul', 'fdiv'][f7 >> 2] + s, F[rd], F[rs1], F[rs2]), rm);
    case 0x0b: return rs2 === 0 ? withRm(op(`fsqrt${s}`, F[rd], F[rs1]), rm) : undefined;
    case 0x04:
      if (rm > 2) return undefined;
      if (rs1 === rs2) return op(['fmv', 'fneg', 'fabs'][rm] + s, F[rd], F[rs1]);
      return op(['fsgnj', 'fsgnjn', 'fsgnjx'][rm] + s, F[rd], F[rs1], F[rs2]);
    case 0x05:
      return rm < 2 ? op((rm ? 'fmax' : 'fmin') + s, F[rd], F[rs1], F[rs2]) : undefined;
    case 0x08: // fcvt.d.s is exact: objdump accepts only rm = 0 and does not print it
      if (rs2 !== (fmt ^ 1)) return undefined;
      if (fmt) return rm === 0 ? op('fcvt.d.s', F[rd], F[rs1]) : undefined;
      return withRm(op('fcvt.s.d', F[rd], F[rs1]), rm);
    case 0x14: {
      const m = ['fle', 'flt', 'feq'][rm];
      return m && op(m + s, X[rd], F[rs1], F[rs2]);
    }
    case 0x18: {
      const t = ['w', 'wu', 'l', 'lu'][rs2];
      return t && withRm(op(`fcvt.${t}${s}`, X[rd], F[rs1]), rm);
    }
    case 0x1a: {
      const t = ['w', 'wu', 'l', 'lu'][rs2];
      if (fmt && rs2 < 2) return rm === 0 ? op(`fcvt.d.${t}`, F[rd], X[rs1]) : undefined; // exact, as fcvt.d.s
      return t && withRm(op(`fcvt${s}.${t}`, F[rd], X[rs1]), rm);
    }
    case 0x1c:
      if (rs2 !== 0) return undefined;
      if (rm === 0) return op(fmt ? 'fmv.x.d' : 'fmv.x.w', X[rd], F[rs1]);
      if (rm === 1) return op(`fclass${s}`, X[rd], F[rs1]);
      return undefined;
    case 0x1e:
      return rs2 === 0 && rm === 0 ? op(fmt ? 'fmv.d.x' : 'fmv.w.x', F[rd], X[rs1]) : undefined;
    default: return undefined;
  }
}

function system(w: number, f3: number, rd: number, rs1: number, rs2: number, f7: number): string | undefined {
  if (f3 === 0) {
    switch (w) {
      case 0x00000073: return 'ecall';
      case 0x00100073: return 'ebreak';
      case 0x10200073: return 'sret';
      case 0x30200073: return 'mret';
      case 0x10500073: return 'wfi';
      // Retired or outside RV64GC, but objdump still names them: uret (N extension),
      // hret (privileged spec 1.9), dret (debug spec).
      case 0x00200073: return 'uret';
      case 0x20200073: return 'hret';
      case 0x7b200073: return 'dret';
    }
    if ((w & 0xfff07fff) === 0x10400073) return rs1 ? op('sfence.vm', X[rs1]) : 'sfence.vm'; // privileged 1.9
    if (f7 === 0x09 && rd === 0) {
      if (rs2 !== 0) return op('sfence.vma', X[rs1], X[rs2]);
      return rs1 !== 0 ? op('sfence.vma', X[rs1]) : 'sfence.vma';
    }
    return undefined;
  }
  if (f3 === 4) return undefined;
  if (w === 0xc0001073) return 'unimp'; // csrrw zero,cycle,zero
  const csr = w >>> 20;
  const kind = f3 & 3; // 1 csrrw, 2 csrrs, 3 csrrc
  const imm = f3 >= 5;
  const src = imm ? `${rs1}` : X[rs1];
  const read = kind === 2 && !imm && rs1 === 0; // csrrs rd,csr,zero
  if (csr >= 0x001 && csr <= 0x003) { // fflags, frm, fcsr
    const fp = ['', 'flags', 'rm', 'csr'][csr];
    if (read) return op(`fr${fp}`, X[rd]);
    if (kind === 1 && !imm) return rd === 0 ? op(`fs${fp}`, src) : op(`fs${fp}`, X[rd], src);
    if (kind === 1 && csr !== 3) return op(`fs${fp}i`, X[rd], src);
  }
  if (read && csr >= 0xc00 && csr <= 0xc02) return op(['rdcycle', 'rdtime', 'rdinstret'][csr - 0xc00], X[rd]);
  const name = csrName(csr);
  if (read) return op('csrr', X[rd], name);
  const i = imm ? 'i' : '';
  if (rd === 0) return op(['', 'csrw', 'csrs', 'csrc'][kind] + i, name, src);
  return op(['', 'csrrw', 'csrrs', 'csrrc'][kind] + i, X[rd], name, src);
}
