/**
 * The interpreter: execBlock runs instructions one `switch` each, with the fetch, loads and
 * stores hitting the software TLB inline; M-extension and A-extension helpers. Functions of the
 * hart (hart.ts calls execBlock from run, and from the 'wasm' engine's loop).
 *
 * HOT LOOP, written for speed: locals for pc, icount and the TLB arrays; only slow paths (calls
 * out of execBlock) can raise `attn`, so only they check it.
 */
import { CAUSE } from './csr-numbers.js';
import { executeFp } from './fp-exec.js';
import type { Hart } from './hart.js';
import { fetchSlow, fetchWatchedPage, readLoad, readMem, ramStore, watchedFetch, writeMem } from './hart-access.js';
import { ACCESS_READ, ACCESS_WRITE, translate } from './hart-mmu.js';
import { csrInstruction, systemInstruction } from './hart-traps.js';
import { LOOKUP_MASK } from './jit/block-cache.js';
import type { Block } from './jit/block-cache.js';
import { expandRvc } from './rvc.js';
import { TLB_MASK } from './tlb.js';
import { toBig, TWO32 } from './u64.js';

const NO_BLOCKS: (Block | undefined)[] = [];
const NO_COUNTS = new Uint16Array(0);

/**
 * Execute instructions until `limit`, an attention request, or WFI; with
 * `toJump` (the wasm engine's fallback) also at a jump target that has a
 * translated block, or is hot enough to get one (counted in blocks.hot).
 * Returns 0 normally, 1 when the hart stopped on WFI. Throws TRAP.
 */
export function execBlock(h: Hart, limit: number, toJump: boolean): number {
  const x = h.x;
  const ram = h.ram;
  const u8 = ram.u8, u16 = ram.u16, i32 = ram.i32, dirty = ram.dirty, code = ram.code;
  const tlbRKey = h.tlbRKey, tlbROff = h.tlbROff;
  const tlbWKey = h.tlbWKey, tlbWOff = h.tlbWOff;
  const tlbXKey = h.tlbXKey, tlbXOff = h.tlbXOff;
  // The step counter lives in a local; `finally` writes it back on every exit, traps included.
  // Only slow paths (calls out of h function) can raise `attn`, so only they check it.
  // pc lives in locals too: plo/phi name the instruction being executed until it completes.
  let ic = h.icount;
  let plo = h.pcLo, phi = h.pcHi;
  let slow = false;
  // Wasm engine only: check the next fetch (a jump target) against the translated blocks.
  let chk = false;
  const lookup = toJump ? h.jumpCache!.lookup : NO_BLOCKS;
  const hot = toJump ? h.jumpCache!.hot : NO_COUNTS;
  const threshold = toJump ? h.jumpCache!.threshold : 0;
  try {
  while (ic < limit) {
    // ---- fetch
    let insn: number;
    const fidx = (plo >>> 12) & TLB_MASK;
    const pageOff = plo & 0xfff;
    if (tlbXKey[fidx] === phi * 1048576 + (plo >>> 12) && pageOff < 0xffe) {
      const off = tlbXOff[fidx] + pageOff;
      if (chk) {
        chk = false;
        const li = (off >>> 1) & LOOKUP_MASK;
        const b = lookup[li];
        if (b === undefined || b.off !== off || b.plo !== plo || b.phi !== phi) {
          if (++hot[li] >= threshold) break;
        } else if (b.fn !== null) break;
      }
      insn = (off & 2) === 0 ? i32[off >>> 2] : u16[off >>> 1] | (u16[(off >>> 1) + 1] << 16);
    } else {
      if (h.fetchWatch !== null) {
        // A debugger watches fetches: stop before h instruction if it says so.
        h.icount = ic; h.pcLo = plo; h.pcHi = phi;
        if (watchedFetch(h, plo, phi, ic)) break;
      }
      insn = h.fetchWatch !== null ? fetchWatchedPage(h, plo, phi) : fetchSlow(h, plo, phi);
      // Wasm engine: after a fetch the slow way (a TLB miss, or a 32-bit instruction across a
      // page end, which no block holds), check the next fetch as after a jump.
      chk = toJump;
    }
    let ilen = 4;
    if ((insn & 3) !== 3) {
      insn = expandRvc(insn & 0xffff);
      ilen = 2;
      if (insn === 0) h.illegal();
    }
    const rd = (insn >> 7) & 31;
    const rs1 = (insn >> 15) & 31;
    const f3 = (insn >> 12) & 7;
    // default next pc
    let t = (plo >>> 0) + ilen;
    let nlo = t | 0;
    let nhi = t >= TWO32 ? (phi + 1) | 0 : phi;

    switch (insn & 0x7f) {
      case 0x13: { // OP-IMM
        const imm = insn >> 20;
        const alo = x[rs1 << 1], ahi = x[(rs1 << 1) | 1];
        let lo: number, hi: number;
        switch (f3) {
          case 0: { // ADDI
            const s = (alo >>> 0) + imm;
            lo = s | 0;
            hi = (ahi + (s < 0 ? -1 : s >= TWO32 ? 1 : 0)) | 0;
            break;
          }
          case 1: { // SLLI
            if ((insn >>> 26) !== 0) h.illegal();
            const sh = (insn >> 20) & 63;
            if (sh === 0) { lo = alo; hi = ahi; } else if (sh < 32) { hi = (ahi << sh) | (alo >>> (32 - sh)); lo = alo << sh; } else { hi = alo << (sh - 32); lo = 0; }
            break;
          }
          case 2: { // SLTI
            const bhi = imm >> 31;
            lo = ahi < bhi || (ahi === bhi && (alo >>> 0) < (imm >>> 0)) ? 1 : 0; hi = 0;
            break;
          }
          case 3: { // SLTIU
            const bhi = imm >> 31;
            lo = (ahi >>> 0) < (bhi >>> 0) || (ahi === bhi && (alo >>> 0) < (imm >>> 0)) ? 1 : 0; hi = 0;
            break;
          }
          case 4: lo = alo ^ imm; hi = ahi ^ (imm >> 31); break;
          case 5: { // SRLI / SRAI
            const f6 = insn >>> 26;
            const sh = (insn >> 20) & 63;
            if (f6 === 0) {
              if (sh === 0) { lo = alo; hi = ahi; } else if (sh < 32) { lo = (alo >>> sh) | (ahi << (32 - sh)); hi = ahi >>> sh; } else { lo = ahi >>> (sh - 32); hi = 0; }
            } else if (f6 === 0x10) {
              if (sh === 0) { lo = alo; hi = ahi; } else if (sh < 32) { lo = (alo >>> sh) | (ahi << (32 - sh)); hi = ahi >> sh; } else { lo = ahi >> (sh - 32); hi = ahi >> 31; }
            } else h.illegal();
            break;
          }
          case 6: lo = alo | imm; hi = ahi | (imm >> 31); break;
          default: lo = alo & imm; hi = ahi & (imm >> 31); break;
        }
        if (rd !== 0) { x[rd << 1] = lo; x[(rd << 1) | 1] = hi; }
        break;
      }
      case 0x33: { // OP
        const rs2 = (insn >> 20) & 31;
        const f7 = insn >>> 25;
        const alo = x[rs1 << 1], ahi = x[(rs1 << 1) | 1], blo = x[rs2 << 1], bhi = x[(rs2 << 1) | 1];
        let lo: number, hi: number;
        if (f7 === 0) {
          switch (f3) {
            case 0: { const s = (alo >>> 0) + (blo >>> 0); lo = s | 0; hi = (ahi + bhi + (s >= TWO32 ? 1 : 0)) | 0; break; }
            case 1: { const sh = blo & 63; if (sh === 0) { lo = alo; hi = ahi; } else if (sh < 32) { hi = (ahi << sh) | (alo >>> (32 - sh)); lo = alo << sh; } else { hi = alo << (sh - 32); lo = 0; } break; }
            case 2: lo = ahi < bhi || (ahi === bhi && (alo >>> 0) < (blo >>> 0)) ? 1 : 0; hi = 0; break;
            case 3: lo = (ahi >>> 0) < (bhi >>> 0) || (ahi === bhi && (alo >>> 0) < (blo >>> 0)) ? 1 : 0; hi = 0; break;
            case 4: lo = alo ^ blo; hi = ahi ^ bhi; break;
            case 5: { const sh = blo & 63; if (sh === 0) { lo = alo; hi = ahi; } else if (sh < 32) { lo = (alo >>> sh) | (ahi << (32 - sh)); hi = ahi >>> sh; } else { lo = ahi >>> (sh - 32); hi = 0; } break; }
            case 6: lo = alo | blo; hi = ahi | bhi; break;
            default: lo = alo & blo; hi = ahi & bhi; break;
          }
        } else if (f7 === 0x20) {
          if (f3 === 0) { const s = (alo >>> 0) - (blo >>> 0); lo = s | 0; hi = (ahi - bhi - (s < 0 ? 1 : 0)) | 0; }
          else if (f3 === 5) { const sh = blo & 63; if (sh === 0) { lo = alo; hi = ahi; } else if (sh < 32) { lo = (alo >>> sh) | (ahi << (32 - sh)); hi = ahi >> sh; } else { lo = ahi >> (sh - 32); hi = ahi >> 31; } }
          else h.illegal();
        } else if (f7 === 1) {
          mulDiv(h, f3, alo, ahi, blo, bhi);
          lo = h.rLo; hi = h.rHi;
        } else h.illegal();
        if (rd !== 0) { x[rd << 1] = lo; x[(rd << 1) | 1] = hi; }
        break;
      }
      case 0x03: { // LOAD
        const imm = insn >> 20;
        const s = (x[rs1 << 1] >>> 0) + imm;
        const vlo = s | 0;
        const vhi = (x[(rs1 << 1) | 1] + (s < 0 ? -1 : s >= TWO32 ? 1 : 0)) | 0;
        const idx = (vlo >>> 12) & TLB_MASK;
        const po = vlo & 0xfff;
        const size = 1 << (f3 & 3);
        let lo: number, hi: number;
        if (tlbRKey[idx] === vhi * 1048576 + (vlo >>> 12) && (po & (size - 1)) === 0) {
          const off = tlbROff[idx] + po;
          switch (f3) {
            case 0: lo = (u8[off] << 24) >> 24; hi = lo >> 31; break;
            case 1: lo = (u16[off >>> 1] << 16) >> 16; hi = lo >> 31; break;
            case 2: lo = i32[off >>> 2]; hi = lo >> 31; break;
            case 3: lo = i32[off >>> 2]; hi = i32[(off >>> 2) + 1]; break;
            case 4: lo = u8[off]; hi = 0; break;
            case 5: lo = u16[off >>> 1]; hi = 0; break;
            case 6: lo = i32[off >>> 2]; hi = 0; break;
            default: h.illegal();
          }
        } else {
          if (f3 === 7) h.illegal();
          slow = true;
          // Position and pc exact for what the load reaches (MMIO reads the position, a read watch the pc).
          h.icount = ic; h.pcLo = plo; h.pcHi = phi;
          readLoad(h, vlo, vhi, f3);
          lo = h.rLo; hi = h.rHi;
        }
        if (rd !== 0) { x[rd << 1] = lo; x[(rd << 1) | 1] = hi; }
        break;
      }
      case 0x23: { // STORE
        const imm = ((insn >> 25) << 5) | ((insn >> 7) & 31);
        const s = (x[rs1 << 1] >>> 0) + imm;
        const vlo = s | 0;
        const vhi = (x[(rs1 << 1) | 1] + (s < 0 ? -1 : s >= TWO32 ? 1 : 0)) | 0;
        const rs2 = (insn >> 20) & 31;
        if (f3 > 3) h.illegal();
        const size = 1 << f3;
        const idx = (vlo >>> 12) & TLB_MASK;
        const po = vlo & 0xfff;
        if (tlbWKey[idx] === vhi * 1048576 + (vlo >>> 12) && (po & (size - 1)) === 0) {
          const off = tlbWOff[idx] + po;
          switch (f3) {
            case 0: u8[off] = x[rs2 << 1]; break;
            case 1: u16[off >>> 1] = x[rs2 << 1]; break;
            case 2: i32[off >>> 2] = x[rs2 << 1]; break;
            default: i32[off >>> 2] = x[rs2 << 1]; i32[(off >>> 2) + 1] = x[(rs2 << 1) | 1]; break;
          }
          dirty[off >>> 12] = 1;
          if (code[off >>> 12] !== 0) h.codeWritten(off >>> 12);
        } else {
          slow = true;
          // Position and pc exact for what the store reaches (MMIO, a watch reporting its pc), as translated code does.
          h.icount = ic; h.pcLo = plo; h.pcHi = phi;
          writeMem(h, vlo, vhi, size, x[rs2 << 1], x[(rs2 << 1) | 1]);
        }
        break;
      }
      case 0x63: { // BRANCH
        const rs2 = (insn >> 20) & 31;
        const alo = x[rs1 << 1], ahi = x[(rs1 << 1) | 1], blo = x[rs2 << 1], bhi = x[(rs2 << 1) | 1];
        let taken: boolean;
        switch (f3) {
          case 0: taken = alo === blo && ahi === bhi; break;
          case 1: taken = alo !== blo || ahi !== bhi; break;
          case 4: taken = ahi < bhi || (ahi === bhi && (alo >>> 0) < (blo >>> 0)); break;
          case 5: taken = !(ahi < bhi || (ahi === bhi && (alo >>> 0) < (blo >>> 0))); break;
          case 6: taken = (ahi >>> 0) < (bhi >>> 0) || (ahi === bhi && (alo >>> 0) < (blo >>> 0)); break;
          case 7: taken = !((ahi >>> 0) < (bhi >>> 0) || (ahi === bhi && (alo >>> 0) < (blo >>> 0))); break;
          default: h.illegal();
        }
        chk = toJump;
        if (taken) {
          const imm = ((insn >> 31) << 12) | (((insn >> 7) & 1) << 11) | (((insn >> 25) & 0x3f) << 5) | (((insn >> 8) & 0xf) << 1);
          t = (plo >>> 0) + imm;
          nlo = t | 0;
          nhi = (phi + (t < 0 ? -1 : t >= TWO32 ? 1 : 0)) | 0;
        }
        break;
      }
      case 0x37: // LUI
        if (rd !== 0) { x[rd << 1] = insn & 0xfffff000; x[(rd << 1) | 1] = insn >> 31; }
        break;
      case 0x17: { // AUIPC
        const s = (plo >>> 0) + (insn & 0xfffff000);
        if (rd !== 0) { x[rd << 1] = s | 0; x[(rd << 1) | 1] = (phi + (s < 0 ? -1 : s >= TWO32 ? 1 : 0)) | 0; }
        break;
      }
      case 0x6f: { // JAL
        const imm = ((insn >> 31) << 20) | (((insn >> 12) & 0xff) << 12) | (((insn >> 20) & 1) << 11) | (((insn >> 21) & 0x3ff) << 1);
        if (rd !== 0) { x[rd << 1] = nlo; x[(rd << 1) | 1] = nhi; }
        chk = toJump;
        t = (plo >>> 0) + imm;
        nlo = t | 0;
        nhi = (phi + (t < 0 ? -1 : t >= TWO32 ? 1 : 0)) | 0;
        break;
      }
      case 0x67: { // JALR
        if (f3 !== 0) h.illegal();
        const imm = insn >> 20;
        const s = (x[rs1 << 1] >>> 0) + imm;
        const thi = (x[(rs1 << 1) | 1] + (s < 0 ? -1 : s >= TWO32 ? 1 : 0)) | 0;
        if (rd !== 0) { x[rd << 1] = nlo; x[(rd << 1) | 1] = nhi; }
        chk = toJump;
        nlo = (s | 0) & ~1;
        nhi = thi;
        break;
      }
      case 0x1b: { // OP-IMM-32
        const alo = x[rs1 << 1];
        let r: number;
        if (f3 === 0) r = (alo + (insn >> 20)) | 0;
        else if (f3 === 1) { if ((insn >>> 25) !== 0) h.illegal(); r = alo << ((insn >> 20) & 31); }
        else if (f3 === 5) {
          const f7 = insn >>> 25;
          if (f7 === 0) r = (alo >>> ((insn >> 20) & 31)) | 0;
          else if (f7 === 0x20) r = alo >> ((insn >> 20) & 31);
          else h.illegal();
        } else h.illegal();
        if (rd !== 0) { x[rd << 1] = r; x[(rd << 1) | 1] = r >> 31; }
        break;
      }
      case 0x3b: { // OP-32
        const rs2 = (insn >> 20) & 31;
        const f7 = insn >>> 25;
        const a = x[rs1 << 1], b = x[rs2 << 1];
        let r: number;
        if (f7 === 0) {
          if (f3 === 0) r = (a + b) | 0;
          else if (f3 === 1) r = a << (b & 31);
          else if (f3 === 5) r = (a >>> (b & 31)) | 0;
          else h.illegal();
        } else if (f7 === 0x20) {
          if (f3 === 0) r = (a - b) | 0;
          else if (f3 === 5) r = a >> (b & 31);
          else h.illegal();
        } else if (f7 === 1) {
          switch (f3) {
            case 0: r = Math.imul(a, b); break;
            case 4: r = b === 0 ? -1 : (a === -2147483648 && b === -1) ? a : (a / b) | 0; break;
            case 5: r = b === 0 ? -1 : ((a >>> 0) / (b >>> 0)) | 0; break;
            case 6: r = b === 0 ? a : (a === -2147483648 && b === -1) ? 0 : (a % b) | 0; break;
            case 7: r = b === 0 ? a : ((a >>> 0) % (b >>> 0)) | 0; break;
            default: h.illegal();
          }
        } else h.illegal();
        if (rd !== 0) { x[rd << 1] = r; x[(rd << 1) | 1] = r >> 31; }
        break;
      }
      case 0x73: { // SYSTEM
        h.icount = ic; // counters read it
        h.pcLo = plo; h.pcHi = phi; // ebreak reports it, xret replaces it
        slow = true;
        if (f3 !== 0) {
          csrInstruction(h, insn, rd, rs1, f3);
        } else {
          const r = systemInstruction(h, insn, rd);
          if (r === 1) { // trap return or ECALL: pc already set
            plo = h.pcLo; phi = h.pcHi;
            ic++;
            return 0;
          }
          if (r === 2) { // WFI with nothing pending
            plo = nlo; phi = nhi;
            ic++;
            h.waiting = true;
            return 1;
          }
        }
        break;
      }
      case 0x0f: // MISC-MEM: FENCE, FENCE.I (translated code, if any, is kept coherent with every store)
        if (f3 > 1) h.illegal();
        break;
      case 0x2f: // AMO
        slow = true;
        h.icount = ic; h.pcLo = plo; h.pcHi = phi;
        amo(h, insn, rd, rs1, f3);
        break;
      case 0x07: // LOAD-FP
      case 0x27: // STORE-FP
      case 0x43: case 0x47: case 0x4b: case 0x4f: case 0x53:
        slow = true;
        h.icount = ic; h.pcLo = plo; h.pcHi = phi;
        executeFp(h, insn);
        break;
      default:
        h.illegal();
    }
    plo = nlo;
    phi = nhi;
    ic++;
    if (slow) {
      slow = false;
      if (h.attn) break;
    }
  }
  } finally {
    h.icount = ic;
    h.pcLo = plo;
    h.pcHi = phi;
  }
  return 0;
}

/** M extension on full 64-bit operands (rare enough for BigInt where 32-bit math can't do it). Result in rLo/rHi. */
export function mulDiv(h: Hart, f3: number, alo: number, ahi: number, blo: number, bhi: number): void {
  if (f3 === 0) { // MUL: low 64 bits, from 16-bit limbs (exact in doubles)
    const a = alo >>> 0, b = blo >>> 0;
    const a0 = a & 0xffff, a1 = a >>> 16, b0 = b & 0xffff, b1 = b >>> 16;
    const p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
    h.rLo = ((mid & 0xffff) << 16) | (p00 & 0xffff);
    const high = p11 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16);
    h.rHi = (high + Math.imul(alo, bhi) + Math.imul(ahi, blo)) | 0;
    return;
  }
  // Fast paths: both operands are sign-extended 32-bit values (signed ops) or zero-extended (unsigned ops).
  const aSmall = ahi === (alo >> 31), bSmall = bhi === (blo >> 31);
  if (f3 >= 4 && aSmall && bSmall && (f3 === 4 || f3 === 6)) {
    let r: number;
    if (blo === 0) r = f3 === 4 ? -1 : alo;
    else r = f3 === 4 ? Math.trunc(alo / blo) : alo % blo;
    h.rLo = r | 0; h.rHi = Math.floor(r / TWO32) | 0;
    return;
  }
  if (f3 >= 4 && ahi === 0 && bhi === 0 && (f3 === 5 || f3 === 7)) {
    const a = alo >>> 0, b = blo >>> 0;
    if (b === 0) { if (f3 === 5) { h.rLo = -1; h.rHi = -1; } else { h.rLo = alo; h.rHi = 0; } return; }
    const r = f3 === 5 ? Math.floor(a / b) : a % b;
    h.rLo = r | 0; h.rHi = 0;
    return;
  }
  const as = toBig(alo, ahi), bs = toBig(blo, bhi);
  const au = BigInt.asUintN(64, as), bu = BigInt.asUintN(64, bs);
  let r: bigint;
  switch (f3) {
    case 1: r = (as * bs) >> 64n; break; // MULH
    case 2: r = (as * bu) >> 64n; break; // MULHSU
    case 3: r = (au * bu) >> 64n; break; // MULHU
    case 4: r = bs === 0n ? -1n : (as === -(1n << 63n) && bs === -1n) ? as : as / bs; break;
    case 5: r = bu === 0n ? -1n : au / bu; break;
    case 6: r = bs === 0n ? as : (as === -(1n << 63n) && bs === -1n) ? 0n : as % bs; break;
    default: r = bu === 0n ? au : au % bu; break;
  }
  h.rLo = Number(BigInt.asIntN(32, r));
  h.rHi = Number(BigInt.asIntN(32, r >> 32n));
}

/** A extension: LR/SC and AMOs, 32 and 64 bits. */
export function amo(h: Hart, insn: number, rd: number, rs1: number, f3: number): void {
  if (f3 !== 2 && f3 !== 3) h.illegal();
  const size = f3 === 2 ? 4 : 8;
  const f5 = insn >>> 27;
  const rs2 = (insn >> 20) & 31;
  // An encoding that is no AMO is an illegal instruction before any address is looked at (the
  // illegal-instruction exception outranks address-misaligned and access faults).
  if ((AMO_FUNCT5 & (1 << f5)) === 0 || (f5 === 2 && rs2 !== 0)) h.illegal();
  const vlo = h.x[rs1 << 1], vhi = h.x[(rs1 << 1) | 1];
  if ((vlo & (size - 1)) !== 0) h.exc(f5 === 2 ? CAUSE.LOAD_MISALIGNED : CAUSE.STORE_MISALIGNED, toBig(vlo, vhi));
  let rlo: number, rhi: number;
  // Fast path: the page is in the read (LR) or write (SC, AMO) TLB, so it is RAM with its A (and D)
  // bits set and not watched: the same effects as the translate + readMem/writeMem of the slow path.
  const ram = h.ram, i32 = ram.i32;
  const idx = (vlo >>> 12) & TLB_MASK, key = vhi * 1048576 + (vlo >>> 12);
  if (f5 === 2) { // LR
    if (rs2 !== 0) h.illegal();
    if (h.tlbRKey[idx] === key) {
      const off = h.tlbROff[idx] + (vlo & 0xfff);
      rlo = i32[off >>> 2]; rhi = size === 4 ? rlo >> 31 : i32[(off >>> 2) + 1];
      h.reservation = ram.base + off;
    } else {
      const paddr = translate(h, vlo, vhi, ACCESS_READ);
      readMem(h, vlo, vhi, size);
      h.reservation = paddr;
      rlo = h.rLo; rhi = size === 4 ? h.rLo >> 31 : h.rHi;
    }
  } else if (f5 === 3) { // SC
    const fast = h.tlbWKey[idx] === key;
    const off = fast ? h.tlbWOff[idx] + (vlo & 0xfff) : 0;
    const paddr = fast ? ram.base + off : translate(h, vlo, vhi, ACCESS_WRITE);
    if (h.reservation === paddr) {
      if (fast) ramStore(h, off, size, h.x[rs2 << 1], h.x[(rs2 << 1) | 1]);
      else writeMem(h, vlo, vhi, size, h.x[rs2 << 1], h.x[(rs2 << 1) | 1]);
      rlo = 0;
    } else {
      rlo = 1;
    }
    rhi = 0;
    h.reservation = -1;
  } else {
    const fast = h.tlbWKey[idx] === key;
    const off = fast ? h.tlbWOff[idx] + (vlo & 0xfff) : 0;
    let alo: number, ahi: number;
    if (fast) {
      alo = i32[off >>> 2]; ahi = size === 4 ? alo >> 31 : i32[(off >>> 2) + 1];
    } else {
      // Check write permission first: an AMO raises a store/AMO fault, never a load fault.
      translate(h, vlo, vhi, ACCESS_WRITE);
      readMem(h, vlo, vhi, size, ACCESS_WRITE);
      alo = h.rLo; ahi = size === 4 ? h.rLo >> 31 : h.rHi;
    }
    const blo = h.x[rs2 << 1], bhi = size === 4 ? h.x[rs2 << 1] >> 31 : h.x[(rs2 << 1) | 1];
    rlo = alo; rhi = ahi;
    let lo: number, hi: number;
    switch (f5) {
      case 0x01: lo = blo; hi = bhi; break; // AMOSWAP
      case 0x00: { const s = (alo >>> 0) + (blo >>> 0); lo = s | 0; hi = (ahi + bhi + (s >= TWO32 ? 1 : 0)) | 0; break; } // AMOADD
      case 0x04: lo = alo ^ blo; hi = ahi ^ bhi; break;
      case 0x0c: lo = alo & blo; hi = ahi & bhi; break;
      case 0x08: lo = alo | blo; hi = ahi | bhi; break;
      case 0x10: case 0x14: { // AMOMIN / AMOMAX (signed)
        const less = ahi < bhi || (ahi === bhi && (alo >>> 0) < (blo >>> 0));
        const pickA = f5 === 0x10 ? less : !less;
        lo = pickA ? alo : blo; hi = pickA ? ahi : bhi; break;
      }
      case 0x18: case 0x1c: { // AMOMINU / AMOMAXU
        const less = (ahi >>> 0) < (bhi >>> 0) || (ahi === bhi && (alo >>> 0) < (blo >>> 0));
        const pickA = f5 === 0x18 ? less : !less;
        lo = pickA ? alo : blo; hi = pickA ? ahi : bhi; break;
      }
      default: h.illegal();
    }
    if (fast) ramStore(h, off, size, lo, hi);
    else writeMem(h, vlo, vhi, size, lo, hi);
  }
  if (rd !== 0) { h.x[rd << 1] = rlo; h.x[(rd << 1) | 1] = rhi; }
}

/** funct5 of the AMOs (LR, SC, AMOSWAP, AMOADD, AMOXOR, AMOAND, AMOOR, AMOMIN[U], AMOMAX[U]), one bit each. */
const AMO_FUNCT5 = [0x02, 0x03, 0x01, 0x00, 0x04, 0x0c, 0x08, 0x10, 0x14, 0x18, 0x1c].reduce((m, f) => m | (1 << f), 0);
