/**
 * A debugger's view of a recording: one position (an icount) that moves
 * forward and backward, breakpoints and watchpoints, and the machine there to
 * read. Forward execution replays from where the session stands and stops at
 * the first hit; backward execution restores snapshots and replays forward:
 * reverse-stepi from the nearest snapshot before the target, reverse-continue
 * by searching slice by slice backwards (several slices at once on search
 * threads) for the last hit before the position.
 *
 * The past is read-only: nothing here writes guest state, and every slice end
 * a replay crosses is checked against the recording as always.
 */
import { peekVirtual, translatePeek, type Hart } from '@prnr/cpu';
import type { VirtMachine } from '@prnr/machine';
import { ReplaySession, type RecordingSource, type SliceEntry } from '@prnr/recording';
import { Probe, noDebugPoints, type DebugPoints, type Hit, type WatchKind } from './probe.js';
import { searchSlice, SLICE_SEARCH_VERSION, type SliceSearch, type SliceSearchResult } from './slice-search.js';

/** Why execution stopped. */
export type Stop =
  | { kind: 'step' }
  | { kind: 'break'; hit: Hit }
  | { kind: 'watch'; hit: Hit & { kind: 'watch' } }
  /** Ran off the recording: its start (backward) or its end (forward). */
  | { kind: 'history'; end: 'begin' | 'end' }
  | { kind: 'interrupted' };

/** Searches slices for their last hit: in this process, or on search threads (see search-pool.ts). */
export interface SliceSearcher {
  /** How many slices it searches at once (searches started beyond that wait their turn). */
  readonly width: number;
  search(task: SliceSearch): Promise<SliceSearchResult>;
  close(): Promise<void>;
}

/** What the last reverse-continue cost, for `monitor` and benchmarks. */
export interface SearchStats {
  /** Slices whose search was waited for (a batch's later slices are not, once a nearer one hit). */
  slicesSearched: number;
  batches: number;
  seconds: number;
}

const SV39 = 8n;
const NO_MACHINE = 'the debugger has no machine: it has not moved yet, or a replay failed and going back to where it stood failed too';

export class DebugSession {
  readonly session: ReplaySession;
  lastSearch: SearchStats | null = null;
  private readonly breakpoints = new Set<bigint>();
  private readonly watchpoints = new Map<string, { vaddr: bigint; paddr: number; length: number; kind: WatchKind }>();
  /**
   * The physical address each watchpoint (kind, address, length) was last set at, kept after it is
   * removed: GDB removes every point at a stop and sets them again to resume, maybe where the page is
   * no longer mapped. Used only when the address does not translate where it is set again.
   */
  private readonly watchTranslations = new Map<string, number>();
  private probe: Probe | null = null;
  private pointsChanged = true;
  private interrupted = false;
  private readonly searcher: SliceSearcher;

  /** `searcher`: where reverse-continue searches (default: this process, one slice at a time, on this session's machine). */
  constructor(readonly source: RecordingSource, o: { searcher?: SliceSearcher } = {}) {
    this.session = new ReplaySession(source);
    this.searcher = o.searcher ?? inlineSearcher(this.session);
  }

  get slices(): readonly SliceEntry[] {
    return this.source.manifest.slices;
  }

  /** The first and last positions of the recording. */
  get start(): number {
    return this.slices[0].startIcount;
  }

  get end(): number {
    return this.slices.at(-1)!.endIcount;
  }

  get icount(): number {
    const icount = this.session.icount;
    if (icount === null) throw new Error(NO_MACHINE);
    return icount;
  }

  get hart(): Hart {
    const m = this.session.machine;
    if (!m) throw new Error(NO_MACHINE);
    return m.hart;
  }

  /** Moves to `icount` (replaying from the nearest snapshot, or on from here); stays where it was if that fails. */
  async seek(icount: number): Promise<void> {
    await this.keepPosition(() => this.moveTo(icount));
  }

  private async moveTo(icount: number): Promise<void> {
    if (!(icount >= this.start && icount <= this.end)) throw new RangeError(`icount ${icount} is outside the recording (${this.start}..${this.end})`);
    // The probe stays on (it only notes hits here): taking watched pages off and on costs TLB flushes.
    if (this.probe) this.probe.stopping = false;
    await this.session.seek(icount);
  }

  /**
   * Runs a move of the session; if it fails (a damaged recording, say), goes back to where the session
   * stood, since a failed replay leaves it no machine, and throws the failure saying so.
   */
  private async keepPosition<T>(move: () => Promise<T>): Promise<T> {
    const here = this.session.icount;
    try {
      return await move();
    } catch (e) {
      const why = (e as Error).message;
      if (here === null) throw e;
      try {
        await this.session.seek(here);
      } catch (back) {
        throw new Error(`${why}; going back to icount ${here} failed too: ${(back as Error).message}`, { cause: e });
      }
      throw new Error(`${why} (the debugger stays at icount ${here})`, { cause: e });
    }
  }

  /** Stops a forward run or a backward search at the next chance (GDB's Ctrl-C). */
  interrupt(): void {
    this.interrupted = true;
  }

  setBreakpoint(pc: bigint, on: boolean): void {
    const had = this.breakpoints.has(pc);
    if (on) this.breakpoints.add(pc);
    else this.breakpoints.delete(pc);
    if (had !== on) this.pointsChanged = true;
  }

  /**
   * A watchpoint on `length` bytes at virtual address `vaddr`, watched at the physical address it
   * maps to where it is set; where it maps to no RAM, the address the same watchpoint was last set at.
   */
  setWatchpoint(vaddr: bigint, length: number, on: boolean, kind: WatchKind = 'write'): void {
    if (!Number.isSafeInteger(length) || length < 1) throw new RangeError(`a watchpoint needs a length of 1 byte or more, got ${length}`);
    const key = `${kind}:${vaddr}:${length}`;
    if (!on) {
      if (this.watchpoints.delete(key)) this.pointsChanged = true;
      return;
    }
    // Translated afresh each time: the same address may map elsewhere now (another process, or a
    // debugger that deleted it and set it again later).
    const p = this.translate(vaddr);
    let paddr: number | undefined;
    if (p !== null && this.hart.bus.ram.contains(p, length) && this.translate(vaddr + BigInt(length - 1)) === p + length - 1) {
      paddr = p;
      this.watchTranslations.set(key, paddr);
    } else {
      paddr = this.watchTranslations.get(key);
      if (paddr === undefined) throw new RangeError(`0x${vaddr.toString(16)}+${length} is not mapped to RAM at icount ${this.icount}: set the watchpoint where it is mapped`);
    }
    this.watchpoints.set(key, { vaddr, paddr, length, kind });
    this.pointsChanged = true;
  }

  /**
   * Forgets where watchpoints were set before (a new debugger connected): its points are its own, and
   * one it sets where the address is unmapped must be refused, not watch an old debugger's address.
   */
  forgetWatchTranslations(): void {
    this.watchTranslations.clear();
  }

  points(): DebugPoints {
    return {
      ...noDebugPoints(),
      breakpoints: [...this.breakpoints].map((p) => `0x${p.toString(16)}`),
      watchpoints: [...this.watchpoints.values()].map((w) => ({ paddr: w.paddr, length: w.length, vaddr: `0x${w.vaddr.toString(16)}`, kind: w.kind })),
    };
  }

  /** One instruction forward. */
  async stepi(): Promise<Stop> {
    if (this.icount >= this.end) return { kind: 'history', end: 'end' };
    await this.seek(this.icount + 1);
    return { kind: 'step' };
  }

  /** One instruction back: the nearest snapshot before it is restored and replayed forward. */
  async reverseStepi(): Promise<Stop> {
    if (this.icount <= this.start) return { kind: 'history', end: 'begin' };
    await this.seek(this.icount - 1);
    return { kind: 'step' };
  }

  /** Forward to the first breakpoint or watchpoint hit, or the end of the recording. */
  async cont(): Promise<Stop> {
    return this.keepPosition(() => this.runForward());
  }

  private async runForward(): Promise<Stop> {
    this.interrupted = false;
    const probe = this.attachProbe();
    probe.stopping = true;
    probe.skipAt = this.icount;
    probe.hits.length = 0;
    const stopNow = () => probe.hits.length > 0 || this.interrupted;
    const yieldNow = () => new Promise<void>((r) => setImmediate(r));
    try {
      for (;;) {
        const slice = this.session.slice!;
        if (this.icount >= this.end) return { kind: 'history', end: 'end' };
        // Inside a slice the machine stops at a hit. A slice's last instruction is run alone, so the
        // session crosses the slice end (and checks it) with the machine not stopped.
        const target = slice.endIcount - 1;
        if (this.icount < target) await this.session.seek(target, { shouldStop: stopNow, onProgress: yieldNow });
        if (probe.hits.length > 0) return this.forwardStop(probe.hits[0]);
        if (this.interrupted) return { kind: 'interrupted' };
        if (this.breakpoints.has(this.hart.pc) && this.icount !== probe.skipAt) {
          return stopFor({ kind: 'break', icount: this.icount, pc: `0x${this.hart.pc.toString(16)}` });
        }
        probe.stopping = false;
        await this.session.seek(slice.endIcount);
        probe.stopping = true;
        if (probe.hits.length > 0) return this.forwardStop(probe.hits[0]);
        await yieldNow();
      }
    } finally {
      probe.stopping = false;
    }
  }

  /**
   * Where forward execution reports a hit. A breakpoint: before its instruction, where the machine
   * stopped. A watchpoint: before the access too (GDB's RISC-V watchpoints trigger before the access,
   * and GDB steps over it itself); the machine stopped after it, so it replays back to it.
   */
  private async forwardStop(hit: Hit): Promise<Stop> {
    if (hit.kind === 'watch') await this.moveTo(hit.icount);
    return stopFor(hit);
  }

  /**
   * Back to the last breakpoint or watchpoint hit before here, or the start of
   * the recording. Searches the slices from here backwards, `searcher.width` at
   * once; each costs one restore and at most one slice's replay. The nearest hit
   * wins; the session then moves there.
   */
  async reverseCont(): Promise<Stop> {
    return this.keepPosition(() => this.searchBackward());
  }

  private async searchBackward(): Promise<Stop> {
    this.interrupted = false;
    const here = this.icount;
    const started = process.hrtime.bigint();
    const stats: SearchStats = { slicesSearched: 0, batches: 0, seconds: 0 };
    this.lastSearch = stats;
    const finish = async (stop: Stop, at: number): Promise<Stop> => {
      await this.moveTo(at);
      stats.seconds = Number(process.hrtime.bigint() - started) / 1e9;
      return stop;
    };
    if (here <= this.start) return { kind: 'history', end: 'begin' };
    const points = this.points();
    const tasks: SliceSearch[] = [];
    if (points.breakpoints.length + points.watchpoints.length > 0) {
      const cur = this.session.sliceAt(here);
      const first = cur.startIcount < here ? cur.index : cur.index - 1;
      for (let i = first; i >= 0; i--) tasks.push({ version: SLICE_SEARCH_VERSION, slice: i, until: Math.min(here, this.slices[i].endIcount), points });
    }
    this.detachProbe();
    for (let i = 0; i < tasks.length; i += this.searcher.width) {
      if (this.interrupted) return finish({ kind: 'interrupted' }, here);
      const batch = tasks.slice(i, i + this.searcher.width).map((t) => this.searcher.search(t));
      for (const p of batch) p.catch(() => {}); // those not awaited below may fail unobserved
      stats.batches++;
      // The batch goes backwards: the first slice with a hit holds the nearest one, whatever the
      // slices after it (earlier in time) find, so it is not waited for.
      for (const p of batch) {
        const r = await p;
        stats.slicesSearched++;
        if (r.hit === null) continue;
        // A watchpoint is reported where its access has happened (GDB then steps back over the
        // access itself, as it does for rr); a breakpoint before its instruction.
        return finish(stopFor(r.hit), r.hit.kind === 'watch' ? r.hit.icount + 1 : r.hit.icount);
      }
    }
    return finish({ kind: 'history', end: 'begin' }, this.start);
  }

  /** `length` bytes at virtual address `vaddr` as the guest maps it here; null where unmapped. */
  readMemory(vaddr: bigint, length: number): Uint8Array | null {
    const h = this.hart;
    const ram = h.bus.ram;
    for (const satp of this.satps()) {
      const b = peekVirtual(ram, satp, vaddr, length);
      if (b) return b;
    }
    return null;
  }

  async close(): Promise<void> {
    await this.searcher.close();
  }

  /** The physical address `vaddr` maps to here, or null. */
  private translate(vaddr: bigint): number | null {
    for (const satp of this.satps()) {
      const p = translatePeek(this.hart.bus.ram, satp, vaddr);
      if (p !== null) return p;
    }
    return null;
  }

  /**
   * Translations to try for a debugger's address: the guest's page tables when
   * paging is on (also in M-mode, where OpenSBI runs under the kernel's satp),
   * then physical addresses in M-mode.
   */
  private satps(): bigint[] {
    const h = this.hart;
    const paging = h.satp >> 60n === SV39;
    if (!paging) return [0n];
    return h.priv === 3 ? [h.satp, 0n] : [h.satp];
  }

  private attachProbe(): Probe {
    const points = this.points();
    // GDB takes every point off when it stops and puts them back when it resumes: the same points
    // keep the probe as it is.
    const machine = this.session.machine!;
    // A failed restore may have built a new machine: the probe goes on the one that runs.
    if (!this.probe || this.probeMachine !== machine || (this.pointsChanged && JSON.stringify(points) !== this.probePoints)) {
      this.probe?.detach();
      this.probe = new Probe(machine, points);
      this.probeMachine = machine;
      this.probe.attach();
      this.probePoints = JSON.stringify(points);
    }
    this.pointsChanged = false;
    return this.probe;
  }

  /** The points and the machine the probe was made with. */
  private probePoints = '';
  private probeMachine: VirtMachine | null = null;

  private detachProbe(): void {
    this.probe?.detach();
    this.probe = null;
  }
}

function stopFor(hit: Hit): Stop {
  return hit.kind === 'watch' ? { kind: 'watch', hit } : { kind: 'break', hit };
}

/** Searching in this process, one slice at a time, on the debugger's own session. */
export function inlineSearcher(session: ReplaySession): SliceSearcher {
  return { width: 1, search: (task) => searchSlice(session, task), close: async () => {} };
}
