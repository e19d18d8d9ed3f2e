/**
 * The event codec: a sequence of events <-> bytes, icounts delta-encoded.
 * The layout is in schema.ts. Encoding is a hot path (the recorder's
 * append); decoding is written for clarity.
 */
import { LogFormatError } from './log-format-error.js';
import {
  LONG_LENGTH_ESCAPE,
  MAX_EVENT_OVERHEAD,
  MAX_ICOUNT,
  MAX_PAYLOAD_BYTES,
  SHORT_MAX_CHANNEL,
  SHORT_MAX_LENGTH,
  TAG_LONG,
  type LogEvent,
} from './schema.js';

const MAX_SAFE_BIG = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * Throws a RangeError unless channel, kind and payload length are in range.
 * Written for speed: called once per appended event.
 */
export function checkEventFields(ev: LogEvent): void {
  const { channel, kind } = ev;
  if ((channel & 0xff) !== channel) throw new RangeError(`event channel ${channel} is not an integer in 0..255`);
  if ((kind & 0xff) !== kind) throw new RangeError(`event kind ${kind} is not an integer in 0..255`);
  if (ev.payload.length > MAX_PAYLOAD_BYTES) {
    throw new RangeError(`event payload of ${ev.payload.length} bytes exceeds ${MAX_PAYLOAD_BYTES}`);
  }
}

/** Most bytes `encodeEventInto` can write for a payload of `payloadLength` bytes. */
export function maxEncodedSize(payloadLength: number): number {
  return MAX_EVENT_OVERHEAD + payloadLength;
}

/**
 * Encodes one event at `buf[pos]` and returns the position after it.
 * `delta` (icount - previous icount, 0..2^64-1) and the fields must already
 * be checked, and `buf` must have `maxEncodedSize(payload.length)` bytes free.
 * Hot path: no allocation, number arithmetic for deltas below 2^53.
 */
export function encodeEventInto(buf: Uint8Array, pos: number, delta: bigint, ev: LogEvent): number {
  // delta varint
  if (delta <= 0x7fn) {
    buf[pos++] = Number(delta);
  } else if (delta <= MAX_SAFE_BIG) {
    let v = Number(delta);
    while (v > 0x7fffffff) {
      buf[pos++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    while (v > 0x7f) {
      buf[pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    buf[pos++] = v;
  } else {
    let v = delta;
    while (v > 0x7fn) {
      buf[pos++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    buf[pos++] = Number(v);
  }
  // tag (+ channel, kind, length)
  const payload = ev.payload;
  const len = payload.length;
  if (ev.kind === 0 && ev.channel <= SHORT_MAX_CHANNEL && len <= SHORT_MAX_LENGTH) {
    buf[pos++] = (ev.channel << 4) | len;
  } else if (len < LONG_LENGTH_ESCAPE) {
    buf[pos++] = TAG_LONG | len;
    buf[pos++] = ev.channel;
    buf[pos++] = ev.kind;
  } else {
    buf[pos++] = TAG_LONG | LONG_LENGTH_ESCAPE;
    buf[pos++] = ev.channel;
    buf[pos++] = ev.kind;
    let v = len - LONG_LENGTH_ESCAPE;
    while (v > 0x7f) {
      buf[pos++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    buf[pos++] = v;
  }
  // payload: a loop beats set() for the tiny payloads most events carry
  if (len <= 16) {
    for (let i = 0; i < len; i++) buf[pos + i] = payload[i];
  } else {
    buf.set(payload, pos);
  }
  return pos + len;
}

/** The RangeError for an event that goes back in time. */
export function orderError(icount: bigint, previous: bigint, previousWhat: string): RangeError {
  return new RangeError(
    `event at icount ${icount} is before ${previousWhat} at icount ${previous}: icounts must be non-decreasing`,
  );
}

/**
 * Encodes `events` (icounts non-decreasing, none before `startIcount`).
 * The first event is delta-encoded against `startIcount`.
 */
export function encodeEvents(events: readonly LogEvent[], startIcount: bigint): Uint8Array {
  if (startIcount < 0n || startIcount > MAX_ICOUNT) throw new RangeError(`start icount ${startIcount} is not in 0..2^64-1`);
  let bound = 0;
  for (const ev of events) bound += maxEncodedSize(ev.payload.length);
  const buf = new Uint8Array(bound);
  let pos = 0;
  let prev = startIcount;
  for (let i = 0; i < events.length; i++) {
    const ev = events[i];
    checkEventFields(ev);
    if (ev.icount < prev) throw orderError(ev.icount, prev, i === 0 ? 'the start' : 'the previous event');
    if (ev.icount > MAX_ICOUNT) throw new RangeError(`event icount ${ev.icount} exceeds 2^64-1`);
    pos = encodeEventInto(buf, pos, ev.icount - prev, ev);
    prev = ev.icount;
  }
  return buf.slice(0, pos);
}

/** Reports a decoding problem: byte offset of the culprit and `WHERE: WHAT`. */
export type DecodeFailure = (offset: number, detail: string) => never;

/**
 * Decodes the events in `bytes[start..end)` into `out` (payloads are copies)
 * and returns the icount of the last one (`startIcount` if none). Offsets in
 * failures are indices into `bytes`. When `expectedCount` is given, the range
 * must hold exactly that many events.
 */
export function decodeEventRange(
  bytes: Uint8Array,
  start: number,
  end: number,
  startIcount: bigint,
  expectedCount: number | undefined,
  out: LogEvent[],
  fail: DecodeFailure,
): bigint {
  let pos = start;
  let icount = startIcount;
  let index = 0;
  let at = start;
  const truncated = (what: string): never =>
    fail(at, `event ${index} at byte ${at}: truncated: ${what} runs past the end (${end - at} bytes left)`);
  const varint = (what: string): bigint => {
    let value = 0n;
    for (let i = 0; i < 10; i++) {
      if (pos >= end) truncated(what);
      const b = bytes[pos++];
      value |= BigInt(b & 0x7f) << BigInt(7 * i);
      if (b < 0x80) {
        if (value > MAX_ICOUNT) fail(at, `event ${index} at byte ${at}: ${what} exceeds 2^64-1`);
        return value;
      }
    }
    return fail(at, `event ${index} at byte ${at}: ${what} is longer than 10 bytes`);
  };
  while (pos < end) {
    at = pos;
    if (expectedCount !== undefined && index >= expectedCount) {
      fail(at, `event ${index} at byte ${at}: more events than the ${expectedCount} the block header says`);
    }
    icount += varint('icount delta');
    if (icount > MAX_ICOUNT) fail(at, `event ${index} at byte ${at}: icount ${icount} exceeds 2^64-1`);
    if (pos >= end) truncated('tag');
    const tag = bytes[pos++];
    let channel: number;
    let kind: number;
    let length: number;
    if ((tag & TAG_LONG) === 0) {
      channel = tag >> 4;
      kind = 0;
      length = tag & 0x0f;
    } else {
      if (pos + 2 > end) truncated('channel and kind');
      channel = bytes[pos++];
      kind = bytes[pos++];
      length = tag & 0x7f;
      if (length === LONG_LENGTH_ESCAPE) {
        const extra = varint('payload length');
        if (extra > BigInt(MAX_PAYLOAD_BYTES - LONG_LENGTH_ESCAPE)) {
          fail(at, `event ${index} at byte ${at}: payload length ${extra + BigInt(LONG_LENGTH_ESCAPE)} exceeds 2^32-1`);
        }
        length = LONG_LENGTH_ESCAPE + Number(extra);
      }
    }
    if (length > end - pos) {
      fail(at, `event ${index} at byte ${at}: truncated: payload length ${length}, only ${end - pos} bytes remain`);
    }
    out.push({ icount, channel, kind, payload: bytes.slice(pos, pos + length) });
    pos += length;
    index++;
  }
  if (expectedCount !== undefined && index !== expectedCount) {
    fail(start, `holds ${index} events, the block header says ${expectedCount}`);
  }
  return icount;
}

/**
 * Decodes bytes made by `encodeEvents(events, startIcount)`. Throws a
 * LogFormatError (file `nameForErrors`, offset into `bytes`) on malformed input.
 */
export function decodeEvents(bytes: Uint8Array, startIcount: bigint, nameForErrors = '<events>'): LogEvent[] {
  const out: LogEvent[] = [];
  decodeEventRange(bytes, 0, bytes.length, startIcount, undefined, out, (offset, detail) => {
    throw new LogFormatError(nameForErrors, offset, detail);
  });
  return out;
}
