import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dumpSegment, readSegment } from './segment-reader.js';
import { SegmentWriter } from './segment-writer.js';
import { BLOCK_END, BLOCK_HEADER_SIZE, Channel, type LogEvent } from './schema.js';
import { eventsDiff, randomEvents } from './test-support.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'prnr-eventlog-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const key = (icount: bigint, byte: number): LogEvent => ({
  icount,
  channel: Channel.consoleInput,
  kind: 0,
  payload: Uint8Array.of(byte),
});

async function writeSegment(file: string, events: LogEvent[], start: bigint, end: bigint, blockBytes?: number) {
  const w = await SegmentWriter.create(file, { segmentIndex: 3, startIcount: start, blockBytes });
  for (const ev of events) w.append(ev);
  await w.close(end);
  return w;
}

describe('SegmentWriter + readSegment', () => {
  it('round-trips a segment and renames .partial to the final name on close', async () => {
    const file = join(dir, '000003.seg');
    const w = await SegmentWriter.create(file, { segmentIndex: 3, startIcount: 1000n });
    expect(await readdir(dir)).toEqual(['000003.seg.partial']);
    const events = [key(1000n, 0x6c), key(1500n, 0x73), key(1500n, 0x0d), { ...key(90_000n, 0), channel: Channel.clock, payload: new Uint8Array(8).fill(7) }];
    for (const ev of events) w.append(ev);
    await w.flush();
    w.append(key(100_000n, 0x0a));
    await w.close(123_456n);
    expect(await readdir(dir)).toEqual(['000003.seg']);
    const seg = await readSegment(file);
    expect(seg).toMatchObject({ formatVersion: 1, segmentIndex: 3, startIcount: 1000n, endIcount: 123_456n, complete: true });
    expect(seg.events).toEqual([...events, key(100_000n, 0x0a)]);
    expect(seg.blocks.length).toBe(2); // flush() cut the first block
    const bytes = await readFile(file);
    expect(seg.validBytes).toBe(bytes.length);
    expect(bytes[bytes.length - BLOCK_HEADER_SIZE]).toBe(BLOCK_END);
    expect(w.bytesWritten).toBe(bytes.length);
  });

  it('writes multi-block segments whose blocks each start at their first event', async () => {
    const file = join(dir, '000000.seg');
    const events = randomEvents(11, 2000, 5n << 60n, 300);
    const last = events[events.length - 1].icount;
    await writeSegment(file, events, 5n << 60n, last, 256);
    const seg = await readSegment(file);
    expect(eventsDiff(seg.events, events)).toBeUndefined();
    expect(seg.blocks.length).toBeGreaterThan(20);
    let n = 0;
    for (const b of seg.blocks) {
      expect(b.firstIcount).toBe(events[n].icount);
      n += b.eventCount;
    }
    expect(n).toBe(events.length);
    expect(seg.endIcount).toBe(last);
  });

  it('handles a payload far larger than a block, and an empty segment', async () => {
    const big = new Uint8Array(100_000).map((_, i) => i * 7);
    const events = [key(1n, 1), { icount: 2n, channel: Channel.packets, kind: 1, payload: big }, key(3n, 2)];
    await writeSegment(join(dir, 'a.seg'), events, 0n, 3n, 64);
    const seg = await readSegment(join(dir, 'a.seg'));
    expect(eventsDiff(seg.events, events)).toBeUndefined();
    expect(seg.blocks.map((b) => b.eventCount)).toEqual([1, 1, 1]);

    await writeSegment(join(dir, 'b.seg'), [], 50n, 50n);
    expect(await readSegment(join(dir, 'b.seg'))).toMatchObject({ events: [], blocks: [], complete: true, startIcount: 50n, endIcount: 50n });
  });

  it('copies the payload on append', async () => {
    const w = await SegmentWriter.create(join(dir, 'c.seg'), { segmentIndex: 0, startIcount: 0n });
    const payload = Uint8Array.of(1, 2, 3);
    w.append({ icount: 1n, channel: 20, kind: 0, payload });
    payload[0] = 99;
    await w.close(1n);
    expect((await readSegment(join(dir, 'c.seg'))).events[0].payload).toEqual(Uint8Array.of(1, 2, 3));
  });

  it('rejects events out of order, before the start, or past the end, naming the positions', async () => {
    const w = await SegmentWriter.create(join(dir, 'd.seg'), { segmentIndex: 0, startIcount: 100n });
    expect(() => w.append(key(99n, 0))).toThrow(new RangeError('event at icount 99 is before the segment start at icount 100: icounts must be non-decreasing'));
    w.append(key(200n, 0));
    expect(() => w.append(key(150n, 0))).toThrow(new RangeError('event at icount 150 is before the previous event at icount 200: icounts must be non-decreasing'));
    expect(() => w.append({ ...key(300n, 0), channel: 300 })).toThrow(RangeError);
    expect(w.eventCount).toBe(1);
    await expect(w.close(199n)).rejects.toThrow('end icount 199 is before the last event at icount 200');
    await w.close(200n);
    expect(() => w.append(key(300n, 0))).toThrow(/cannot append: the writer is closed/);
    expect((await readSegment(join(dir, 'd.seg'))).events).toEqual([key(200n, 0)]);
  });

  it('abort() keeps the .partial by default and removes it on request', async () => {
    const a = await SegmentWriter.create(join(dir, 'e.seg'), { segmentIndex: 0, startIcount: 0n });
    a.append(key(1n, 1));
    await a.abort();
    expect(await readdir(dir)).toEqual(['e.seg.partial']);
    expect(() => a.append(key(2n, 1))).toThrow(/aborted/);
    const b = await SegmentWriter.create(join(dir, 'f.seg'), { segmentIndex: 0, startIcount: 0n });
    await b.abort({ remove: true });
    expect(existsSync(join(dir, 'f.seg.partial'))).toBe(false);
  });

  it('validates create options', async () => {
    await expect(SegmentWriter.create(join(dir, 'g.seg'), { segmentIndex: -1, startIcount: 0n })).rejects.toThrow(RangeError);
    await expect(SegmentWriter.create(join(dir, 'g.seg'), { segmentIndex: 0, startIcount: -1n })).rejects.toThrow(RangeError);
    await expect(SegmentWriter.create(join(dir, 'g.seg'), { segmentIndex: 0, startIcount: 0n, blockBytes: 0 })).rejects.toThrow(RangeError);
  });

  it('dumps a segment one event per line', async () => {
    await writeSegment(join(dir, 'h.seg'), [key(7n, 0x41)], 0n, 9n);
    expect(dumpSegment(await readSegment(join(dir, 'h.seg')))).toBe(
      'segment 3 (format v1): icount 0..9, 1 events in 1 blocks, complete\n7 ch 1 kind 0 len 1: 41',
    );
  });
});
