import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LogFormatError } from './log-format-error.js';
import { readSegmentBytes, type SegmentContents } from './segment-reader.js';
import { SegmentWriter } from './segment-writer.js';
import { BLOCK_HEADER_SIZE, FILE_HEADER_SIZE, type LogEvent } from './schema.js';
import { eventsDiff, randomEvents } from './test-support.js';

// One small multi-block segment, shared by every test here.
const NAME = 'log/000003.seg';
let dir: string;
let bytes: Uint8Array;
let events: LogEvent[];
let good: SegmentContents;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'prnr-eventlog-'));
  events = randomEvents(5, 40, 1000n, 40);
  const w = await SegmentWriter.create(join(dir, 's.seg'), { segmentIndex: 3, startIcount: 1000n, blockBytes: 100 });
  for (const ev of events) w.append(ev);
  await w.close(events[events.length - 1].icount + 5n);
  bytes = new Uint8Array(await readFile(join(dir, 's.seg')));
  good = readSegmentBytes(bytes, NAME);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function readError(b: Uint8Array, recover = false): LogFormatError {
  try {
    readSegmentBytes(b, NAME, { recover });
  } catch (err) {
    expect(err).toBeInstanceOf(LogFormatError);
    expect((err as Error).message).not.toContain('\n');
    return err as LogFormatError;
  }
  throw new Error('expected a LogFormatError');
}

function flipped(offset: number, mask = 0xff): Uint8Array {
  const b = bytes.slice();
  b[offset] ^= mask;
  return b;
}

/** Events of the blocks that lie wholly before byte `limit`, and where they end. */
function prefixBefore(limit: number): { events: LogEvent[]; end: number } {
  let n = 0;
  let end = FILE_HEADER_SIZE;
  for (const b of good.blocks) {
    if (b.offset + b.size > limit) break;
    n += b.eventCount;
    end = b.offset + b.size;
  }
  return { events: events.slice(0, n), end };
}

describe('readSegmentBytes: corruption', () => {
  it('reads the intact segment', () => {
    expect(good.complete).toBe(true);
    expect(good.blocks.length).toBeGreaterThanOrEqual(4);
    expect(eventsDiff(good.events, events)).toBeUndefined();
  });

  it('locates a damaged file header', () => {
    const e = readError(flipped(17));
    expect(e.offset).toBe(0);
    expect(e.message).toMatch(/^log\/000003\.seg: file header: checksum mismatch \(stored 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8}\)$/);
  });

  it('locates a damaged block header and a damaged payload', () => {
    const b1 = good.blocks[1];
    const e1 = readError(flipped(b1.offset + 6));
    expect(e1.offset).toBe(b1.offset);
    expect(e1.message).toMatch(new RegExp(`^log/000003\\.seg: block 1 at byte ${b1.offset}: checksum mismatch \\(stored 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8}\\)$`));
    const b2 = good.blocks[2];
    const e2 = readError(flipped(b2.offset + BLOCK_HEADER_SIZE + 3, 0x01));
    expect(e2.offset).toBe(b2.offset);
    expect(e2.message).toContain(`block 2 at byte ${b2.offset}: checksum mismatch`);
  });

  it('locates a damaged end block', () => {
    const endAt = bytes.length - BLOCK_HEADER_SIZE;
    const e = readError(flipped(endAt + 9));
    expect(e.offset).toBe(endAt);
    expect(e.message).toContain(`: end block at byte ${endAt}: checksum mismatch`);
  });

  it('says when a block claims more bytes than remain', () => {
    const b1 = good.blocks[1];
    const e = readError(bytes.subarray(0, b1.offset + BLOCK_HEADER_SIZE + 3));
    expect(e.message).toBe(`${NAME}: block 1 at byte ${b1.offset}: truncated: block header says ${b1.size - BLOCK_HEADER_SIZE} bytes, only 3 remain`);
  });

  it('rejects a wrong magic, a future version, and trailing bytes', () => {
    expect(readError(flipped(2)).message).toBe(`${NAME}: not a prnr log segment (bad magic)`);
    expect(readError(new TextEncoder().encode('hello world, this is not a log')).message).toBe(`${NAME}: not a prnr log segment (bad magic)`);
    const v2 = bytes.slice();
    const view = new DataView(v2.buffer);
    view.setUint16(8, 2, true);
    view.setUint16(10, 2, true);
    view.setUint32(24, crc32(v2.subarray(0, 24)), true);
    expect(readError(v2).message).toBe(`${NAME}: format version 2 is not supported (this prnr reads version 1)`);
    expect(readError(v2, true).message).toContain('format version 2 is not supported');
    const longer = new Uint8Array(bytes.length + 1);
    longer.set(bytes);
    expect(readError(longer).message).toBe(`${NAME}: at byte ${bytes.length}: 1 bytes after the end block`);
  });

  it('detects every single-byte flip; recovery returns exactly the blocks before it', () => {
    for (let off = 0; off < bytes.length; off++) {
      for (const mask of [0x01, 0x80, 0xff]) {
        const b = flipped(off, mask);
        readError(b);
        if (off < FILE_HEADER_SIZE) {
          readError(b, true);
          continue;
        }
        const seg = readSegmentBytes(b, NAME, { recover: true });
        const want = prefixBefore(off);
        expect(seg.complete).toBe(false);
        expect(seg.damage).toBeInstanceOf(LogFormatError);
        expect(seg.validBytes).toBe(want.end);
        expect(eventsDiff(seg.events, want.events)).toBeUndefined();
      }
    }
  });

  it('handles truncation at every offset: a clean error, or in recovery the whole-block prefix', () => {
    const boundaries = new Set([FILE_HEADER_SIZE, ...good.blocks.map((b) => b.offset + b.size)]);
    for (let len = 0; len < bytes.length; len++) {
      const b = bytes.slice(0, len);
      const strict = readError(b);
      if (boundaries.has(len)) expect(strict.detail).toMatch(/^at byte \d+: incomplete: no end block/);
      if (len < FILE_HEADER_SIZE) {
        readError(b, true);
        continue;
      }
      const seg = readSegmentBytes(b, NAME, { recover: true });
      const want = prefixBefore(len);
      expect(seg.complete).toBe(false);
      expect(seg.validBytes).toBe(want.end);
      expect(seg.damage === undefined).toBe(boundaries.has(len));
      if (seg.damage) expect(seg.damage.detail).toContain('truncated');
      expect(eventsDiff(seg.events, want.events)).toBeUndefined();
      expect(seg.endIcount).toBe(want.events.length ? want.events[want.events.length - 1].icount : 1000n);
    }
  });

  it('recovery reads a complete segment as complete', () => {
    const seg = readSegmentBytes(bytes, NAME, { recover: true });
    expect(seg.complete).toBe(true);
    expect(seg.damage).toBeUndefined();
    expect(seg.endIcount).toBe(good.endIcount);
  });
});
