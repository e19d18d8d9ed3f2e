/**
 * One RV64IMAFDC hart (Zicsr, Zifencei; M, S and U modes; Sv39).
 *
 * HOT LOOP. This file is written for speed: 64-bit integer registers are held
 * as pairs of int32 halves (`x[2i]` low, `x[2i+1]` high), chosen by measurement (see the
 * package README); the instruction fetch and every load and store go through a
 * small software TLB that maps a virtual page straight to an offset in RAM.
 * Everything that is rare (page walks, MMIO, CSRs, traps, floating point)
 * lives in slow paths in other files.
 *
 * Position: `icount` counts steps: retired instructions plus trap entries
 * (an exception or interrupt taken counts as one step). `run(until)` stops
 * exactly when icount reaches `until`.
 */
import type { Bus } from './bus.js';
import { BusFault } from './bus.js';
import { CAUSE, CSR, IRQ, MSTATUS, PRIV_M, PRIV_S, PRIV_U } from './csr-numbers.js';
import { RVC_EXPANSION } from './rvc.js';
import { TLB_MASK, TLB_SIZE, tlbKey } from './tlb.js';
import { readCsr, writeCsr } from './csr.js';
import { executeFp } from './fp-exec.js';
import { AREA_ATTN, AREA_BYTES, AREA_F, AREA_FFLAGS, AREA_FP_MODE, AREA_PC_HI, AREA_PC_LO, AREA_TLB_CURRENT, AREA_TLB_SETS, AREA_X, FP_MODE_FS_DIRTY, FP_MODE_RNE, tlbSetViews } from './hart-memory.js';
import type { TlbSet } from './hart-memory.js';
import type { HartState } from './hart-state.js';
import { HART_STATE_VERSION } from './hart-state.js';
import { BlockCache, LOOKUP_MASK } from './jit/block-cache.js';
import type { Block } from './jit/block-cache.js';
import { CodeCache } from './jit/code-cache.js';
import { WASM_HOT_THRESHOLD, WasmEngine } from './jit/wasm-engine.js';

const NO_BLOCKS: (Block | undefined)[] = [];
const NO_COUNTS = new Uint16Array(0);

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
  onTrap?: (hart: Hart, cause: number, interrupt: boolean, fromPriv: number) => void;
  /** Called after mret/sret, with the privilege level returned to. */
  onXret?: (hart: Hart, toPriv: number) => void;
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
}

/** Thrown inside the hart to abandon the current instruction and take a trap. Not an Error: no stack capture. */
const TRAP = { trap: true };
/** Sentinel tval: "the encoding of the instruction at pc". */
const TVAL_FROM_INSN = -1n;

const TWO32 = 4294967296;

export const ACCESS_READ = 0, ACCESS_WRITE = 1, ACCESS_EXEC = 2;

const toBig = (lo: number, hi: number): bigint => (BigInt(hi) << 32n) | BigInt(lo >>> 0);

/**
 * The default engine: 'wasm', or what the PRNR_ENGINE environment variable names (the way to run
 * a whole program, worker threads and queue workers included, on the reference interpreter when a
 * translation bug is suspected: `PRNR_ENGINE=interp`).
 */
function engineFromEnvironment(): HartEngine {
  const e = typeof process === 'undefined' ? undefined : process.env.PRNR_ENGINE;
  // An unknown name is kept: creating a hart then fails with HartEngineError, which names it.
  return e === undefined || e === '' ? 'wasm' : (e as HartEngine);
}

/** A hart engine name that is not one of HART_ENGINES (an option, or PRNR_ENGINE). */
export class HartEngineError extends Error {
  constructor(name: string) {
    super(`unknown hart engine '${name}' (expected ${HART_ENGINES.map((n) => `'${n}'`).join(' or ')}; PRNR_ENGINE sets the default)`);
    this.name = 'HartEngineError';
  }
}

export class Hart {
  /** The engine of harts created without an `engine` option (PRNR_ENGINE, else 'wasm'). */
  static defaultEngine: HartEngine = engineFromEnvironment();
  /** The `jitThreshold` of harts created without one (undefined: the engine's own default). */
  static defaultJitThreshold: number | undefined = undefined;
  /** The `codeCache` of harts created without one (null: none). */
  static defaultCodeCache: CodeCache | null = CodeCache.shared;

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
  pcLo = 0;
  pcHi = 0;
  priv = PRIV_M;
  icount = 0;
  /** Set while stopped on WFI with nothing pending. */
  waiting = false;

  // CSR state. Numbers for fields that fit in 32 bits, bigint for full-width registers.
  mstatus = 0; // low 32 bits; the upper half (UXL=SXL=2, SD) is derived
  mie = 0;
  mipSoft = 0; // SSIP, STIP, SEIP as written by software
  mipExt = 0; // MSIP, MTIP, MEIP, SEIP driven by devices
  medeleg = 0;
  mideleg = 0;
  mcounteren = 0;
  scounteren = 0;
  mcountinhibit = 0;
  mtvec = 0n; stvec = 0n;
  mepc = 0n; sepc = 0n;
  mcause = 0n; scause = 0n;
  mtval = 0n; stval = 0n;
  mscratch = 0n; sscratch = 0n;
  menvcfg = 0n; senvcfg = 0n;
  satp = 0n;
  frm = 0;
  pmpcfg = [0n, 0n]; // pmpcfg0, pmpcfg2
  pmpaddr: bigint[] = new Array<bigint>(16).fill(0n);
  mcycleBase = 0n; // mcycle = icount + mcycleBase
  minstretBase = 0n;
  /** LR/SC reservation: physical address, or -1. */
  reservation = -1;

  readonly hartId: number;
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
  private readonly tlbSets: TlbSet[];
  /** The current set's offset, for generated code (AREA_TLB_CURRENT). */
  private readonly areaI32: Int32Array;
  tlbRKey: Float64Array;
  tlbROff: Int32Array;
  tlbWKey: Float64Array;
  tlbWOff: Int32Array;
  tlbXKey: Float64Array;
  tlbXOff: Int32Array;
  // Results of slow-path memory reads.
  rLo = 0;
  rHi = 0;
  trapCause = 0;
  trapTval = 0n;
  /** Set by a page walk for the TLB entry it may fill: superpage level (0..2) | TLB_USER for a U page. */
  private walkFlags = 0;

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
  private fetchWatch: Set<number> | null = null;
  private watchedPcs: Set<bigint> | null = null;
  private onWatchedFetch: ((pc: bigint, icount: number) => boolean) | null = null;

  private engineName: HartEngine = 'interp';
  private readonly jitThreshold: number | undefined;
  private readonly codeCache: CodeCache | null;
  /** The 'wasm' engine (kept once made: it holds part of the RAM's scratch area). */
  private wasmEngine: WasmEngine | null = null;
  private wasmOn = false;
  /** Its blocks while it is the engine (the interpreter counts jumps into them). */
  private jumpCache: BlockCache<number> | null = null;
  /** 'wasm' engine counters: steps run by the interpreter, and its turns. */
  private interpreted = 0;
  private excursions = 0;
  /** icount when the wasm dispatcher was entered (slow paths add the position they are given). */
  private blockBase = 0;

  constructor(readonly bus: Bus, opts: HartOptions = {}) {
    const ram = bus.ram;
    this.area = ram.allocScratch(AREA_BYTES);
    this.x = new Int32Array(ram.buffer, this.area + AREA_X, 64);
    this.areaI32 = new Int32Array(ram.buffer, this.area, AREA_TLB_SETS >>> 2);
    this.fu32 = new Uint32Array(ram.buffer, this.area + AREA_F, 64);
    this.fu64 = new BigUint64Array(ram.buffer, this.area + AREA_F, 32);
    this.tlbSets = [0, 1, 2, 3].map((level) => tlbSetViews(ram.buffer, this.area, level));
    const t = this.tlbSets[PRIV_M];
    this.tlbRKey = t.rKey; this.tlbROff = t.rOff;
    this.tlbWKey = t.wKey; this.tlbWOff = t.wOff;
    this.tlbXKey = t.xKey; this.tlbXOff = t.xOff;
    this.areaI32[AREA_TLB_CURRENT >>> 2] = t.at;
    this.hartId = opts.hartId ?? 0;
    this.readTime = opts.readTime ?? ((n) => BigInt(n));
    this.watched = new Uint8Array(bus.ram.size >>> 12);
    this.readWatched = new Uint8Array(bus.ram.size >>> 12);
    this.jitThreshold = opts.jitThreshold ?? Hart.defaultJitThreshold;
    this.codeCache = opts.codeCache === undefined ? Hart.defaultCodeCache : opts.codeCache;
    this.engine = opts.engine ?? Hart.defaultEngine;
  }

  /** fflags, kept in the hart's area (AREA_FFLAGS) where translated code raises NX. */
  get fflags(): number {
    return this.areaI32[AREA_FFLAGS >>> 2];
  }
  set fflags(v: number) {
    this.areaI32[AREA_FFLAGS >>> 2] = v;
  }

  /** Tell translated FP code whether mstatus.FS is Dirty and frm is RNE (AREA_FP_MODE). */
  private publishFpMode(): void {
    this.areaI32[AREA_FP_MODE >>> 2] = ((this.mstatus & MSTATUS.FS) === MSTATUS.FS ? FP_MODE_FS_DIRTY : 0) | (this.frm === 0 ? FP_MODE_RNE : 0);
  }

  /** The execution engine; may be switched between runs (translations are dropped). */
  get engine(): HartEngine {
    return this.engineName;
  }
  set engine(e: HartEngine) {
    if (!HART_ENGINES.includes(e)) throw new HartEngineError(String(e));
    this.dropTranslations();
    this.engineName = e;
    const ram = this.bus.ram;
    this.wasmOn = false;
    if (e === 'wasm') {
      this.wasmEngine ??= new WasmEngine(ram, this.area, {
        load: (vlo, vhi, f3, rd, plo, phi, steps) => this.loadAt(vlo, vhi, f3, rd, plo, phi, this.blockBase + steps),
        store: (vlo, vhi, size, lo, hi, plo, phi, steps) => this.storeAt(vlo, vhi, size, lo, hi, plo, phi, this.blockBase + steps),
        slow: (insn, plo, phi, steps) => this.slowInsn(insn, plo, phi, this.blockBase + steps),
        codeWritten: (page) => this.codeWritten(page),
        system: (insn, plo, phi, nlo, nhi, steps) => this.systemAt(insn, plo, phi, nlo, nhi, this.blockBase + steps),
      }, this.jitThreshold ?? WASM_HOT_THRESHOLD, this.codeCache);
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
   * `fromCache`, the code cache's), pages invalidated, steps the interpreter ran and its turns
   * (zeros for 'interp').
   */
  get engineStats(): { compiled: number; translated: number; fromCache: number; invalidations: number; interpreted: number; excursions: number } {
    const e = this.wasmEngine;
    return {
      compiled: this.jumpCache?.compiled ?? 0, translated: e?.translated ?? 0, fromCache: e?.fromCache ?? 0,
      invalidations: this.jumpCache?.invalidations ?? 0, interpreted: this.interpreted, excursions: this.excursions,
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
        if (this.takePendingInterrupt()) {
          this.icount++;
          continue;
        }
      }
      try {
        const r = this.wasmOn ? this.execWasm(limit) : this.execBlock(limit, false);
        if (r !== 0) return 'wfi';
      } catch (e) {
        if (e !== TRAP) throw e;
        let tval = this.trapTval;
        if (tval === TVAL_FROM_INSN) {
          // pc names the offending instruction: fetch it again (16 or 32 bits as encoded).
          const insn = this.fetchSlow(this.pcLo, this.pcHi);
          tval = BigInt(((insn & 3) === 3 ? insn : insn & 0xffff) >>> 0);
        }
        this.takeTrap(this.trapCause, false, tval);
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

  takeTrap(cause: number, interrupt: boolean, tval: bigint): void {
    const from = this.priv;
    const epc = toBig(this.pcLo, this.pcHi);
    const deleg = interrupt ? this.mideleg : this.medeleg;
    const causeVal = (interrupt ? 1n << 63n : 0n) | BigInt(cause);
    let s = this.mstatus;
    let vec: bigint;
    if (from <= PRIV_S && ((deleg >>> cause) & 1) !== 0) {
      this.scause = causeVal;
      this.sepc = BigInt.asUintN(64, epc);
      this.stval = BigInt.asUintN(64, tval);
      s = (s & ~(MSTATUS.SPIE | MSTATUS.SIE | MSTATUS.SPP)) | ((s & MSTATUS.SIE) ? MSTATUS.SPIE : 0) | (from === PRIV_S ? MSTATUS.SPP : 0);
      this.priv = PRIV_S;
      vec = this.stvec;
    } else {
      this.mcause = causeVal;
      this.mepc = BigInt.asUintN(64, epc);
      this.mtval = BigInt.asUintN(64, tval);
      s = (s & ~(MSTATUS.MPIE | MSTATUS.MIE | MSTATUS.MPP)) | ((s & MSTATUS.MIE) ? MSTATUS.MPIE : 0) | (from << MSTATUS.MPP_SHIFT);
      this.priv = PRIV_M;
      vec = this.mtvec;
    }
    this.mstatus = s;
    let target = vec & ~3n;
    if (interrupt && (vec & 3n) === 1n) target += BigInt(4 * cause);
    this.pc = target;
    this.reservation = -1;
    this.privSwitched();
    this.hooks.onTrap?.(this, cause, interrupt, from);
  }

  /** Take the highest-priority pending and enabled interrupt, if any. */
  private takePendingInterrupt(): boolean {
    const pending = this.mip & this.mie;
    if (pending === 0) return false;
    const m = pending & ~this.mideleg;
    if (m !== 0 && (this.priv < PRIV_M || (this.mstatus & MSTATUS.MIE) !== 0)) {
      this.takeTrap(highestInterrupt(m), true, 0n);
      return true;
    }
    const s = pending & this.mideleg;
    if (s !== 0 && (this.priv < PRIV_S || (this.priv === PRIV_S && (this.mstatus & MSTATUS.SIE) !== 0))) {
      this.takeTrap(highestInterrupt(s), true, 0n);
      return true;
    }
    return false;
  }

  /**
   * Privilege or translation settings were changed from outside (state poked by a test or a
   * tool, restore): drop every cached translation, switch to the level's TLB set, recheck interrupts.
   */
  privChanged(): void {
    this.flushTlb();
    this.privSwitched();
  }

  /**
   * A trap or xRET changed the privilege level: switch to its TLB set (nothing cached depends on
   * the level it left), recheck interrupts. Under MPRV the effective level of M-mode loads and
   * stores depends on MPP, which traps and MRET change: then every set is flushed.
   */
  private privSwitched(): void {
    if ((this.mstatus & MSTATUS.MPRV) !== 0) this.flushTlb();
    const t = this.tlbSets[this.priv & 3];
    this.tlbRKey = t.rKey; this.tlbROff = t.rOff;
    this.tlbWKey = t.wKey; this.tlbWOff = t.wOff;
    this.tlbXKey = t.xKey; this.tlbXOff = t.xOff;
    this.areaI32[AREA_TLB_CURRENT >>> 2] = t.at;
    this.attn = true;
  }

  /**
   * sfence.vma with an address: drop the entries that translate it (all levels and access kinds),
   * including every 4 KiB piece cached of a superpage that contains it.
   */
  flushTlbPage(vlo: number, vhi: number): void {
    const vpn = vhi * 1048576 + (vlo >>> 12);
    for (const t of this.tlbSets) {
      dropPage(t.rKey, t.rFlags, vpn);
      dropPage(t.wKey, t.wFlags, vpn);
      dropPage(t.xKey, t.xFlags, vpn);
    }
  }

  /** SUM was cleared: S-mode entries for user pages are no longer allowed. */
  dropSupervisorUserPages(): void {
    const t = this.tlbSets[PRIV_S];
    dropUser(t.rKey, t.rFlags);
    dropUser(t.wKey, t.wFlags);
    dropUser(t.xKey, t.xFlags);
  }

  /** Drop every cached translation (all privilege levels). */
  flushTlb(): void {
    for (const t of this.tlbSets) {
      t.rKey.fill(NaN);
      t.wKey.fill(NaN);
      t.xKey.fill(NaN);
    }
    this.satpPpn = Number(this.satp & 0xfffffffffffn);
  }

  // ------------------------------------------------------------- address translation

  /**
   * Translate a virtual address for an access; returns the physical address.
   * Throws a page fault or access fault. Fills the TLB for RAM pages.
   */
  translate(vlo: number, vhi: number, access: number): number {
    let priv = this.priv;
    if (access !== ACCESS_EXEC && (this.mstatus & MSTATUS.MPRV) !== 0 && priv === PRIV_M) {
      priv = (this.mstatus & MSTATUS.MPP) >>> MSTATUS.MPP_SHIFT;
    }
    let paddr: number;
    if (priv === PRIV_M || (this.satp >> 60n) !== 8n) {
      if (vhi < 0 || vhi >= 0x1000000) this.accessFault(vlo, vhi, access);
      paddr = vhi * TWO32 + (vlo >>> 0);
      this.walkFlags = 0;
    } else {
      paddr = this.walk(vlo, vhi, access, priv);
    }
    // Fill the TLB only when the page permissions do not depend on MPRV (priv equals the mode used).
    const ram = this.bus.ram;
    const pageP = paddr - (paddr % 4096);
    if (priv === this.priv && pageP >= ram.base && pageP + 4096 <= ram.base + ram.size) {
      const idx = (vlo >>> 12) & TLB_MASK;
      const key = vhi * 1048576 + (vlo >>> 12);
      const off = pageP - ram.base;
      const set = this.tlbSets[priv & 3];
      if (access === ACCESS_READ) {
        if (this.readWatched[off >>> 12] === 0) { this.tlbRKey[idx] = key; this.tlbROff[idx] = off; set.rFlags[idx] = this.walkFlags; }
      } else if (access === ACCESS_EXEC) {
        // A watched page's entry is kept with a key no fetch matches (key + 0.5): every fetch from it
        // takes the slow path, while the TLB holds and drops exactly what it would hold unwatched.
        this.tlbXKey[idx] = this.fetchWatch !== null && this.fetchWatch.has(key) ? key + 0.5 : key;
        this.tlbXOff[idx] = off; set.xFlags[idx] = this.walkFlags;
      } else if (this.watched[off >>> 12] === 0) {
        // Only a write walk fills this TLB, and a write walk has set the D bit.
        this.tlbWKey[idx] = key; this.tlbWOff[idx] = off; set.wFlags[idx] = this.walkFlags;
      }
    }
    return paddr;
  }

  private pageFault(vlo: number, vhi: number, access: number): never {
    this.exc(access === ACCESS_EXEC ? CAUSE.INSN_PAGE : access === ACCESS_READ ? CAUSE.LOAD_PAGE : CAUSE.STORE_PAGE, toBig(vlo, vhi));
  }

  private accessFault(vlo: number, vhi: number, access: number): never {
    this.exc(access === ACCESS_EXEC ? CAUSE.INSN_ACCESS : access === ACCESS_READ ? CAUSE.LOAD_ACCESS : CAUSE.STORE_ACCESS, toBig(vlo, vhi));
  }

  /** Sv39 page walk (privileged spec 4.3.2), with hardware A/D updates. */
  private walk(vlo: number, vhi: number, access: number, priv: number): number {
    // Bits 63..39 must all equal bit 38.
    const top = vhi >> 6;
    if (top !== 0 && top !== -1) this.pageFault(vlo, vhi, access);
    const vpn = [(vlo >>> 12) & 0x1ff, ((vlo >>> 21) & 0x1ff), ((vlo >>> 30) | ((vhi & 0x7f) << 2)) & 0x1ff];
    const ram = this.bus.ram;
    let a = this.satpPpn * 4096;
    for (let level = 2; level >= 0; level--) {
      const pteAddr = a + vpn[level] * 8;
      if (!ram.contains(pteAddr, 8)) this.accessFault(vlo, vhi, access);
      const w = (pteAddr - ram.base) >>> 2;
      let lo = ram.i32[w];
      const hi = ram.i32[w + 1];
      if ((lo & 1) === 0 || ((lo & 2) === 0 && (lo & 4) !== 0)) this.pageFault(vlo, vhi, access);
      if ((hi >>> 22) !== 0) this.pageFault(vlo, vhi, access); // reserved bits 63..54 (no Svpbmt/Svnapot)
      const ppn = (hi & 0x3fffff) * 4194304 + (lo >>> 10);
      if ((lo & 0xa) === 0) { // pointer to next level
        if ((lo & 0xd0) !== 0) this.pageFault(vlo, vhi, access); // D, A, U must be clear in non-leaf PTEs
        a = ppn * 4096;
        continue;
      }
      // Leaf: permission checks.
      const u = (lo & 0x10) !== 0;
      if (priv === PRIV_U) {
        if (!u) this.pageFault(vlo, vhi, access);
      } else if (u) {
        if (access === ACCESS_EXEC || (this.mstatus & MSTATUS.SUM) === 0) this.pageFault(vlo, vhi, access);
      }
      if (access === ACCESS_EXEC) {
        if ((lo & 8) === 0) this.pageFault(vlo, vhi, access);
      } else if (access === ACCESS_READ) {
        if ((lo & 2) === 0 && !((this.mstatus & MSTATUS.MXR) !== 0 && (lo & 8) !== 0)) this.pageFault(vlo, vhi, access);
      } else if ((lo & 4) === 0) {
        this.pageFault(vlo, vhi, access);
      }
      // Superpage alignment.
      if (level > 0 && (ppn % (1 << (9 * level))) !== 0) this.pageFault(vlo, vhi, access);
      // A/D updates.
      const want = 0x40 | (access === ACCESS_WRITE ? 0x80 : 0);
      if ((lo & want) !== want) {
        lo |= want;
        ram.i32[w] = lo;
        ram.markDirty(pteAddr - ram.base, 4);
      }
      // Physical address: ppn with the low levels taken from the virtual address.
      const pageOffsetMask = level === 0 ? 0xfff : level === 1 ? 0x1fffff : 0x3fffffff;
      this.walkFlags = level | (u ? TLB_USER : 0);
      const base = ppn * 4096;
      return base - (base % (pageOffsetMask + 1)) + ((vlo >>> 0) & pageOffsetMask);
    }
    return this.pageFault(vlo, vhi, access);
  }

  // ------------------------------------------------------------- slow memory paths

  /** A LOAD's slow path: read the size funct3 `f3` names into rLo/rHi, sign- or zero-extended as it says. */
  readLoad(vlo: number, vhi: number, f3: number): void {
    this.readMem(vlo, vhi, 1 << (f3 & 3));
    const lo = this.rLo;
    switch (f3) {
      case 0: this.rLo = (lo << 24) >> 24; this.rHi = this.rLo >> 31; break;
      case 1: this.rLo = (lo << 16) >> 16; this.rHi = this.rLo >> 31; break;
      case 2: this.rHi = lo >> 31; break;
      case 3: break;
      default: this.rHi = 0; break;
    }
  }

  /** Read `size` bytes at a virtual address into rLo/rHi (zero-extended). Handles misalignment and MMIO. */
  readMem(vlo: number, vhi: number, size: number, access = ACCESS_READ): void {
    if ((vlo & 0xfff) + size > 4096) {
      // Crosses a page: translate each byte (both pages checked before any state changes).
      let lo = 0, hi = 0;
      for (let i = size - 1; i >= 0; i--) {
        const t = (vlo >>> 0) + i;
        const blo = t | 0, bhi = (vhi + (t >= TWO32 ? 1 : 0)) | 0;
        this.readPhys(this.translate(blo, bhi, access), 1, blo, bhi, access);
        if (i >= 4) hi |= this.rLo << ((i - 4) * 8); else lo |= this.rLo << (i * 8);
      }
      this.rLo = lo; this.rHi = hi;
      return;
    }
    this.readPhys(this.translate(vlo, vhi, access), size, vlo, vhi, access);
  }

  /** Read `size` bytes at a physical address (RAM or MMIO) into rLo/rHi, zero-extended; vlo/vhi name it for a fault. */
  private readPhys(paddr: number, size: number, vlo: number, vhi: number, access: number): void {
    const ram = this.bus.ram;
    if (paddr >= ram.base && paddr + size <= ram.base + ram.size) {
      const off = paddr - ram.base;
      const u8 = ram.u8;
      let lo = 0, hi = 0;
      for (let i = 0; i < size; i++) {
        if (i < 4) lo |= u8[off + i] << (i * 8); else hi |= u8[off + i] << ((i - 4) * 8);
      }
      this.rLo = lo; this.rHi = hi;
      if (this.readWatched[off >>> 12] !== 0 && this.onWatchedLoad) this.onWatchedLoad(paddr, size);
      return;
    }
    let v: number | bigint;
    try {
      v = this.bus.load(paddr, size as 1 | 2 | 4 | 8);
    } catch (e) {
      if (e instanceof BusFault) this.accessFault(vlo, vhi, access);
      throw e;
    }
    if (typeof v === 'bigint') {
      this.rLo = Number(BigInt.asIntN(32, v));
      this.rHi = Number(BigInt.asIntN(32, v >> 32n));
    } else {
      this.rLo = v | 0;
      this.rHi = 0;
    }
  }

  /** Write `size` bytes (from lo/hi) at a virtual address. Handles misalignment, MMIO and watched pages. */
  writeMem(vlo: number, vhi: number, size: number, lo: number, hi: number): void {
    if ((vlo & 0xfff) + size > 4096) {
      // Crosses a page: translate every byte first, so a fault on the second page writes nothing.
      const paddrs: number[] = [];
      for (let i = 0; i < size; i++) {
        const t = (vlo >>> 0) + i;
        paddrs.push(this.translate(t | 0, (vhi + (t >= TWO32 ? 1 : 0)) | 0, ACCESS_WRITE));
      }
      for (let i = 0; i < size; i++) {
        const b = i < 4 ? (lo >>> (i * 8)) & 0xff : (hi >>> ((i - 4) * 8)) & 0xff;
        const t = (vlo >>> 0) + i;
        this.writePhys(paddrs[i], 1, b, 0, t | 0, (vhi + (t >= TWO32 ? 1 : 0)) | 0);
      }
      return;
    }
    this.writePhys(this.translate(vlo, vhi, ACCESS_WRITE), size, lo, hi, vlo, vhi);
  }


  private writePhys(paddr: number, size: number, lo: number, hi: number, vlo: number, vhi: number): void {
    const ram = this.bus.ram;
    if (paddr >= ram.base && paddr + size <= ram.base + ram.size) {
      const off = paddr - ram.base;
      const u8 = ram.u8;
      for (let i = 0; i < size; i++) u8[off + i] = i < 4 ? lo >>> (i * 8) : hi >>> ((i - 4) * 8);
      ram.dirty[off >>> 12] = 1;
      if (ram.code[off >>> 12] !== 0) this.codeWritten(off >>> 12);
      if (this.watched[off >>> 12] !== 0 && this.onWatchedStore) this.onWatchedStore(paddr, size);
      return;
    }
    try {
      if (size === 8) this.bus.store(paddr, 8, BigInt.asUintN(64, toBig(lo, hi)));
      else this.bus.store(paddr, size as 1 | 2 | 4, size === 4 ? lo >>> 0 : lo & ((1 << (size * 8)) - 1));
    } catch (e) {
      if (e instanceof BusFault) this.accessFault(vlo, vhi, ACCESS_WRITE);
      throw e;
    }
  }

  /**
   * Breakpoints for a debugger: fetches from the virtual pages of `pcs` take the slow path, where
   * `stop(pc, icount)` is asked before the instruction at each of `pcs` runs; true makes run()
   * return 'stop' there, before it. Null takes them off. Execution is exactly what it is unwatched
   * (the TLB holds the same entries, see translate); only translated code is bypassed on those pages.
   */
  watchFetches(pcs: Iterable<bigint> | null, stop: ((pc: bigint, icount: number) => boolean) | null): void {
    const keys = new Set<number>();
    for (const pc of pcs ?? []) keys.add(tlbKey(Number(BigInt.asIntN(32, pc)), Number(BigInt.asIntN(32, pc >> 32n))));
    this.fetchWatch = keys.size > 0 && stop !== null ? keys : null;
    this.onWatchedFetch = this.fetchWatch === null ? null : stop;
    this.watchedPcs = this.fetchWatch === null ? null : new Set([...(pcs ?? [])].map((p) => BigInt.asUintN(64, p)));
    // Re-key every cached entry: the watched pages' entries must not match a fetch, the others must.
    for (const t of this.tlbSets) {
      for (let i = 0; i < t.xKey.length; i++) {
        const k = t.xKey[i];
        if (k !== k) continue;
        const real = Math.floor(k);
        t.xKey[i] = this.fetchWatch !== null && this.fetchWatch.has(real) ? real + 0.5 : real;
      }
    }
  }

  /** A fetch from a watched page: true to stop before the instruction at pc. */
  private watchedFetch(plo: number, phi: number, ic: number): boolean {
    if (!this.fetchWatch!.has(tlbKey(plo, phi))) return false;
    const pc = BigInt.asUintN(64, toBig(plo, phi));
    if (!this.watchedPcs!.has(pc) || !this.onWatchedFetch!(pc, ic)) return false;
    this.stopRequested = true;
    this.attn = true;
    return true;
  }

  /** The fetch slow path while pages are watched: an entry kept for a watched page is a hit (no walk), as it would be unwatched. */
  private fetchWatchedPage(plo: number, phi: number): number {
    const fidx = (plo >>> 12) & TLB_MASK;
    const po = plo & 0xfff;
    if (po < 0xffe && this.tlbXKey[fidx] === tlbKey(plo, phi) + 0.5) {
      const off = this.tlbXOff[fidx] + po;
      const ram = this.bus.ram;
      return (off & 2) === 0 ? ram.i32[off >>> 2] : ram.u16[off >>> 1] | (ram.u16[(off >>> 1) + 1] << 16);
    }
    return this.fetchSlow(plo, phi);
  }

  /** Fetch the instruction at pc (slow path): returns the raw 16- or 32-bit encoding. */
  private fetchSlow(plo: number, phi: number): number {
    const p1 = this.translate(plo, phi, ACCESS_EXEC);
    const lowHalf = this.fetchHalf(p1, plo, phi);
    if ((lowHalf & 3) !== 3) return lowHalf;
    const t = (plo >>> 0) + 2;
    const nlo = t | 0, nhi = (phi + (t >= TWO32 ? 1 : 0)) | 0;
    const p2 = (plo & 0xfff) === 0xffe ? this.translate(nlo, nhi, ACCESS_EXEC) : p1 + 2;
    return (lowHalf | (this.fetchHalf(p2, nlo, nhi) << 16)) | 0;
  }

  private fetchHalf(paddr: number, vlo: number, vhi: number): number {
    const ram = this.bus.ram;
    if (paddr >= ram.base && paddr + 2 <= ram.base + ram.size) return ram.u16[(paddr - ram.base) >>> 1];
    this.exc(CAUSE.INSN_ACCESS, toBig(vlo, vhi));
  }

  // ------------------------------------------------------------- the interpreter

  /**
   * Execute instructions until `limit`, an attention request, or WFI; with
   * `toJump` (the wasm engine's fallback) also at a jump target that has a
   * translated block, or is hot enough to get one (counted in blocks.hot).
   * Returns 0 normally, 1 when the hart stopped on WFI. Throws TRAP.
   */
  private execBlock(limit: number, toJump: boolean): number {
    const x = this.x;
    const ram = this.bus.ram;
    const u8 = ram.u8, u16 = ram.u16, i32 = ram.i32, dirty = ram.dirty, code = ram.code;
    const tlbRKey = this.tlbRKey, tlbROff = this.tlbROff;
    const tlbWKey = this.tlbWKey, tlbWOff = this.tlbWOff;
    const tlbXKey = this.tlbXKey, tlbXOff = this.tlbXOff;
    // The step counter lives in a local; `finally` writes it back on every exit, traps included.
    // Only slow paths (calls out of this function) can raise `attn`, so only they check it.
    // pc lives in locals too: plo/phi name the instruction being executed until it completes.
    let ic = this.icount;
    let plo = this.pcLo, phi = this.pcHi;
    let slow = false;
    // Wasm engine only: check the next fetch (a jump target) against the translated blocks.
    let chk = false;
    const lookup = toJump ? this.jumpCache!.lookup : NO_BLOCKS;
    const hot = toJump ? this.jumpCache!.hot : NO_COUNTS;
    const threshold = toJump ? this.jumpCache!.threshold : 0;
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
        if (this.fetchWatch !== null) {
          // A debugger watches fetches: stop before this instruction if it says so.
          this.icount = ic; this.pcLo = plo; this.pcHi = phi;
          if (this.watchedFetch(plo, phi, ic)) break;
        }
        insn = this.fetchWatch !== null ? this.fetchWatchedPage(plo, phi) : this.fetchSlow(plo, phi);
        // Wasm engine: after a fetch the slow way (a TLB miss, or a 32-bit instruction across a
        // page end, which no block holds), check the next fetch as after a jump.
        chk = toJump;
      }
      let ilen = 4;
      if ((insn & 3) !== 3) {
        insn = RVC_EXPANSION[insn & 0xffff];
        ilen = 2;
        if (insn === 0) this.illegal();
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
              if ((insn >>> 26) !== 0) this.illegal();
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
              } else this.illegal();
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
            else this.illegal();
          } else if (f7 === 1) {
            this.mulDiv(f3, alo, ahi, blo, bhi);
            lo = this.rLo; hi = this.rHi;
          } else this.illegal();
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
              default: this.illegal();
            }
          } else {
            if (f3 === 7) this.illegal();
            slow = true;
            // Position and pc exact for what the load reaches (MMIO reads the position, a read watch the pc).
            this.icount = ic; this.pcLo = plo; this.pcHi = phi;
            this.readLoad(vlo, vhi, f3);
            lo = this.rLo; hi = this.rHi;
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
          if (f3 > 3) this.illegal();
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
            if (code[off >>> 12] !== 0) this.codeWritten(off >>> 12);
          } else {
            slow = true;
            // Position and pc exact for what the store reaches (MMIO, a watch reporting its pc), as translated code does.
            this.icount = ic; this.pcLo = plo; this.pcHi = phi;
            this.writeMem(vlo, vhi, size, x[rs2 << 1], x[(rs2 << 1) | 1]);
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
            default: this.illegal();
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
          if (f3 !== 0) this.illegal();
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
          else if (f3 === 1) { if ((insn >>> 25) !== 0) this.illegal(); r = alo << ((insn >> 20) & 31); }
          else if (f3 === 5) {
            const f7 = insn >>> 25;
            if (f7 === 0) r = (alo >>> ((insn >> 20) & 31)) | 0;
            else if (f7 === 0x20) r = alo >> ((insn >> 20) & 31);
            else this.illegal();
          } else this.illegal();
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
            else this.illegal();
          } else if (f7 === 0x20) {
            if (f3 === 0) r = (a - b) | 0;
            else if (f3 === 5) r = a >> (b & 31);
            else this.illegal();
          } else if (f7 === 1) {
            switch (f3) {
              case 0: r = Math.imul(a, b); break;
              case 4: r = b === 0 ? -1 : (a === -2147483648 && b === -1) ? a : (a / b) | 0; break;
              case 5: r = b === 0 ? -1 : ((a >>> 0) / (b >>> 0)) | 0; break;
              case 6: r = b === 0 ? a : (a === -2147483648 && b === -1) ? 0 : (a % b) | 0; break;
              case 7: r = b === 0 ? a : ((a >>> 0) % (b >>> 0)) | 0; break;
              default: this.illegal();
            }
          } else this.illegal();
          if (rd !== 0) { x[rd << 1] = r; x[(rd << 1) | 1] = r >> 31; }
          break;
        }
        case 0x73: { // SYSTEM
          this.icount = ic; // counters read it
          this.pcLo = plo; this.pcHi = phi; // ebreak reports it, xret replaces it
          slow = true;
          if (f3 !== 0) {
            this.csrInstruction(insn, rd, rs1, f3);
          } else {
            const r = this.systemInstruction(insn, rd);
            if (r === 1) { // trap return: pc already set
              plo = this.pcLo; phi = this.pcHi;
              ic++;
              return 0;
            }
            if (r === 2) { // WFI with nothing pending
              plo = nlo; phi = nhi;
              ic++;
              this.waiting = true;
              return 1;
            }
          }
          break;
        }
        case 0x0f: // MISC-MEM: FENCE, FENCE.I (translated code, if any, is kept coherent with every store)
          if (f3 > 1) this.illegal();
          break;
        case 0x2f: // AMO
          slow = true;
          this.icount = ic; this.pcLo = plo; this.pcHi = phi;
          this.amo(insn, rd, rs1, f3);
          break;
        case 0x07: // LOAD-FP
        case 0x27: // STORE-FP
        case 0x43: case 0x47: case 0x4b: case 0x4f: case 0x53:
          slow = true;
          this.icount = ic; this.pcLo = plo; this.pcHi = phi;
          executeFp(this, insn);
          break;
        default:
          this.illegal();
      }
      plo = nlo;
      phi = nhi;
      ic++;
      if (slow) {
        slow = false;
        if (this.attn) break;
      }
    }
    } finally {
      this.icount = ic;
      this.pcLo = plo;
      this.pcHi = phi;
    }
    return 0;
  }

  /**
   * The 'wasm' engine's loop: the WebAssembly dispatcher runs translated blocks; where pc has none
   * (or the next might overrun `limit`), translate it if it is hot, else interpret up to the next
   * jump. Same contract as execBlock.
   */
  private execWasm(limit: number): number {
    const engine = this.wasmEngine!;
    const blocks = engine.cache;
    const lookup = blocks.lookup, hot = blocks.hot, threshold = blocks.threshold;
    const area = this.areaI32;
    for (;;) {
      const ic = this.icount;
      if (ic >= limit || this.attn) return 0;
      area[AREA_PC_LO >>> 2] = this.pcLo; area[AREA_PC_HI >>> 2] = this.pcHi;
      area[AREA_ATTN >>> 2] = 0;
      this.publishFpMode();
      this.blockBase = ic;
      const steps = engine.dispatch(Math.min(limit - ic, 0x3fffffff));
      if (steps !== 0) {
        this.icount = ic + steps;
        this.pcLo = area[AREA_PC_LO >>> 2]; this.pcHi = area[AREA_PC_HI >>> 2];
        continue;
      }
      const plo = this.pcLo, phi = this.pcHi;
      const fidx = (plo >>> 12) & TLB_MASK;
      if (this.tlbXKey[fidx] === phi * 1048576 + (plo >>> 12)) {
        const off = this.tlbXOff[fidx] + (plo & 0xfff);
        const li = (off >>> 1) & LOOKUP_MASK;
        const b = lookup[li];
        // Count here too: places reached other than by a jump (after a block cut at a page end,
        // after an instruction left to the interpreter) become blocks as well.
        if ((b === undefined || b.off !== off || b.plo !== plo || b.phi !== phi) && ++hot[li] >= threshold) {
          if (engine.request(off, plo, phi)) continue;
        }
      }
      this.excursions++;
      let r: number;
      try {
        r = this.execBlock(limit, true);
      } finally {
        this.interpreted += this.icount - ic;
      }
      if (r !== 0) return r;
    }
  }

  /** A write reached a RAM page holding translated code: drop it, and make running code stop after this instruction. */
  codeWritten(page: number): void {
    if (this.jumpCache !== null) this.jumpCache.invalidatePage(page);
    else this.bus.ram.code[page] = 0;
    this.attn = true;
  }

  // Slow paths of translated code: pc and icount name the instruction; true when `attn` asks the block to stop after it.

  /** A load: read, extend as LOAD funct3 says, write rd. */
  loadAt(vlo: number, vhi: number, f3: number, rd: number, plo: number, phi: number, ic: number): boolean {
    this.pcLo = plo; this.pcHi = phi; this.icount = ic;
    this.readLoad(vlo, vhi, f3);
    if (rd !== 0) { this.x[rd << 1] = this.rLo; this.x[(rd << 1) | 1] = this.rHi; }
    return this.attn;
  }

  storeAt(vlo: number, vhi: number, size: number, lo: number, hi: number, plo: number, phi: number, ic: number): boolean {
    this.pcLo = plo; this.pcHi = phi; this.icount = ic;
    this.writeMem(vlo, vhi, size, lo, hi);
    return this.attn;
  }

  /** AMO and floating-point instructions, as the interpreter runs them. */
  slowInsn(insn: number, plo: number, phi: number, ic: number): boolean {
    this.pcLo = plo; this.pcHi = phi; this.icount = ic;
    if ((insn & 0x7f) === 0x2f) this.amo(insn, (insn >> 7) & 31, (insn >> 15) & 31, (insn >> 12) & 7);
    else { executeFp(this, insn); this.publishFpMode(); }
    return this.attn;
  }

  /**
   * A SYSTEM instruction (not WFI) for the 'wasm' engine, as the interpreter runs it; leaves the
   * next pc (nlo/nhi, or where an xRET goes) in the area for the block, which ends here.
   */
  systemAt(insn: number, plo: number, phi: number, nlo: number, nhi: number, ic: number): boolean {
    this.pcLo = plo; this.pcHi = phi; this.icount = ic;
    const f3 = (insn >> 12) & 7;
    if (f3 !== 0) this.csrInstruction(insn, (insn >> 7) & 31, (insn >> 15) & 31, f3);
    else if (this.systemInstruction(insn, (insn >> 7) & 31) === 1) { nlo = this.pcLo; nhi = this.pcHi; }
    this.areaI32[AREA_PC_LO >>> 2] = nlo; this.areaI32[AREA_PC_HI >>> 2] = nhi;
    this.publishFpMode();
    return this.attn;
  }

  /** M extension on full 64-bit operands (rare enough for BigInt where 32-bit math can't do it). Result in rLo/rHi. */
  mulDiv(f3: number, alo: number, ahi: number, blo: number, bhi: number): void {
    if (f3 === 0) { // MUL: low 64 bits, from 16-bit limbs (exact in doubles)
      const a = alo >>> 0, b = blo >>> 0;
      const a0 = a & 0xffff, a1 = a >>> 16, b0 = b & 0xffff, b1 = b >>> 16;
      const p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
      const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
      this.rLo = ((mid & 0xffff) << 16) | (p00 & 0xffff);
      const h = p11 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16);
      this.rHi = (h + Math.imul(alo, bhi) + Math.imul(ahi, blo)) | 0;
      return;
    }
    // Fast paths: both operands are sign-extended 32-bit values (signed ops) or zero-extended (unsigned ops).
    const aSmall = ahi === (alo >> 31), bSmall = bhi === (blo >> 31);
    if (f3 >= 4 && aSmall && bSmall && (f3 === 4 || f3 === 6)) {
      let r: number;
      if (blo === 0) r = f3 === 4 ? -1 : alo;
      else r = f3 === 4 ? Math.trunc(alo / blo) : alo % blo;
      this.rLo = r | 0; this.rHi = Math.floor(r / TWO32) | 0;
      return;
    }
    if (f3 >= 4 && ahi === 0 && bhi === 0 && (f3 === 5 || f3 === 7)) {
      const a = alo >>> 0, b = blo >>> 0;
      if (b === 0) { if (f3 === 5) { this.rLo = -1; this.rHi = -1; } else { this.rLo = alo; this.rHi = 0; } return; }
      const r = f3 === 5 ? Math.floor(a / b) : a % b;
      this.rLo = r | 0; this.rHi = 0;
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
    this.rLo = Number(BigInt.asIntN(32, r));
    this.rHi = Number(BigInt.asIntN(32, r >> 32n));
  }

  /** A extension: LR/SC and AMOs, 32 and 64 bits. */
  private amo(insn: number, rd: number, rs1: number, f3: number): void {
    if (f3 !== 2 && f3 !== 3) this.illegal();
    const size = f3 === 2 ? 4 : 8;
    const f5 = insn >>> 27;
    const rs2 = (insn >> 20) & 31;
    const vlo = this.x[rs1 << 1], vhi = this.x[(rs1 << 1) | 1];
    if ((vlo & (size - 1)) !== 0) this.exc(f5 === 2 ? CAUSE.LOAD_MISALIGNED : CAUSE.STORE_MISALIGNED, toBig(vlo, vhi));
    let rlo: number, rhi: number;
    // Fast path: the page is in the read (LR) or write (SC, AMO) TLB, so it is RAM with its A (and D)
    // bits set and not watched: the same effects as the translate + readMem/writeMem of the slow path.
    const ram = this.bus.ram, i32 = ram.i32;
    const idx = (vlo >>> 12) & TLB_MASK, key = vhi * 1048576 + (vlo >>> 12);
    if (f5 === 2) { // LR
      if (rs2 !== 0) this.illegal();
      if (this.tlbRKey[idx] === key) {
        const off = this.tlbROff[idx] + (vlo & 0xfff);
        rlo = i32[off >>> 2]; rhi = size === 4 ? rlo >> 31 : i32[(off >>> 2) + 1];
        this.reservation = ram.base + off;
      } else {
        const paddr = this.translate(vlo, vhi, ACCESS_READ);
        this.readMem(vlo, vhi, size);
        this.reservation = paddr;
        rlo = this.rLo; rhi = size === 4 ? this.rLo >> 31 : this.rHi;
      }
    } else if (f5 === 3) { // SC
      const fast = this.tlbWKey[idx] === key;
      const off = fast ? this.tlbWOff[idx] + (vlo & 0xfff) : 0;
      const paddr = fast ? ram.base + off : this.translate(vlo, vhi, ACCESS_WRITE);
      if (this.reservation === paddr) {
        if (fast) this.ramStore(off, size, this.x[rs2 << 1], this.x[(rs2 << 1) | 1]);
        else this.writeMem(vlo, vhi, size, this.x[rs2 << 1], this.x[(rs2 << 1) | 1]);
        rlo = 0;
      } else {
        rlo = 1;
      }
      rhi = 0;
      this.reservation = -1;
    } else {
      const fast = this.tlbWKey[idx] === key;
      const off = fast ? this.tlbWOff[idx] + (vlo & 0xfff) : 0;
      let alo: number, ahi: number;
      if (fast) {
        alo = i32[off >>> 2]; ahi = size === 4 ? alo >> 31 : i32[(off >>> 2) + 1];
      } else {
        // Check write permission first: an AMO raises a store/AMO fault, never a load fault.
        this.translate(vlo, vhi, ACCESS_WRITE);
        this.readMem(vlo, vhi, size, ACCESS_WRITE);
        alo = this.rLo; ahi = size === 4 ? this.rLo >> 31 : this.rHi;
      }
      const blo = this.x[rs2 << 1], bhi = size === 4 ? this.x[rs2 << 1] >> 31 : this.x[(rs2 << 1) | 1];
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
        default: this.illegal();
      }
      if (fast) this.ramStore(off, size, lo, hi);
      else this.writeMem(vlo, vhi, size, lo, hi);
    }
    if (rd !== 0) { this.x[rd << 1] = rlo; this.x[(rd << 1) | 1] = rhi; }
  }

  /** An aligned 4- or 8-byte store at a RAM offset from the write TLB (dirty page, translated code dropped). */
  private ramStore(off: number, size: number, lo: number, hi: number): void {
    const ram = this.bus.ram;
    ram.i32[off >>> 2] = lo;
    if (size === 8) ram.i32[(off >>> 2) + 1] = hi;
    ram.dirty[off >>> 12] = 1;
    if (ram.code[off >>> 12] !== 0) this.codeWritten(off >>> 12);
  }

  /** ECALL, EBREAK, xRET, WFI, SFENCE.VMA. Returns 1 when pc was set (xRET), 2 for a WFI that stops. */
  private systemInstruction(insn: number, rd: number): number {
    if (insn === 0x00000073) { // ECALL
      this.exc(this.priv === PRIV_U ? CAUSE.ECALL_U : this.priv === PRIV_S ? CAUSE.ECALL_S : CAUSE.ECALL_M, 0n);
    }
    if (insn === 0x00100073) this.exc(CAUSE.BREAKPOINT, this.pc); // EBREAK
    if (insn === 0x30200073) { // MRET
      if (this.priv !== PRIV_M) this.illegal();
      const s = this.mstatus;
      const mpp = (s & MSTATUS.MPP) >>> MSTATUS.MPP_SHIFT;
      let ns = (s & ~(MSTATUS.MIE | MSTATUS.MPP)) | ((s & MSTATUS.MPIE) ? MSTATUS.MIE : 0) | MSTATUS.MPIE;
      if (mpp !== PRIV_M) ns &= ~MSTATUS.MPRV;
      this.mstatus = ns;
      this.priv = mpp;
      this.pc = this.mepc & ~1n;
      this.privSwitched();
      this.hooks.onXret?.(this, mpp);
      return 1;
    }
    if (insn === 0x10200073) { // SRET
      if (this.priv === PRIV_U || (this.priv === PRIV_S && (this.mstatus & MSTATUS.TSR) !== 0)) this.illegal();
      const s = this.mstatus;
      const spp = (s & MSTATUS.SPP) ? PRIV_S : PRIV_U;
      this.mstatus = ((s & ~(MSTATUS.SIE | MSTATUS.SPP)) | ((s & MSTATUS.SPIE) ? MSTATUS.SIE : 0) | MSTATUS.SPIE) & ~MSTATUS.MPRV;
      this.priv = spp;
      this.pc = this.sepc & ~1n;
      this.privSwitched();
      this.hooks.onXret?.(this, spp);
      return 1;
    }
    if (insn === 0x10500073) { // WFI
      if (this.priv === PRIV_U || (this.priv === PRIV_S && (this.mstatus & MSTATUS.TW) !== 0)) this.illegal();
      return (this.mip & this.mie) === 0 ? 2 : 0;
    }
    if ((insn >>> 25) === 0x09 && rd === 0) { // SFENCE.VMA
      if (this.priv === PRIV_U || (this.priv === PRIV_S && (this.mstatus & MSTATUS.TVM) !== 0)) this.illegal();
      const rs1 = (insn >> 15) & 31;
      if (rs1 === 0) this.flushTlb();
      else this.flushTlbPage(this.x[rs1 << 1], this.x[(rs1 << 1) | 1]); // any ASID: we keep none in the TLB
      return 0;
    }
    this.illegal();
  }

  /** CSRRW, CSRRS, CSRRC and their immediate forms (Zicsr). */
  private csrInstruction(insn: number, rd: number, rs1: number, f3: number): void {
    const csr = insn >>> 20;
    if (f3 === 4) this.illegal();
    const imm = f3 >= 5;
    const src = imm ? BigInt(rs1) : toBig(this.x[rs1 << 1], this.x[(rs1 << 1) | 1]);
    const op = f3 & 3; // 1 = write, 2 = set, 3 = clear
    const writes = op === 1 || rs1 !== 0;
    // Privilege and read-only checks (csr[9:8] = lowest privilege, csr[11:10] = 3 means read-only).
    if (((csr >>> 8) & 3) > this.priv) this.illegal();
    if (writes && (csr >>> 10) === 3) this.illegal();
    const old = readCsr(this, csr); // also raises illegal-instruction for a CSR that does not exist
    if (writes) {
      // mip: a read-modify-write works on the software-writable bits only; the value read ORs in the
      // external SEIP line, which must not be latched into the software bit (privileged spec 3.1.9).
      const base = csr === CSR.mip ? BigInt(this.mipSoft) : old;
      const v = op === 1 ? src : op === 2 ? base | src : base & ~src;
      writeCsr(this, csr, BigInt.asUintN(64, v));
    }
    if (rd !== 0) this.setX(rd, old);
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

/** TLB entry flag: the page is a user page (U=1). The low 2 bits hold the leaf level (0: 4 KiB page). */
const TLB_USER = 4;

/** Drop the entries of one TLB array that translate virtual page `vpn` (a key), directly or as part of a superpage. */
function dropPage(keys: Float64Array, flags: Uint8Array, vpn: number): void {
  for (let i = 0; i < TLB_SIZE; i++) {
    const k = keys[i];
    if (k === vpn || k === vpn + 0.5) { keys[i] = NaN; continue; } // + 0.5: a watched exec page (see watchFetches)
    const level = flags[i] & 3;
    if (level !== 0 && k === k) {
      const span = level === 1 ? 512 : 262144;
      if (Math.floor(k / span) === Math.floor(vpn / span)) keys[i] = NaN;
    }
  }
}

/** Drop the entries of one TLB array made from user pages. */
function dropUser(keys: Float64Array, flags: Uint8Array): void {
  for (let i = 0; i < TLB_SIZE; i++) if ((flags[i] & TLB_USER) !== 0) keys[i] = NaN;
}

/** Highest-priority interrupt in a mask: MEI, MSI, MTI, SEI, SSI, STI. */
function highestInterrupt(mask: number): number {
  if (mask & (1 << IRQ.MEI)) return IRQ.MEI;
  if (mask & (1 << IRQ.MSI)) return IRQ.MSI;
  if (mask & (1 << IRQ.MTI)) return IRQ.MTI;
  if (mask & (1 << IRQ.SEI)) return IRQ.SEI;
  if (mask & (1 << IRQ.SSI)) return IRQ.SSI;
  if (mask & (1 << IRQ.STI)) return IRQ.STI;
  return 31 - Math.clz32(mask);
}

export { PRIV_M, PRIV_S, PRIV_U };
