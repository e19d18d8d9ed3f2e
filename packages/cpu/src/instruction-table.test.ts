/**
 * The interpreter, the translator and the disassembler against the instruction table: each entry
 * (its operand fields drawn at random) must be recognised by all three, and words that match no
 * entry must be refused by all three. "Recognised" is what each component does with the word:
 * the interpreter runs it without an illegal-instruction trap, the translator puts it in a block
 * (WFI excepted, as the table says) and the disassembler names it rather than printing `.4byte`.
 */
import { describe, expect, it } from 'vitest';
import { CAUSE, CSR, MSTATUS, PRIV_M } from './csr-numbers.js';
import { disassemble } from './disasm.js';
import { Hart } from './hart.js';
import type { HartEngine } from './hart.js';
import { INSTRUCTIONS, lookupInstruction } from './instruction-table.js';
import type { InstructionEntry } from './instruction-table.js';
import { compileWasmBlock } from './jit/wasm-compiler.js';
import { expandRvc } from './rvc.js';
import { BASE, testHart } from './testing/machine.js';

/** xorshift32: the same words on every run. */
function random(seed: number): () => number {
  let x = seed | 1;
  return () => { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; return x >>> 0; };
}

/** CSRs any program may write in M-mode (what a `csr` operand is drawn from). */
const WRITABLE_CSRS = [CSR.mscratch, CSR.sscratch, CSR.mepc, CSR.fcsr, CSR.fflags, CSR.frm];
const LEGAL_RM = [0, 1, 2, 3, 4, 7];

/** `t` with its operand bits drawn from `next`, constrained fields kept legal. */
function instance(t: InstructionEntry, next: () => number): number {
  let w = (t.match | (next() & ~t.mask)) >>> 0;
  if (t.constrained === 'rm') w = ((w & ~0x7000) | (LEGAL_RM[next() % LEGAL_RM.length] << 12)) >>> 0;
  if (t.constrained === 'csr') w = ((w & 0xfffff) | (WRITABLE_CSRS[next() % WRITABLE_CSRS.length] << 20)) >>> 0;
  return w;
}

/** Runs one word on a hart in M-mode (FP on, frm RNE, random registers); true unless it trapped as illegal. */
class Probe {
  private readonly hart: Hart;
  constructor(private readonly engine: HartEngine, private readonly next: () => number) {
    const { hart } = testHart([]);
    this.hart = new Hart(hart.bus, { engine, jitThreshold: 1, codeCache: null });
  }
  /** The last word run switched the hart out of M-mode (SRET). */
  leftM = false;
  /** Blocks the wasm engine translated so far (proof that the second runs ran translated code). */
  get compiled(): number {
    return this.hart.engineStats.compiled;
  }
  legal(word: number): boolean {
    const h = this.hart;
    h.bus.ram.view.setUint32(0, word, true);
    h.bus.ram.view.setUint32(4, 0, true); // nothing after it: a block holds this word alone
    h.codeWritten(0); // the previous word's translation is gone
    // The wasm engine translates a block once it is hot and its batch is due (or it keeps being
    // asked for): run the word until it is translated, then once more, translated.
    const start = this.compiled;
    const passes = this.engine === 'wasm' && translated(word) > 0 ? 100 : 1;
    let illegal = false, ranTranslated = false;
    this.leftM = false;
    for (let pass = 0; pass < passes && !ranTranslated; pass++) {
      ranTranslated = this.compiled > start;
      // A change of privilege flushes the TLB (the next run fetches the slow way, untranslated).
      if (h.priv !== PRIV_M) { h.priv = PRIV_M; h.privChanged(); this.leftM = true; }
      h.mstatus = MSTATUS.FS | MSTATUS.MPP; // FP state Dirty: FP instructions are legal; MRET stays in M
      h.frm = 0;
      h.satp = 0n;
      h.mtvec = BigInt(BASE + 0x1000);
      h.mcause = 0xffn;
      h.waiting = false;
      for (let r = 1; r < 32; r++) h.setX(r, (BigInt(this.next()) << 32n) | BigInt(this.next()));
      h.pc = BigInt(BASE);
      h.run(h.icount + 1);
      illegal ||= h.mcause === BigInt(CAUSE.ILLEGAL);
    }
    return !illegal;
  }
}

/** n instructions of the translator's: the words of one block it makes of `word` alone (0: none). */
function translated(word: number): number {
  const u16 = new Uint16Array(2048); // a 4 KiB page, zeros after the word (not an instruction)
  u16[0] = word & 0xffff; u16[1] = word >>> 16;
  return compileWasmBlock(u16, 0, BASE, 0, { memoryPages: 1, area: 0, dirtyOffset: 0, codeOffset: 0 }).n;
}

const disassembled = (word: number): string | null => {
  const text = disassemble(word).text;
  return text.startsWith('.4byte') || text.startsWith('.2byte') ? null : text.split(' ')[0];
};

const NAMES = new Set(INSTRUCTIONS.map((t) => t.name));
const PER_ENTRY = 12;

describe('the instruction table', () => {
  it('has no two entries that match the same word', () => {
    const overlaps: string[] = [];
    INSTRUCTIONS.forEach((a, i) => INSTRUCTIONS.slice(i + 1).forEach((b) => {
      if ((((a.match ^ b.match) & a.mask & b.mask) >>> 0) === 0) overlaps.push(`${a.name}/${b.name}`);
    }));
    expect(overlaps).toEqual([]);
    expect(NAMES.size).toBe(INSTRUCTIONS.length);
  });

  it('holds every compressed instruction\'s expansion', () => {
    const missing: string[] = [];
    for (let c = 0; c < 0x10000; c++) {
      const w = (c & 3) !== 3 ? expandRvc(c) : 0;
      if ((c & 3) !== 3 && w !== 0 && lookupInstruction(w) === undefined) missing.push(`${c.toString(16)} -> ${(w >>> 0).toString(16)}`);
    }
    expect(missing.slice(0, 10)).toEqual([]);
  });
});

describe('every entry of the table is recognised', () => {
  const next = random(0x5eed);
  const interp = new Probe('interp', next);
  const wasm = new Probe('wasm', next);
  for (const t of INSTRUCTIONS) {
    it(`${t.name}: by the interpreter, the wasm engine, the translator and the disassembler`, () => {
      const before = wasm.compiled;
      let leftM = false;
      for (let i = 0; i < PER_ENTRY; i++) {
        const w = instance(t, next);
        const hex = w.toString(16).padStart(8, '0');
        expect(lookupInstruction(w), hex).toBe(t);
        expect(interp.legal(w), `interpreter: ${hex} raised illegal instruction`).toBe(true);
        expect(wasm.legal(w), `wasm engine: ${hex} raised illegal instruction`).toBe(true);
        leftM ||= wasm.leftM;
        expect(translated(w), `translator: ${hex} left out of the block`).toBe(t.interpretedOnly ? 0 : 1);
        const d = (w & ~(t.disasmZero ?? 0)) >>> 0; // as objdump wants it (see disasmZero)
        const name = disassembled(d);
        expect(name, `disassembler: ${d.toString(16)} printed as data`).not.toBeNull();
        // Objdump's aliases (li, mv, ret, fmv.s, ...) are fine; another entry's name is not.
        if (name !== t.name) expect(NAMES.has(name!), `disassembler: ${hex} (${t.name}) printed as ${name}`).toBe(false);
      }
      // The wasm engine ran it translated, unless the table says it does not, or it left M-mode.
      if (!t.interpretedOnly && !leftM) expect(wasm.compiled, 'blocks translated').toBeGreaterThan(before);
    });
  }
});

describe('words outside the table are refused', () => {
  // Random words under the major opcodes the table uses (where a decoder could be too lenient),
  // plus the unused ones.
  const next = random(0xbad);
  const opcodes = [...new Set(INSTRUCTIONS.map((t) => t.match & 0x7f))];
  const words: number[] = [];
  while (words.length < 3000) {
    const op = words.length % 8 === 7 ? ((next() & 0x7c) | 3) : opcodes[next() % opcodes.length];
    const w = ((next() & ~0x7f) | op) >>> 0;
    if ((w & 0x1f) !== 0x1f && lookupInstruction(w) === undefined) words.push(w);
  }
  it(`${words.length} of them, by the interpreter and the wasm engine (illegal instruction) and the disassembler (.4byte)`, () => {
    const interp = new Probe('interp', next);
    const wasm = new Probe('wasm', next);
    const wrong: string[] = [];
    for (const w of words) {
      const hex = w.toString(16).padStart(8, '0');
      if (interp.legal(w)) wrong.push(`interpreter ran ${hex}`);
      if (wasm.legal(w)) wrong.push(`wasm engine ran ${hex}`);
      const name = disassembled(w);
      if (name !== null) wrong.push(`disassembler named ${hex} ${name}`);
    }
    expect(wrong.slice(0, 20)).toEqual([]);
  });
});
