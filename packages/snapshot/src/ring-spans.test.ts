import { describe, expect, it } from 'vitest';
import { RingSpans, type RingSpan } from './ring-spans.js';

describe('RingSpans', () => {
  it('reserves at the head, wraps to the start when the end has no room, and never overlaps a span in use', () => {
    const r = new RingSpans(10 * 4096);
    const a = r.reserve(3 * 4096)!;
    const b = r.reserve(4 * 4096 - 100)!; // takes 4 pages, holds a little less
    expect([a.offset, b.offset, b.length]).toEqual([0, 3 * 4096, 4 * 4096 - 100]);
    expect(r.reserve(4 * 4096)).toBeUndefined(); // 3 pages left at the end, none at the start
    r.release(a);
    const c = r.reserve(3 * 4096)!; // the end has exactly 3
    expect(c.offset).toBe(7 * 4096);
    const d = r.reserve(2 * 4096)!; // wraps: [0, 3) is free again
    expect(d.offset).toBe(0);
    expect(r.wraps).toBe(1);
    expect(r.reserve(2 * 4096)).toBeUndefined(); // wrapped: only [2, 3) is free
    expect(r.reserve(4096)!.offset).toBe(2 * 4096);
    expect(() => r.release(c)).toThrow(/out of order/);
  });

  it('starts over at 0 once empty; refuses what can never fit and empty spans', () => {
    const r = new RingSpans(4 * 4096);
    const a = r.reserve(4096)!;
    r.release(a);
    expect(r.reserve(4096)!.offset).toBe(0);
    expect(r.reserve(5 * 4096)).toBeUndefined();
    expect(r.reserve(0)).toBeUndefined();
  });

  it('fits() says whether a span would lie within the first `limit` bytes (the part touched so far)', () => {
    const r = new RingSpans(8 * 4096);
    expect(r.fits(3 * 4096, 2 * 4096)).toBe(false);
    expect(r.fits(3 * 4096, 3 * 4096)).toBe(true);
    expect(r.fits(0, 8 * 4096)).toBe(false);
    const a = r.reserve(4 * 4096)!;
    expect(r.fits(2 * 4096, 5 * 4096)).toBe(false); // the free part starts at 4 pages
    expect(r.fits(2 * 4096, 6 * 4096)).toBe(true);
    const b = r.reserve(3 * 4096)!;
    r.release(a);
    // In use [4, 7): the next span wraps to 0 (the end has one page), within any limit of 2 pages or more.
    expect(r.fits(2 * 4096, 2 * 4096)).toBe(true);
    r.reserve(2 * 4096);
    // Wrapped, in use [0, 2) and [4, 7): free [2, 4).
    expect(r.fits(2 * 4096, 3 * 4096)).toBe(false);
    expect(r.fits(2 * 4096)).toBe(true);
    expect(r.reserve(2 * 4096)!.offset).toBe(2 * 4096);
    expect(b.offset).toBe(4 * 4096);
  });

  it('random reserves and in-order releases: spans in use never overlap and stay inside the ring', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8);
    const size = 37 * 4096;
    const r = new RingSpans(size);
    const live: RingSpan[] = [];
    let got = 0;
    for (let i = 0; i < 5000; i++) {
      if (live.length > 0 && rand() % 3 === 0) r.release(live.shift()!);
      const s = r.reserve(1 + (rand() % (12 * 4096)));
      if (!s) continue;
      got++;
      expect(s.offset % 4096).toBe(0);
      expect(s.offset + s.length).toBeLessThanOrEqual(size);
      for (const o of live) expect(s.offset + s.length <= o.offset || o.offset + o.length <= s.offset).toBe(true);
      live.push(s);
    }
    expect(got).toBeGreaterThan(1000);
    expect(r.wraps).toBeGreaterThan(10);
  });
});
