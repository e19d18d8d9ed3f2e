/**
 * A number that changes whenever the translator would make different code:
 * the CRC-32 of a module translated from a fixed sample of guest code that
 * reaches every path of wasm-compiler.ts (each instruction class, loads and
 * stores with their slow paths, the hart area and TLB offsets, a loop back to
 * a block's start, chained exits, 64-bit pc constants, a compressed
 * instruction, an exit through the exit table, a far exit into another page). Code caches kept outside this process (files) carry it, so
 * code made by an older translator is never run by a newer one.
 */
import { crc32 } from './code-cache-file.js';
import { blockModule, chainBatch, compileWasmBlock } from './wasm-compiler.js';
import type { BatchBlock } from './wasm-compiler.js';

const R = (f7: number, rs2: number, rs1: number, f3: number, rd: number, op: number) => (f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op;
const I = (imm: number, rs1: number, f3: number, rd: number, op: number) => ((imm & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op;
const S = (imm: number, rs2: number, rs1: number, f3: number) => (((imm >> 5) & 0x7f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | ((imm & 0x1f) << 7) | 0x23;
const B = (imm: number, rs2: number, rs1: number, f3: number) =>
  (((imm >> 12) & 1) << 31) | (((imm >> 5) & 0x3f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (((imm >> 1) & 0xf) << 8) | (((imm >> 11) & 1) << 7) | 0x63;
const J = (imm: number, rd: number) =>
  (((imm >> 20) & 1) << 31) | (((imm >> 1) & 0x3ff) << 21) | (((imm >> 11) & 1) << 20) | (((imm >> 12) & 0xff) << 12) | (rd << 7) | 0x6f;

// Three blocks in one page: A (integer ops, a loop back to its start, a JAL into C), B (memory, FP,
// AMO, a compressed ADDI, a branch into C, CSR accesses, then an SRET ending it), C (a branch through
// the exit table, JALR). B stays under MAX_BLOCK_INSNS.
const A = 0x000, Bk = 0x200, C = 0x400;

function sample(): { at: number; words: number[] }[] {
  const a: number[] = [];
  for (let f3 = 0; f3 < 8; f3++) a.push(I(f3 === 1 || f3 === 5 ? 33 : -3, 6, f3, 5, 0x13));
  a.push(I(0x400 | 40, 6, 5, 5, 0x13)); // SRAI
  for (let f3 = 0; f3 < 8; f3++) { a.push(R(0, 7, 6, f3, 5, 0x33)); a.push(R(1, 7, 6, f3, 5, 0x33)); }
  a.push(R(0x20, 7, 6, 0, 5, 0x33), R(0x20, 7, 6, 5, 5, 0x33));
  a.push(I(-7, 6, 0, 5, 0x1b), I(3, 6, 1, 5, 0x1b), I(3, 6, 5, 5, 0x1b), I(0x400 | 3, 6, 5, 5, 0x1b));
  for (const f3 of [0, 1, 5]) a.push(R(0, 7, 6, f3, 5, 0x3b));
  a.push(R(0x20, 7, 6, 0, 5, 0x3b), R(0x20, 7, 6, 5, 5, 0x3b));
  for (const f3 of [0, 4, 5, 6, 7]) a.push(R(1, 7, 6, f3, 5, 0x3b));
  a.push(0x12345 << 12 | 5 << 7 | 0x37, 0x54321 << 12 | 5 << 7 | 0x17);
  a.push(B(-4 * a.length, 7, 6, 4)); // BLT back to A
  a.push(J(C - 4 * a.length, 1)); // JAL into C
  const b: number[] = [];
  for (let f3 = 0; f3 < 7; f3++) b.push(I(8 * f3 - 16, 10, f3, 5, 0x03));
  for (let f3 = 0; f3 < 4; f3++) b.push(S(8 * f3 - 16, 5, 10, f3));
  b.push(0x0ff0000f, 0x0000100f); // FENCE, FENCE.I
  b.push(R(0, 7, 10, 3, 5, 0x2f)); // AMOADD.D
  b.push(I(8, 10, 3, 1, 0x07), S(8, 1, 10, 3) & ~0x7f | 0x27, R(1, 2, 1, 7, 3, 0x53), (4 << 27) | R(1, 2, 1, 7, 3, 0x43));
  // Floating point (fp-compiler.ts): FLW, FSW, then each OP-FP class in S and D, static and dynamic rm.
  b.push(I(4, 10, 2, 1, 0x07), S(4, 1, 10, 2) & ~0x7f | 0x27);
  for (const [f5, rs2, f3] of [[0, 2, 0], [1, 2, 7], [2, 2, 7], [3, 2, 0], [0xb, 0, 7], [4, 2, 1], [5, 2, 0], [0x14, 2, 1], [0x18, 0, 1], [0x18, 3, 7], [0x1a, 2, 7], [0x1c, 0, 0], [0x1e, 0, 0]]) {
    b.push(R((f5 << 2) | 1, rs2, 1, f3, 3, 0x53), R(f5 << 2, rs2, 1, f3, 3, 0x53));
  }
  b.push(R(8 << 2, 1, 1, 7, 3, 0x53), R((8 << 2) | 1, 0, 1, 0, 3, 0x53)); // FCVT.S.D, FCVT.D.S
  b.push(0x0505 | (0x0001 << 16)); // C.ADDI a0, 1; C.NOP
  b.push(B(C - Bk - 4 * b.length, 0, 5, 1)); // BNE into C
  b.push(I(0x340, 5, 1, 6, 0x73), I(0x301, 0, 2, 6, 0x73), I(0x100, 5, 3, 6, 0x73)); // CSRRW mscratch, CSRR misa (both translated), CSRRC sstatus (the hart's): the block goes on after each
  b.push(0x10200073); // SRET: ends it
  // BNE into the page but no block of the batch (an exit-table slot), BEQ into the next page (a far
  // exit, with its guard), JALR
  const c = [B(0x100, 0, 5, 1), B(0xc00, 0, 5, 0), I(16, 1, 0, 0, 0x67)];
  return [{ at: A, words: a }, { at: Bk, words: b }, { at: C, words: c }];
}

/** The sample translated as one batch: the module's bytes, each block's steps and chains, and its instruction count; its exit-table slots. */
export function translatorSample(): { bytes: Uint8Array; blocks: { n: number; insns: number; chains: number[] }[]; exits: number } {
  const layout = { memoryPages: 17, area: 0x10040, dirtyOffset: 0x8000, codeOffset: 0x9000 };
  const page = 0x1000, plo = 0x80001000 | 0, phi = -1; // a sign-extended kernel address: 64-bit constants
  const u16 = new Uint16Array(0x1000);
  const batch: BatchBlock[] = [];
  const insns: number[] = [];
  for (const { at, words } of sample()) {
    words.forEach((w, i) => { u16[(page + at) / 2 + 2 * i] = w & 0xffff; u16[(page + at) / 2 + 2 * i + 1] = w >>> 16; });
    const c = compileWasmBlock(u16, page + at, plo + at, phi, layout);
    if (c.body === null) throw new Error('translator sample: a block did not translate');
    batch.push({ off: page + at, plo: plo + at, phi, n: c.n, body: c.body, stubs: c.stubs });
    insns.push(words.reduce((k, w) => k + ((w & 3) === 3 ? 1 : 2), 0));
  }
  const { chains, exits } = chainBatch(batch);
  return { bytes: blockModule(layout, batch.map((b) => b.body), exits), blocks: batch.map((b, i) => ({ n: b.n, insns: insns[i], chains: chains[i] })), exits: exits.length };
}

let memo: number | undefined;

export function translatorFingerprint(): number {
  memo ??= crc32(translatorSample().bytes);
  return memo;
}
