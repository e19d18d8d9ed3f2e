/**
 * Virtual time: the only clock the guest sees besides the RTC. mtime is derived
 * from the step count, plus the ticks skipped while the hart idled in WFI.
 * Never the host clock.
 */
import type { Hart } from '@prnr/cpu';
import type { VirtualClock } from '@prnr/devices';

export class VirtualTime implements VirtualClock {
  /** Ticks added by idle jumps (WFI with nothing to do until a deadline). */
  idleTicks = 0n;

  constructor(private readonly hart: Hart, readonly stepsPerTick: number) {}

  mtime(): bigint {
    return BigInt(Math.floor(this.hart.icount / this.stepsPerTick)) + this.idleTicks;
  }

  /** The first step count at which mtime >= t (Infinity if beyond any reachable count). */
  stepAt(t: bigint): number {
    const ticks = t - this.idleTicks;
    if (ticks <= 0n) return 0;
    const n = Number(ticks) * this.stepsPerTick;
    return n > Number.MAX_SAFE_INTEGER ? Infinity : n;
  }
}
