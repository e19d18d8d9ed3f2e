/**
 * The instructions this hart implements, as (match, mask, name): a 32-bit word is the
 * instruction `name` when `(word & mask) === match`. Compressed instructions are not listed:
 * they expand to entries of this table (rvc.ts) before anything decodes them.
 *
 * The interpreter (hart.ts), the translator (jit/wasm-compiler.ts) and the disassembler
 * (disasm.ts) each decode on their own, for speed or for objdump's spelling; the table is what
 * instruction-table.test.ts holds all three to, in both directions (every entry is recognised,
 * every other word is refused).
 *
 * Encodings: RISC-V unprivileged spec 20191213 (RV64I, M, A, F, D, Zicsr, Zifencei), privileged
 * spec 1.12 (xRET, WFI, SFENCE.VMA). Field positions: opcode 6:0, rd 11:7, funct3 14:12,
 * rs1 19:15, rs2 24:20, funct7 31:25; the bits outside `mask` are operands.
 */

export interface InstructionEntry {
  readonly name: string;
  readonly match: number;
  readonly mask: number;
  /**
   * Operand fields with fewer legal values than their bits allow: 'rm', a rounding mode in
   * funct3 (5 and 6 are reserved; 7 takes frm); 'csr', a CSR address in bits 31:20 (one that
   * does not exist, or a read-only one written, is an illegal instruction).
   */
  readonly constrained?: 'rm' | 'csr';
  /**
   * Operand bits the hart takes any value in, but a disassembler prints the word as data unless
   * they are zero, as GNU objdump 2.40 does: FENCE's and FENCE.I's reserved fields (the spec tells
   * implementations to ignore them), and the rounding mode of exact conversions.
   */
  readonly disasmZero?: number;
  /** Left to the interpreter by the translator, which ends the block before it (WFI may stop the hart). */
  readonly interpretedOnly?: true;
}

// Masks of the encoding formats: what is fixed besides the operand fields.
const OPCODE = 0x7f;
const F3 = 0x707f; // opcode, funct3
const F7 = 0xfe00707f; // opcode, funct3, funct7
const SHIFT64 = 0xfc00707f; // opcode, funct3, funct6 (RV64 shift amounts have 6 bits)
const AMO = 0xf800707f; // opcode, funct3, funct5 (aq, rl are operands)
const LR = 0xf9f0707f; // AMO with rs2 = 0
const FP_RM = 0xfe00007f; // opcode, funct7 (funct3 is the rounding mode)
const FP_RM_RS2 = 0xfff0007f; // ... and rs2 fixed
const FP_F3_RS2 = 0xfff0707f; // opcode, funct7, funct3, rs2
const FMA = 0x0600007f; // opcode, fmt (rs3, rs2, rs1, rm, rd are operands)
const EXACT = 0xffffffff;

const e = (name: string, match: number, mask: number, more: Partial<InstructionEntry> = {}): InstructionEntry =>
  ({ name, match: match >>> 0, mask: mask >>> 0, ...more });

const RV64I: InstructionEntry[] = [
  e('lui', 0x37, OPCODE), e('auipc', 0x17, OPCODE), e('jal', 0x6f, OPCODE), e('jalr', 0x67, F3),
  e('beq', 0x0063, F3), e('bne', 0x1063, F3), e('blt', 0x4063, F3), e('bge', 0x5063, F3), e('bltu', 0x6063, F3), e('bgeu', 0x7063, F3),
  e('lb', 0x0003, F3), e('lh', 0x1003, F3), e('lw', 0x2003, F3), e('ld', 0x3003, F3), e('lbu', 0x4003, F3), e('lhu', 0x5003, F3), e('lwu', 0x6003, F3),
  e('sb', 0x0023, F3), e('sh', 0x1023, F3), e('sw', 0x2023, F3), e('sd', 0x3023, F3),
  e('addi', 0x0013, F3), e('slti', 0x2013, F3), e('sltiu', 0x3013, F3), e('xori', 0x4013, F3), e('ori', 0x6013, F3), e('andi', 0x7013, F3),
  e('slli', 0x1013, SHIFT64), e('srli', 0x5013, SHIFT64), e('srai', 0x40005013, SHIFT64),
  e('add', 0x0033, F7), e('sub', 0x40000033, F7), e('sll', 0x1033, F7), e('slt', 0x2033, F7), e('sltu', 0x3033, F7),
  e('xor', 0x4033, F7), e('srl', 0x5033, F7), e('sra', 0x40005033, F7), e('or', 0x6033, F7), e('and', 0x7033, F7),
  e('addiw', 0x001b, F3), e('slliw', 0x101b, F7), e('srliw', 0x501b, F7), e('sraiw', 0x4000501b, F7),
  e('addw', 0x003b, F7), e('subw', 0x4000003b, F7), e('sllw', 0x103b, F7), e('srlw', 0x503b, F7), e('sraw', 0x4000503b, F7),
  e('fence', 0x000f, F3, { disasmZero: 0xf00f8f80 }), e('ecall', 0x00000073, EXACT), e('ebreak', 0x00100073, EXACT),
];

const ZIFENCEI = [e('fence.i', 0x100f, F3, { disasmZero: 0xffff8f80 })];

const ZICSR = ['csrrw', 'csrrs', 'csrrc', '', 'csrrwi', 'csrrsi', 'csrrci']
  .flatMap((name, i) => (name === '' ? [] : [e(name, 0x1073 + (i << 12), F3, { constrained: 'csr' })]));

const M = [
  ...['mul', 'mulh', 'mulhsu', 'mulhu', 'div', 'divu', 'rem', 'remu'].map((name, f3) => e(name, 0x02000033 | (f3 << 12), F7)),
  ...['mulw', '', '', '', 'divw', 'divuw', 'remw', 'remuw'].flatMap((name, f3) => (name === '' ? [] : [e(name, 0x0200003b | (f3 << 12), F7)])),
];

/** funct5 of each AMO (unprivileged spec table 24.2). */
const AMO_OPS: [string, number][] = [
  ['lr', 0x02], ['sc', 0x03], ['amoswap', 0x01], ['amoadd', 0x00], ['amoxor', 0x04], ['amoand', 0x0c],
  ['amoor', 0x08], ['amomin', 0x10], ['amomax', 0x14], ['amominu', 0x18], ['amomaxu', 0x1c],
];
const A = (['w', 'd'] as const).flatMap((width, i) =>
  AMO_OPS.map(([op, f5]) => e(`${op}.${width}`, (f5 << 27) | ((2 + i) << 12) | 0x2f, op === 'lr' ? LR : AMO)));

/** F (fmt 0, suffix s) and D (fmt 1, suffix d): the same encodings but for the format field. */
function floating(s: 's' | 'd', fmt: number): InstructionEntry[] {
  const op = (funct5: number, more = 0) => (funct5 << 27) | (fmt << 25) | more | 0x53;
  const rm = { constrained: 'rm' as const };
  const exact = { constrained: 'rm' as const, disasmZero: 0x7000 }; // a conversion every result of which is exact
  const x = s === 's' ? 'w' : 'd'; // fmv.x.w / fmv.x.d
  return [
    e(`fl${x}`, 0x07 | ((2 + fmt) << 12), F3), e(`fs${x}`, 0x27 | ((2 + fmt) << 12), F3),
    ...['fmadd', 'fmsub', 'fnmsub', 'fnmadd'].map((name, i) => e(`${name}.${s}`, 0x43 | (i << 2) | (fmt << 25), FMA, rm)),
    e(`fadd.${s}`, op(0x00), FP_RM, rm), e(`fsub.${s}`, op(0x01), FP_RM, rm),
    e(`fmul.${s}`, op(0x02), FP_RM, rm), e(`fdiv.${s}`, op(0x03), FP_RM, rm),
    e(`fsqrt.${s}`, op(0x0b), FP_RM_RS2, rm),
    e(`fsgnj.${s}`, op(0x04, 0 << 12), F7), e(`fsgnjn.${s}`, op(0x04, 1 << 12), F7), e(`fsgnjx.${s}`, op(0x04, 2 << 12), F7),
    e(`fmin.${s}`, op(0x05, 0 << 12), F7), e(`fmax.${s}`, op(0x05, 1 << 12), F7),
    e(s === 's' ? 'fcvt.s.d' : 'fcvt.d.s', op(0x08, (s === 's' ? 1 : 0) << 20), FP_RM_RS2, s === 's' ? rm : exact),
    e(`feq.${s}`, op(0x14, 2 << 12), F7), e(`flt.${s}`, op(0x14, 1 << 12), F7), e(`fle.${s}`, op(0x14, 0 << 12), F7),
    e(`fclass.${s}`, op(0x1c, 1 << 12), FP_F3_RS2),
    ...['w', 'wu', 'l', 'lu'].flatMap((int, i) => [
      e(`fcvt.${int}.${s}`, op(0x18, i << 20), FP_RM_RS2, rm),
      e(`fcvt.${s}.${int}`, op(0x1a, i << 20), FP_RM_RS2, s === 'd' && i < 2 ? exact : rm),
    ]),
    e(`fmv.x.${x}`, op(0x1c), FP_F3_RS2), e(`fmv.${x}.x`, op(0x1e), FP_F3_RS2),
  ];
}

const PRIVILEGED = [
  e('sret', 0x10200073, EXACT), e('mret', 0x30200073, EXACT),
  e('wfi', 0x10500073, EXACT, { interpretedOnly: true }),
  e('sfence.vma', 0x12000073, 0xfe007fff),
];

/** Every instruction of RV64IMAFD, Zicsr, Zifencei and the privileged ones this hart implements. */
export const INSTRUCTIONS: readonly InstructionEntry[] = [
  ...RV64I, ...ZIFENCEI, ...ZICSR, ...M, ...A, ...floating('s', 0), ...floating('d', 1), ...PRIVILEGED,
];

/** The entry `word` (a 32-bit encoding) is, or undefined. */
export function lookupInstruction(word: number): InstructionEntry | undefined {
  for (const t of INSTRUCTIONS) if (((word & t.mask) >>> 0) === t.match) return t;
  return undefined;
}
