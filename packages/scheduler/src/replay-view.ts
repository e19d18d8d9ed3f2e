/**
 * A ReplayView over a replaying machine: fans the hart's hooks and the console
 * out to every analysis that subscribed. Nothing is hooked that nobody asked
 * for, so a replay without analyses runs at full speed.
 */
import type { VirtMachine } from '@prnr/machine';
import type { ReplaySliceInfo, ReplayView, TrapEvent, XretEvent } from './analysis.js';

export class MachineReplayView implements ReplayView {
  /** `consoleListeners`: filled by onConsole, read by the console sink the replay was given (see consoleFanout). */
  constructor(private readonly machine: VirtMachine, readonly slice: ReplaySliceInfo, private readonly consoleListeners: Array<(b: number) => void>) {}

  get hart() {
    return this.machine.hart;
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
    for (let p = first; p <= last; p++) hart.watched[p] = 1;
    hart.flushTlb(); // the write TLB may hold these pages
    const prev = hart.onWatchedStore;
    hart.onWatchedStore = (a, size) => {
      prev?.(a, size);
      if (a < paddr + length && a + size > paddr) fn(a, size);
    };
  }
}

/** A console sink that delivers each byte to listeners added later (the replay needs its sink before analyses attach). */
export function consoleFanout(): { listeners: Array<(b: number) => void>; sink: { write(b: number): void } } {
  const listeners: Array<(b: number) => void> = [];
  return { listeners, sink: { write: (b) => { for (const l of listeners) l(b); } } };
}
