/**
 * Translates one basic block of guest code into a WebAssembly function (the
 * 'wasm' engine; see wasm-engine.ts and Hart.execWasm).
 *
 * 64-bit registers are native i64 values. A block starts at a virtual pc whose
 * page is in the exec TLB, stays inside that page (a 32-bit instruction across
 * the page end is left to the interpreter), ends after a jump or a SYSTEM
 * instruction other than a CSR access (after one of those only when the hart
 * asks), before an instruction it leaves to the interpreter (WFI, illegal
 * encodings), or after MAX_BLOCK_INSNS.
 *
 * The function is `(budget: i32, done: i32) -> steps: i32`: `done` steps were
 * taken since the dispatcher was entered, and it returns that count with its
 * own added. Guest registers live in the hart's area (x[i] is the i64 at
 * AREA_X + 8i) and are read and written there, so slow paths, traps (a
 * JavaScript exception out of a slow path) and the interpreter always see them.
 * A block leaves its next pc in the area (AREA_PC). Slow paths get the step
 * position of their instruction (since the dispatcher was entered).
 *
 * Chaining: an exit to a constant pc (a taken branch, JAL, the end of the
 * block) can tail-call the block for that pc when both are compiled in the same
 * module and lie in the same page (so the current mapping of the page covers
 * both), if the target's whole pass fits in the budget. Which exits chain is
 * decided when the batch is compiled: each such exit is a hole in the
 * function (`ChainStub`) filled then with the code of the way it takes. An exit into the same page that does not chain so
 * (its target is in another module, or not translated yet) goes through the
 * module's exit table instead (`env.exits`, table 0, one slot per such exit,
 * listed in the module's EXITS_SECTION): the engine keeps each slot pointing
 * at the block installed at the target's place in the same physical page, or
 * at a function that just returns to the dispatcher; the exit stores its pc
 * first, so either way is right. Such a call is made only when the longest
 * block (MAX_BLOCK_INSNS) would fit in the budget. An exit into another page
 * (a call, mostly) has a slot too, but the page's mapping is known only when it
 * runs: its slot is taken only when the exec TLB maps the target where the
 * block the slot points at lies (a guard per slot, a global the engine sets).
 * A branch back to the
 * block's own start loops inside the function while a whole further pass fits
 * in `budget`.
 *
 * HOT PATH (generated code): loads and stores probe the software TLB of the
 * current privilege level inline and touch RAM directly (RAM is at offset 0 of
 * the memory); misses, misaligned accesses, MMIO and faults go to the hart.
 */
import { CSR } from '../csr-numbers.js';
import { MISA_HI, MISA_LO, trapCsrOffset } from '../csr.js';
import { AREA_F, AREA_FP_MODE, AREA_PC, AREA_RESERVATION, AREA_TLB_CURRENT, AREA_TLB_SETS, AREA_X, FP_MODE_FS_ON, SET_BYTES, SET_R_KEY, SET_R_OFF, SET_W_KEY, SET_W_OFF, SET_X_KEY, SET_X_OFF } from '../hart-memory.js';
import { emitFpOp, fpLocals, pushFpLegal } from './fp-compiler.js';
import type { FpLocals, FpSite } from './fp-compiler.js';
import { expandRvc } from '../rvc.js';
import { TLB_MASK } from '../tlb.js';
import { wasmApi } from '../wasm/api.js';
import { FunctionBody, ModuleBuilder, Op, T } from '../wasm/module-builder.js';

/** Longest block, in instructions. */
export const MAX_BLOCK_INSNS = 64;

/**
 * Name of the custom section of a block module that lists its exit-table slots: per slot, the
 * function (block) index (u16), 1 for a far exit, else 0 (u16), and the target pc's low and high
 * halves (i32 each), little-endian. Read with `moduleExits`.
 */
export const EXITS_SECTION = 'prnr.exits';
/** Bytes per slot in EXITS_SECTION. */
export const EXIT_BYTES = 12;

/** Where the generated code finds the hart and RAM in the memory. */
export interface WasmLayout {
  /** Pages of the RAM's WebAssembly memory (the module imports it with exactly this size). */
  readonly memoryPages: number;
  /** Byte offset of the hart's area (hart-memory.ts). */
  readonly area: number;
  readonly dirtyOffset: number;
  readonly codeOffset: number;
}

/**
 * Slow paths, reached with call_indirect through the imported table `env.table`
 * (its first entries; see wasm-engine.ts). Importing JavaScript functions
 * directly would make V8 compile import wrappers for every module, which costs
 * more than compiling the block itself.
 */
export const SLOW_PATHS = {
  load: { index: 0, params: 7 }, // (vlo, vhi, f3, rd, plo, phi, steps) -> attn
  store: { index: 1, params: 8 }, // (vlo, vhi, size, lo, hi, plo, phi, steps) -> attn
  slow: { index: 2, params: 4 }, // (insn, plo, phi, steps) -> attn
  codeWritten: { index: 3, params: 1 }, // (page) -> 1
  system: { index: 4, params: 6 }, // (insn, plo, phi, nlo, nhi, steps) -> attn; leaves the next pc in the area (not after a CSR access that returns 0)
} as const;
export const SLOW_PATH_COUNT = 5;
const F_LOAD = SLOW_PATHS.load.index;
const F_STORE = SLOW_PATHS.store.index;
const F_SLOW = SLOW_PATHS.slow.index;
const F_CODE_WRITTEN = SLOW_PATHS.codeWritten.index;
const F_SYSTEM = SLOW_PATHS.system.index;
// Every module declares the slow paths' function types first, in SLOW_PATHS order (blockModule,
// and the hub in wasm-engine.ts), so a slow path's type index is its table index.
const WFI = 0x10500073;
/** funct5 of the AMOs translated here (not LR/SC): SWAP, ADD, XOR, AND, OR, MIN, MAX, MINU, MAXU. */
const AMO_OPS = new Set([0x01, 0x00, 0x04, 0x0c, 0x08, 0x10, 0x14, 0x18, 0x1c]);
const I32S = (n: number): T[] => new Array<T>(n).fill(T.i32);

export interface WasmBlock {
  /** Steps of one pass (0: nothing translatable here). */
  n: number;
  /** Bytes of guest code covered, from the start offset. */
  bytes: number;
  /** The function, `(budget: i32, done: i32) -> steps: i32`, for blockModule (null when n is 0). */
  body: FunctionBody | null;
  /** Its exits to constant pcs, for chaining. */
  stubs: ChainStub[];
}

/**
 * An exit to a constant pc after `c` steps of its pass: a hole in the block's body (FunctionBody.hole)
 * holding a plain exit to the dispatcher until chainBatch fills it with the way it takes (a tail
 * call, or the exit table). Only the chosen code is compiled: placeholders for every way cost
 * about 60 bytes more per exit.
 */
export interface ChainStub {
  readonly lo: number;
  readonly hi: number;
  readonly c: number;
  readonly hole: number;
  /** The target lies in another page than the block's start (only an exit-table slot with a guard can take it). */
  readonly far: boolean;
}

/**
 * One slot of a module's exit table: the block whose exit uses it and that exit's target pc. A
 * `far` slot's target lies in another virtual page; its exit checks a guard first (see farExitCode).
 */
export interface ExitSlot {
  readonly block: number;
  readonly lo: number;
  readonly hi: number;
  readonly far: boolean;
}

/** Function type of a block: (budget, done) -> steps. */
export const BLOCK_PARAMS: readonly T[] = [T.i32, T.i32];
/** Its type index in a block module: right after the slow paths' types (blockModule checks it). */
const BLOCK_TYPE = SLOW_PATH_COUNT;
/**
 * Table indices in a block module. The exit table is table 0 because V8 keeps table 0's arrays on
 * the instance itself: a call through any other table first loads that table's object. Exits are
 * taken far more often than slow paths.
 */
const EXIT_TABLE = 0;
const SLOW_TABLE = 1;

const TWO32 = 4294967296;

function addPc(lo: number, hi: number, delta: number): [number, number] {
  const t = (lo >>> 0) + delta;
  return [t | 0, (hi + (t < 0 ? -1 : t >= TWO32 ? 1 : 0)) | 0];
}

/** Translate the block at RAM byte offset `off` for virtual pc (plo, phi); `u16` is RAM as halfwords. */
export function compileWasmBlock(u16: Uint16Array, off: number, plo: number, phi: number, layout: WasmLayout): WasmBlock {
  const g = new BlockWriter(layout, plo, phi);
  const pageEnd = (off | 0xfff) + 1;
  let at = off;
  let [clo, chi] = [plo, phi];
  let n = 0;
  let ended = false;
  while (n < MAX_BLOCK_INSNS && at < pageEnd) {
    let insn = u16[at >>> 1];
    let ilen = 4;
    if ((insn & 3) !== 3) {
      insn = expandRvc(insn);
      ilen = 2;
      if (insn === 0) break;
    } else {
      if (at + 2 === pageEnd) break; // a 32-bit instruction across the page end: the interpreter's
      insn |= u16[(at >>> 1) + 1] << 16;
    }
    const r = g.instruction(insn, ilen, clo, chi, n);
    if (r === 'no') break;
    n++;
    at += ilen;
    [clo, chi] = addPc(clo, chi, ilen);
    if (r === 'jump') { ended = true; break; }
  }
  if (n === 0) return { n: 0, bytes: 0, body: null, stubs: [] };
  if (!ended) g.chainExit(clo, chi, n);
  return { n, bytes: at - off, body: g.finish(n), stubs: g.stubs };
}

/** A translated block of a batch, as chainBatch needs it. */
export interface BatchBlock {
  /** RAM byte offset, virtual pc, steps of one pass. */
  readonly off: number;
  readonly plo: number;
  readonly phi: number;
  readonly n: number;
  readonly body: FunctionBody;
  readonly stubs: readonly ChainStub[];
}

/**
 * Patch the exits of a batch (one module, function i = batch[i]) that can go straight into another
 * block of the batch: same target pc, same virtual page as the exiting block's start, at the
 * matching place of the same physical page. The other exits into the block's page go through
 * the module's exit table (one slot each). Returns, per block, the functions it now tail-calls
 * (what a code cache must check besides the block's own bytes), and the exit table's slots.
 */
export function chainBatch(batch: readonly BatchBlock[]): { chains: number[][]; exits: ExitSlot[] } {
  const index = new Map<string, number>();
  batch.forEach((p, i) => index.set(`${p.plo}:${p.phi}`, i));
  const exits: ExitSlot[] = [];
  let guards = 0;
  const chains = batch.map((p, i) => {
    const chains: number[] = [];
    for (const s of p.stubs) {
      if (s.far) {
        p.body.fill(s.hole, farExitCode(s, exits.length, guards++));
        exits.push({ block: i, lo: s.lo, hi: s.hi, far: true });
        continue;
      }
      const j = index.get(`${s.lo}:${s.hi}`);
      const q = j === undefined ? undefined : batch[j];
      if (j === undefined || q === undefined || q.off - p.off !== (s.lo >>> 0) - (p.plo >>> 0)) {
        p.body.fill(s.hole, exitCode(s, { slot: exits.length }));
        exits.push({ block: i, lo: s.lo, hi: s.hi, far: false });
        continue;
      }
      p.body.fill(s.hole, exitCode(s, { fn: j, n: q.n }));
      if (!chains.includes(j)) chains.push(j);
    }
    return chains;
  });
  return { chains, exits };
}

// Locals of a block function that exits use (BlockWriter declares them first, in this order).
const L_BUDGET = 0, L_DONE = 1, L_ND = 2, L_AREA = 3, L_SET = 4;
/** Scratch for exit code (HOT: one per exit of every translated block). */
const exitScratch = new FunctionBody(BLOCK_PARAMS);

/**
 * The code of exit `s`: store the pc and return the steps, after trying, if a whole pass of the
 * target fits in the budget, a tail call of function `fn` of the module (the target, `n` steps a
 * pass), or, if the longest block fits, of exit-table slot `slot`.
 */
function exitCode(s: ChainStub, way: { fn: number; n: number } | { slot: number } | null): Uint8Array {
  const f = exitScratch;
  f.code.len = 0;
  if (way === null) {
    f.get(L_AREA).i64(s.lo, s.hi).mem(Op.i64_store, AREA_PC, 3);
    f.get(L_DONE).i32(s.c).op(Op.i32_add).op(Op.return);
  } else {
    f.get(L_DONE).i32(s.c).op(Op.i32_add).set(L_ND);
    if ('fn' in way) {
      f.get(L_ND).i32(way.n).op(Op.i32_add).get(L_BUDGET).op(Op.i32_le_s).open(Op.if);
      f.get(L_BUDGET).get(L_ND).returnCall(way.fn).op(Op.end);
    }
    f.get(L_AREA).i64(s.lo, s.hi).mem(Op.i64_store, AREA_PC, 3);
    if ('slot' in way) {
      f.get(L_ND).i32(MAX_BLOCK_INSNS).op(Op.i32_add).get(L_BUDGET).op(Op.i32_le_s).open(Op.if);
      f.get(L_BUDGET).get(L_ND).i32(way.slot).returnCallIndirect(BLOCK_TYPE, EXIT_TABLE).op(Op.end);
    }
    f.get(L_ND).op(Op.return);
  }
  return f.code.buf.slice(0, f.code.len);
}

/**
 * The code of far exit `s` (its target in another virtual page), through exit-table slot `slot`
 * whose guard is global `guard`: if the longest block fits in the budget, the exec TLB maps the
 * target's page, and the target's RAM offset under that mapping is the guard's value (the engine
 * keeps there the offset of the block the slot points at, or -1), tail-call the slot; else store
 * the pc and return to the dispatcher. The TLB entry's index is a constant (the pc is; TLB_MASK
 * lies within its low 20 bits), so the check is two loads from the TLB set and a global. On the
 * smoke workload this halves the dispatcher's trips and saves ~2% (BENCHMARKS.md §3, session 20):
 * a trip costs little more than the guarded tail call.
 */
function farExitCode(s: ChainStub, slot: number, guard: number): Uint8Array {
  const f = exitScratch;
  f.code.len = 0;
  const idx = (s.lo >>> 12) & TLB_MASK;
  const vpn = s.hi * 1048576 + (s.lo >>> 12); // (pc >> 12) as the TLB keys it: a double, signed
  // One br_if per condition: V8 then branches on each compare instead of and-ing their values.
  f.open(Op.block);
  f.get(L_DONE).i32(s.c).op(Op.i32_add).tee(L_ND).i32(MAX_BLOCK_INSNS).op(Op.i32_add).get(L_BUDGET).op(Op.i32_gt_s).br(Op.br_if, 0);
  f.get(L_SET).mem(Op.f64_load, SET_X_KEY + 8 * idx, 3).f64(vpn).op(Op.f64_ne).br(Op.br_if, 0);
  f.get(L_SET).mem(Op.i32_load, SET_X_OFF + 4 * idx, 2).i32(s.lo & 0xfff).op(Op.i32_add).globalGet(guard).op(Op.i32_ne).br(Op.br_if, 0);
  f.get(L_BUDGET).get(L_ND).i32(slot).returnCallIndirect(BLOCK_TYPE, EXIT_TABLE).op(Op.end);
  f.get(L_AREA).i64(s.lo, s.hi).mem(Op.i64_store, AREA_PC, 3);
  f.get(L_ND).op(Op.return);
  return f.code.buf.slice(0, f.code.len);
}

/**
 * A module exporting the given block functions as "0", "1", ... (imports: the memory, the slow-path
 * table and the exit table `env.exits` of at least max(1, exits.length) slots), with its exit
 * slots in the EXITS_SECTION custom section.
 */
export function blockModule(layout: WasmLayout, bodies: readonly FunctionBody[], exits: readonly ExitSlot[]): Uint8Array {
  const m = new ModuleBuilder(layout.memoryPages);
  if (m.importTable('exits', Math.max(1, exits.length)) !== EXIT_TABLE) throw new Error('blockModule: the exit table index moved');
  if (m.importTable('table', SLOW_PATH_COUNT) !== SLOW_TABLE) throw new Error('blockModule: the slow-path table index moved');
  for (const p of Object.values(SLOW_PATHS)) m.typeIndex(I32S(p.params), [T.i32]);
  if (m.typeIndex(BLOCK_PARAMS, [T.i32]) !== BLOCK_TYPE) throw new Error('blockModule: the block type index moved');
  bodies.forEach((body, i) => m.addFunction(String(i), BLOCK_PARAMS, [T.i32], body));
  let guards = 0;
  for (const e of exits) if (e.far) m.addGlobal(guardName(guards++), -1);
  const list = new Uint8Array(EXIT_BYTES * exits.length);
  const v = new DataView(list.buffer);
  exits.forEach((e, k) => {
    v.setUint16(EXIT_BYTES * k, e.block, true);
    v.setUint16(EXIT_BYTES * k + 2, e.far ? 1 : 0, true);
    v.setInt32(EXIT_BYTES * k + 4, e.lo, true);
    v.setInt32(EXIT_BYTES * k + 8, e.hi, true);
  });
  m.customSection(EXITS_SECTION, list);
  return m.encode();
}

/** The exported name of a block module's k-th far exit's guard (a mutable i32 global). */
export const guardName = (k: number): string => `g${k}`;

/** The exit-table slots of a compiled block module (its EXITS_SECTION). */
export function moduleExits(module: object): ExitSlot[] {
  const sections = wasmApi.Module.customSections(module, EXITS_SECTION);
  if (sections.length !== 1 || sections[0].byteLength % EXIT_BYTES !== 0) throw new Error(`block module without a valid ${EXITS_SECTION} section`);
  const v = new DataView(sections[0]);
  const exits: ExitSlot[] = [];
  for (let at = 0; at < v.byteLength; at += EXIT_BYTES) {
    exits.push({ block: v.getUint16(at, true), far: v.getUint16(at + 2, true) === 1, lo: v.getInt32(at + 4, true), hi: v.getInt32(at + 8, true) });
  }
  return exits;
}

/** Locals for a software-TLB probe: the virtual address (i64), its page number (i64), the entry index and the set (i32). */
export interface TlbLocals {
  readonly addr: number;
  readonly vpn: number;
  readonly idx: number;
  readonly set: number;
}

/**
 * Push whether the TLB array at `keyOff` in the set holds the page of `addr` (with `miss`,
 * whether it does not: an empty entry's NaN key never matches); sets vpn and idx.
 * The key is vpn (addr >> 12, signed) as a double, as the hart writes it (tlb.ts).
 */
export function pushTlbHit(f: FunctionBody, l: TlbLocals, keyOff: number, miss = false): void {
  f.get(l.addr).i64(12, 0).op(Op.i64_shr_s).tee(l.vpn).op(Op.i32_wrap_i64).i32(TLB_MASK).op(Op.i32_and).set(l.idx);
  f.get(l.idx).i32(3).op(Op.i32_shl).get(l.set).op(Op.i32_add).mem(Op.f64_load, keyOff, 3);
  f.get(l.vpn).op(Op.f64_convert_i64_s).op(miss ? Op.f64_ne : Op.f64_eq);
}

/** Push the RAM offset of `addr` from the entry at idx of the TLB array at `offOff` (after a hit). */
export function pushTlbOffset(f: FunctionBody, l: TlbLocals, offOff: number): void {
  f.get(l.idx).i32(2).op(Op.i32_shl).get(l.set).op(Op.i32_add).mem(Op.i32_load, offOff, 2);
  f.get(l.addr).op(Op.i32_wrap_i64).i32(0xfff).op(Op.i32_and).op(Op.i32_add);
}

type Emitted = 'ok' | 'jump' | 'no';

/** Emits one block function; see the file comment for its shape. */
class BlockWriter {
  private readonly f = new FunctionBody(BLOCK_PARAMS);
  private readonly budget = 0;
  private readonly done = 1;
  private readonly nd: number;
  /**
   * Holds layout.area: the hart's area is addressed from this local with short offsets rather than
   * from address 0 with the area's (4-5 byte) offset, which saves about 3 bytes per register access.
   */
  private readonly ab: number;
  readonly stubs: ChainStub[] = [];
  private readonly v: number;
  private readonly p: number;
  private readonly ta: number;
  private readonly tb: number;
  private readonly t0: number;
  private readonly t1: number;
  private readonly t2: number;
  private readonly idx: number;
  private readonly o: number;
  private readonly set: number;
  private readonly wa: number;
  private readonly wb: number;
  /** Open `if`s inside `loop $top` (a branch to depth `ifs` reaches the loop). */
  private ifs = 0;
  private readonly tlb: TlbLocals;

  constructor(private readonly layout: WasmLayout, private readonly startLo: number, private readonly startHi: number) {
    const f = this.f;
    this.nd = f.local(T.i32);
    this.ab = f.local(T.i32);
    this.set = f.local(T.i32);
    if (this.budget !== L_BUDGET || this.done !== L_DONE || this.nd !== L_ND || this.ab !== L_AREA || this.set !== L_SET) throw new Error('BlockWriter: the exit locals moved');
    this.idx = f.local(T.i32); this.o = f.local(T.i32); this.wa = f.local(T.i32); this.wb = f.local(T.i32);
    this.v = f.local(T.i64); this.p = f.local(T.i64);
    this.ta = f.local(T.i64); this.tb = f.local(T.i64); this.t0 = f.local(T.i64); this.t1 = f.local(T.i64); this.t2 = f.local(T.i64);
    this.tlb = { addr: this.v, vpn: this.p, idx: this.idx, set: this.set };
    // The TLB set of the current privilege level (it cannot change inside a block), then the pass loop.
    f.i32(layout.area).tee(this.ab).mem(Op.i32_load, AREA_TLB_CURRENT, 2).set(this.set);
    f.open(Op.loop);
  }

  // ---- registers (read and written in the hart's area: x[i] is the i64 at AREA_X + 8i)

  /** Push x[r]. */
  private getX(r: number): void {
    if (r === 0) this.f.i64(0, 0);
    else this.f.get(this.ab).mem(Op.i64_load, AREA_X + 8 * r, 3);
  }
  private getX32(r: number): void {
    if (r === 0) this.f.i32(0);
    else this.f.get(this.ab).mem(Op.i32_load, AREA_X + 8 * r, 2);
  }
  /** x[r] = the i64 `value` pushes (nothing for x0: values have no side effects). */
  private setX(r: number, value: () => void): void {
    if (r === 0) return;
    this.f.get(this.ab);
    value();
    this.f.mem(Op.i64_store, AREA_X + 8 * r, 3);
  }
  /** x[r] = the i32 `value` pushes, sign-extended. */
  private setX32(r: number, value: () => void): void {
    this.setX(r, () => { value(); this.f.op(Op.i64_extend_i32_s); });
  }

  // ---- control

  /** Push the step position `c` of this pass, relative to the block's entry (earlier passes included). */
  private steps(c: number): void {
    this.f.get(this.done).i32(c).op(Op.i32_add);
  }
  /** Leave the block with pc = (lo, hi) after `c` steps of this pass. */
  exit(lo: number, hi: number, c: number): void {
    this.f.get(this.ab).i64(lo, hi).mem(Op.i64_store, AREA_PC, 3);
    this.steps(c);
    this.f.op(Op.return);
  }
  /**
   * Leave with pc = (lo, hi) after `c` steps of this pass, or go straight on into the block there
   * (see ChainStub): within the block's page by a tail call or the exit table, into another page
   * through the exit table behind a guard (farExitCode).
   */
  chainExit(lo: number, hi: number, c: number): void {
    const s = { lo, hi, c, hole: 0, far: hi !== this.startHi || (lo >>> 12) !== (this.startLo >>> 12) };
    s.hole = this.f.hole(exitCode(s, null));
    this.stubs.push(s);
  }
  private openIf(): void { this.f.open(Op.if); this.ifs++; }
  private close(): void { this.f.op(Op.end); this.ifs--; }
  /** Call slow path `fn` (arguments pushed by `args`), leaving the block after instruction `k` if it returns non-zero. */
  private slowCall(fn: number, args: () => void, k: number, nlo: number, nhi: number): void {
    args();
    this.f.i32(fn).callIndirect(fn, SLOW_TABLE);
    this.openIf();
    this.exit(nlo, nhi, k + 1);
    this.close();
  }

  // ---- memory

  /** v = x[rs1] + imm. */
  private address(rs1: number, imm: number): void {
    this.getX(rs1);
    if (imm !== 0) this.f.i64(imm, imm >> 31).op(Op.i64_add);
    this.f.set(this.v);
  }
  /**
   * Opens the fast way of a memory access at v, with o = v's RAM offset: taken when v is aligned
   * to `size`, `legal` (an i32 it pushes, if given) is non-zero, and the TLB array at `keyOff`
   * (the read or the write one) holds v's page. Each condition is its own br_if out to the slow
   * way (elseMiss), so that V8 branches on each compare rather than computing the three as values
   * and and-ing them (HOT PATH: every translated load and store).
   *   block $join  block $miss  (br_if $miss ...)*  <fast>  br $join  end  <slow>  end
   */
  private openHit(keyOff: number, size: number, legal?: () => void): void {
    const f = this.f;
    f.open(Op.block); f.open(Op.block); this.ifs += 2;
    if (size > 1) f.get(this.v).op(Op.i32_wrap_i64).i32(size - 1).op(Op.i32_and).br(Op.br_if, 0);
    if (legal) { legal(); f.op(Op.i32_eqz).br(Op.br_if, 0); }
    pushTlbHit(f, this.tlb, keyOff, true);
    f.br(Op.br_if, 0);
    this.ramOffset(keyOff === SET_R_KEY ? SET_R_OFF : SET_W_OFF);
  }
  /** Ends openHit's fast way; the slow way follows. */
  private elseMiss(): void {
    this.f.br(Op.br, 1).op(Op.end);
    this.ifs--;
  }
  private closeHit(): void {
    this.close();
  }
  /** o = the RAM offset of v, from the TLB entry at idx in the array at offOff. */
  private ramOffset(offOff: number): void {
    pushTlbOffset(this.f, this.tlb, offOff);
    this.f.set(this.o);
  }
  private vHalves(): void {
    this.f.get(this.v).op(Op.i32_wrap_i64).get(this.v).i64(32, 0).op(Op.i64_shr_u).op(Op.i32_wrap_i64);
  }

  // ---- instructions

  /** Emit instruction `k` of the block (pc clo/chi); 'no' leaves it to the interpreter. */
  instruction(insn: number, ilen: number, clo: number, chi: number, k: number): Emitted {
    const f = this.f;
    const [nlo, nhi] = addPc(clo, chi, ilen);
    const rd = (insn >> 7) & 31;
    const rs1 = (insn >> 15) & 31;
    const rs2 = (insn >> 20) & 31;
    const f3 = (insn >> 12) & 7;
    const f7 = insn >>> 25;
    switch (insn & 0x7f) {
      case 0x13: { // OP-IMM
        const imm = insn >> 20;
        const sh = (insn >> 20) & 63;
        // With x0 or a zero immediate (li, mv, ...) the result is a constant or x[rs1]: fewer bytes to compile.
        const withImm = (o: Op) => this.setX(rd, () => {
          const and = o === Op.i64_and;
          if (rs1 === 0) f.i64(and ? 0 : imm, and ? 0 : imm >> 31);
          else if (imm === 0 && and) f.i64(0, 0);
          else if (imm === 0) this.getX(rs1);
          else { this.getX(rs1); f.i64(imm, imm >> 31).op(o); }
        });
        const shift = (o: Op) => this.setX(rd, () => { this.getX(rs1); f.i64(sh, 0).op(o); });
        switch (f3) {
          case 0: withImm(Op.i64_add); break;
          case 1: if ((insn >>> 26) !== 0) return 'no'; shift(Op.i64_shl); break;
          case 2: this.setX(rd, () => { this.getX(rs1); f.i64(imm, imm >> 31).op(Op.i64_lt_s).op(Op.i64_extend_i32_u); }); break;
          case 3: this.setX(rd, () => { this.getX(rs1); f.i64(imm, imm >> 31).op(Op.i64_lt_u).op(Op.i64_extend_i32_u); }); break;
          case 4: withImm(Op.i64_xor); break;
          case 5:
            if ((insn >>> 26) === 0) shift(Op.i64_shr_u);
            else if ((insn >>> 26) === 0x10) shift(Op.i64_shr_s);
            else return 'no';
            break;
          case 6: withImm(Op.i64_or); break;
          default: withImm(Op.i64_and); break;
        }
        return 'ok';
      }
      case 0x33: { // OP
        if (f7 === 0) {
          const ops = [Op.i64_add, Op.i64_shl, Op.i64_lt_s, Op.i64_lt_u, Op.i64_xor, Op.i64_shr_u, Op.i64_or, Op.i64_and];
          this.setX(rd, () => {
            this.getX(rs1); this.getX(rs2); f.op(ops[f3]);
            if (f3 === 2 || f3 === 3) f.op(Op.i64_extend_i32_u);
          });
        } else if (f7 === 0x20) {
          if (f3 !== 0 && f3 !== 5) return 'no';
          this.setX(rd, () => { this.getX(rs1); this.getX(rs2); f.op(f3 === 0 ? Op.i64_sub : Op.i64_shr_s); });
        } else if (f7 === 1) {
          if (rd === 0) return 'ok';
          this.getX(rs1); f.set(this.ta); this.getX(rs2); f.set(this.tb);
          this.setX(rd, () => this.mulDiv(f3));
        } else return 'no';
        return 'ok';
      }
      case 0x1b: { // OP-IMM-32
        const sh = (insn >> 20) & 31;
        let o: Op;
        let b = sh;
        if (f3 === 0) { o = Op.i32_add; b = insn >> 20; }
        else if (f3 === 1 && f7 === 0) o = Op.i32_shl;
        else if (f3 === 5 && f7 === 0) o = Op.i32_shr_u;
        else if (f3 === 5 && f7 === 0x20) o = Op.i32_shr_s;
        else return 'no';
        this.setX32(rd, () => {
          if (rs1 === 0) f.i32(o === Op.i32_add ? b : 0); // 0 shifted is 0
          else { this.getX32(rs1); if (b !== 0) f.i32(b).op(o); } // sext.w: no add
        });
        return 'ok';
      }
      case 0x3b: { // OP-32
        if (f7 === 0 && (f3 === 0 || f3 === 1 || f3 === 5)) {
          this.setX32(rd, () => { this.getX32(rs1); this.getX32(rs2); f.op(f3 === 0 ? Op.i32_add : f3 === 1 ? Op.i32_shl : Op.i32_shr_u); });
        } else if (f7 === 0x20 && (f3 === 0 || f3 === 5)) {
          this.setX32(rd, () => { this.getX32(rs1); this.getX32(rs2); f.op(f3 === 0 ? Op.i32_sub : Op.i32_shr_s); });
        } else if (f7 === 1 && (f3 === 0 || f3 >= 4)) {
          if (rd === 0) return 'ok';
          this.getX32(rs1); f.set(this.wa); this.getX32(rs2); f.set(this.wb);
          this.setX32(rd, () => this.mulDiv32(f3));
        } else return 'no';
        return 'ok';
      }
      case 0x37: // LUI
        this.setX(rd, () => f.i64(insn & 0xfffff000, insn >> 31));
        return 'ok';
      case 0x17: { // AUIPC
        const [l, h] = addPc(clo, chi, insn & 0xfffff000);
        this.setX(rd, () => f.i64(l, h));
        return 'ok';
      }
      case 0x03: return this.load(insn, rd, rs1, f3, clo, chi, nlo, nhi, k);
      case 0x23: return this.store(insn, rs1, rs2, f3, clo, chi, nlo, nhi, k);
      case 0x63: return this.branch(insn, rs1, rs2, f3, clo, chi, k);
      case 0x6f: { // JAL
        const imm = ((insn >> 31) << 20) | (((insn >> 12) & 0xff) << 12) | (((insn >> 20) & 1) << 11) | (((insn >> 21) & 0x3ff) << 1);
        const [tlo, thi] = addPc(clo, chi, imm);
        this.setX(rd, () => f.i64(nlo, nhi));
        this.chainExit(tlo, thi, k + 1);
        return 'jump';
      }
      case 0x67: { // JALR: the target is computed before rd is written (rd may be rs1)
        if (f3 !== 0) return 'no';
        this.address(rs1, insn >> 20);
        this.setX(rd, () => f.i64(nlo, nhi));
        f.get(this.ab).get(this.v).i64(-2, -1).op(Op.i64_and).mem(Op.i64_store, AREA_PC, 3);
        this.steps(k + 1);
        f.op(Op.return);
        return 'jump';
      }
      case 0x0f: // FENCE, FENCE.I: no-ops (translated code is coherent with every store)
        return f3 <= 1 ? 'ok' : 'no';
      case 0x73: // SYSTEM: CSR accesses (csr below); the rest the hart runs (systemAt in hart-wasm.ts)
        if (insn === WFI) return 'no'; // may stop the hart: the interpreter's business
        if (f3 !== 0 && f3 !== 4) return this.csr(insn, rd, rs1, f3, clo, chi, nlo, nhi, k);
        // xRET, ECALL, EBREAK, SFENCE.VMA end the block; the hart sets the next pc.
        f.i32(insn).i32(clo).i32(chi).i32(nlo).i32(nhi);
        this.steps(k);
        f.i32(F_SYSTEM).callIndirect(F_SYSTEM, SLOW_TABLE).op(Op.drop);
        this.steps(k + 1);
        f.op(Op.return);
        return 'jump';
      case 0x07: // FLW, FLD
        if (f3 === 2 || f3 === 3) return this.fpLoad(insn, rd, rs1, f3, clo, chi, nlo, nhi, k);
        this.slowInsn(insn, clo, chi, nlo, nhi, k);
        return 'ok';
      case 0x27: // FSW, FSD
        if (f3 === 2 || f3 === 3) return this.fpStore(insn, rs1, rs2, f3, clo, chi, nlo, nhi, k);
        this.slowInsn(insn, clo, chi, nlo, nhi, k);
        return 'ok';
      case 0x53: // OP-FP: native where exact (fp-compiler.ts), else the interpreter's routine
        if (!emitFpOp(this.fpSite(insn, clo, chi, nlo, nhi, k), this.fpLocals(), insn)) this.slowInsn(insn, clo, chi, nlo, nhi, k);
        return 'ok';
      case 0x2f: // AMO, LR, SC on a page in the TLB; the rest (faults, illegal encodings) in the interpreter
        if ((f3 === 2 || f3 === 3) && AMO_OPS.has(insn >>> 27)) return this.amo(insn, rd, rs1, f3, clo, chi, nlo, nhi, k);
        if ((f3 === 2 || f3 === 3) && insn >>> 27 === 2 && ((insn >> 20) & 31) === 0) return this.loadReserved(insn, rd, rs1, f3, clo, chi, nlo, nhi, k);
        if ((f3 === 2 || f3 === 3) && insn >>> 27 === 3) return this.storeConditional(insn, rd, rs1, f3, clo, chi, nlo, nhi, k);
        this.slowInsn(insn, clo, chi, nlo, nhi, k);
        return 'ok';
      case 0x43: case 0x47: case 0x4b: case 0x4f: // fused multiply-add: the software FPU, as a slow path
        this.slowInsn(insn, clo, chi, nlo, nhi, k);
        return 'ok';
      default:
        return 'no';
    }
  }

  private load(insn: number, rd: number, rs1: number, f3: number, clo: number, chi: number, nlo: number, nhi: number, k: number): Emitted {
    if (f3 === 7) return 'no';
    const f = this.f;
    const ops = [Op.i64_load8_s, Op.i64_load16_s, Op.i64_load32_s, Op.i64_load, Op.i64_load8_u, Op.i64_load16_u, Op.i64_load32_u];
    const size = 1 << (f3 & 3);
    this.address(rs1, insn >> 20);
    this.openHit(SET_R_KEY, size);
    this.setX(rd, () => f.get(this.o).mem(ops[f3], 0, 0));
    this.elseMiss();
    this.slowCall(F_LOAD, () => { this.vHalves(); f.i32(f3).i32(rd).i32(clo).i32(chi); this.steps(k); }, k, nlo, nhi);
    this.closeHit();
    return 'ok';
  }

  /** The interpreter runs instruction `k` (AMO, floating point). */
  private slowInsn(insn: number, clo: number, chi: number, nlo: number, nhi: number, k: number): void {
    this.slowCall(F_SLOW, () => { this.f.i32(insn).i32(clo).i32(chi); this.steps(k); }, k, nlo, nhi);
  }

  // ---- CSR accesses

  /**
   * A CSR access; the block goes on after it. The trap CSRs (xscratch, xepc, xcause, xtval: plain
   * registers in the hart's area) and misa (fixed) are read and written here, where the current
   * level may access them (csr[9:8] is the lowest that may). Every other CSR, and an access from a
   * lower level (illegal), goes to the hart (systemAt), which stops the block where what the code
   * after it assumed changed (a newly takeable interrupt, satp written). Each trap's entry and exit
   * (Linux's and the SBI firmware's) uses these: about 170K of the ~460K CSR accesses of a smoke
   * boot, each a call into JavaScript before (issue 16).
   */
  private csr(insn: number, rd: number, rs1: number, f3: number, clo: number, chi: number, nlo: number, nhi: number, k: number): Emitted {
    const f = this.f, csr = insn >>> 20, op = f3 & 3, writes = op === 1 || rs1 !== 0;
    const at = trapCsrOffset(csr);
    const hart = () => this.slowCall(F_SYSTEM, () => { f.i32(insn).i32(clo).i32(chi).i32(nlo).i32(nhi); this.steps(k); }, k, nlo, nhi);
    if (at < 0 && csr !== CSR.misa) {
      hart();
      return 'ok';
    }
    // The current level: the TLB set in use is its own (AREA_TLB_SETS + level * SET_BYTES; set at a block's entry).
    f.get(this.set).i32(this.layout.area + AREA_TLB_SETS + ((csr >>> 8) & 3) * SET_BYTES).op(Op.i32_ge_u);
    this.openIf();
    if (at < 0) {
      this.setX(rd, () => f.i64(MISA_LO, MISA_HI)); // misa: writes are ignored
    } else {
      const source = () => { if (f3 >= 5) f.i64(rs1, 0); else this.getX(rs1); }; // the immediate forms: rs1 is a zero-extended uimm
      f.get(this.ab).mem(Op.i64_load, at, 3).set(this.t0);
      if (writes) {
        f.get(this.ab);
        if (op === 1) source();
        else if (op === 2) { f.get(this.t0); source(); f.op(Op.i64_or); }
        else { f.get(this.t0); source(); f.i64(-1, -1).op(Op.i64_xor).op(Op.i64_and); }
        if ((csr & 3) === 1) f.i64(-2, -1).op(Op.i64_and); // xepc: bit 0 is always zero (IALIGN=16)
        f.mem(Op.i64_store, at, 3);
      }
      this.setX(rd, () => f.get(this.t0));
    }
    f.op(Op.else);
    hart();
    this.close();
    return 'ok';
  }

  // ---- floating point (fp-compiler.ts; loads and stores here, beside the integer ones)

  private fpl: FpLocals | null = null;
  private fpLocals(): FpLocals {
    this.fpl ??= fpLocals(this.f);
    return this.fpl;
  }
  private fpSite(insn: number, clo: number, chi: number, nlo: number, nhi: number, k: number): FpSite {
    return {
      f: this.f,
      area: this.ab,
      guard: (fast) => {
        this.openIf();
        fast();
        this.f.op(Op.else);
        this.slowInsn(insn, clo, chi, nlo, nhi, k);
        this.close();
      },
      getX: (r) => this.getX(r),
      setX: (r, value) => this.setX(r, value),
    };
  }

  /**
   * The shape of the memory instructions below: openHit(keyOff, size, legal), then `fast` runs with
   * o = the RAM offset, or else the interpreter runs instruction `k`.
   */
  private inRamOrSlow(keyOff: number, size: number, legal: (() => void) | undefined, fast: () => void, insn: number, clo: number, chi: number, nlo: number, nhi: number, k: number): Emitted {
    this.openHit(keyOff, size, legal);
    fast();
    this.elseMiss();
    this.slowInsn(insn, clo, chi, nlo, nhi, k);
    this.closeHit();
    return 'ok';
  }

  /** FLW/FLD: a TLB hit while FS is Dirty loads straight into f[rd] (a single NaN-boxed); else the interpreter. */
  private fpLoad(insn: number, rd: number, rs1: number, f3: number, clo: number, chi: number, nlo: number, nhi: number, k: number): Emitted {
    const f = this.f, fo = AREA_F + 8 * rd;
    const size = f3 === 2 ? 4 : 8;
    this.address(rs1, insn >> 20);
    return this.inRamOrSlow(SET_R_KEY, size, () => pushFpLegal(f, this.ab, 'rne'), () => {
      if (size === 8) f.get(this.ab).get(this.o).mem(Op.i64_load, 0, 0).mem(Op.i64_store, fo, 3);
      else {
        f.get(this.ab).get(this.o).mem(Op.i32_load, 0, 0).mem(Op.i32_store, fo, 2);
        f.get(this.ab).i32(-1).mem(Op.i32_store, fo + 4, 2);
      }
    }, insn, clo, chi, nlo, nhi, k);
  }

  /** FSW/FSD: the raw low 32 / 64 bits of f[rs2], as the integer stores do it (dirty page, code check). */
  private fpStore(insn: number, rs1: number, rs2: number, f3: number, clo: number, chi: number, nlo: number, nhi: number, k: number): Emitted {
    const f = this.f, fo = AREA_F + 8 * rs2;
    const size = f3 === 2 ? 4 : 8;
    const imm = ((insn >> 25) << 5) | ((insn >> 7) & 31);
    this.address(rs1, imm);
    // Legal with FS Clean or Initial too: a store reads FP state and leaves mstatus.FS as it is.
    return this.inRamOrSlow(SET_W_KEY, size, () => f.get(this.ab).mem(Op.i32_load, AREA_FP_MODE, 2).i32(FP_MODE_FS_ON).op(Op.i32_and), () => {
      f.get(this.o);
      if (size === 8) f.get(this.ab).mem(Op.i64_load, fo, 3).mem(Op.i64_store, 0, 0);
      else f.get(this.ab).mem(Op.i32_load, fo, 2).mem(Op.i32_store, 0, 0);
      this.storeDone(nlo, nhi, k);
    }, insn, clo, chi, nlo, nhi, k);
  }

  /**
   * AMOSWAP/ADD/XOR/AND/OR/MIN[U]/MAX[U].W/D on a page in the write TLB, aligned (else the slow
   * path, which raises the fault): old value to rd, the result stored, as the interpreter's fast
   * path does. A .W works on sign-extended 64-bit values: signed and unsigned order are those of
   * the 32-bit values, and the store keeps the low half.
   */
  private amo(insn: number, rd: number, rs1: number, f3: number, clo: number, chi: number, nlo: number, nhi: number, k: number): Emitted {
    const f = this.f, f5 = insn >>> 27, rs2 = (insn >> 20) & 31, size = f3 === 2 ? 4 : 8;
    const a = this.ta, b = this.tb;
    this.address(rs1, 0);
    return this.inRamOrSlow(SET_W_KEY, size, undefined, () => {
      f.get(this.o).mem(size === 4 ? Op.i64_load32_s : Op.i64_load, 0, 0).set(a);
      if (size === 4) { this.getX32(rs2); f.op(Op.i64_extend_i32_s); } else this.getX(rs2);
      f.set(b);
      f.get(this.o);
      switch (f5) {
        case 0x01: f.get(b); break;
        case 0x00: f.get(a).get(b).op(Op.i64_add); break;
        case 0x04: f.get(a).get(b).op(Op.i64_xor); break;
        case 0x0c: f.get(a).get(b).op(Op.i64_and); break;
        case 0x08: f.get(a).get(b).op(Op.i64_or); break;
        default: { // min/max: select(a, b, a < b) for MIN[U], select(b, a, a < b) for MAX[U]
          const max = f5 === 0x14 || f5 === 0x1c;
          f.get(max ? b : a).get(max ? a : b).get(a).get(b).op(f5 >= 0x18 ? Op.i64_lt_u : Op.i64_lt_s).op(Op.select);
        }
      }
      f.mem(size === 4 ? Op.i64_store32 : Op.i64_store, 0, 0);
      this.setX(rd, () => f.get(a));
      this.storeDone(nlo, nhi, k);
    }, insn, clo, chi, nlo, nhi, k);
  }

  /** LR.W/D on a page in the read TLB, aligned: the value to rd, the reservation set to its RAM offset. */
  private loadReserved(insn: number, rd: number, rs1: number, f3: number, clo: number, chi: number, nlo: number, nhi: number, k: number): Emitted {
    const f = this.f, size = f3 === 2 ? 4 : 8;
    this.address(rs1, 0);
    return this.inRamOrSlow(SET_R_KEY, size, undefined, () => {
      this.setX(rd, () => f.get(this.o).mem(size === 4 ? Op.i64_load32_s : Op.i64_load, 0, 0));
      f.get(this.ab).get(this.o).op(Op.f64_convert_i32_u).mem(Op.f64_store, AREA_RESERVATION, 3);
    }, insn, clo, chi, nlo, nhi, k);
  }

  /**
   * SC.W/D on a page in the write TLB, aligned: stores x[rs2] and writes 0 to rd if the
   * reservation is at this RAM offset, else writes 1; the reservation is gone either way.
   */
  private storeConditional(insn: number, rd: number, rs1: number, f3: number, clo: number, chi: number, nlo: number, nhi: number, k: number): Emitted {
    const f = this.f, size = f3 === 2 ? 4 : 8, rs2 = (insn >> 20) & 31, at = AREA_RESERVATION;
    this.address(rs1, 0);
    return this.inRamOrSlow(SET_W_KEY, size, undefined, () => {
      f.get(this.ab).mem(Op.f64_load, at, 3).get(this.o).op(Op.f64_convert_i32_u).op(Op.f64_eq);
      f.get(this.ab).f64(NaN).mem(Op.f64_store, at, 3);
      this.openIf();
      f.get(this.o); this.getX(rs2); f.mem(size === 4 ? Op.i64_store32 : Op.i64_store, 0, 0);
      this.setX(rd, () => f.i64(0, 0));
      this.storeDone(nlo, nhi, k);
      f.op(Op.else);
      this.setX(rd, () => f.i64(1, 0));
      this.close();
    }, insn, clo, chi, nlo, nhi, k);
  }

  /** After a store to RAM offset o: mark the page dirty; if it holds translated code, drop that and leave after this store. */
  private storeDone(nlo: number, nhi: number, k: number): void {
    const f = this.f;
    f.get(this.o).i32(12).op(Op.i32_shr_u).tee(this.idx).i32(1).mem(Op.i32_store8, this.layout.dirtyOffset, 0);
    f.get(this.idx).mem(Op.i32_load8_u, this.layout.codeOffset, 0);
    this.openIf();
    f.get(this.idx).i32(F_CODE_WRITTEN).callIndirect(F_CODE_WRITTEN, SLOW_TABLE).op(Op.drop);
    this.exit(nlo, nhi, k + 1);
    this.close();
  }

  private store(insn: number, rs1: number, rs2: number, f3: number, clo: number, chi: number, nlo: number, nhi: number, k: number): Emitted {
    if (f3 > 3) return 'no';
    const f = this.f;
    const ops = [Op.i64_store8, Op.i64_store16, Op.i64_store32, Op.i64_store];
    const size = 1 << f3;
    const imm = ((insn >> 25) << 5) | ((insn >> 7) & 31);
    this.address(rs1, imm);
    this.openHit(SET_W_KEY, size);
    f.get(this.o); this.getX(rs2); f.mem(ops[f3], 0, 0);
    this.storeDone(nlo, nhi, k);
    this.elseMiss();
    this.slowCall(F_STORE, () => {
      this.vHalves(); f.i32(size);
      this.getX32(rs2);
      if (rs2 === 0) f.i32(0);
      else f.get(this.ab).mem(Op.i32_load, AREA_X + 8 * rs2 + 4, 2);
      f.i32(clo).i32(chi); this.steps(k);
    }, k, nlo, nhi);
    this.closeHit();
    return 'ok';
  }

  private branch(insn: number, rs1: number, rs2: number, f3: number, clo: number, chi: number, k: number): Emitted {
    const cmp = [Op.i64_eq, Op.i64_ne, 0, 0, Op.i64_lt_s, Op.i64_ge_s, Op.i64_lt_u, Op.i64_ge_u][f3];
    if (cmp === 0) return 'no';
    const f = this.f;
    const imm = ((insn >> 31) << 12) | (((insn >> 7) & 1) << 11) | (((insn >> 25) & 0x3f) << 5) | (((insn >> 8) & 0xf) << 1);
    const [tlo, thi] = addPc(clo, chi, imm);
    this.getX(rs1); this.getX(rs2); f.op(cmp);
    this.openIf();
    if (tlo === this.startLo && thi === this.startHi) {
      // Back to the start: another pass if a whole one fits in the budget (the pass length is patched in by finish).
      f.get(this.done).i32(k + 1).op(Op.i32_add).tee(this.done);
      this.passCheckAt.push(f.i32Fixed(0));
      f.op(Op.i32_add).get(this.budget).op(Op.i32_le_s).br(Op.br_if, this.ifs);
      this.exit(tlo, thi, 0);
    } else {
      this.chainExit(tlo, thi, k + 1);
    }
    this.close();
    return 'ok';
  }
  /** Positions of the placeholders for the pass length (a loop pass must fit: done + n <= budget). */
  private readonly passCheckAt: number[] = [];

  /** rd = M-extension op f3 on (ta, tb), pushed as i64. */
  private mulDiv(f3: number): void {
    const f = this.f;
    const a = this.ta, b = this.tb;
    switch (f3) {
      case 0: f.get(a).get(b).op(Op.i64_mul); return;
      case 1: // MULH: mulhu - (a < 0 ? b : 0) - (b < 0 ? a : 0)
        this.mulhu();
        f.get(b).get(a).i64(63, 0).op(Op.i64_shr_s).op(Op.i64_and).op(Op.i64_sub);
        f.get(a).get(b).i64(63, 0).op(Op.i64_shr_s).op(Op.i64_and).op(Op.i64_sub);
        return;
      case 2: // MULHSU: mulhu - (a < 0 ? b : 0)
        this.mulhu();
        f.get(b).get(a).i64(63, 0).op(Op.i64_shr_s).op(Op.i64_and).op(Op.i64_sub);
        return;
      case 3: this.mulhu(); return;
      case 4: // DIV: x/0 = -1, x/-1 = -x (MIN/-1 = MIN); wasm traps on both, so the divisor is made safe first
        f.i64(-1, -1);
        f.i64(0, 0).get(a).op(Op.i64_sub);
        f.get(a).i64(1, 0).get(b).get(b).op(Op.i64_eqz).get(b).i64(-1, -1).op(Op.i64_eq).op(Op.i32_or).op(Op.select).op(Op.i64_div_s);
        f.get(b).i64(-1, -1).op(Op.i64_eq).op(Op.select);
        f.get(b).op(Op.i64_eqz).op(Op.select);
        return;
      case 5: // DIVU: x/0 = all ones
        f.i64(-1, -1);
        f.get(a).i64(1, 0).get(b).get(b).op(Op.i64_eqz).op(Op.select).op(Op.i64_div_u);
        f.get(b).op(Op.i64_eqz).op(Op.select);
        return;
      case 6: // REM: x%0 = x (rem_s of MIN by -1 is 0 in wasm, as in RISC-V)
        f.get(a);
        f.get(a).i64(1, 0).get(b).get(b).op(Op.i64_eqz).op(Op.select).op(Op.i64_rem_s);
        f.get(b).op(Op.i64_eqz).op(Op.select);
        return;
      default: // REMU
        f.get(a);
        f.get(a).i64(1, 0).get(b).get(b).op(Op.i64_eqz).op(Op.select).op(Op.i64_rem_u);
        f.get(b).op(Op.i64_eqz).op(Op.select);
    }
  }

  /** Push the high 64 bits of the unsigned product ta * tb (from 32-bit partial products). */
  private mulhu(): void {
    const f = this.f;
    const a = this.ta, b = this.tb, t0 = this.t0, t1 = this.t1, t2 = this.t2;
    const lo32 = () => f.i64(-1, 0).op(Op.i64_and);
    const hi32 = () => f.i64(32, 0).op(Op.i64_shr_u);
    f.get(a); lo32(); f.get(b); lo32(); f.op(Op.i64_mul).set(t0); // a0*b0
    f.get(a); lo32(); f.get(b); hi32(); f.op(Op.i64_mul).set(t1); // a0*b1
    f.get(a); hi32(); f.get(b); lo32(); f.op(Op.i64_mul).set(t2); // a1*b0
    // middle column: carry out of (a0b0 >> 32) + lo(a0b1) + lo(a1b0)
    f.get(t0); hi32(); f.get(t1); lo32(); f.op(Op.i64_add); f.get(t2); lo32(); f.op(Op.i64_add); hi32(); f.set(t0);
    f.get(a); hi32(); f.get(b); hi32(); f.op(Op.i64_mul); // a1*b1
    f.get(t1); hi32(); f.op(Op.i64_add); f.get(t2); hi32(); f.op(Op.i64_add); f.get(t0).op(Op.i64_add);
  }

  /** Push the i32 result of MULW/DIVW/DIVUW/REMW/REMUW on (wa, wb). */
  private mulDiv32(f3: number): void {
    const f = this.f;
    const a = this.wa, b = this.wb;
    const safeB = () => f.i32(1).get(b).get(b).op(Op.i32_eqz).op(Op.select);
    switch (f3) {
      case 0: f.get(a).get(b).op(Op.i32_mul); return;
      case 4: // DIVW, as DIV
        f.i32(-1);
        f.i32(0).get(a).op(Op.i32_sub);
        f.get(a).i32(1).get(b).get(b).op(Op.i32_eqz).get(b).i32(-1).op(Op.i32_eq).op(Op.i32_or).op(Op.select).op(Op.i32_div_s);
        f.get(b).i32(-1).op(Op.i32_eq).op(Op.select);
        f.get(b).op(Op.i32_eqz).op(Op.select);
        return;
      case 5: f.i32(-1); f.get(a); safeB(); f.op(Op.i32_div_u); f.get(b).op(Op.i32_eqz).op(Op.select); return;
      case 6: f.get(a); f.get(a); safeB(); f.op(Op.i32_rem_s); f.get(b).op(Op.i32_eqz).op(Op.select); return;
      default: f.get(a); f.get(a); safeB(); f.op(Op.i32_rem_u); f.get(b).op(Op.i32_eqz).op(Op.select);
    }
  }

  /** The function, once all its instructions are written: patch in the pass length, close the loop. */
  finish(n: number): FunctionBody {
    for (const at of this.passCheckAt) this.f.patchI32(at, n);
    return this.f.op(Op.end).op(Op.unreachable);
  }

}
