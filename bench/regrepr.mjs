// Register-representation micro-benchmark: how should a JS RV64 interpreter
// hold its 64-bit integer registers?
//
// Every option runs the same decoded program (18 RV64 ops: add, addi, andi,
// xor, slli/srli by immediate, sltu, bltu taken and not taken, ld, sd) through
// the same shape of interpreter loop (switch on a decoded opcode, registers
// named by decoded indices, guest memory at 0x80000000 with bounds and
// alignment checks), for the same number of ops. The exact options must end in
// the same state; the checksum over registers, pc and memory proves it.
//
//   node bench/regrepr.mjs [--ops N] [--reps N] [--json PATH]
//
// Writes bench/results/regrepr.json (or --json PATH).

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';

const HERE = dirname(fileURLToPath(import.meta.url));

// ---------------------------------------------------------------------------
// The workload

const OP = { ADD: 0, ADDI: 1, ANDI: 2, XOR: 3, SLLI: 4, SRLI: 5, SLTU: 6, LD: 7, SD: 8, BLTU: 9 };

const MEM_BASE = 0x8000_0000; // guest physical address of guest memory
const MEM_BYTES = 8192;
const NREGS = 33; // x0..x31 plus a sink: a decoder maps rd = x0 to 32, so writes need no check

const U64 = (1n << 64n) - 1n;

// One loop iteration: xorshift-style mixing, a load and a store that depend on
// the data, a data-dependent forward branch and the loop-back branch.
//   [op, rd, rs1, rs2, imm]   (for branches imm is the target index)
const PROGRAM = [
  [OP.ADDI, 5, 5, 0, 1], //     0: addi x5, x5, 1        loop counter
  [OP.ADD, 10, 10, 11, 0], //   1: add  x10, x10, x11
  [OP.SLLI, 12, 10, 0, 13], //  2: slli x12, x10, 13
  [OP.XOR, 10, 10, 12, 0], //   3: xor  x10, x10, x12
  [OP.SRLI, 12, 10, 0, 7], //   4: srli x12, x10, 7
  [OP.XOR, 10, 10, 12, 0], //   5: xor  x10, x10, x12
  [OP.SLLI, 12, 10, 0, 37], //  6: slli x12, x10, 37     shift across the halves
  [OP.XOR, 10, 10, 12, 0], //   7: xor  x10, x10, x12
  [OP.ANDI, 13, 10, 0, 0xff8], // 8: andi x13, x10, 0xff8
  [OP.ADD, 13, 13, 7, 0], //    9: add  x13, x13, x7      + 0x80000000
  [OP.LD, 14, 13, 0, 0], //    10: ld   x14, 0(x13)
  [OP.ADD, 14, 14, 10, 0], //  11: add  x14, x14, x10
  [OP.SD, 0, 13, 14, 8], //    12: sd   x14, 8(x13)
  [OP.SLTU, 15, 14, 11, 0], // 13: sltu x15, x14, x11
  [OP.ADD, 16, 16, 15, 0], //  14: add  x16, x16, x15
  [OP.BLTU, 0, 14, 11, 17], // 15: bltu x14, x11, 17     data dependent
  [OP.ADDI, 17, 17, 0, -3], // 16: addi x17, x17, -3
  [OP.BLTU, 0, 5, 6, 0], //    17: bltu x5, x6, 0        loop back (always taken)
];

function initialRegs() {
  const r = new Array(NREGS).fill(0n);
  r[6] = U64; // loop limit: never reached
  r[7] = BigInt(MEM_BASE);
  r[10] = 0x0123_4567_89ab_cdefn;
  r[11] = 0x9e37_79b9_7f4a_7c15n; // top bit set: unsigned compares matter
  r[17] = 1000n;
  return r;
}

function initialMemory() {
  const m = new BigUint64Array(MEM_BYTES / 8);
  let x = 0x2545_f491_4f6c_dd1dn;
  for (let i = 0; i < m.length; i++) {
    x = BigInt.asUintN(64, x * 6364136223846793005n + 1442695040888963407n);
    m[i] = x;
  }
  return m;
}

// Decoded program, struct of arrays, shared by the JS options.
const D_OP = Int32Array.from(PROGRAM, (p) => p[0]);
const D_RD = Int32Array.from(PROGRAM, (p) => p[1]);
const D_RS1 = Int32Array.from(PROGRAM, (p) => p[2]);
const D_RS2 = Int32Array.from(PROGRAM, (p) => p[3]);
const D_IMM = Int32Array.from(PROGRAM, (p) => p[4]);
const D_IMM_HI = Int32Array.from(PROGRAM, (p) => (p[4] < 0 ? -1 : 0)); // sign extension
const D_IMM_BIG = PROGRAM.map((p) => BigInt(p[4]));
const D_IMM_BIG64 = BigInt64Array.from(D_IMM_BIG);

function checksum(regs /* BigInt[] (any sign) */, pc, mem /* BigUint64Array */) {
  let h = 0xcbf2_9ce4_8422_2325n;
  const step = (v) => {
    h = BigInt.asUintN(64, (h ^ BigInt.asUintN(64, v)) * 0x100_0000_01b3n);
  };
  for (let i = 0; i < 32; i++) step(regs[i]);
  step(BigInt(pc));
  for (let i = 0; i < mem.length; i++) step(mem[i]);
  return '0x' + h.toString(16).padStart(16, '0');
}

function trap(what) {
  throw new Error(`regrepr: bad ${what} address`);
}

// ---------------------------------------------------------------------------
// Option 1: BigInt64Array (+ a BigUint64Array view of the same buffer for
// unsigned reads). Stores wrap to 64 bits for free; every read allocates a BigInt.

function makeBigInt64Array() {
  const buf = new ArrayBuffer(NREGS * 8);
  const R = new BigInt64Array(buf);
  const U = new BigUint64Array(buf);
  initialRegs().forEach((v, i) => (U[i] = v));
  const mb = new ArrayBuffer(MEM_BYTES);
  const M = new BigInt64Array(mb);
  new BigUint64Array(mb).set(initialMemory());
  const st = { pc: 0 };
  return {
    run(n) {
      let pc = st.pc;
      for (let i = 0; i < n; i++) {
        const rd = D_RD[pc];
        const rs1 = D_RS1[pc];
        switch (D_OP[pc]) {
          case 0: // add
            R[rd] = R[rs1] + R[D_RS2[pc]];
            pc++;
            break;
          case 1: // addi
            R[rd] = R[rs1] + D_IMM_BIG64[pc];
            pc++;
            break;
          case 2: // andi
            R[rd] = R[rs1] & D_IMM_BIG64[pc];
            pc++;
            break;
          case 3: // xor
            R[rd] = R[rs1] ^ R[D_RS2[pc]];
            pc++;
            break;
          case 4: // slli
            R[rd] = R[rs1] << D_IMM_BIG64[pc];
            pc++;
            break;
          case 5: // srli
            R[rd] = U[rs1] >> D_IMM_BIG64[pc];
            pc++;
            break;
          case 6: // sltu
            R[rd] = U[rs1] < U[D_RS2[pc]] ? 1n : 0n;
            pc++;
            break;
          case 7: {
            // ld
            const a = Number(U[rs1]) + D_IMM[pc] - MEM_BASE;
            if (a < 0 || a > MEM_BYTES - 8 || (a & 7) !== 0) trap('load');
            R[rd] = M[a >>> 3];
            pc++;
            break;
          }
          case 8: {
            // sd
            const a = Number(U[rs1]) + D_IMM[pc] - MEM_BASE;
            if (a < 0 || a > MEM_BYTES - 8 || (a & 7) !== 0) trap('store');
            M[a >>> 3] = R[D_RS2[pc]];
            pc++;
            break;
          }
          case 9: // bltu
            pc = U[rs1] < U[D_RS2[pc]] ? D_IMM[pc] : pc + 1;
            break;
        }
      }
      st.pc = pc;
    },
    state: () => ({ regs: Array.from(U), pc: st.pc, mem: new BigUint64Array(mb) }),
  };
}

// ---------------------------------------------------------------------------
// Option 1b: a plain Array of BigInts, wrapped with BigInt.asUintN after each op.

function makeBigIntArray() {
  const R = initialRegs();
  const M = Array.from(initialMemory());
  const st = { pc: 0 };
  const asU = BigInt.asUintN;
  return {
    run(n) {
      let pc = st.pc;
      for (let i = 0; i < n; i++) {
        const rd = D_RD[pc];
        const rs1 = D_RS1[pc];
        switch (D_OP[pc]) {
          case 0:
            R[rd] = asU(64, R[rs1] + R[D_RS2[pc]]);
            pc++;
            break;
          case 1:
            R[rd] = asU(64, R[rs1] + D_IMM_BIG[pc]);
            pc++;
            break;
          case 2:
            R[rd] = R[rs1] & asU(64, D_IMM_BIG[pc]);
            pc++;
            break;
          case 3:
            R[rd] = R[rs1] ^ R[D_RS2[pc]];
            pc++;
            break;
          case 4:
            R[rd] = asU(64, R[rs1] << D_IMM_BIG[pc]);
            pc++;
            break;
          case 5:
            R[rd] = R[rs1] >> D_IMM_BIG[pc];
            pc++;
            break;
          case 6:
            R[rd] = R[rs1] < R[D_RS2[pc]] ? 1n : 0n;
            pc++;
            break;
          case 7: {
            const a = Number(R[rs1]) + D_IMM[pc] - MEM_BASE;
            if (a < 0 || a > MEM_BYTES - 8 || (a & 7) !== 0) trap('load');
            R[rd] = M[a >>> 3];
            pc++;
            break;
          }
          case 8: {
            const a = Number(R[rs1]) + D_IMM[pc] - MEM_BASE;
            if (a < 0 || a > MEM_BYTES - 8 || (a & 7) !== 0) trap('store');
            M[a >>> 3] = R[D_RS2[pc]];
            pc++;
            break;
          }
          case 9:
            pc = R[rs1] < R[D_RS2[pc]] ? D_IMM[pc] : pc + 1;
            break;
        }
      }
      st.pc = pc;
    },
    state: () => ({ regs: R.slice(), pc: st.pc, mem: BigUint64Array.from(M) }),
  };
}

// ---------------------------------------------------------------------------
// Options 2 and 3: 32-bit halves in Int32Arrays, carries by hand. The same
// code serves both layouts: separate lo/hi arrays (stride 1) or one
// interleaved array (lo at 2i, hi at 2i+1), chosen by the factory below so
// each gets its own specialised function.

function makeLoHi() {
  const L = new Int32Array(NREGS);
  const H = new Int32Array(NREGS);
  initialRegs().forEach((v, i) => {
    L[i] = Number(BigInt.asIntN(32, v));
    H[i] = Number(BigInt.asIntN(32, v >> 32n));
  });
  const mb = new ArrayBuffer(MEM_BYTES);
  const M = new Int32Array(mb); // word 2k = low half, 2k+1 = high half (little endian)
  new BigUint64Array(mb).set(initialMemory());
  const st = { pc: 0 };
  return {
    run(n) {
      let pc = st.pc;
      for (let i = 0; i < n; i++) {
        const rd = D_RD[pc];
        const rs1 = D_RS1[pc];
        switch (D_OP[pc]) {
          case 0: {
            // add
            const rs2 = D_RS2[pc];
            const a = L[rs1];
            const s = (a + L[rs2]) | 0;
            H[rd] = (H[rs1] + H[rs2] + ((s >>> 0) < (a >>> 0) ? 1 : 0)) | 0;
            L[rd] = s;
            pc++;
            break;
          }
          case 1: {
            // addi
            const a = L[rs1];
            const s = (a + D_IMM[pc]) | 0;
            H[rd] = (H[rs1] + D_IMM_HI[pc] + ((s >>> 0) < (a >>> 0) ? 1 : 0)) | 0;
            L[rd] = s;
            pc++;
            break;
          }
          case 2: // andi
            H[rd] = H[rs1] & D_IMM_HI[pc];
            L[rd] = L[rs1] & D_IMM[pc];
            pc++;
            break;
          case 3: {
            // xor
            const rs2 = D_RS2[pc];
            H[rd] = H[rs1] ^ H[rs2];
            L[rd] = L[rs1] ^ L[rs2];
            pc++;
            break;
          }
          case 4: {
            // slli; shamt 1..63 (a decoder turns slli by 0 into a move)
            const sh = D_IMM[pc];
            const l = L[rs1];
            if (sh < 32) {
              H[rd] = (H[rs1] << sh) | (l >>> (32 - sh));
              L[rd] = l << sh;
            } else {
              H[rd] = l << (sh - 32);
              L[rd] = 0;
            }
            pc++;
            break;
          }
          case 5: {
            // srli
            const sh = D_IMM[pc];
            const h = H[rs1];
            if (sh < 32) {
              L[rd] = (L[rs1] >>> sh) | (h << (32 - sh));
              H[rd] = h >>> sh;
            } else {
              L[rd] = h >>> (sh - 32);
              H[rd] = 0;
            }
            pc++;
            break;
          }
          case 6: {
            // sltu
            const rs2 = D_RS2[pc];
            const h1 = H[rs1] >>> 0;
            const h2 = H[rs2] >>> 0;
            H[rd] = 0;
            L[rd] = h1 < h2 || (h1 === h2 && L[rs1] >>> 0 < L[rs2] >>> 0) ? 1 : 0;
            pc++;
            break;
          }
          case 7: {
            // ld
            const a = H[rs1] * 4294967296 + (L[rs1] >>> 0) + D_IMM[pc] - MEM_BASE;
            if (a < 0 || a > MEM_BYTES - 8 || (a & 7) !== 0) trap('load');
            const w = a >>> 2;
            L[rd] = M[w];
            H[rd] = M[w + 1];
            pc++;
            break;
          }
          case 8: {
            // sd
            const a = H[rs1] * 4294967296 + (L[rs1] >>> 0) + D_IMM[pc] - MEM_BASE;
            if (a < 0 || a > MEM_BYTES - 8 || (a & 7) !== 0) trap('store');
            const w = a >>> 2;
            const rs2 = D_RS2[pc];
            M[w] = L[rs2];
            M[w + 1] = H[rs2];
            pc++;
            break;
          }
          case 9: {
            // bltu
            const rs2 = D_RS2[pc];
            const h1 = H[rs1] >>> 0;
            const h2 = H[rs2] >>> 0;
            pc = h1 < h2 || (h1 === h2 && L[rs1] >>> 0 < L[rs2] >>> 0) ? D_IMM[pc] : pc + 1;
            break;
          }
        }
      }
      st.pc = pc;
    },
    state: () => ({
      regs: Array.from(L, (l, i) => (BigInt(H[i] >>> 0) << 32n) | BigInt(l >>> 0)),
      pc: st.pc,
      mem: new BigUint64Array(mb),
    }),
  };
}

function makeInterleaved() {
  const R = new Int32Array(NREGS * 2); // x[i] = R[2i] (low) | R[2i+1] (high)
  initialRegs().forEach((v, i) => {
    R[2 * i] = Number(BigInt.asIntN(32, v));
    R[2 * i + 1] = Number(BigInt.asIntN(32, v >> 32n));
  });
  // Register indices pre-doubled by the decoder.
  const RD = D_RD.map((r) => 2 * r);
  const RS1 = D_RS1.map((r) => 2 * r);
  const RS2 = D_RS2.map((r) => 2 * r);
  const mb = new ArrayBuffer(MEM_BYTES);
  const M = new Int32Array(mb);
  new BigUint64Array(mb).set(initialMemory());
  const st = { pc: 0 };
  return {
    run(n) {
      let pc = st.pc;
      for (let i = 0; i < n; i++) {
        const rd = RD[pc];
        const rs1 = RS1[pc];
        switch (D_OP[pc]) {
          case 0: {
            const rs2 = RS2[pc];
            const a = R[rs1];
            const s = (a + R[rs2]) | 0;
            R[rd + 1] = (R[rs1 + 1] + R[rs2 + 1] + ((s >>> 0) < (a >>> 0) ? 1 : 0)) | 0;
            R[rd] = s;
            pc++;
            break;
          }
          case 1: {
            const a = R[rs1];
            const s = (a + D_IMM[pc]) | 0;
            R[rd + 1] = (R[rs1 + 1] + D_IMM_HI[pc] + ((s >>> 0) < (a >>> 0) ? 1 : 0)) | 0;
            R[rd] = s;
            pc++;
            break;
          }
          case 2:
            R[rd + 1] = R[rs1 + 1] & D_IMM_HI[pc];
            R[rd] = R[rs1] & D_IMM[pc];
            pc++;
            break;
          case 3: {
            const rs2 = RS2[pc];
            R[rd + 1] = R[rs1 + 1] ^ R[rs2 + 1];
            R[rd] = R[rs1] ^ R[rs2];
            pc++;
            break;
          }
          case 4: {
            const sh = D_IMM[pc];
            const l = R[rs1];
            if (sh < 32) {
              R[rd + 1] = (R[rs1 + 1] << sh) | (l >>> (32 - sh));
              R[rd] = l << sh;
            } else {
              R[rd + 1] = l << (sh - 32);
              R[rd] = 0;
            }
            pc++;
            break;
          }
          case 5: {
            const sh = D_IMM[pc];
            const h = R[rs1 + 1];
            if (sh < 32) {
              R[rd] = (R[rs1] >>> sh) | (h << (32 - sh));
              R[rd + 1] = h >>> sh;
            } else {
              R[rd] = h >>> (sh - 32);
              R[rd + 1] = 0;
            }
            pc++;
            break;
          }
          case 6: {
            const rs2 = RS2[pc];
            const h1 = R[rs1 + 1] >>> 0;
            const h2 = R[rs2 + 1] >>> 0;
            R[rd + 1] = 0;
            R[rd] = h1 < h2 || (h1 === h2 && R[rs1] >>> 0 < R[rs2] >>> 0) ? 1 : 0;
            pc++;
            break;
          }
          case 7: {
            const a = R[rs1 + 1] * 4294967296 + (R[rs1] >>> 0) + D_IMM[pc] - MEM_BASE;
            if (a < 0 || a > MEM_BYTES - 8 || (a & 7) !== 0) trap('load');
            const w = a >>> 2;
            R[rd] = M[w];
            R[rd + 1] = M[w + 1];
            pc++;
            break;
          }
          case 8: {
            const a = R[rs1 + 1] * 4294967296 + (R[rs1] >>> 0) + D_IMM[pc] - MEM_BASE;
            if (a < 0 || a > MEM_BYTES - 8 || (a & 7) !== 0) trap('store');
            const w = a >>> 2;
            const rs2 = RS2[pc];
            M[w] = R[rs2];
            M[w + 1] = R[rs2 + 1];
            pc++;
            break;
          }
          case 9: {
            const rs2 = RS2[pc];
            const h1 = R[rs1 + 1] >>> 0;
            const h2 = R[rs2 + 1] >>> 0;
            pc = h1 < h2 || (h1 === h2 && R[rs1] >>> 0 < R[rs2] >>> 0) ? D_IMM[pc] : pc + 1;
            break;
          }
        }
      }
      st.pc = pc;
    },
    state: () => ({
      regs: Array.from({ length: NREGS }, (_, i) => (BigInt(R[2 * i + 1] >>> 0) << 32n) | BigInt(R[2 * i] >>> 0)),
      pc: st.pc,
      mem: new BigUint64Array(mb),
    }),
  };
}

// ---------------------------------------------------------------------------
// Option 4: Float64Array. Values are doubles: add is not modulo 2^64, bitwise
// ops see only the low 32 bits, values past 2^53 lose bits. NOT EXACT: it only
// bounds from above what "registers as plain JS numbers" could reach.

const toBig = (v) => (Number.isFinite(v) ? BigInt(Math.trunc(v) % 2 ** 53) : 0n);

function makeFloat64() {
  const R = new Float64Array(NREGS);
  initialRegs().forEach((v, i) => (R[i] = Number(v)));
  const M = Float64Array.from(initialMemory(), (v) => Number(v));
  const P2 = Float64Array.from({ length: 64 }, (_, i) => 2 ** i);
  const st = { pc: 0 };
  return {
    run(n) {
      let pc = st.pc;
      for (let i = 0; i < n; i++) {
        const rd = D_RD[pc];
        const rs1 = D_RS1[pc];
        switch (D_OP[pc]) {
          case 0:
            R[rd] = R[rs1] + R[D_RS2[pc]];
            pc++;
            break;
          case 1:
            R[rd] = R[rs1] + D_IMM[pc];
            pc++;
            break;
          case 2:
            R[rd] = R[rs1] & D_IMM[pc];
            pc++;
            break;
          case 3:
            R[rd] = R[rs1] ^ R[D_RS2[pc]];
            pc++;
            break;
          case 4:
            R[rd] = R[rs1] * P2[D_IMM[pc]];
            pc++;
            break;
          case 5:
            R[rd] = Math.floor(R[rs1] / P2[D_IMM[pc]]);
            pc++;
            break;
          case 6:
            R[rd] = R[rs1] < R[D_RS2[pc]] ? 1 : 0;
            pc++;
            break;
          case 7: {
            const a = R[rs1] + D_IMM[pc] - MEM_BASE;
            if (a < 0 || a > MEM_BYTES - 8 || (a & 7) !== 0) trap('load');
            R[rd] = M[a >>> 3];
            pc++;
            break;
          }
          case 8: {
            const a = R[rs1] + D_IMM[pc] - MEM_BASE;
            if (a < 0 || a > MEM_BYTES - 8 || (a & 7) !== 0) trap('store');
            M[a >>> 3] = R[D_RS2[pc]];
            pc++;
            break;
          }
          case 9:
            pc = R[rs1] < R[D_RS2[pc]] ? D_IMM[pc] : pc + 1;
            break;
        }
      }
      st.pc = pc;
    },
    state: () => ({
      regs: Array.from(R, toBig),
      pc: st.pc,
      mem: BigUint64Array.from(M, (v) => BigInt.asUintN(64, toBig(v))),
    }),
  };
}

// ---------------------------------------------------------------------------
// Option 5: the same interpreter loop written in WebAssembly with i64
// registers, assembled here byte by byte (no toolchain). Memory layout:
//   0      registers, 8 bytes each
//   1024   decoded program, 32-byte records:
//          +0 op, +4 rd*8, +8 rs1*8, +12 rs2*8 (i32), +16 imm (i64), +24 target record address (i32)
//   4096   guest memory (MEM_BYTES)

const W_PROG = 1024;
const W_REC = 32;
const W_MEM = 4096;

function uleb(n) {
  const out = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function sleb(v) {
  let n = BigInt(v);
  const out = [];
  for (;;) {
    const b = Number(n & 0x7fn);
    n >>= 7n;
    if ((n === 0n && (b & 0x40) === 0) || (n === -1n && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

function section(id, bytes) {
  return [id, ...uleb(bytes.length), ...bytes];
}

function vec(items) {
  return [...uleb(items.length), ...items.flat()];
}

function name(s) {
  return vec([...Buffer.from(s, 'utf8')].map((b) => [b]));
}

function buildWasm() {
  // locals: 0 n (i32), 1 ins (i32, record address), 2 a (i64)
  const N = 0, INS = 1, A = 2;
  const get = (l) => [0x20, l];
  const set = (l) => [0x21, l];
  const tee = (l) => [0x22, l];
  const i32c = (v) => [0x41, ...sleb(v)];
  const i64c = (v) => [0x42, ...sleb(v)];
  const ld32 = (off) => [0x28, 2, ...uleb(off)];
  const ld64 = (off) => [0x29, 3, ...uleb(off)];
  const st64 = (off) => [0x37, 3, ...uleb(off)];
  const field = (off) => [...get(INS), ...ld32(off)]; // i32 field of the current record
  const reg = (off) => [...field(off), ...ld64(0)]; // value of the register named at off
  const imm = [...get(INS), ...ld64(16)];
  const next = [...get(INS), ...i32c(W_REC), 0x6a, ...set(INS)];
  const I64_ADD = 0x7c, I64_AND = 0x83, I64_XOR = 0x85, I64_SHL = 0x86, I64_SHR_U = 0x88;
  const I64_LT_U = 0x54, I64_SUB = 0x7d, I64_GT_U = 0x56, I64_NE = 0x52, I32_OR = 0x72;
  const EXT_U = 0xad, WRAP = 0xa7;
  const binop = (op) => [...field(4), ...reg(8), ...reg(12), op, ...st64(0)];
  const immop = (op) => [...field(4), ...reg(8), ...imm, op, ...st64(0)];
  const addr = () => [
    // a = x[rs1] + imm - MEM_BASE; trap unless 0 <= a <= MEM_BYTES-8 and aligned
    ...reg(8), ...imm, I64_ADD, ...i64c(MEM_BASE), I64_SUB, ...tee(A),
    ...i64c(MEM_BYTES - 8), I64_GT_U,
    ...get(A), ...i64c(7), I64_AND, ...i64c(0), I64_NE, I32_OR,
    0x04, 0x40, 0x00, 0x0b, // if unreachable end
  ];
  const cases = [
    binop(I64_ADD), // add
    immop(I64_ADD), // addi
    immop(I64_AND), // andi
    binop(I64_XOR), // xor
    immop(I64_SHL), // slli
    immop(I64_SHR_U), // srli
    [...field(4), ...reg(8), ...reg(12), I64_LT_U, EXT_U, ...st64(0)], // sltu
    [...addr(), ...field(4), ...get(A), WRAP, ...ld64(W_MEM), ...st64(0)], // ld
    [...addr(), ...get(A), WRAP, ...reg(12), ...st64(W_MEM)], // sd
    null, // bltu: below, it sets ins itself
  ];
  const k = cases.length;
  const body = [];
  body.push(0x02, 0x40); // block $done
  body.push(0x03, 0x40); // loop $top
  body.push(...get(N), 0x45, 0x0d, 1); // if n == 0: br $done
  body.push(...get(N), ...i32c(1), 0x6b, ...set(N));
  for (let i = 0; i < k; i++) body.push(0x02, 0x40); // one block per case
  body.push(...field(0), 0x0e, ...vec(Array.from({ length: k }, (_, i) => uleb(i))), ...uleb(k - 1));
  for (let i = 0; i < k; i++) {
    body.push(0x0b); // end of block i: case i starts here
    const toTop = k - 1 - i; // blocks still open above the loop
    if (i === 9) {
      body.push(...reg(8), ...reg(12), I64_LT_U);
      body.push(0x04, 0x40, ...get(INS), ...ld32(24), ...set(INS), 0x05, ...next, 0x0b);
    } else {
      body.push(...cases[i], ...next);
    }
    body.push(0x0c, ...uleb(toTop)); // br $top
  }
  body.push(0x0b); // end loop
  body.push(0x0b); // end block $done
  body.push(...get(INS));
  body.push(0x0b); // end function
  const func = [...vec([[1, 0x7e]]), ...body]; // one i64 local
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, ...vec([[0x7f], [0x7f]]), ...vec([[0x7f]])]])),
    ...section(3, vec([[0]])),
    ...section(5, vec([[0x00, 1]])),
    ...section(7, vec([[...name('run'), 0x00, 0], [...name('mem'), 0x02, 0]])),
    ...section(10, vec([[...uleb(func.length), ...func]])),
  ];
  return new Uint8Array(bytes);
}

function makeWasm() {
  const mod = new WebAssembly.Module(buildWasm());
  const inst = new WebAssembly.Instance(mod, {});
  const { run, mem } = inst.exports;
  const regs = new BigUint64Array(mem.buffer, 0, NREGS);
  regs.set(initialRegs());
  const dv = new DataView(mem.buffer);
  PROGRAM.forEach(([op, rd, rs1, rs2, imm], i) => {
    const at = W_PROG + i * W_REC;
    dv.setInt32(at, op, true);
    dv.setInt32(at + 4, rd * 8, true);
    dv.setInt32(at + 8, rs1 * 8, true);
    dv.setInt32(at + 12, rs2 * 8, true);
    dv.setBigInt64(at + 16, BigInt(imm), true);
    dv.setInt32(at + 24, W_PROG + (op === OP.BLTU ? imm : 0) * W_REC, true);
  });
  new BigUint64Array(mem.buffer, W_MEM, MEM_BYTES / 8).set(initialMemory());
  let ins = W_PROG;
  return {
    run(n) {
      ins = run(n, ins);
    },
    state: () => ({
      regs: Array.from(regs),
      pc: (ins - W_PROG) / W_REC,
      mem: new BigUint64Array(mem.buffer, W_MEM, MEM_BYTES / 8).slice(),
    }),
  };
}

// ---------------------------------------------------------------------------

export const OPTIONS = [
  { id: 'bigint64array', label: 'BigInt64Array + BigInt ops', exact: true, make: makeBigInt64Array },
  { id: 'bigint-array', label: 'Array of BigInt + BigInt.asUintN', exact: true, make: makeBigIntArray },
  { id: 'lohi-int32', label: 'two Int32Arrays (lo, hi)', exact: true, make: makeLoHi },
  { id: 'interleaved-int32', label: 'one Int32Array, lo/hi interleaved', exact: true, make: makeInterleaved },
  { id: 'float64', label: 'Float64Array (NOT exact: upper bound on speed)', exact: false, make: makeFloat64 },
  { id: 'wasm-i64', label: 'WebAssembly i64 (whole loop in wasm)', exact: true, make: makeWasm },
];

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Runs every option. Each option gets a fresh machine per repetition; the
 * repetitions are interleaved across options (A B C ... A B C ...), so slow
 * phases of a shared machine spread over all of them.
 */
export async function runRegrepr({ ops = 50_000_000, reps = 3, warmupOps = 2_000_000, log = console.log } = {}) {
  const times = new Map(OPTIONS.map((o) => [o.id, []]));
  const sums = new Map();
  for (const o of OPTIONS) o.make().run(warmupOps); // compile every option first
  for (let r = 0; r < reps; r++) {
    for (const o of OPTIONS) {
      const m = o.make();
      const t0 = performance.now();
      m.run(ops);
      const ms = performance.now() - t0;
      times.get(o.id).push(ms);
      const s = m.state();
      const sum = checksum(s.regs, s.pc, s.mem);
      if (sums.has(o.id) && sums.get(o.id) !== sum) throw new Error(`regrepr: ${o.id} is not deterministic`);
      sums.set(o.id, sum);
      log?.(`  regrepr ${o.id.padEnd(18)} rep ${r + 1}/${reps}: ${(ops / ms / 1000).toFixed(1)} Mops/s`);
    }
  }
  const exactSums = new Set(OPTIONS.filter((o) => o.exact).map((o) => sums.get(o.id)));
  const agree = exactSums.size === 1;
  const rows = OPTIONS.map((o) => {
    const ms = median(times.get(o.id));
    return { id: o.id, option: o.label, exact: o.exact, ms, mops: ops / ms / 1000, checksum: sums.get(o.id) };
  });
  const fastestExact = Math.max(...rows.filter((r) => r.exact).map((r) => r.mops));
  const fastest = Math.max(...rows.map((r) => r.mops));
  for (const r of rows) {
    r.vsFastest = r.mops / fastest;
    r.vsFastestExact = r.mops / fastestExact;
  }
  return { ops, reps, programLength: PROGRAM.length, checksumsAgree: agree, rows };
}

export function regreprTable(result) {
  return {
    columns: ['option', 'Mops/s', 'vs fastest', 'vs fastest exact', 'checksum'],
    rows: result.rows.map((r) => [
      r.option,
      r.mops.toFixed(1),
      r.vsFastest.toFixed(2),
      r.vsFastestExact.toFixed(2),
      r.exact ? r.checksum : `(${r.checksum}, inexact)`,
    ]),
  };
}

export function writeRegreprJson(result, machine, path = resolve(HERE, 'results/regrepr.json')) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify({ benchmark: 'regrepr', date: new Date().toISOString(), machine, ...result }, null, 2) + '\n');
  return path;
}

// Standalone: node bench/regrepr.mjs
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { machineInfo, formatTable, parseArgs } = await import('./lib/report.mjs');
  const args = parseArgs(process.argv.slice(2));
  const result = await runRegrepr({ ops: Number(args.ops ?? 50_000_000), reps: Number(args.reps ?? 3) });
  const machine = machineInfo();
  console.log(`\nregrepr: ${result.ops.toLocaleString('en-US')} ops per option, median of ${result.reps}; ${machine.cpu}, node ${machine.node}\n`);
  console.log(formatTable(regreprTable(result)));
  console.log(`\nexact options agree: ${result.checksumsAgree ? 'yes' : 'NO'}`);
  const path = writeRegreprJson(result, machine, args.json ? resolve(args.json) : undefined);
  console.log(`wrote ${path}`);
  if (!result.checksumsAgree) process.exitCode = 1;
}
