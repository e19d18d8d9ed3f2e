/** Test helpers: a seeded PRNG and random events (tests only; not exported by the package). */
import type { LogEvent } from './schema.js';

/** mulberry32: a small seeded PRNG returning floats in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An integer in [0, n). */
export function randInt(rand: () => number, n: number): number {
  return Math.floor(rand() * n);
}

/**
 * `count` random events from `startIcount` on: deltas of every magnitude
 * (0, small, millions, and now and then past 2^53), every channel and kind,
 * payloads mostly tiny, sometimes larger.
 */
export function randomEvents(seed: number, count: number, startIcount = 0n, maxPayload = 300): LogEvent[] {
  const rand = prng(seed);
  const events: LogEvent[] = [];
  let icount = startIcount;
  for (let i = 0; i < count; i++) {
    const r = rand();
    let delta: bigint;
    if (r < 0.2) delta = 0n;
    else if (r < 0.5) delta = BigInt(randInt(rand, 128));
    else if (r < 0.95) delta = BigInt(randInt(rand, 50_000_000));
    else if (r < 0.99) delta = BigInt(randInt(rand, 2 ** 30)) * BigInt(randInt(rand, 2 ** 30));
    else delta = (1n << 53n) + BigInt(randInt(rand, 1000));
    if (icount + delta > 0xffff_ffff_ffff_ffffn) delta = 0n; // stay within u64
    icount += delta;
    const p = rand();
    const length = p < 0.6 ? randInt(rand, 16) : p < 0.95 ? randInt(rand, 200) : randInt(rand, maxPayload + 1);
    const payload = new Uint8Array(length);
    for (let j = 0; j < length; j++) payload[j] = randInt(rand, 256);
    const c = rand();
    const channel = c < 0.7 ? 1 + randInt(rand, 7) : randInt(rand, 256);
    const kind = rand() < 0.6 ? 0 : randInt(rand, 256);
    events.push({ icount, channel, kind, payload });
  }
  return events;
}

/** The first difference between two event lists, or undefined (much faster than deep equality for big lists). */
export function eventsDiff(got: readonly LogEvent[], want: readonly LogEvent[]): string | undefined {
  if (got.length !== want.length) return `${got.length} events, want ${want.length}`;
  for (let i = 0; i < got.length; i++) {
    const a = got[i];
    const b = want[i];
    if (a.icount !== b.icount || a.channel !== b.channel || a.kind !== b.kind) {
      return `event ${i}: ${a.icount}/${a.channel}/${a.kind}, want ${b.icount}/${b.channel}/${b.kind}`;
    }
    if (!(a.payload instanceof Uint8Array) || Buffer.compare(a.payload, b.payload) !== 0) return `event ${i}: payload differs`;
  }
  return undefined;
}
