/**
 * The hart as other packages see it: a narrow type over the same object.
 *
 * Inside this package the hart is the class in hart.ts, whose state (register halves, CSRs,
 * TLB views, engine internals) is plain public fields so the hot loops in hart-*.ts and the
 * translated code's slow paths read them with no indirection. The package index exports
 * `Hart` as this interface plus a constructor typed to return it, so the state is private to
 * @prnr/cpu at compile time only: no wrapper, no getter, no cost at run time. What may cross the
 * boundary is named here: architectural registers through getX/setX/pc, a few CSRs read-only,
 * the whole state only as plain data (state()/restore(), the saved format), and the hooks
 * debuggers and analyses attach.
 */
import type { Bus } from './bus.js';
import { Hart as HartImpl } from './hart.js';
import type { HartEngine, HartHooks, HartOptions, StopReason } from './hart.js';
import type { HartState } from './hart-state.js';
import type { CodeCache } from './jit/code-cache.js';

export interface Hart {
  readonly bus: Bus;
  readonly hartId: number;
  /** Behaviour version (HartOptions.behaviourVersion; HART_BEHAVIOUR_VERSION lists what each changed). */
  readonly behaviourVersion: number;
  /** Steps so far: retired instructions plus trap entries (see hart.ts). */
  readonly icount: number;
  /** The pc; written by a board at reset (a0/a1 through setX), never during a run. */
  pc: bigint;
  /** Privilege level (PRIV_M/S/U). */
  readonly priv: number;
  // CSRs analyses read (the rest through peekCsr, or state()).
  readonly satp: bigint;
  readonly mstatus: number;
  readonly mie: number;
  readonly mip: number;
  readonly sscratch: bigint;
  readonly sepc: bigint;
  readonly scause: bigint;
  readonly stval: bigint;
  readonly mepc: bigint;

  /** x[i] as an unsigned 64-bit bigint. */
  getX(i: number): bigint;
  setX(i: number, v: bigint): void;
  /** f[i] as a 64-bit pattern. */
  getF(i: number): bigint;

  /** Trap and xRET callbacks (analyses, diagnosis). */
  readonly hooks: HartHooks;
  /** Pages (of RAM, by page index) whose stores are reported to `onWatchedStore`; set a byte to watch, then flushTlb(). */
  readonly watched: Uint8Array;
  onWatchedStore: ((paddr: number, size: number) => void) | null;
  /** Pages whose loads are reported to `onWatchedLoad` (debugger read watchpoints); set, then flushTlb(). */
  readonly readWatched: Uint8Array;
  onWatchedLoad: ((paddr: number, size: number) => void) | null;
  /** Breakpoints: `stop(pc, icount)` is asked before each of `pcs` runs; true stops run() there. Null: none. */
  watchFetches(pcs: Iterable<bigint> | null, stop: ((pc: bigint, icount: number) => boolean) | null): void;

  /** The execution engine; may be switched between runs. */
  engine: HartEngine;
  readonly engineStats: { compiled: number; translated: number; fromCache: number; invalidations: number; interpreted: number; excursions: number; dispatcherTrips: number };

  /** Run until icount reaches `until`, or earlier on WFI with nothing pending or a stop request. */
  run(until: bigint | number): StopReason;
  /** Stop the run loop after the current instruction. */
  requestStop(): void;
  /** Raise or lower one interrupt line driven by a device. */
  setIrq(line: 'msip' | 'mtip' | 'meip' | 'seip', level: boolean): void;
  /** Drop every cached translation (after changing `watched`/`readWatched`). */
  flushTlb(): void;
  /** Translate a virtual address (halves) for an access (ACCESS_*) as the hart would, with its side effects (A/D bits, TLB fill); throws on a fault. */
  translate(vlo: number, vhi: number, access: number): number;

  /** The whole architectural state as plain data (the saved format, HART_STATE_VERSION). */
  state(): HartState;
  /** Replace the whole state (also how a tool or test sets privilege, satp, CSRs). */
  restore(s: HartState): void;
}

/** The constructor and the process-wide defaults apps set. */
export interface HartConstructor {
  new (bus: Bus, opts?: HartOptions): Hart;
  defaultEngine: HartEngine;
  defaultJitThreshold: number | undefined;
  defaultCodeCache: CodeCache | null;
  defaultBackgroundCompile: boolean;
}

/** The hart class, typed as other packages see it (the same object: `Hart.defaultEngine = ...` sets the class's). */
export const Hart: HartConstructor = HartImpl;

/**
 * The hart's internals, for this package's own functions that are handed a public Hart
 * (peek.ts). A type-level cast only; not exported from the package index.
 */
export function internals(h: Hart): HartImpl {
  return h as HartImpl;
}
