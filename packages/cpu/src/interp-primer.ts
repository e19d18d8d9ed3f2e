/**
 * Type feedback for the hart's JavaScript before it meets a guest.
 *
 * V8 optimizes the interpreter's `execBlock` (and the translator's functions)
 * once they are hot. A path that had not run by then (an SRA by 32 or more,
 * a DIVW, an LH, a taken BGEU) has no type feedback, so the first time the
 * guest reaches it the optimized code is thrown away ("insufficient type
 * feedback") and V8 compiles the large function again later. In a cold smoke
 * boot that happened 15 times to `execBlock` alone: ~1 s of the optimizing
 * compiler's CPU, on the core the machine's WebAssembly tier-up needs too
 * (and, in parallel replay, the other lane).
 *
 * So the first hart of a thread first runs this program, a few thousand
 * steps of every integer instruction kind with the operand shapes a kernel
 * gives (negative halves, shifts past 31, zero divisors, MIN / -1, taken and
 * untaken branches, compressed instructions), on a scratch hart with its own
 * 64 KiB of RAM and no code cache: interpreted first, then translated. It
 * changes only V8's feedback; nothing it touches is shared with a machine.
 */
import { BareBus } from './bare/bare-machine.js';
import { Hart } from './hart.js';
import { Ram } from './ram.js';
import { B, I, R, S } from './testing/encode.js';

const BASE = 0x80000000;
const DATA = BASE + 0x8000;
/** Steps per operand set: enough passes over the program to interpret it, translate it, then run it translated. */
const STEPS = 4_000;

/** Operand registers x6..x12, as (lo, hi) int32 halves: two sets, so that data-dependent paths go both ways. */
const OPERANDS: readonly (readonly [number, number])[][] = [
  [[-5, -1], [3, 0], [0, -0x80000000], [-1, -1], [0, 0], [0x23456789, 1], [-0x80000000, 0]],
  [[7, 0], [-9, -1], [-1, 0x7fffffff], [0, -0x80000000], [5, 0], [-2, -1], [0x12345678, -0x12345679]],
];

/** The program: every integer instruction kind, then a jump back to the start. x5 = DATA; results to x20..x31. */
function program(): number[] {
  const p: number[] = [];
  const pairs = [[6, 7], [8, 9], [11, 10], [12, 6], [7, 6], [6, 9]]; // [6, 9]: equal high halves in set 0
  const rd = (k: number) => 20 + (k % 12);
  let k = 0;
  // OP and OP-32 (with M): every valid funct7 / funct3.
  const forms: [number, number, readonly number[]][] = [
    [0x33, 0, [0, 1, 2, 3, 4, 5, 6, 7]], [0x33, 0x20, [0, 5]], [0x33, 1, [0, 1, 2, 3, 4, 5, 6, 7]],
    [0x3b, 0, [0, 1, 5]], [0x3b, 0x20, [0, 5]], [0x3b, 1, [0, 4, 5, 6, 7]],
  ];
  for (const [op, f7, f3s] of forms) for (const f3 of f3s) for (const [a, b] of pairs) p.push(R(f7, b, a, f3, rd(k++), op));
  // OP-IMM: the ALU forms with small, negative and extreme immediates; shifts by 3, 31, 32, 63.
  for (const f3 of [0, 2, 3, 4, 6, 7]) for (const imm of [-1, 5, -2048, 2047]) for (const a of [6, 8, 11]) p.push(I(imm, a, f3, rd(k++), 0x13));
  for (const [f3, hi] of [[1, 0], [5, 0], [5, 0x400]]) for (const sh of [3, 31, 32, 63]) for (const a of [6, 8, 11, 12]) p.push(I(hi | sh, a, f3, rd(k++), 0x13));
  // OP-IMM-32.
  for (const imm of [-1, 5, 2047]) for (const a of [6, 8, 12]) p.push(I(imm, a, 0, rd(k++), 0x1b));
  for (const [f3, hi] of [[1, 0], [5, 0], [5, 0x400]]) for (const sh of [0, 5, 31]) for (const a of [6, 8, 12]) p.push(I(hi | sh, a, f3, rd(k++), 0x1b));
  // LUI, AUIPC (positive and negative upper immediates).
  p.push((0x12345 << 12) | (20 << 7) | 0x37, (0xfffff << 12) | (21 << 7) | 0x37, (0x80000 << 12) | (22 << 7) | 0x17, (1 << 12) | (23 << 7) | 0x17);
  // Stores then loads of every width, at offsets that hold negative values.
  for (const f3 of [0, 1, 2, 3]) for (const [src, off] of [[6, 0], [8, 8], [11, 16], [12, 24]]) p.push(S(off + (1 << f3), src, 5, f3, 0x23));
  for (const f3 of [0, 1, 2, 3, 4, 5, 6]) for (const off of [0, 8, 16, 24, 32]) p.push(I(off + (f3 === 3 ? 0 : 4), 5, f3, rd(k++), 0x03));
  // Branches, each kind taken and not: a taken one skips the next instruction.
  for (const f3 of [0, 1, 4, 5, 6, 7]) for (const [a, b] of [[6, 7], [7, 6], [6, 6], [8, 9], [12, 11]]) p.push(B(8, b, a, f3), I(1, 20, 0, 20, 0x13));
  // JAL over one instruction; AUIPC + JALR over one; a link to x0.
  p.push((((8 >> 1) & 0x3ff) << 21) | (1 << 7) | 0x6f, I(1, 20, 0, 20, 0x13));
  p.push((0 << 12) | (13 << 7) | 0x17, I(12, 13, 0, 1, 0x67), I(1, 20, 0, 20, 0x13));
  // Compressed, as pairs of halfwords: c.nop, c.li x20 1; c.mv x20 x6, c.add x20 x6; c.addi x20 -1, c.slli x20 3.
  p.push((0x4a05 << 16) | 0x0001, (0x9a1a << 16) | 0x8a1a, (0x0a0e << 16) | 0x1a7d);
  // AMOs (LR/SC, SWAP, ADD, XOR, AND, OR, MIN, MAX, MINU, MAXU), word and doubleword, at DATA.
  for (const f3 of [2, 3]) for (const f5 of [0b00010, 0b00011, 0b00001, 0, 0b00100, 0b01100, 0b01000, 0b10000, 0b10100, 0b11000, 0b11100]) p.push(R(f5 << 2, f5 === 0b00010 ? 0 : 6, 5, f3, rd(k++), 0x2f));
  // FENCE, FENCE.I; CSR accesses the kernel makes often: mscratch, mstatus, mie, mip, satp, time, cycle, instret.
  p.push(0x0ff0000f, 0x0000100f, I(0x340, 6, 1, 20, 0x73), I(0x340, 0, 2, 21, 0x73));
  for (const csr of [0x300, 0x304, 0x344, 0x180, 0xc01, 0xc00, 0xc02]) p.push(I(csr, 0, 2, rd(k++), 0x73));
  // WFI (runPrimer wakes the hart again).
  p.push(0x10500073);
  // Back to the start.
  const back = -4 * p.length;
  p.push(((((back >> 20) & 1) << 31) | (((back >> 1) & 0x3ff) << 21) | (((back >> 11) & 1) << 20) | (((back >> 12) & 0xff) << 12) | 0x6f) >>> 0);
  return p;
}

/** The program on a scratch hart, once per operand set (exported for its test). */
export function runPrimer(engine: 'wasm' | 'interp'): Hart {
  const words = program();
  const ram = new Ram(BASE, 64 * 1024);
  for (let i = 0; i < words.length; i++) ram.i32[i] = words[i] | 0;
  const h = new Hart(new BareBus(ram), { engine, jitThreshold: 2, codeCache: null, backgroundCompile: false });
  for (const set of OPERANDS) {
    h.pc = BigInt(BASE);
    h.setX(5, BigInt(DATA));
    set.forEach(([lo, hi], i) => h.setX(6 + i, (BigInt(hi) << 32n) | BigInt(lo >>> 0)));
    const end = h.icount + STEPS;
    while (h.icount < end) if (h.run(end) === 'wfi') h.waiting = false;
  }
  return h;
}

let primed = false;

/**
 * Runs the program once per thread (the first Hart built calls it, or earlier a caller that would
 * otherwise wait); a failure only leaves the feedback unprimed.
 */
export function primeHartFeedback(): void {
  if (primed) return;
  primed = true;
  try {
    runPrimer('wasm'); // the interpreter runs inside the wasm engine too
  } catch {
    // Feedback only: the machine runs the same without it.
  }
}
