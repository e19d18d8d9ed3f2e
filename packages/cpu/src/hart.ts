/**
 * One RV64IMAFDC hart (Zicsr, Zifencei; M, S and U modes; Sv39): its state and its public
 * interface. The work is done in files by concern, as functions of the hart:
 *   hart-interp.ts  the interpreter (execBlock, the HOT LOOP), M and A helpers
 *   hart-access.ts  slow memory paths: TLB misses, MMIO, cross-page, watched pages, fetches
 *   hart-mmu.ts     Sv39 page walks, the software TLBs and their flushes
 *   hart-traps.ts   traps and interrupts, xRET/ECALL/WFI/SFENCE.VMA, CSR instructions
 *   hart-wasm.ts    the 'wasm' engine's loop and the slow paths translated code calls
 * 64-bit integer registers are held as pairs of int32 halves (`x[2i]` low, `x[2i+1]` high),
 * chosen by measurement (see the package README); the instruction fetch and every load and
 * store go through a small software TLB that maps a virtual page straight to an offset in RAM.
 *
 * The fields are the state those files share, public here for speed; other packages see the
 * narrow `Hart` of hart-public.ts (what the package index exports), not this class.
 *
 * Position: `icount` counts steps: retired instructions plus trap entries
 * (an exception or interrupt taken counts as one step). `run(until)` stops
 * exactly when icount reaches `until`.
 */
import type { Bus } from './bus.js';
import { CAUSE, IRQ, MSTATUS, PRIV_M, PRIV_S, PRIV_U } from './csr-numbers.js';
import { AREA_BYTES, AREA_F, AREA_FFLAGS, AREA_FP_MODE, AREA_MCAUSE, AREA_MEPC, AREA_MSCRATCH, AREA_MTVAL, AREA_RESERVATION, AREA_SCAUSE, AREA_SEPC, AREA_SSCRATCH, AREA_STVAL, AREA_TLB_CURRENT, AREA_TLB_SETS, AREA_X, FP_MODE_FS_DIRTY, FP_MODE_FS_ON, FP_MODE_RNE, tlbSetViews } from './hart-memory.js';
import type { TlbSet } from './hart-memory.js';
import { fetchSlow, readLoad, readMem, watchFetches, writeMem } from './hart-access.js';
import { execBlock, mulDiv } from './hart-interp.js';
import { dropSupervisorUserPages, flushTlb, flushTlbPage, privSwitched, translate } from './hart-mmu.js';
import { takePendingInterrupt, takeTrap, TRAP, TVAL_FROM_INSN } from './hart-traps.js';
import { execWasm, loadAt, slowInsn, storeAt, systemAt } from './hart-wasm.js';
import type { HartState } from './hart-state.js';
import type { Hart as PublicHart } from './hart-public.js';
import { HART_STATE_VERSION } from './hart-state.js';
import type { BlockCache } from './jit/block-cache.js';
import { CodeCache } from './jit/code-cache.js';
import { WASM_HOT_THRESHOLD, WasmEngine } from './jit/wasm-engine.js';
import { BackgroundCompiler } from './jit/background-compiler.js';
import type { ModuleCompiler } from './jit/background-compiler.js';
import { toBig } from './u64.js';
import { sstatusXlenHi } from './csr.js';
import { HART_BEHAVIOUR_VERSION, isHartBehaviourVersion } from './hart-behaviour.js';
import { primeHartFeedback } from './interp-primer.js';
import type { Ram } from './ram.js';

export { ACCESS_EXEC, ACCESS_READ, ACCESS_WRITE } from './hart-mmu.js';

export type StopReason = 'limit' | 'wfi' | 'stop';

/**
 * 'interp': the reference interpreter (one switch per instruction).
 * 'wasm': hot basic blocks translated to WebAssembly (src/jit), the interpreter for the rest;
 * step-for-step identical to 'interp' (same icount positions, traps, interrupts, TLB and memory effects).
 */
export type HartEngine = 'interp' | 'wasm';
export const HART_ENGINES: readonly HartEngine[] = ['interp', 'wasm'];

export interface HartHooks {
  /** Called when a trap is taken, after the hart state has switched to the handler. */
  onTrap?: (hart: PublicHart, cause: number, interrupt: boolean, fromPriv: number) => void;
  /** Called after mret/sret, with the privilege level returned to. */
  onXret?: (hart: PublicHart, toPriv: number) => void;
}

export interface HartOptions {
  hartId?: number;
  /** Value of the `time` CSR given the current step count; the board derives it from icount. Default: icount. */
  readTime?: (icount: number) => bigint;
  /** Execution engine (default: Hart.defaultEngine). */
  engine?: HartEngine;
  /** 'wasm' engine: jumps to a location before its block is translated (tests use 1 to translate everything). */
  jitThreshold?: number;
  /**
   * 'wasm' engine: where translated code is kept for other machines and looked for first
   * (default Hart.defaultCodeCache: CodeCache.shared, one per thread; null: none, every block
   * is translated here).
   */
  codeCache?: CodeCache | null;
  /**
   * 'wasm' engine: compile translated blocks on a worker thread while the machine runs on
   * (interpreting them meanwhile), instead of stopping for each batch (default
   * Hart.defaultBackgroundCompile), or through a ModuleCompiler of your own. Changes when
   * blocks start running, never what the machine computes; `engineStats` may differ from run
   * to run.
   */
  backgroundCompile?: boolean | ModuleCompiler;
  /**
   * Behaviour version (hart-behaviour.ts): 1 to HART_BEHAVIOUR_VERSION (the default). A board
   * passes the one its config names, so a recording replays with the behaviour it was made with.
   * 1: sstatus reads show SXL in bits 35:34; 2: they read 0, as the spec has it.
   */
  behaviourVersion?: number;
}





/** A hart engine name that is not one of HART_ENGINES. */
export class HartEngineError extends Error {
  constructor(readonly engineName: string) {
    super(`unknown hart engine '${engineName}' (expected ${HART_ENGINES.map((n) => `'${n}'`).join(' or ')})`);
    this.name = 'HartEngineError';
  }
}

/** `name` as a HartEngine; throws HartEngineError for any other string (for apps reading a setting). */
export function parseHartEngine(name: string): HartEngine {
  if (!(HART_ENGINES as readonly string[]).includes(name)) throw new HartEngineError(name);
  return name as HartEngine;
}

/**
 * The first value of the hart's number fields that leave V8's small-integer range (±2^30) in a
 * run: the pc's low half in the kernel, icount past 1.07G steps. V8 fixes a field's
 * representation from its first value; widening it later (small integer to double) deoptimizes
 * every optimized function that touches the hart, mid-run (a cold Linux boot had 33 "wrong map"
 * deopts, 17 after this). So these fields start as doubles; the constructor then sets them to 0.
 */
const NOT_SMI = 0.5;

export class Hart {
  /**
   * The engine of harts created without an `engine` option: 'wasm' unless the app sets it (the
   * CLI from PRNR_ENGINE, for the whole process; replay threads take their starter's, see
   * @prnr/scheduler's replayThreads). This package reads no environment.
   */
  static defaultEngine: HartEngine = 'wasm';
  /** The `jitThreshold` of harts created without one (undefined: the engine's own default). */
  static defaultJitThreshold: number | undefined = undefined;
  /** The `codeCache` of harts created without one (null: none). */
  static defaultCodeCache: CodeCache | null = CodeCache.shared;
  /** The `backgroundCompile` of harts created without one. */
  static defaultBackgroundCompile = false;

  /** bus.ram, read from the hart itself: the hot paths then see one hidden class whatever the bus's class (see interp-primer.ts). */
  readonly ram: Ram;

  // Integer registers, int32 halves interleaved: register i is (x[2i+1] << 32) | (x[2i] >>> 0), the
  // little-endian layout of an i64. A view of the hart's area in the RAM's WebAssembly memory
  // (hart-memory.ts), shared with code the 'wasm' engine generates.
  readonly x: Int32Array;
  /** Byte offset of this hart's area (registers, pc, TLBs) in the RAM's WebAssembly memory. */
  readonly area: number;
  // Floating-point registers: 64-bit patterns; f[i] is (fu32[2i+1] << 32) | fu32[2i]. Views of the
  // hart's area (AREA_F), shared with translated code.
  readonly fu32: Uint32Array;
  readonly fu64: BigUint64Array;
  /** The area's first AREA_F bytes as u64 (the S-mode trap CSRs' bigint view). */
  private readonly areaU64: BigUint64Array;
  pcLo = NOT_SMI;
  pcHi = 0;
  priv = PRIV_M;
  icount = NOT_SMI;
  /** Set while stopped on WFI with nothing pending. */
  waiting = false;

  // CSR state. Numbers for fields that fit in 32 bits, bigint for full-width registers.
  mstatus = 0; // low 32 bits; the upper half (UXL=SXL=2, SD; in sstatus, sstatusXlenHi) is derived
  mie = 0;
  mipSoft = 0; // SSIP, STIP, SEIP as written by software
  mipExt = 0; // MSIP, MTIP, MEIP, SEIP driven by devices
  medeleg = 0;
  mideleg = 0;
  mcounteren = 0;
  scounteren = 0;
  mcountinhibit = 0;
  mtvec = 0n; stvec = 0n;
  menvcfg = 0n; senvcfg = 0n;
  satp = 0n;
  frm = 0;
  pmpcfg = [0n, 0n]; // pmpcfg0, pmpcfg2
  pmpaddr: bigint[] = new Array<bigint>(16).fill(0n);
  mcycleBase = 0n; // mcycle = icount + mcycleBase
  minstretBase = 0n;

  readonly hartId: number;
  /** Behaviour version (HartOptions.behaviourVersion, hart-behaviour.ts). */
  readonly behaviourVersion: number;
  /** sstatus's high half but SD, from the behaviour version (csr.ts's sstatusXlenHi): UXL, and SXL in version 1. */
  /** @internal */ readonly sstatusXlenHi: number;
  readTime: (icount: number) => bigint;
  hooks: HartHooks = {};

  // Derived state (recomputed, never saved).
  /** Non-zero when the loop must look at interrupts or a stop request before the next instruction. */
  attn = true;
  stopRequested = false;
  satpPpn = 0;
  // Software TLBs: key = vhi * 2^20 + vpn-low-20 bits; value = RAM byte offset of the page.
  // One set per privilege level (index = priv), so traps and xRET only switch sets: an entry is
  // filled only by an access at the hart's own privilege (not under MPRV), and everything else it
  // depends on (satp, SUM, MXR, MPRV, sfence.vma, watched pages) flushes all sets. These six are
  // the current level's set (privChanged switches them); code that caches them re-reads them after
  // anything that may change the privilege level.
  /** @internal */ readonly tlbSets: TlbSet[];
  /** The current set's offset, for generated code (AREA_TLB_CURRENT). */
  /** @internal */ readonly areaI32: Int32Array;
  private readonly reservationView: Float64Array;
  tlbRKey: Float64Array;
  tlbROff: Int32Array;
  tlbWKey: Float64Array;
  tlbWOff: Int32Array;
  tlbXKey: Float64Array;
  tlbXOff: Int32Array;
  // Results of slow-path memory reads.
  rLo = NOT_SMI;
  rHi = 0;
  trapCause = 0;
  trapTval = 0n;
  /** Set by a page walk for the TLB entry it may fill: superpage level (0..2) | TLB_USER for a U page. */
  /** @internal */ walkFlags = 0;

  /** Pages whose stores are reported to `onWatchedStore` (never cached in the write TLB). */
  readonly watched: Uint8Array;
  onWatchedStore: ((paddr: number, size: number) => void) | null = null;
  /**
   * Pages whose loads are reported to `onWatchedLoad` (never cached in the read TLB; a debugger's
   * read watchpoints). AMOs read through the write TLB: watch such pages in `watched` too.
   */
  readonly readWatched: Uint8Array;
  onWatchedLoad: ((paddr: number, size: number) => void) | null = null;
  /**
   * Debugger breakpoints (null: none, and nothing costs anything): virtual pages (TLB keys, see
   * tlb.ts) whose instruction fetches take the slow path and ask `onWatchedFetch`, before the
   * instruction runs, whether to stop there. See watchFetches.
   */
  /** @internal */ fetchWatch: Set<number> | null = null;
  /** @internal */ watchedPcs: Set<bigint> | null = null;
  /** @internal */ onWatchedFetch: ((pc: bigint, icount: number) => boolean) | null = null;

  private engineName: HartEngine = 'interp';
  private readonly jitThreshold: number | undefined;
  private readonly codeCache: CodeCache | null;
  private readonly backgroundCompile: boolean | ModuleCompiler;
  /** The 'wasm' engine (kept once made: it holds part of the RAM's scratch area). */
  /** @internal */ wasmEngine: WasmEngine | null = null;
  /** @internal */ wasmOn = false;
  /** Its blocks while it is the engine (the interpreter counts jumps into them). */
  /** @internal */ jumpCache: BlockCache<number> | null = null;
  /** 'wasm' engine counters: steps run by the interpreter, and its turns. */
  /** @internal */ interpreted = 0;
  /** @internal */ excursions = 0;
  /** icount when the wasm dispatcher was entered (slow paths add the position they are given). */
  /** @internal */ blockBase = NOT_SMI;

  constructor(readonly bus: Bus, opts: HartOptions = {}) {
    const version = opts.behaviourVersion ?? HART_BEHAVIOUR_VERSION;
    if (!isHartBehaviourVersion(version)) throw new RangeError(`hart behaviour version ${version}: this build runs versions 1 to ${HART_BEHAVIOUR_VERSION}`);
    this.pcLo = this.icount = this.rLo = this.blockBase = 0; // now doubles that hold 0: see NOT_SMI
    const ram = bus.ram;
    this.ram = ram;
    this.area = ram.allocScratch(AREA_BYTES);
    this.x = new Int32Array(ram.buffer, this.area + AREA_X, 64);
    this.areaI32 = new Int32Array(ram.buffer, this.area, AREA_TLB_SETS >>> 2);
    this.fu32 = new Uint32Array(ram.buffer, this.area + AREA_F, 64);
    this.fu64 = new BigUint64Array(ram.buffer, this.area + AREA_F, 32);
    this.areaU64 = new BigUint64Array(ram.buffer, this.area, AREA_F >>> 3);
    this.sscratch = 0n; this.sepc = 0n; this.scause = 0n; this.stval = 0n;
    this.mscratch = 0n; this.mepc = 0n; this.mcause = 0n; this.mtval = 0n;
    this.reservationView = new Float64Array(ram.buffer, this.area + AREA_RESERVATION, 1);
    this.reservationView[0] = NaN;
    this.tlbSets = [0, 1, 2, 3].map((level) => tlbSetViews(ram.buffer, this.area, level));
    const t = this.tlbSets[PRIV_M];
    this.tlbRKey = t.rKey; this.tlbROff = t.rOff;
    this.tlbWKey = t.wKey; this.tlbWOff = t.wOff;
    this.tlbXKey = t.xKey; this.tlbXOff = t.xOff;
    this.areaI32[AREA_TLB_CURRENT >>> 2] = t.at;
    this.hartId = opts.hartId ?? 0;
    this.behaviourVersion = version;
    this.sstatusXlenHi = sstatusXlenHi(version);
    this.readTime = opts.readTime ?? ((n) => BigInt(n));
    // In the RAM's memory, where the WebAssembly page walk (jit/wasm-walk.ts) reads them too.
    const pages = bus.ram.size >>> 12;
    this.watched = new Uint8Array(ram.buffer, ram.allocScratch(pages), pages);
    this.readWatched = new Uint8Array(ram.buffer, ram.allocScratch(pages), pages);
    this.jitThreshold = opts.jitThreshold ?? Hart.defaultJitThreshold;
    this.codeCache = opts.codeCache === undefined ? Hart.defaultCodeCache : opts.codeCache;
    this.backgroundCompile = opts.backgroundCompile ?? Hart.defaultBackgroundCompile;
    this.engine = opts.engine ?? Hart.defaultEngine;
    primeHartFeedback(); // the first hart of a thread: see interp-primer.ts
  }

  /** LR/SC reservation: physical address, or -1. Kept in the hart's area (AREA_RESERVATION), RAM-relative, where translated LR/SC use it. */
  get reservation(): number {
    const r = this.reservationView[0];
    return r !== r ? -1 : this.ram.base + r;
  }
  set reservation(paddr: number) {
    this.reservationView[0] = paddr === -1 ? NaN : paddr - this.ram.base;
  }

  /** fflags, kept in the hart's area (AREA_FFLAGS) where translated code raises NX. */
  get fflags(): number {
    return this.areaI32[AREA_FFLAGS >>> 2];
  }
  set fflags(v: number) {
    this.areaI32[AREA_FFLAGS >>> 2] = v;
  }

  /** The trap CSRs (s/m scratch, epc, cause, tval): kept in the hart's area (AREA_SSCRATCH...) as int32 halves, for csr.ts's number path. */
  get sscratch(): bigint { return this.areaU64[AREA_SSCRATCH >>> 3]; }
  set sscratch(v: bigint) { this.areaU64[AREA_SSCRATCH >>> 3] = BigInt.asUintN(64, v); }
  get sepc(): bigint { return this.areaU64[AREA_SEPC >>> 3]; }
  set sepc(v: bigint) { this.areaU64[AREA_SEPC >>> 3] = BigInt.asUintN(64, v); }
  get scause(): bigint { return this.areaU64[AREA_SCAUSE >>> 3]; }
  set scause(v: bigint) { this.areaU64[AREA_SCAUSE >>> 3] = BigInt.asUintN(64, v); }
  get stval(): bigint { return this.areaU64[AREA_STVAL >>> 3]; }
  set stval(v: bigint) { this.areaU64[AREA_STVAL >>> 3] = BigInt.asUintN(64, v); }
  get mscratch(): bigint { return this.areaU64[AREA_MSCRATCH >>> 3]; }
  set mscratch(v: bigint) { this.areaU64[AREA_MSCRATCH >>> 3] = BigInt.asUintN(64, v); }
  get mepc(): bigint { return this.areaU64[AREA_MEPC >>> 3]; }
  set mepc(v: bigint) { this.areaU64[AREA_MEPC >>> 3] = BigInt.asUintN(64, v); }
  get mcause(): bigint { return this.areaU64[AREA_MCAUSE >>> 3]; }
  set mcause(v: bigint) { this.areaU64[AREA_MCAUSE >>> 3] = BigInt.asUintN(64, v); }
  get mtval(): bigint { return this.areaU64[AREA_MTVAL >>> 3]; }
  set mtval(v: bigint) { this.areaU64[AREA_MTVAL >>> 3] = BigInt.asUintN(64, v); }

  /** Tell translated FP code whether mstatus.FS is Dirty and frm is RNE (AREA_FP_MODE). */
  /** @internal */ publishFpMode(): void {
    const fs = this.mstatus & MSTATUS.FS;
    this.areaI32[AREA_FP_MODE >>> 2] = (fs === MSTATUS.FS ? FP_MODE_FS_DIRTY : 0) | (fs !== 0 ? FP_MODE_FS_ON : 0) | (this.frm === 0 ? FP_MODE_RNE : 0);
  }

  /** The execution engine; may be switched between runs (translations are dropped). */
  get engine(): HartEngine {
    return this.engineName;
  }
  set engine(e: HartEngine) {
    if (!HART_ENGINES.includes(e)) throw new HartEngineError(String(e));
    this.dropTranslations();
    this.engineName = e;
    const ram = this.ram;
    this.wasmOn = false;
    if (e === 'wasm') {
      this.wasmEngine ??= new WasmEngine(ram, this.area, {
        load: (vlo, vhi, f3, rd, plo, phi, steps) => loadAt(this, vlo, vhi, f3, rd, plo, phi, this.blockBase + steps),
        store: (vlo, vhi, size, lo, hi, plo, phi, steps) => storeAt(this, vlo, vhi, size, lo, hi, plo, phi, this.blockBase + steps),
        slow: (insn, plo, phi, steps) => slowInsn(this, insn, plo, phi, this.blockBase + steps),
        codeWritten: (page) => this.codeWritten(page),
        system: (insn, plo, phi, nlo, nhi, steps) => systemAt(this, insn, plo, phi, nlo, nhi, this.blockBase + steps),
      }, this.jitThreshold ?? WASM_HOT_THRESHOLD, this.codeCache, this, this.backgroundCompile === true ? BackgroundCompiler.shared() : this.backgroundCompile === false ? null : this.backgroundCompile);
      this.wasmOn = true;
    }
    this.jumpCache = this.wasmOn ? this.wasmEngine!.cache : null;
    ram.onCodeWrite = this.jumpCache !== null ? (page) => this.codeWritten(page) : null;
  }

  private dropTranslations(): void {
    this.wasmEngine?.clear();
  }

  /**
   * Counters of the 'wasm' engine: blocks installed (`compiled`; of these, `translated` here and
   * `fromCache`, the code cache's), pages invalidated, steps the interpreter ran and its turns,
   * blocks the WebAssembly dispatcher entered (not counting those reached by chained exits)
   * (zeros for 'interp').
   */
  get engineStats(): { compiled: number; translated: number; fromCache: number; invalidations: number; interpreted: number; excursions: number; dispatcherTrips: number } {
    const e = this.wasmEngine;
    return {
      compiled: this.jumpCache?.compiled ?? 0, translated: e?.translated ?? 0, fromCache: e?.fromCache ?? 0,
      invalidations: this.jumpCache?.invalidations ?? 0, interpreted: this.interpreted, excursions: this.excursions,
      dispatcherTrips: e?.dispatcherTrips ?? 0,
    };
  }

  // ---------------------------------------------------------------- public API

  get pc(): bigint {
    return BigInt.asUintN(64, toBig(this.pcLo, this.pcHi));
  }
  set pc(v: bigint) {
    this.pcLo = Number(BigInt.asIntN(32, v));
    this.pcHi = Number(BigInt.asIntN(32, v >> 32n));
  }
  /** x[i] as an unsigned 64-bit bigint. */
  getX(i: number): bigint {
    return BigInt.asUintN(64, toBig(this.x[i << 1], this.x[(i << 1) | 1]));
  }
  setX(i: number, v: bigint): void {
    if (i === 0) return;
    this.x[i << 1] = Number(BigInt.asIntN(32, v));
    this.x[(i << 1) | 1] = Number(BigInt.asIntN(32, v >> 32n));
  }
  getF(i: number): bigint {
    return this.fu64[i];
  }
  setF(i: number, v: bigint): void {
    this.fu64[i] = BigInt.asUintN(64, v);
  }

  /** Raise or lower one interrupt line driven by a device. */
  setIrq(line: 'msip' | 'mtip' | 'meip' | 'seip', level: boolean): void {
    const b = line === 'msip' ? 1 << IRQ.MSI : line === 'mtip' ? 1 << IRQ.MTI : line === 'meip' ? 1 << IRQ.MEI : 1 << IRQ.SEI;
    const next = level ? this.mipExt | b : this.mipExt & ~b;
    if (next !== this.mipExt) {
      this.mipExt = next;
      this.attn = true;
    }
  }

  /** Stop the run loop after the current instruction (used by devices that halt the machine). */
  requestStop(): void {
    this.stopRequested = true;
    this.attn = true;
  }

  get mip(): number {
    return this.mipSoft | this.mipExt;
  }

  /**
   * Run until icount reaches `until` (exactly), or earlier when the hart waits
   * in WFI with nothing pending ('wfi') or a stop was requested ('stop').
   */
  run(until: bigint | number): StopReason {
    const limit = typeof until === 'bigint' ? Number(until) : until;
    if (this.waiting) {
      if ((this.mip & this.mie) === 0) return 'wfi';
      this.waiting = false;
    }
    while (this.icount < limit) {
      if (this.attn) {
        this.attn = false;
        if (this.stopRequested) {
          this.stopRequested = false;
          this.attn = true; // what else it was raised for (an interrupt) is looked at when the run goes on
          return 'stop';
        }
        if (takePendingInterrupt(this)) {
          this.icount++;
          continue;
        }
      }
      try {
        const r = this.wasmOn ? execWasm(this, limit) : execBlock(this, limit, false);
        if (r !== 0) return 'wfi';
      } catch (e) {
        if (e !== TRAP) throw e;
        let tval = this.trapTval;
        if (tval === TVAL_FROM_INSN) {
          // pc names the offending instruction: fetch it again (16 or 32 bits as encoded).
          const insn = fetchSlow(this, this.pcLo, this.pcHi);
          tval = BigInt(((insn & 3) === 3 ? insn : insn & 0xffff) >>> 0);
        }
        takeTrap(this, this.trapCause, false, tval);
        this.icount++;
      }
    }
    return 'limit';
  }

  // ------------------------------------------------------------- traps

  /** Abandon the current instruction with an exception. */
  exc(cause: number, tval: bigint): never {
    this.trapCause = cause;
    this.trapTval = tval;
    throw TRAP;
  }

  /** Illegal instruction. tval (the encoding) is filled in by run() once pc is written back. */
  illegal(): never {
    this.exc(CAUSE.ILLEGAL, TVAL_FROM_INSN);
  }

  /**
   * Privilege or translation settings were changed from outside (state poked by a test or a
   * tool, restore): drop every cached translation, switch to the level's TLB set, recheck interrupts.
   */
  privChanged(): void {
    flushTlb(this);
    privSwitched(this);
  }

  // The work of other files, for callers outside them (hart-*.ts call the functions directly).

  /** Take a trap now: the trap CSRs, the privilege level and pc switch to the handler (hart-traps.ts). */
  takeTrap(cause: number, interrupt: boolean, tval: bigint): void {
    takeTrap(this, cause, interrupt, tval);
  }
  /** Drop every cached translation, all privilege levels (hart-mmu.ts). */
  flushTlb(): void {
    flushTlb(this);
  }
  /** sfence.vma with an address: drop the entries that translate it (hart-mmu.ts). */
  flushTlbPage(vlo: number, vhi: number): void {
    flushTlbPage(this, vlo, vhi);
  }
  /** SUM was cleared: drop the S-mode entries for user pages (hart-mmu.ts). */
  dropSupervisorUserPages(): void {
    dropSupervisorUserPages(this);
  }
  /** Translate a virtual address for an access (ACCESS_*); the physical address, or a page or access fault (hart-mmu.ts). */
  translate(vlo: number, vhi: number, access: number): number {
    return translate(this, vlo, vhi, access);
  }
  /** A LOAD's slow path into rLo/rHi, extended as funct3 `f3` says (hart-access.ts). */
  readLoad(vlo: number, vhi: number, f3: number): void {
    readLoad(this, vlo, vhi, f3);
  }
  /** Read `size` bytes at a virtual address into rLo/rHi, zero-extended (hart-access.ts). */
  readMem(vlo: number, vhi: number, size: number, access?: number): void {
    readMem(this, vlo, vhi, size, access);
  }
  /** Write `size` bytes (from lo/hi) at a virtual address (hart-access.ts). */
  writeMem(vlo: number, vhi: number, size: number, lo: number, hi: number): void {
    writeMem(this, vlo, vhi, size, lo, hi);
  }
  /**
   * Breakpoints for a debugger: `stop(pc, icount)` is asked before each of `pcs` runs; true makes
   * run() return 'stop' there, before it. Null takes them off (hart-access.ts).
   */
  watchFetches(pcs: Iterable<bigint> | null, stop: ((pc: bigint, icount: number) => boolean) | null): void {
    watchFetches(this, pcs, stop);
  }
  /** M extension on 64-bit operands, result in rLo/rHi (hart-interp.ts). */
  mulDiv(f3: number, alo: number, ahi: number, blo: number, bhi: number): void {
    mulDiv(this, f3, alo, ahi, blo, bhi);
  }




  /** A write reached a RAM page holding translated code: drop it, and make running code stop after this instruction. */
  codeWritten(page: number): void {
    if (this.jumpCache !== null) this.jumpCache.invalidatePage(page);
    else this.ram.code[page] = 0;
    this.attn = true;
  }

  // ------------------------------------------------------------- state

  /** Mark the FP state dirty (mstatus.FS = 3). */
  setFsDirty(): void {
    this.mstatus |= MSTATUS.FS;
  }

  state(): HartState {
    return {
      version: HART_STATE_VERSION,
      x: Array.from({ length: 32 }, (_, i) => this.getX(i)),
      f: Array.from(this.fu64),
      pc: this.pc,
      priv: this.priv,
      icount: BigInt(this.icount),
      waiting: this.waiting,
      csr: {
        mstatus: this.mstatus, mie: this.mie, mipSoft: this.mipSoft, mipExt: this.mipExt,
        medeleg: this.medeleg, mideleg: this.mideleg, mcounteren: this.mcounteren,
        scounteren: this.scounteren, mcountinhibit: this.mcountinhibit,
        mtvec: this.mtvec, stvec: this.stvec, mepc: this.mepc, sepc: this.sepc,
        mcause: this.mcause, scause: this.scause, mtval: this.mtval, stval: this.stval,
        mscratch: this.mscratch, sscratch: this.sscratch, menvcfg: this.menvcfg, senvcfg: this.senvcfg,
        satp: this.satp, fflags: this.fflags, frm: this.frm,
        pmpcfg: [...this.pmpcfg], pmpaddr: [...this.pmpaddr],
        mcycleBase: this.mcycleBase, minstretBase: this.minstretBase,
      },
      reservation: this.reservation,
    };
  }

  restore(s: HartState): void {
    if (s.version !== HART_STATE_VERSION) throw new Error(`hart state version ${s.version} is not supported (expected ${HART_STATE_VERSION})`);
    for (let i = 0; i < 32; i++) {
      this.x[i << 1] = Number(BigInt.asIntN(32, s.x[i]));
      this.x[(i << 1) | 1] = Number(BigInt.asIntN(32, s.x[i] >> 32n));
      this.fu64[i] = s.f[i];
    }
    this.x[0] = 0; this.x[1] = 0;
    this.pc = s.pc;
    this.priv = s.priv;
    this.icount = Number(s.icount);
    this.waiting = s.waiting;
    const c = s.csr;
    this.mstatus = c.mstatus; this.mie = c.mie; this.mipSoft = c.mipSoft; this.mipExt = c.mipExt;
    this.medeleg = c.medeleg; this.mideleg = c.mideleg; this.mcounteren = c.mcounteren;
    this.scounteren = c.scounteren; this.mcountinhibit = c.mcountinhibit;
    this.mtvec = c.mtvec; this.stvec = c.stvec; this.mepc = c.mepc; this.sepc = c.sepc;
    this.mcause = c.mcause; this.scause = c.scause; this.mtval = c.mtval; this.stval = c.stval;
    this.mscratch = c.mscratch; this.sscratch = c.sscratch; this.menvcfg = c.menvcfg; this.senvcfg = c.senvcfg;
    this.satp = c.satp; this.fflags = c.fflags; this.frm = c.frm;
    this.pmpcfg = [...c.pmpcfg]; this.pmpaddr = [...c.pmpaddr];
    this.mcycleBase = c.mcycleBase; this.minstretBase = c.minstretBase;
    this.reservation = s.reservation;
    this.stopRequested = false;
    this.dropTranslations(); // RAM may have been replaced behind our back
    this.privChanged();
  }
}

export { PRIV_M, PRIV_S, PRIV_U };
