import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { SliceClaims } from './slice-claims.js';

describe('SliceClaims', () => {
  it('the runner claims in order; a thief takes from the back; neither gets a slice the other has', () => {
    const c = SliceClaims.create(3, 9);
    expect(c.claim(3)).toBe(true);
    expect(c.claim(5)).toBe(false); // only the next one in order
    expect(c.takeBack((next, end) => (expect([next, end]).toEqual([4, 10]), 7))).toEqual({ first: 7, last: 9 });
    expect(c.left()).toEqual({ next: 4, end: 7 });
    for (const i of [4, 5, 6]) expect(c.claim(i)).toBe(true);
    expect(c.claim(7)).toBe(false);
    expect(c.takeBack(() => 0)).toBeNull(); // nothing left
    expect(() => SliceClaims.create(0, 3).takeBack(() => 4)).toThrow(/not within 0..3/);
    expect(SliceClaims.create(0, 3).takeBack(() => null)).toBeNull();
  });

  it('a runner on another thread and a thief here: every slice is taken exactly once', async () => {
    const n = 1_000_000;
    const c = SliceClaims.create(0, n - 1);
    // The runner's side, as SliceClaims.claim does it (an eval'd worker cannot import the TypeScript source).
    const worker = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
       const w = workerData; const got = [];
       parentPort.postMessage('started');
       const unpack = (v) => [Number(v >> 32n), Number(v & 0xffffffffn)];
       for (let i = 0; ; i++) {
         let ok = false;
         for (;;) { const v = Atomics.load(w, 0); const [next, end] = unpack(v); if (next !== i || i >= end) break;
           if (Atomics.compareExchange(w, 0, v, (BigInt(i + 1) << 32n) | BigInt(end)) === v) { ok = true; break; } }
         if (!ok) break; got.push(i);
       }
       parentPort.postMessage(got);`,
      { eval: true, workerData: c.word },
    );
    const ran = new Promise<number[]>((resolve) => worker.on('message', (m) => { if (m !== 'started') resolve(m as number[]); }));
    await new Promise<void>((resolve) => worker.once('message', () => resolve()));
    // The runner is claiming now; take small runs from the back until nothing is left.
    const stolen: number[] = [];
    for (let t = c.takeBack((next, end) => Math.max(next, end - 7)); t; t = c.takeBack((next, end) => Math.max(next, end - 7))) {
      for (let i = t.first; i <= t.last; i++) stolen.push(i);
    }
    const mine = await ran;
    await worker.terminate();
    const seen = new Uint8Array(n);
    for (const i of [...mine, ...stolen]) seen[i]++;
    expect(seen.every((x) => x === 1)).toBe(true);
    expect(mine.length).toBeGreaterThan(0);
    expect(stolen.length).toBeGreaterThan(0);
  });
});
