/**
 * Breakpoints and watchpoints on a replaying machine: breakpoints through the
 * hart's fetch watch (only fetches from their pages take a slow path),
 * watchpoints through its watched pages (only stores and loads there do).
 * Nothing is hooked while none is set. A probe either stops the machine at the
 * first hit (forward execution) or only notes every hit (the backward search
 * wants the last one before a position).
 */
import type { VirtMachine } from '@prnr/machine';

export const DEBUG_POINTS_VERSION = 1;

/** What to stop at, as plain data (it crosses to search threads). */
export interface DebugPoints {
  version: typeof DEBUG_POINTS_VERSION;
  /** Virtual pcs, hex ("0xffffffff80079990"). */
  breakpoints: string[];
  /** Watchpoints: the physical range watched, the virtual address GDB asked for (it is reported back), and what stops. */
  watchpoints: Array<{ paddr: number; length: number; vaddr: string; kind: WatchKind }>;
}

/** What a watchpoint stops at: stores (GDB's `watch`), loads (`rwatch`) or both (`awatch`). */
export type WatchKind = 'write' | 'read' | 'access';

/**
 * A hit. Breakpoint: the machine stands before the instruction at `icount`.
 * Watchpoint: the access is the instruction at `icount` (a stopping probe stops
 * the machine right after it; see DebugSession for where GDB is told it stopped).
 */
export type Hit =
  | { kind: 'break'; icount: number; pc: string }
  | { kind: 'watch'; icount: number; vaddr: string; pc: string; watch: WatchKind };

export function noDebugPoints(): DebugPoints {
  return { version: DEBUG_POINTS_VERSION, breakpoints: [], watchpoints: [] };
}

export class Probe {
  /** Hits noted since the last clear (stopping: at most one). */
  readonly hits: Hit[] = [];
  /** Stop the machine at a hit (else only note it). */
  stopping = false;
  /** No hit is noted at this icount (the position a forward run resumes from: GDB has stepped off its breakpoint). */
  skipAt = -1;
  /** Notes nothing while false (an instruction replayed only to cross a slice end, say). */
  armed = true;
  private pages: number[] = [];
  private readPages: number[] = [];
  private attached = false;

  constructor(private readonly machine: VirtMachine, private points: DebugPoints) {
    if (points.version !== DEBUG_POINTS_VERSION) throw new Error(`debug points version ${points.version}, this prnr reads ${DEBUG_POINTS_VERSION}`);
  }

  get empty(): boolean {
    return this.points.breakpoints.length === 0 && this.points.watchpoints.length === 0;
  }

  /** Puts the hooks on the machine (again, after the points changed). */
  attach(points: DebugPoints = this.points): void {
    if (this.attached) this.detach();
    this.points = points;
    const { hart, ram } = this.machine;
    const pcs = points.breakpoints.map((p) => BigInt(p));
    hart.watchFetches(pcs.length ? pcs : null, pcs.length ? (pc, icount) => this.fetched(pc, icount) : null);
    // An empty range watches nothing (and its last page would be computed below its first).
    const ranges = points.watchpoints.filter((w) => w.length > 0 && ram.contains(w.paddr, w.length));
    if (ranges.length) {
      for (const w of ranges) {
        for (let p = (w.paddr - ram.base) >>> 12; p <= (w.paddr + w.length - 1 - ram.base) >>> 12; p++) {
          // Every kind watches stores too: AMOs, which read, go through the write TLB.
          if (hart.watched[p] === 0) { hart.watched[p] = 1; this.pages.push(p); }
          if (w.kind !== 'write' && hart.readWatched[p] === 0) { hart.readWatched[p] = 1; this.readPages.push(p); }
        }
      }
      hart.flushTlb(); // the TLBs may hold those pages
      const hit = (paddr: number, size: number, load: boolean) => {
        if (!this.armed || (this.stopping && this.hits.length > 0)) return;
        const w = ranges.find((r) => paddr < r.paddr + r.length && paddr + size > r.paddr && (r.kind === 'access' || (r.kind === 'read') === load));
        if (!w) return;
        this.note({ kind: 'watch', icount: hart.icount, vaddr: w.vaddr, pc: `0x${hart.pc.toString(16)}`, watch: w.kind });
        // The access completes, then the hart stops: right after the instruction.
        if (this.stopping) hart.requestStop();
      };
      hart.onWatchedStore = (paddr, size) => hit(paddr, size, false);
      if (this.readPages.length) hart.onWatchedLoad = (paddr, size) => hit(paddr, size, true);
    }
    this.attached = true;
  }

  detach(): void {
    const hart = this.machine.hart;
    hart.watchFetches(null, null);
    hart.onWatchedStore = null;
    hart.onWatchedLoad = null;
    for (const p of this.pages) hart.watched[p] = 0;
    for (const p of this.readPages) hart.readWatched[p] = 0;
    this.pages = [];
    this.readPages = [];
    this.attached = false;
  }

  private fetched(pc: bigint, icount: number): boolean {
    if (!this.armed || icount === this.skipAt) return false;
    // Stops once: a run that goes on after it (none should) is not stopped again and again.
    if (this.stopping && this.hits.length > 0) return false;
    this.note({ kind: 'break', icount, pc: `0x${pc.toString(16)}` });
    return this.stopping;
  }

  private note(h: Hit): void {
    if (this.stopping && this.hits.length > 0) return;
    // A backward search keeps only the last hit: later hits replace earlier ones.
    if (!this.stopping) this.hits.length = 0;
    this.hits.push(h);
  }
}
