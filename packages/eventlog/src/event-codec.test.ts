import { describe, expect, it } from 'vitest';
import { decodeEvents, encodeEvents } from './event-codec.js';
import { LogFormatError } from './log-format-error.js';
import { Channel, MAX_ICOUNT, type LogEvent } from './schema.js';
import { eventsDiff, prng, randInt, randomEvents } from './test-support.js';

const ev = (icount: bigint, channel: number, kind: number, payload: number[] | Uint8Array = []): LogEvent => ({
  icount,
  channel,
  kind,
  payload: payload instanceof Uint8Array ? payload : Uint8Array.from(payload),
});

function roundTrip(events: LogEvent[], start: bigint): Uint8Array {
  const bytes = encodeEvents(events, start);
  expect(eventsDiff(decodeEvents(bytes, start), events)).toBeUndefined();
  return bytes;
}

describe('event codec', () => {
  it('round-trips both tag forms, extreme channels and kinds, and empty payloads', () => {
    const events = [
      ev(0n, Channel.consoleInput, 0, [0x61]), // short form
      ev(0n, 0, 0), // short form, channel 0, empty
      ev(5n, 7, 0, new Uint8Array(15).fill(9)), // largest short form
      ev(5n, 7, 0, new Uint8Array(16).fill(8)), // length 16: long form
      ev(6n, 8, 0, [1]), // channel 8: long form
      ev(6n, 1, 1, [1]), // kind 1: long form
      ev(200n, 255, 255), // long form, empty
      ev(200n, 16, 3, new Uint8Array(126).fill(1)), // largest inline long length
      ev(201n, 16, 3, new Uint8Array(127).fill(2)), // escape + varint 0
      ev(300n, 200, 0, new Uint8Array(1000).fill(3)),
    ];
    const bytes = roundTrip(events, 0n);
    expect(bytes[1]).toBe(0x11); // delta 0, then tag: channel 1, length 1
  });

  it('round-trips 5000 random events (seeded)', () => {
    for (const seed of [1, 2, 3]) {
      const start = BigInt(seed) * 1_000_000_007n;
      roundTrip(randomEvents(seed, 5000, start, 4000), start);
    }
  });

  it('round-trips icounts beyond 2^53, up to 2^64-1, and deltas beyond 2^53', () => {
    const big = 1n << 53n;
    const events = [
      ev(big + 1n, 1, 0, [1]),
      ev(big + 3n, 2, 0, [2]),
      ev((1n << 62n) + 17n, 3, 4, [3]),
      ev(MAX_ICOUNT - 1n, 4, 0, []),
      ev(MAX_ICOUNT, 6, 0, [4]),
      ev(MAX_ICOUNT, 6, 1, [5]),
    ];
    roundTrip(events, 0n);
    roundTrip(events, big);
    const decoded = decodeEvents(encodeEvents(events, 0n), 0n);
    expect(decoded[4].icount).toBe(MAX_ICOUNT); // no precision lost through number arithmetic
    expect(decoded[1].icount - decoded[0].icount).toBe(2n);
  });

  it('round-trips payloads of 0..100k bytes, across every length boundary', () => {
    const rand = prng(99);
    const lengths = [...Array.from({ length: 300 }, (_, i) => i), 16383, 16384, 16510, 16511, 16512, 65535, 65536, 100_000];
    for (const len of lengths) {
      const payload = new Uint8Array(len);
      for (let i = 0; i < len; i++) payload[i] = randInt(rand, 256);
      for (const [channel, kind] of [[1, 0], [20, 9]]) {
        const bytes = roundTrip([ev(10n, channel, kind, payload), ev(11n, 2, 0, [7])], 0n);
        expect(bytes.length).toBeLessThanOrEqual(len + 3 + 4 + 3);
      }
    }
  });

  it('costs 3..6 bytes for a 1-byte console input event, depending on the gap before it', () => {
    const size = (delta: bigint) => encodeEvents([ev(1000n + delta, Channel.consoleInput, 0, [0x0d])], 1000n).length;
    expect(size(0n)).toBe(3);
    expect(size(127n)).toBe(3);
    expect(size(10_000n)).toBe(4);
    expect(size(1_000_000n)).toBe(5); // a keystroke every million instructions
    expect(size(100_000_000n)).toBe(6);
    // other typical events: an 8-byte RTC read, a 32-byte checkpoint hash (kind 1)
    expect(encodeEvents([ev(1_000_000n, Channel.clock, 0, new Uint8Array(8))], 0n).length).toBe(3 + 1 + 8);
    expect(encodeEvents([ev(10_000_000n, Channel.checkpoint, 1, new Uint8Array(32))], 0n).length).toBe(4 + 3 + 32);
  });

  it('rejects an event before its predecessor, naming both positions, and allows equal icounts', () => {
    expect(() => encodeEvents([ev(10n, 1, 0), ev(10n, 1, 0)], 0n)).not.toThrow();
    expect(() => encodeEvents([ev(10n, 1, 0), ev(9n, 1, 0)], 0n)).toThrow(
      new RangeError('event at icount 9 is before the previous event at icount 10: icounts must be non-decreasing'),
    );
    expect(() => encodeEvents([ev(4n, 1, 0)], 5n)).toThrow(/icount 4 is before the start at icount 5/);
  });

  it('rejects out-of-range fields', () => {
    expect(() => encodeEvents([ev(1n, 256, 0)], 0n)).toThrow(RangeError);
    expect(() => encodeEvents([ev(1n, -1, 0)], 0n)).toThrow(RangeError);
    expect(() => encodeEvents([ev(1n, 1, 1.5)], 0n)).toThrow(RangeError);
    expect(() => encodeEvents([ev(MAX_ICOUNT + 1n, 1, 0)], 0n)).toThrow(/exceeds 2\^64-1/);
  });

  it('decodes every truncation of an encoding to a clean error or an exact prefix', () => {
    const events = randomEvents(7, 60, 0n, 200);
    const bytes = encodeEvents(events, 0n);
    const boundaries = new Map<number, number>(); // byte length -> events that fit
    for (let k = 0; k <= events.length; k++) boundaries.set(encodeEvents(events.slice(0, k), 0n).length, k);
    for (let len = 0; len < bytes.length; len++) {
      const fits = boundaries.get(len);
      if (fits === undefined) {
        expect(() => decodeEvents(bytes.subarray(0, len), 0n)).toThrow(LogFormatError);
      } else {
        expect(decodeEvents(bytes.subarray(0, len), 0n)).toEqual(events.slice(0, fits));
      }
    }
  });

  it('rejects malformed varints with a located error', () => {
    const tooLong = Uint8Array.from([...new Array(10).fill(0x80), 0x01, 0x10]);
    expect(() => decodeEvents(tooLong, 0n, 'x.bin')).toThrow('x.bin: event 0 at byte 0: icount delta is longer than 10 bytes');
    const overflow = Uint8Array.from([0x01, 0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x10]);
    try {
      decodeEvents(overflow, 0n, 'y.bin');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(LogFormatError);
      expect((err as LogFormatError).offset).toBe(2);
      expect((err as LogFormatError).message).toBe('y.bin: event 1 at byte 2: icount 18446744073709551616 exceeds 2^64-1');
    }
  });
});
