/**
 * EventCursor: walks a segment's events in order during replay.
 *
 * A replayer runs the hart to `nextIcount()`, then takes every event at that
 * position (`takeAt`) before the next step executes.
 */
import type { LogEvent } from './schema.js';

export class EventCursor {
  private readonly events: readonly LogEvent[];
  private i = 0;

  /** `events` must be in log order (icounts non-decreasing), as readSegment returns them. */
  constructor(events: readonly LogEvent[]) {
    this.events = events;
  }

  /** Index of the next event. */
  get index(): number {
    return this.i;
  }

  get done(): boolean {
    return this.i >= this.events.length;
  }

  /** Events not yet taken. */
  get remaining(): number {
    return this.events.length - this.i;
  }

  /** The next event, without taking it. */
  peek(): LogEvent | undefined {
    return this.events[this.i];
  }

  /** Takes the next event. */
  next(): LogEvent | undefined {
    return this.i < this.events.length ? this.events[this.i++] : undefined;
  }

  /** icount of the next event, or undefined at the end. */
  nextIcount(): bigint | undefined {
    return this.events[this.i]?.icount;
  }

  /**
   * Takes the next event if it is at exactly `icount`, else returns undefined.
   * Throws a RangeError if the next event lies before `icount`: the replay
   * ran past it, so it was never delivered.
   */
  takeAt(icount: bigint): LogEvent | undefined {
    const ev = this.events[this.i];
    if (ev === undefined || ev.icount > icount) return undefined;
    if (ev.icount < icount) {
      throw new RangeError(`event ${this.i} at icount ${ev.icount} was not delivered: the replay is already at icount ${icount}`);
    }
    this.i++;
    return ev;
  }

  /** Moves to the first event at or after `icount` (skipping, or going back). */
  seek(icount: bigint): void {
    let lo = 0;
    let hi = this.events.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.events[mid].icount < icount) lo = mid + 1;
      else hi = mid;
    }
    this.i = lo;
  }
}
