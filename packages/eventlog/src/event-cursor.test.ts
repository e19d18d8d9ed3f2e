import { describe, expect, it } from 'vitest';
import { EventCursor } from './event-cursor.js';
import type { LogEvent } from './schema.js';

const at = (icount: bigint, b: number): LogEvent => ({ icount, channel: 1, kind: 0, payload: Uint8Array.of(b) });
const events = [at(10n, 1), at(10n, 2), at(20n, 3), at(30n, 4)];

describe('EventCursor', () => {
  it('walks events in order with peek/next', () => {
    const c = new EventCursor(events);
    expect(c.peek()).toBe(events[0]);
    expect(c.next()).toBe(events[0]);
    expect(c.nextIcount()).toBe(10n);
    expect([c.next(), c.next(), c.next()]).toEqual(events.slice(1));
    expect(c.done).toBe(true);
    expect(c.next()).toBeUndefined();
    expect(c.nextIcount()).toBeUndefined();
  });

  it('takeAt delivers every event at a position, and refuses to skip one', () => {
    const c = new EventCursor(events);
    expect(c.takeAt(5n)).toBeUndefined();
    expect(c.takeAt(10n)).toBe(events[0]);
    expect(c.takeAt(10n)).toBe(events[1]);
    expect(c.takeAt(10n)).toBeUndefined();
    expect(() => c.takeAt(25n)).toThrow('event 2 at icount 20 was not delivered: the replay is already at icount 25');
    expect(c.remaining).toBe(2);
  });

  it('seeks to the first event at or after a position', () => {
    const c = new EventCursor(events);
    c.seek(11n);
    expect(c.index).toBe(2);
    c.seek(10n);
    expect(c.index).toBe(0);
    c.seek(31n);
    expect(c.done).toBe(true);
  });
});
