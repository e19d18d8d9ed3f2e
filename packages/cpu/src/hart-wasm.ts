/**
 * The hart's side of the 'wasm' engine (jit/): the loop that alternates the WebAssembly
 * dispatcher with the interpreter, and the slow paths translated code calls (their pc and
 * icount name the instruction; each returns true when `attn` asks the block to stop after it).
 */
import { CSR, MSTATUS } from './csr-numbers.js';
import { executeFp } from './fp-exec.js';
import type { Hart } from './hart.js';
import { readLoad, writeMem } from './hart-access.js';
import { AREA_ATTN, AREA_PC_HI, AREA_PC_LO } from './hart-memory.js';
import { amo, execBlock } from './hart-interp.js';
import { publishWalk } from './hart-mmu.js';
import { csrInstruction, systemInstruction } from './hart-traps.js';
import { LOOKUP_MASK } from './jit/block-cache.js';
import { TLB_MASK } from './tlb.js';

/**
 * The 'wasm' engine's loop: the WebAssembly dispatcher runs translated blocks; where pc has none
 * (or the next might overrun `limit`), translate it if it is hot, else interpret up to the next
 * jump. Same contract as execBlock.
 */
export function execWasm(h: Hart, limit: number): number {
  const engine = h.wasmEngine!;
  const blocks = engine.cache;
  const lookup = blocks.lookup, hot = blocks.hot, threshold = blocks.threshold;
  const area = h.areaI32;
  for (;;) {
    const ic = h.icount;
    if (ic >= limit || h.attn) return 0;
    area[AREA_PC_LO >>> 2] = h.pcLo; area[AREA_PC_HI >>> 2] = h.pcHi;
    area[AREA_ATTN >>> 2] = 0;
    h.publishFpMode();
    publishWalk(h);
    h.blockBase = ic;
    const steps = engine.dispatch(Math.min(limit - ic, 0x3fffffff));
    if (steps !== 0) {
      h.icount = ic + steps;
      h.pcLo = area[AREA_PC_LO >>> 2]; h.pcHi = area[AREA_PC_HI >>> 2];
      continue;
    }
    // Batches compiled in the background are installed here, between dispatcher runs.
    if (engine.inFlight !== 0 && engine.poll()) continue;
    const plo = h.pcLo, phi = h.pcHi;
    const fidx = (plo >>> 12) & TLB_MASK;
    if (h.tlbXKey[fidx] === phi * 1048576 + (plo >>> 12)) {
      const off = h.tlbXOff[fidx] + (plo & 0xfff);
      const li = (off >>> 1) & LOOKUP_MASK;
      const b = lookup[li];
      // Count here too: places reached other than by a jump (after a block cut at a page end,
      // after an instruction left to the interpreter) become blocks as well.
      if ((b === undefined || b.off !== off || b.plo !== plo || b.phi !== phi) && ++hot[li] >= threshold) {
        if (engine.request(off, plo, phi)) continue;
      }
    }
    h.excursions++;
    let r: number;
    try {
      r = execBlock(h, limit, true);
    } finally {
      h.interpreted += h.icount - ic;
    }
    if (r !== 0) return r;
  }
}

/** A load: read, extend as LOAD funct3 says, write rd. */
export function loadAt(h: Hart, vlo: number, vhi: number, f3: number, rd: number, plo: number, phi: number, ic: number): boolean {
  h.pcLo = plo; h.pcHi = phi; h.icount = ic;
  readLoad(h, vlo, vhi, f3);
  if (rd !== 0) { h.x[rd << 1] = h.rLo; h.x[(rd << 1) | 1] = h.rHi; }
  return h.attn;
}

export function storeAt(h: Hart, vlo: number, vhi: number, size: number, lo: number, hi: number, plo: number, phi: number, ic: number): boolean {
  h.pcLo = plo; h.pcHi = phi; h.icount = ic;
  writeMem(h, vlo, vhi, size, lo, hi);
  return h.attn;
}

/** AMO and floating-point instructions, as the interpreter runs them. */
export function slowInsn(h: Hart, insn: number, plo: number, phi: number, ic: number): boolean {
  h.pcLo = plo; h.pcHi = phi; h.icount = ic;
  if ((insn & 0x7f) === 0x2f) amo(h, insn, (insn >> 7) & 31, (insn >> 15) & 31, (insn >> 12) & 7);
  else { executeFp(h, insn); h.publishFpMode(); }
  // No publishWalk: neither changes what the walk reads (privilege, satp, SUM/MXR); a trap they
  // raise sets attn, and the dispatch loop publishes again before it runs on.
  return h.attn;
}

/**
 * A SYSTEM instruction (not WFI) for the 'wasm' engine, as the interpreter runs it. A CSR access
 * (funct3 1-3, 5-7) returns whether the block must stop after it (on true the block stores the
 * next pc and leaves; else it goes on). Anything else leaves the next pc (nlo/nhi, or where an
 * xRET or an ECALL goes) in the area for the block, which ends here.
 */
export function systemAt(h: Hart, insn: number, plo: number, phi: number, nlo: number, nhi: number, ic: number): boolean {
  h.pcLo = plo; h.pcHi = phi; h.icount = ic;
  const f3 = (insn >> 12) & 7;
  if (f3 !== 0 && f3 !== 4) return csrAt(h, insn, f3);
  if (f3 !== 0) csrInstruction(h, insn, (insn >> 7) & 31, (insn >> 15) & 31, f3); // reserved funct3: illegal
  else if (systemInstruction(h, insn, (insn >> 7) & 31) === 1) { nlo = h.pcLo; nhi = h.pcHi; }
  h.areaI32[AREA_PC_LO >>> 2] = nlo; h.areaI32[AREA_PC_HI >>> 2] = nhi;
  h.publishFpMode();
  publishWalk(h);
  return h.attn;
}

/**
 * A CSR access inside a translated block. What the code after it assumed: the privilege level
 * (a CSR access never changes it), the FP mode and the page walk's inputs (both read from the
 * area at run time: published again here when mstatus or frm changed), and the mapping of the
 * block's own page (satp: any write stops the block, the exec TLB is flushed). MPRV and MXR
 * changes stop it too (rare; they flush every TLB). A trap is thrown through the block as from
 * any slow path; a newly takeable interrupt sets attn.
 */
function csrAt(h: Hart, insn: number, f3: number): boolean {
  const s = h.mstatus, frm = h.frm;
  const rs1 = (insn >> 15) & 31;
  csrInstruction(h, insn, (insn >> 7) & 31, rs1, f3);
  let stop = h.attn;
  const changed = s ^ h.mstatus;
  if (changed !== 0 || frm !== h.frm) h.publishFpMode();
  if (changed !== 0) {
    publishWalk(h);
    if ((changed & (MSTATUS.MPRV | MSTATUS.MXR)) !== 0) stop = true;
  }
  if ((insn >>> 20) === CSR.satp && ((f3 & 3) === 1 || rs1 !== 0)) { publishWalk(h); stop = true; }
  return stop;
}


