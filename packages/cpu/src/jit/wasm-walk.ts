/**
 * The Sv39 page walk and TLB refill in WebAssembly, for the 'wasm' engine: a function of the hub
 * module (wasm-engine.ts) that the hub's load and store slow paths (reached from translated code
 * on a TLB miss) and the dispatcher (pc's page) call before leaving to JavaScript. The blocks'
 * code does not change: their hit path stays as short as it was.
 *
 * `refill(vlo, vhi, access) -> i32` does what hart-mmu.ts `translate` does for a plain case and
 * returns 1: the walk (reading PTEs straight from RAM), the A/D update (the PTE word written, its
 * page marked dirty), and the TLB entry for the current privilege level (key, RAM offset, flags).
 * In every other case it returns 0 having changed nothing, and the caller takes its JavaScript
 * slow path, which walks again and does the rest (faults with their cause and tval, PTEs or pages
 * outside RAM, watched pages, an A/D update on a page holding translated code, M mode, bare mode,
 * MPRV). So the JavaScript walk stays the reference, and the two are held together by
 * wasm-walk.test.ts on seeded random page tables.
 *
 * What it depends on besides RAM is published by the hart in its area (AREA_WALK, AREA_WALK_ROOT;
 * hart-mmu.ts publishWalk) before the dispatcher runs and after every slow path that may change
 * it (the privilege level, satp, mstatus, fetch watches).
 *
 * Warm path (generated code): one call per TLB miss.
 */
import { AREA_TLB_CURRENT, AREA_WALK, AREA_WALK_ROOT, SET_R_FLAGS, SET_R_KEY, SET_R_OFF, SET_W_FLAGS, SET_W_KEY, SET_W_OFF, SET_X_FLAGS, SET_X_KEY, SET_X_OFF, WALK_FETCH, WALK_MXR, WALK_ON, WALK_SUM, WALK_USER } from '../hart-memory.js';
import { TLB_MASK } from '../tlb.js';
import { FunctionBody, Op, T } from '../wasm/module-builder.js';

/** Where the walk finds RAM and the hart's page maps. */
export interface WalkLayout {
  /** Byte offset of the hart's area. */
  readonly area: number;
  /** Guest physical address of RAM (at offset 0 of the memory) and its size in bytes. */
  readonly ramBase: number;
  readonly ramSize: number;
  readonly dirtyOffset: number;
  readonly codeOffset: number;
  /** Byte offsets of the hart's `watched` and `readWatched` page maps (one byte per RAM page). */
  readonly watchedOffset: number;
  readonly readWatchedOffset: number;
}

/** refill's parameters: (vlo, vhi, access), access as in hart-mmu.ts (0 read, 1 write, 2 exec). */
export const REFILL_PARAMS: readonly T[] = [T.i32, T.i32, T.i32];

const ACCESS_READ = 0, ACCESS_WRITE = 1, ACCESS_EXEC = 2;

const TWO32 = 4294967296;
const i64c = (f: FunctionBody, n: number): FunctionBody => f.i64(n % TWO32 | 0, Math.floor(n / TWO32));

/** The body of `refill` (see the file comment). */
export function refillBody(l: WalkLayout): FunctionBody {
  const f = new FunctionBody(REFILL_PARAMS);
  const vlo = 0, vhi = 1, access = 2;
  const flags = f.local(T.i32), lo = f.local(T.i32), rel = f.local(T.i32), set = f.local(T.i32), idx = f.local(T.i32), want = f.local(T.i32), leafLevel = f.local(T.i32);
  const v = f.local(T.i64), a = f.local(T.i64), pte = f.local(T.i64), ppn = f.local(T.i64), page = f.local(T.i64);
  const fail = () => f.open(Op.if).i32(0).op(Op.return).op(Op.end);

  f.i32(0).mem(Op.i32_load, l.area + AREA_WALK, 2).tee(flags).i32(WALK_ON).op(Op.i32_and).op(Op.i32_eqz);
  fail();
  f.get(access).i32(ACCESS_EXEC).op(Op.i32_eq).get(flags).i32(WALK_FETCH).op(Op.i32_and).op(Op.i32_eqz).op(Op.i32_and);
  fail();
  f.get(vhi).op(Op.i64_extend_i32_u).i64(32, 0).op(Op.i64_shl).get(vlo).op(Op.i64_extend_i32_u).op(Op.i64_or).set(v);
  // Bits 63..38 all equal (else a page fault: JavaScript raises it).
  f.get(v).i64(38, 0).op(Op.i64_shr_s).i64(1, 0).op(Op.i64_add).i64(1, 0).op(Op.i64_gt_u);
  fail();
  f.i32(0).mem(Op.i64_load, l.area + AREA_WALK_ROOT, 3).set(a);

  // Levels 2, 1, 0, unrolled; a pointer PTE falls through to the next level, a leaf leaves the
  // block of its level with leafLevel set.
  f.open(Op.block);
  for (let level = 2; level >= 0; level--) {
    // rel = RAM offset of the PTE, which must lie in RAM (else an access fault).
    f.get(a).get(v).i64(12 + 9 * level, 0).op(Op.i64_shr_u).i64(0x1ff, 0).op(Op.i64_and).i64(3, 0).op(Op.i64_shl).op(Op.i64_add);
    i64c(f, l.ramBase).op(Op.i64_sub).tee(pte);
    i64c(f, l.ramSize - 8).op(Op.i64_gt_u);
    fail();
    f.get(pte).op(Op.i32_wrap_i64).tee(rel).mem(Op.i64_load, 0, 3).tee(pte).op(Op.i32_wrap_i64).set(lo);
    // Invalid, W without R, reserved bits 63..54 set: page faults.
    f.get(lo).i32(1).op(Op.i32_and).op(Op.i32_eqz);
    f.get(lo).i32(6).op(Op.i32_and).i32(4).op(Op.i32_eq).op(Op.i32_or);
    f.get(pte).i64(54, 0).op(Op.i64_shr_u).op(Op.i64_eqz).op(Op.i32_eqz).op(Op.i32_or);
    fail();
    f.get(pte).i64(10, 0).op(Op.i64_shr_u).i64(-1, 0xfff).op(Op.i64_and).set(ppn); // 44 bits
    // A leaf (R or X set)?
    f.get(lo).i32(0xa).op(Op.i32_and);
    f.open(Op.if).i32(level).set(leafLevel).br(Op.br, 1).op(Op.end);
    // A pointer: D, A, U must be clear; at level 0 there is no next level.
    if (level === 0) { f.i32(1); fail(); } else { f.get(lo).i32(0xd0).op(Op.i32_and); fail(); }
    f.get(ppn).i64(12, 0).op(Op.i64_shl).set(a);
  }
  f.op(Op.end);

  // Leaf: permissions.
  const u = () => f.get(lo).i32(0x10).op(Op.i32_and);
  const bit = (b: number) => f.get(flags).i32(b).op(Op.i32_and);
  // U mode needs U; S mode on a U page needs SUM and no fetch.
  f.get(flags).i32(WALK_USER).op(Op.i32_and);
  f.open(Op.if); u(); f.op(Op.i32_eqz); fail(); f.op(Op.else);
  u(); f.open(Op.if); f.get(access).i32(ACCESS_EXEC).op(Op.i32_eq); bit(WALK_SUM); f.op(Op.i32_eqz).op(Op.i32_or); fail(); f.op(Op.end);
  f.op(Op.end);
  // exec needs X; read needs R, or X under MXR; write needs W.
  f.get(access).i32(ACCESS_EXEC).op(Op.i32_eq);
  f.open(Op.if); f.get(lo).i32(8).op(Op.i32_and).op(Op.i32_eqz); fail(); f.op(Op.end);
  f.get(access).i32(ACCESS_READ).op(Op.i32_eq);
  f.open(Op.if);
  f.get(lo).i32(2).op(Op.i32_and).op(Op.i32_eqz);
  bit(WALK_MXR); f.get(lo).i32(8).op(Op.i32_and).op(Op.i32_and).op(Op.i32_eqz).op(Op.i32_and);
  fail();
  f.op(Op.end);
  f.get(access).i32(ACCESS_WRITE).op(Op.i32_eq);
  f.open(Op.if); f.get(lo).i32(4).op(Op.i32_and).op(Op.i32_eqz); fail(); f.op(Op.end);
  // Superpage alignment: the PPN's low 9 * level bits must be zero.
  f.get(ppn).i64(1, 0).get(leafLevel).i32(9).op(Op.i32_mul).op(Op.i64_extend_i32_u).op(Op.i64_shl).i64(1, 0).op(Op.i64_sub).op(Op.i64_and).op(Op.i64_eqz).op(Op.i32_eqz);
  fail();
  // The physical page: the PPN, and below the leaf's level the virtual page number's low bits.
  f.get(ppn).i64(12, 0).op(Op.i64_shl);
  f.get(v).i64(1, 0).get(leafLevel).i32(9).op(Op.i32_mul).i32(12).op(Op.i32_add).op(Op.i64_extend_i32_u).op(Op.i64_shl).i64(1, 0).op(Op.i64_sub).op(Op.i64_and);
  f.i64(-4096, -1).op(Op.i64_and).op(Op.i64_or);
  // Only RAM pages are cached: the page's RAM offset must lie in RAM, and not be watched.
  i64c(f, l.ramBase).op(Op.i64_sub).tee(page);
  i64c(f, l.ramSize - 4096).op(Op.i64_gt_u);
  fail();
  f.get(access).i32(ACCESS_READ).op(Op.i32_eq);
  f.open(Op.if); f.get(page).i64(12, 0).op(Op.i64_shr_u).op(Op.i32_wrap_i64).mem(Op.i32_load8_u, l.readWatchedOffset, 0); fail(); f.op(Op.end);
  f.get(access).i32(ACCESS_WRITE).op(Op.i32_eq);
  f.open(Op.if); f.get(page).i64(12, 0).op(Op.i64_shr_u).op(Op.i32_wrap_i64).mem(Op.i32_load8_u, l.watchedOffset, 0); fail(); f.op(Op.end);
  // A/D: set A (and D for a write) when clear. A page-table page holding translated code is left
  // to JavaScript (it drops that code).
  f.i32(0x40).get(access).i32(ACCESS_WRITE).op(Op.i32_eq).i32(7).op(Op.i32_shl).op(Op.i32_or).tee(want);
  f.get(lo).get(want).op(Op.i32_and).op(Op.i32_ne);
  f.open(Op.if);
  f.get(rel).i32(12).op(Op.i32_shr_u).mem(Op.i32_load8_u, l.codeOffset, 0);
  fail();
  f.get(rel).get(lo).get(want).op(Op.i32_or).mem(Op.i32_store, 0, 2);
  f.get(rel).i32(12).op(Op.i32_shr_u).i32(1).mem(Op.i32_store8, l.dirtyOffset, 0);
  f.op(Op.end);
  // The TLB entry of the current level's set: key (the virtual page number as a double, tlb.ts),
  // RAM offset, flags (leaf level | 4 for a U page).
  f.i32(0).mem(Op.i32_load, l.area + AREA_TLB_CURRENT, 2).set(set);
  f.get(v).i64(12, 0).op(Op.i64_shr_s).op(Op.i32_wrap_i64).i32(TLB_MASK).op(Op.i32_and).set(idx);
  const fill = (keyOff: number, offOff: number, flagsOff: number) => {
    f.get(idx).i32(3).op(Op.i32_shl).get(set).op(Op.i32_add).get(v).i64(12, 0).op(Op.i64_shr_s).op(Op.f64_convert_i64_s).mem(Op.f64_store, keyOff, 3);
    f.get(idx).i32(2).op(Op.i32_shl).get(set).op(Op.i32_add).get(page).op(Op.i32_wrap_i64).mem(Op.i32_store, offOff, 2);
    f.get(idx).get(set).op(Op.i32_add).get(leafLevel).get(lo).i32(0x10).op(Op.i32_and).i32(2).op(Op.i32_shr_u).op(Op.i32_or).mem(Op.i32_store8, flagsOff, 0);
  };
  f.get(access).i32(ACCESS_READ).op(Op.i32_eq);
  f.open(Op.if); fill(SET_R_KEY, SET_R_OFF, SET_R_FLAGS);
  f.op(Op.else).get(access).i32(ACCESS_WRITE).op(Op.i32_eq);
  f.open(Op.if); fill(SET_W_KEY, SET_W_OFF, SET_W_FLAGS);
  f.op(Op.else); fill(SET_X_KEY, SET_X_OFF, SET_X_FLAGS);
  f.op(Op.end).op(Op.end);
  f.i32(1);
  return f;
}
