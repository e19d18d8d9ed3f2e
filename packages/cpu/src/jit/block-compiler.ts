/**
 * Translates one basic block of guest code into a JavaScript function (the
 * 'fast' engine; see block-cache.ts and Hart.execFast).
 *
 * A block starts at a virtual pc whose page is in the exec TLB, lies inside
 * that one page, and ends after a jump, before an instruction the
 * translator leaves to the interpreter (SYSTEM, illegal encodings), before the last 2 bytes of the page (the interpreter fetches
 * those through its slow path), or after MAX_BLOCK_INSNS instructions.
 * Register numbers, immediates and pc values are constants in the generated
 * source; the code does exactly what the interpreter's `execBlock` does for
 * the same instructions, through the same software TLB and the same slow
 * paths, so the two engines are step-for-step identical.
 *
 * Conditional branches are side exits (the block goes on along the
 * fall-through path); a branch back to the block's own start loops inside the
 * function while a whole further pass fits before `limit`.
 *
 * Invariants of a block function `fn(ic, limit)` (ic = icount at entry):
 * - it runs only when ic + n <= limit (the dispatcher checks), n being the
 *   most steps one pass can take;
 * - on a normal exit it sets pcLo/pcHi and icount = ic + n;
 * - before a slow path (a call that may trap, touch MMIO or raise `attn`) it
 *   sets pc to the instruction and icount to its position; after one, if
 *   `attn` is set, it leaves with pc and icount just past that instruction;
 * - a fast-path store to a page holding translated code leaves the same way
 *   (the hart's codeWritten has dropped that page's blocks and set `attn`).
 */
import { RVC_EXPANSION } from '../rvc.js';
import { TLB_MASK } from '../tlb.js';

/** Longest block, in instructions. */
export const MAX_BLOCK_INSNS = 64;

/** Runs the block from step position `ic`; `limit` bounds the extra iterations of a block that loops to itself. */
export type BlockFn = (ic: number, limit: number) => void;

/** What a block's generated code can reach: the hart and its arrays, bound once per block. */
export interface BlockContext {
  readonly h: unknown;
  readonly x: Int32Array;
  readonly u8: Uint8Array;
  readonly u16: Uint16Array;
  readonly i32: Int32Array;
  readonly dirty: Uint8Array;
  readonly code: Uint8Array;
}

const CONTEXT_NAMES = ['h', 'x', 'u8', 'u16', 'i32', 'dirty', 'code'] as const;

export interface CompiledBlock {
  /** Number of instructions (steps) the block executes when it runs to its end; 0: nothing translatable here. */
  n: number;
  /** Bytes of guest code covered, from the start offset. */
  bytes: number;
  fn: BlockFn | null;
  /** The generated source (for tests and debugging). */
  source: string;
}

const TWO32 = 4294967296;

/** The 64-bit virtual address (lo, hi) plus a byte delta, as int32 halves. */
function addPc(lo: number, hi: number, delta: number): [number, number] {
  const t = (lo >>> 0) + delta;
  return [t | 0, (hi + (t < 0 ? -1 : t >= TWO32 ? 1 : 0)) | 0];
}

/** Source text for one register read (x0 reads as the constant 0). */
const lo = (r: number): string => (r === 0 ? '0' : `x[${2 * r}]`);
const hi = (r: number): string => (r === 0 ? '0' : `x[${2 * r + 1}]`);

/** Write a 64-bit result (expressions evaluated before either half is stored). */
function setReg(rd: number, l: string, h: string): string {
  if (rd === 0) return '';
  return `{ const l_ = ${l}, h_ = ${h}; x[${2 * rd}] = l_; x[${2 * rd + 1}] = h_; }`;
}

/** Sign-extended 32-bit result. */
function setReg32(rd: number, l: string): string {
  if (rd === 0) return '';
  return `{ const l_ = ${l}; x[${2 * rd}] = l_; x[${2 * rd + 1}] = l_ >> 31; }`;
}

/** 64-bit shifts by a constant amount; `a`/`b` name the lo/hi halves (already in locals). */
function shlConst(sh: number): [string, string] {
  if (sh === 0) return ['al', 'ah'];
  if (sh < 32) return [`al << ${sh}`, `(ah << ${sh}) | (al >>> ${32 - sh})`];
  return ['0', `al << ${sh - 32}`];
}
function srlConst(sh: number): [string, string] {
  if (sh === 0) return ['al', 'ah'];
  if (sh < 32) return [`(al >>> ${sh}) | (ah << ${32 - sh})`, `(ah >>> ${sh}) | 0`];
  return [`(ah >>> ${sh - 32}) | 0`, '0'];
}
function sraConst(sh: number): [string, string] {
  if (sh === 0) return ['al', 'ah'];
  if (sh < 32) return [`(al >>> ${sh}) | (ah << ${32 - sh})`, `ah >> ${sh}`];
  return [`ah >> ${sh - 32}`, 'ah >> 31'];
}

/** Unsigned/signed 64-bit less-than on (al, ah) and (bl, bh) locals. */
const ltS = '(ah < bh || (ah === bh && (al >>> 0) < (bl >>> 0)))';
const ltU = '((ah >>> 0) < (bh >>> 0) || (ah === bh && (al >>> 0) < (bl >>> 0)))';

/**
 * Translate the block at RAM byte offset `off`, virtual pc (plo, phi).
 * `u16` is RAM as halfwords. The source is linked to the hart's arrays by linkBlock.
 */
export function compileBlock(u16: Uint16Array, off: number, plo: number, phi: number): CompiledBlock {
  const pageEnd = (off | 0xfff) + 1;
  const out: string[] = [];
  let n = 0;
  let at = off;
  let [clo, chi] = [plo, phi];
  let ended = false; // a jump wrote the exit
  let loops = false; // a branch goes back to the start
  /** Leave the block with pc = (l, h) after `steps` instructions. */
  const exit = (l: number, h: number, steps: number) => `return h.leave(${l}, ${h}, ic + ${steps});`;
  /** Arguments naming the instruction for a slow path: its pc and position. */
  const here = () => `${clo}, ${chi}, ic + ${n}`;

  while (n < MAX_BLOCK_INSNS && at + 2 < pageEnd) { // the last 2 bytes of a page are left to the interpreter
    let insn = u16[at >>> 1] | (u16[(at >>> 1) + 1] << 16);
    let ilen = 4;
    if ((insn & 3) !== 3) {
      insn = RVC_EXPANSION[insn & 0xffff];
      ilen = 2;
      if (insn === 0) break;
    }
    const [nlo, nhi] = addPc(clo, chi, ilen);
    const afterSlow = exit(nlo, nhi, n + 1);
    const rd = (insn >> 7) & 31;
    const rs1 = (insn >> 15) & 31;
    const rs2 = (insn >> 20) & 31;
    const f3 = (insn >> 12) & 7;
    const f7 = insn >>> 25;
    let code: string | null = null; // null: leave this instruction to the interpreter
    switch (insn & 0x7f) {
      case 0x13: { // OP-IMM
        const imm = insn >> 20;
        const ld = `const al = ${lo(rs1)}, ah = ${hi(rs1)};`;
        switch (f3) {
          case 0:
            if (rs1 === 0) code = setReg(rd, `${imm}`, `${imm >> 31}`);
            else if (imm === 0) code = setReg(rd, lo(rs1), hi(rs1));
            else code = rd === 0 ? '' : `{ ${ld} const s = (al >>> 0) + ${imm}; ${setReg(rd, 's | 0', imm > 0 ? '(ah + (s >= 4294967296 ? 1 : 0)) | 0' : '(ah - (s < 0 ? 1 : 0)) | 0')} }`;
            break;
          case 1:
            if ((insn >>> 26) === 0) { const [l, h] = shlConst((insn >> 20) & 63); code = `{ ${ld} ${setReg(rd, l, h)} }`; }
            break;
          case 2: code = `{ ${ld} const bl = ${imm}, bh = ${imm >> 31}; ${setReg(rd, `${ltS} ? 1 : 0`, '0')} }`; break;
          case 3: code = `{ ${ld} const bl = ${imm}, bh = ${imm >> 31}; ${setReg(rd, `${ltU} ? 1 : 0`, '0')} }`; break;
          case 4: code = setReg(rd, `${lo(rs1)} ^ ${imm}`, `${hi(rs1)} ^ ${imm >> 31}`); break;
          case 5: {
            const f6 = insn >>> 26, sh = (insn >> 20) & 63;
            if (f6 === 0) { const [l, h] = srlConst(sh); code = `{ ${ld} ${setReg(rd, l, h)} }`; }
            else if (f6 === 0x10) { const [l, h] = sraConst(sh); code = `{ ${ld} ${setReg(rd, l, h)} }`; }
            break;
          }
          case 6: code = setReg(rd, `${lo(rs1)} | ${imm}`, `${hi(rs1)} | ${imm >> 31}`); break;
          default: code = setReg(rd, `${lo(rs1)} & ${imm}`, `${hi(rs1)} & ${imm >> 31}`); break;
        }
        break;
      }
      case 0x33: { // OP
        const ld = `const al = ${lo(rs1)}, ah = ${hi(rs1)}, bl = ${lo(rs2)}, bh = ${hi(rs2)};`;
        let r: [string, string] | null = null;
        let pre = '';
        if (f7 === 0) {
          switch (f3) {
            case 0: pre = 'const s = (al >>> 0) + (bl >>> 0);'; r = ['s | 0', '(ah + bh + (s >= 4294967296 ? 1 : 0)) | 0']; break;
            case 1: pre = 'const sh = bl & 63; let l, hh; if (sh === 0) { l = al; hh = ah; } else if (sh < 32) { hh = (ah << sh) | (al >>> (32 - sh)); l = al << sh; } else { hh = al << (sh - 32); l = 0; }'; r = ['l', 'hh']; break;
            case 2: r = [`${ltS} ? 1 : 0`, '0']; break;
            case 3: r = [`${ltU} ? 1 : 0`, '0']; break;
            case 4: r = ['al ^ bl', 'ah ^ bh']; break;
            case 5: pre = 'const sh = bl & 63; let l, hh; if (sh === 0) { l = al; hh = ah; } else if (sh < 32) { l = (al >>> sh) | (ah << (32 - sh)); hh = ah >>> sh; } else { l = ah >>> (sh - 32); hh = 0; }'; r = ['l | 0', 'hh | 0']; break;
            case 6: r = ['al | bl', 'ah | bh']; break;
            default: r = ['al & bl', 'ah & bh']; break;
          }
        } else if (f7 === 0x20) {
          if (f3 === 0) { pre = 'const s = (al >>> 0) - (bl >>> 0);'; r = ['s | 0', '(ah - bh - (s < 0 ? 1 : 0)) | 0']; }
          else if (f3 === 5) { pre = 'const sh = bl & 63; let l, hh; if (sh === 0) { l = al; hh = ah; } else if (sh < 32) { l = (al >>> sh) | (ah << (32 - sh)); hh = ah >> sh; } else { l = ah >> (sh - 32); hh = ah >> 31; }'; r = ['l', 'hh']; }
        } else if (f7 === 1) {
          pre = `h.mulDiv(${f3}, al, ah, bl, bh);`;
          r = ['h.rLo', 'h.rHi'];
        }
        if (r) code = `{ ${ld} ${pre} ${setReg(rd, r[0], r[1])} }`;
        break;
      }
      case 0x03: { // LOAD
        if (f3 === 7) break;
        const imm = insn >> 20;
        const size = 1 << (f3 & 3);
        let v: [string, string];
        switch (f3) {
          case 0: v = ['(u8[o] << 24) >> 24', 'l_ >> 31']; break;
          case 1: v = ['(u16[o >>> 1] << 16) >> 16', 'l_ >> 31']; break;
          case 2: v = ['i32[o >>> 2]', 'l_ >> 31']; break;
          case 3: v = ['i32[o >>> 2]', 'i32[(o >>> 2) + 1]']; break;
          case 4: v = ['u8[o]', '0']; break;
          case 5: v = ['u16[o >>> 1]', '0']; break;
          default: v = ['i32[o >>> 2]', '0']; break;
        }
        const store = rd === 0 ? '' : `const l_ = ${v[0]}, h_ = ${v[1]}; x[${2 * rd}] = l_; x[${2 * rd + 1}] = h_;`;
        const align = size === 1 ? '' : ` && (vlo & ${size - 1}) === 0`;
        code = `{ ${addrCode(rs1, imm)} const idx = (vlo >>> 12) & ${TLB_MASK};
  if (tlbRKey[idx] === vhi * 1048576 + (vlo >>> 12)${align}) { const o = tlbROff[idx] + (vlo & 0xfff); ${store} }
  else if (h.loadAt(vlo, vhi, ${f3}, ${rd}, ${here()})) ${afterSlow} }`;
        break;
      }
      case 0x23: { // STORE
        if (f3 > 3) break;
        const imm = ((insn >> 25) << 5) | ((insn >> 7) & 31);
        const size = 1 << f3;
        let st: string;
        switch (f3) {
          case 0: st = `u8[o] = ${lo(rs2)};`; break;
          case 1: st = `u16[o >>> 1] = ${lo(rs2)};`; break;
          case 2: st = `i32[o >>> 2] = ${lo(rs2)};`; break;
          default: st = `i32[o >>> 2] = ${lo(rs2)}; i32[(o >>> 2) + 1] = ${hi(rs2)};`; break;
        }
        const align = size === 1 ? '' : ` && (vlo & ${size - 1}) === 0`;
        code = `{ ${addrCode(rs1, imm)} const idx = (vlo >>> 12) & ${TLB_MASK};
  if (tlbWKey[idx] === vhi * 1048576 + (vlo >>> 12)${align}) { const o = tlbWOff[idx] + (vlo & 0xfff); ${st} const pg = o >>> 12; dirty[pg] = 1; if (code[pg] !== 0) { h.codeWritten(pg); ${exit(nlo, nhi, n + 1)} } }
  else if (h.storeAt(vlo, vhi, ${size}, ${lo(rs2)}, ${hi(rs2)}, ${here()})) ${afterSlow} }`;
        break;
      }
      case 0x63: { // BRANCH
        let cond: string;
        switch (f3) {
          case 0: cond = `${lo(rs1)} === ${lo(rs2)} && ${hi(rs1)} === ${hi(rs2)}`; break;
          case 1: cond = `${lo(rs1)} !== ${lo(rs2)} || ${hi(rs1)} !== ${hi(rs2)}`; break;
          case 4: cond = ltS; break;
          case 5: cond = `!${ltS}`; break;
          case 6: cond = ltU; break;
          case 7: cond = `!${ltU}`; break;
          default: cond = '';
        }
        if (cond === '') break;
        const imm = ((insn >> 31) << 12) | (((insn >> 7) & 1) << 11) | (((insn >> 25) & 0x3f) << 5) | (((insn >> 8) & 0xf) << 1);
        const [tlo, thi] = addPc(clo, chi, imm);
        const ld = f3 >= 4 ? `const al = ${lo(rs1)}, ah = ${hi(rs1)}, bl = ${lo(rs2)}, bh = ${hi(rs2)};` : '';
        if (tlo === plo && thi === phi) {
          loops = true;
          code = `{ ${ld} if (${cond}) { ic += ${n + 1}; if (ic + N_STEPS <= limit) continue; ${exit(tlo, thi, 0)} } }`;
        } else {
          code = `{ ${ld} if (${cond}) { ${exit(tlo, thi, n + 1)} } }`;
        }
        break;
      }
      case 0x37: // LUI
        code = setReg(rd, `${insn & 0xfffff000}`, `${insn >> 31}`);
        break;
      case 0x17: { // AUIPC
        const [l, h] = addPc(clo, chi, insn & 0xfffff000);
        code = setReg(rd, `${l}`, `${h}`);
        break;
      }
      case 0x6f: { // JAL
        const imm = ((insn >> 31) << 20) | (((insn >> 12) & 0xff) << 12) | (((insn >> 20) & 1) << 11) | (((insn >> 21) & 0x3ff) << 1);
        const [tlo, thi] = addPc(clo, chi, imm);
        code = `${setReg(rd, `${nlo}`, `${nhi}`)} ${exit(tlo, thi, n + 1)}`;
        ended = true;
        break;
      }
      case 0x67: { // JALR
        if (f3 !== 0) break;
        const imm = insn >> 20;
        code = `{ ${addrCode(rs1, imm)} ${setReg(rd, `${nlo}`, `${nhi}`)} h.pcLo = vlo & ~1; h.pcHi = vhi; h.icount = ic + ${n + 1}; return; }`;
        ended = true;
        break;
      }
      case 0x1b: { // OP-IMM-32
        const a = lo(rs1);
        if (f3 === 0) code = setReg32(rd, `(${a} + ${insn >> 20}) | 0`);
        else if (f3 === 1) { if (f7 === 0) code = setReg32(rd, `${a} << ${(insn >> 20) & 31}`); }
        else if (f3 === 5) {
          if (f7 === 0) code = setReg32(rd, `(${a} >>> ${(insn >> 20) & 31}) | 0`);
          else if (f7 === 0x20) code = setReg32(rd, `${a} >> ${(insn >> 20) & 31}`);
        }
        break;
      }
      case 0x3b: { // OP-32
        const a = 'a', b = 'b';
        let r: string | null = null;
        if (f7 === 0) {
          if (f3 === 0) r = `(${a} + ${b}) | 0`;
          else if (f3 === 1) r = `${a} << (${b} & 31)`;
          else if (f3 === 5) r = `(${a} >>> (${b} & 31)) | 0`;
        } else if (f7 === 0x20) {
          if (f3 === 0) r = `(${a} - ${b}) | 0`;
          else if (f3 === 5) r = `${a} >> (${b} & 31)`;
        } else if (f7 === 1) {
          switch (f3) {
            case 0: r = 'Math.imul(a, b)'; break;
            case 4: r = 'b === 0 ? -1 : (a === -2147483648 && b === -1) ? a : (a / b) | 0'; break;
            case 5: r = 'b === 0 ? -1 : ((a >>> 0) / (b >>> 0)) | 0'; break;
            case 6: r = 'b === 0 ? a : (a === -2147483648 && b === -1) ? 0 : (a % b) | 0'; break;
            case 7: r = 'b === 0 ? a : ((a >>> 0) % (b >>> 0)) | 0'; break;
          }
        }
        if (r !== null) code = rd === 0 ? '' : `{ const a = ${lo(rs1)}, b = ${lo(rs2)}; ${setReg32(rd, r)} }`;
        break;
      }
      case 0x0f: // FENCE, FENCE.I: no-ops (translated code is coherent with every store)
        if (f3 <= 1) code = '';
        break;
      case 0x2f: // AMO, and floating point: the interpreter's own routines, as a slow path
      case 0x07: case 0x27: case 0x43: case 0x47: case 0x4b: case 0x4f: case 0x53:
        code = `if (h.slowInsn(${insn}, ${here()})) ${afterSlow}`;
        break;
    }
    if (code === null) break;
    out.push(code);
    n++;
    at += ilen;
    [clo, chi] = [nlo, nhi];
    if (ended) break;
  }
  if (n === 0) return { n: 0, bytes: 0, fn: null, source: '' };
  if (!ended) out.push(exit(clo, chi, n));
  let text = out.join('\n').replaceAll('N_STEPS', String(n));
  if (loops) text = `for (;;) {\n${text}\n}`;
  // The TLB arrays of the current privilege level (the hart switches sets on traps and xRET, never inside a block).
  let pro = '';
  if (text.includes('tlbRKey')) pro += 'const tlbRKey = h.tlbRKey, tlbROff = h.tlbROff; ';
  if (text.includes('tlbWKey')) pro += 'const tlbWKey = h.tlbWKey, tlbWOff = h.tlbWOff; ';
  const body = `return function block_${(plo >>> 0).toString(16)}(ic, limit) {\n${pro}${text}\n};`;
  return { n, bytes: at - off, fn: null, source: body };
}

/** Effective address rs1 + imm into locals vlo/vhi (the interpreter's arithmetic). */
function addrCode(rs1: number, imm: number): string {
  if (rs1 === 0) return `const vlo = ${imm}, vhi = ${imm >> 31};`;
  if (imm === 0) return `const vlo = x[${2 * rs1}], vhi = x[${2 * rs1 + 1}];`;
  const carry = imm > 0 ? '(s >= 4294967296 ? 1 : 0)' : '(s < 0 ? -1 : 0)';
  return `const s = (x[${2 * rs1}] >>> 0) + ${imm}; const vlo = s | 0; const vhi = (x[${2 * rs1 + 1}] + ${carry}) | 0;`;
}

/** Turn a compiled block's source into a function bound to the hart's arrays. */
export function linkBlock(source: string, ctx: BlockContext): BlockFn {
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const factory = new Function(...CONTEXT_NAMES, source) as (...args: unknown[]) => BlockFn;
  return factory(...CONTEXT_NAMES.map((k) => ctx[k]));
}
