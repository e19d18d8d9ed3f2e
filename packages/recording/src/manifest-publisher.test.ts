import { describe, expect, it } from 'vitest';
import { ManifestPublisher } from './manifest-publisher.js';

/** A steady stream: each update takes `stepNs` of (fake) host time, and the next is always queued before it ends. */
async function steadyStream(maxAgeNs: bigint, updates: number, stepNs: bigint, writeNs = 0n) {
  let now = 0n;
  const writes: Array<{ at: bigint; done: number; last: boolean }> = [];
  let done = 0;
  const write = async (last: boolean) => {
    writes.push({ at: now, done, last });
    now += writeNs;
  };
  const p = new ManifestPublisher({ write, maxAgeNs, now: () => now });
  const gated = () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    p.publish(async () => {
      await gate;
      now += stepNs;
      done++;
    });
    return release;
  };
  let release = gated();
  for (let i = 1; i < updates; i++) {
    const next = gated(); // queued before the one ahead of it is done
    release();
    await new Promise((r) => setImmediate(r));
    release = next;
  }
  release();
  p.publish(async () => void done++, true);
  await p.done();
  return { writes, done };
}

describe('ManifestPublisher', () => {
  it('under a steady stream of updates, writes at least every maxAge (not only at the end)', async () => {
    // 40 updates of 100 ms each, a write left to a later one for at most 250 ms.
    const { writes, done } = await steadyStream(250_000_000n, 40, 100_000_000n);
    expect(done).toBe(41);
    expect(writes.at(-1)).toMatchObject({ last: true, done: 41 });
    const during = writes.filter((w) => !w.last);
    expect(during.length).toBeGreaterThanOrEqual(10);
    expect(during[0].done).toBe(1); // the first write is not left to later ones
    for (let i = 1; i < during.length; i++) expect(during[i].at - during[i - 1].at).toBeLessThanOrEqual(300_000_000n);
  });

  it('leaves writes to later updates while the last one is fresh', async () => {
    // 100 ms updates, maxAge 1 s: about one write a second of the stream.
    const { writes } = await steadyStream(1_000_000_000n, 40, 100_000_000n);
    const during = writes.filter((w) => !w.last);
    expect(during.length).toBeGreaterThanOrEqual(3);
    expect(during.length).toBeLessThanOrEqual(6);
  });

  it('counts the age of a write from its end: writes slower than maxAge are still left to later updates', async () => {
    // 100 ms updates, writes of 300 ms, maxAge 250 ms. Counted from a write's start, every update
    // wrote (40 writes, and the chain fell behind); from its end, about one in three does.
    const { writes, done } = await steadyStream(250_000_000n, 40, 100_000_000n, 300_000_000n);
    expect(done).toBe(41);
    const during = writes.filter((w) => !w.last);
    expect(during.length).toBeGreaterThanOrEqual(5);
    expect(during.length).toBeLessThanOrEqual(16);
    for (let i = 1; i < during.length; i++) expect(during[i].at - during[i - 1].at).toBeLessThanOrEqual(900_000_000n);
  });

  it('writes after every update when none is queued behind it', async () => {
    let n = 0;
    const p = new ManifestPublisher({ write: async () => void n++, now: () => 0n });
    for (let i = 0; i < 5; i++) {
      p.publish(async () => {});
      await p.done();
    }
    expect(n).toBe(5);
  });

  it('keeps the first failure for check(), and done() rejects', async () => {
    const p = new ManifestPublisher({ write: async () => { throw new Error('disk full'); } });
    p.publish(async () => {});
    await expect(p.done()).rejects.toThrow('disk full');
    await new Promise((r) => setImmediate(r));
    expect(() => p.check()).toThrow('disk full');
    expect(p.backlog).toBe(0);
  });
});
