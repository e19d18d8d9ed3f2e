/**
 * A ReplayView over a replaying machine, for one slice: fans the hart's hooks
 * and the console out to every analysis that subscribed, and takes them all
 * off again when the slice ends (`detach`), so the next slice of the same
 * session starts with fresh analyses. Nothing is hooked that nobody asked
 * for, so a replay without analyses runs at full speed.
 */
import type { Hart } from '@prnr/cpu';
import type { VirtMachine } from '@prnr/machine';
import type { HartView, ReplaySliceInfo, ReplayView, TrapEvent, XretEvent } from './analysis.js';

export class MachineReplayView implements ReplayView {
  readonly hart: HartView;
  private readonly saved: Pick<Hart['hooks'], 'onTrap' | 'onXret'> & { onWatchedStore: Hart['onWatchedStore'] };
  private watchedPages: number[] = [];

  /** `consoleListeners`: filled by onConsole, read by the console sink the replay was given (see consoleFanout). */
  constructor(private readonly machine: VirtMachine, readonly slice: ReplaySliceInfo, private readonly consoleListeners: Array<(b: number) => void>) {
    const h = machine.hart;
    this.hart = {
      get pc() { return h.pc; },
      get priv() { return h.priv; },
      get icount() { return h.icount; },
      get satp() { return h.satp; },
      get sscratch() { return h.sscratch; },
      get sepc() { return h.sepc; },
      get mepc() { return h.mepc; },
      get scause() { return h.scause; },
      get stval() { return h.stval; },
      getX: (i) => h.getX(i),
    };
    this.saved = { onTrap: h.hooks.onTrap, onXret: h.hooks.onXret, onWatchedStore: h.onWatchedStore };
  }

  get ram() {
    return this.machine.ram;
  }

  mtime(): bigint {
    return this.machine.clock.mtime();
  }

  onTrap(fn: (e: TrapEvent) => void): void {
    const prev = this.machine.hart.hooks.onTrap;
    this.machine.hart.hooks.onTrap = (h, cause, interrupt, fromPriv) => {
      prev?.(h, cause, interrupt, fromPriv);
      fn({ cause, interrupt, fromPriv });
    };
  }

  onXret(fn: (e: XretEvent) => void): void {
    const prev = this.machine.hart.hooks.onXret;
    this.machine.hart.hooks.onXret = (h, toPriv) => {
      prev?.(h, toPriv);
      fn({ toPriv });
    };
  }

  onConsole(fn: (byte: number) => void): void {
    this.consoleListeners.push(fn);
  }

  watchStores(paddr: number, length: number, fn: (paddr: number, size: number) => void): void {
    const { hart, ram } = this.machine;
    if (length <= 0 || !ram.contains(paddr, length)) throw new RangeError(`watch range 0x${paddr.toString(16)}+${length} is not in RAM`);
    const first = (paddr - ram.base) >>> 12;
    const last = (paddr + length - 1 - ram.base) >>> 12;
    for (let p = first; p <= last; p++) {
      hart.watched[p] = 1;
      this.watchedPages.push(p);
    }
    hart.flushTlb(); // the write TLB may hold these pages
    const prev = hart.onWatchedStore;
    hart.onWatchedStore = (a, size) => {
      prev?.(a, size);
      if (a < paddr + length && a + size > paddr) fn(a, size);
    };
  }

  /** Takes every hook of this view off the machine (at the slice's end, where the TLB is flushed anyway). */
  detach(): void {
    const hart = this.machine.hart;
    hart.hooks.onTrap = this.saved.onTrap;
    hart.hooks.onXret = this.saved.onXret;
    hart.onWatchedStore = this.saved.onWatchedStore;
    for (const p of this.watchedPages) hart.watched[p] = 0;
    if (this.watchedPages.length) hart.flushTlb();
    this.watchedPages = [];
    this.consoleListeners.length = 0;
  }
}

/** A console sink that delivers each byte to listeners added later (the replay needs its sink before analyses attach). */
export function consoleFanout(): { listeners: Array<(b: number) => void>; sink: { write(b: number): void } } {
  const listeners: Array<(b: number) => void> = [];
  return { listeners, sink: { write: (b) => { for (const l of listeners) l(b); } } };
}
