// A recorder that dies: the writer is never closed, so only `.partial` exists,
// and recovery yields exactly what reached the file.
import { appendFile, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LogFormatError } from './log-format-error.js';
import { readSegment } from './segment-reader.js';
import { SegmentWriter } from './segment-writer.js';
import { eventsDiff, randomEvents } from './test-support.js';

let dir: string;
const open: SegmentWriter[] = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'prnr-eventlog-'));
});
afterEach(async () => {
  for (const w of open.splice(0)) await w.abort(); // release the descriptors the "dead" writers held
  await rm(dir, { recursive: true, force: true });
});

async function crashedWriter(blockBytes?: number): Promise<SegmentWriter> {
  const w = await SegmentWriter.create(join(dir, '000001.seg'), { segmentIndex: 1, startIcount: 0n, blockBytes });
  open.push(w);
  return w;
}

describe('crash safety', () => {
  it('a writer that never closes leaves only .partial, holding exactly the flushed events', async () => {
    const events = randomEvents(21, 30, 0n, 50);
    const w = await crashedWriter();
    for (const ev of events.slice(0, 20)) w.append(ev);
    await w.flush();
    for (const ev of events.slice(20)) w.append(ev); // buffered, never flushed: lost in the crash
    expect(await readdir(dir)).toEqual(['000001.seg.partial']);

    const partial = join(dir, '000001.seg.partial');
    await expect(readSegment(partial)).rejects.toThrow(/incomplete: no end block after 1 blocks/);
    const seg = await readSegment(partial, { recover: true });
    expect(seg).toMatchObject({ complete: false, segmentIndex: 1, startIcount: 0n, endIcount: events[19].icount });
    expect(seg.damage).toBeUndefined();
    expect(eventsDiff(seg.events, events.slice(0, 20))).toBeUndefined();
  });

  it('a crash right after create leaves a readable, empty .partial', async () => {
    await crashedWriter();
    const seg = await readSegment(join(dir, '000001.seg.partial'), { recover: true });
    expect(seg).toMatchObject({ complete: false, events: [], endIcount: 0n, validBytes: 28 });
  });

  it('blocks written when full are recovered too; the buffered tail is not', async () => {
    const events = randomEvents(22, 400, 0n, 50);
    const w = await crashedWriter(128);
    for (const ev of events) w.append(ev);
    const seg = await readSegment(join(dir, '000001.seg.partial'), { recover: true });
    expect(seg.blocks.length).toBeGreaterThan(10);
    expect(seg.events.length).toBeLessThan(events.length);
    expect(seg.validBytes).toBe(w.bytesWritten);
    expect(eventsDiff(seg.events, events.slice(0, seg.events.length))).toBeUndefined();
  });

  it('a torn last write (half a block) is cut off with the reason recorded', async () => {
    const events = randomEvents(23, 50, 0n, 50);
    const w = await crashedWriter();
    for (const ev of events.slice(0, 25)) w.append(ev);
    await w.flush();
    const partial = join(dir, '000001.seg.partial');
    const flushed = (await readFile(partial)).length;
    // Simulate the recorder dying inside a write: the first half of the next block reaches the disk.
    const other = await SegmentWriter.create(join(dir, 'other.seg'), { segmentIndex: 1, startIcount: 0n });
    for (const ev of events.slice(25)) other.append(ev);
    await other.close(events[49].icount);
    const otherBytes = await readFile(join(dir, 'other.seg'));
    await appendFile(partial, otherBytes.subarray(28, 28 + 40));

    const seg = await readSegment(partial, { recover: true });
    expect(eventsDiff(seg.events, events.slice(0, 25))).toBeUndefined();
    expect(seg.validBytes).toBe(flushed);
    expect(seg.damage).toBeInstanceOf(LogFormatError);
    expect(seg.damage?.message).toMatch(new RegExp(`000001\\.seg\\.partial: block 1 at byte ${flushed}: truncated: block header says \\d+ bytes, only 19 remain`));
  });

  it('creating a segment over a stale .partial starts it afresh', async () => {
    await writeFile(join(dir, '000001.seg.partial'), 'garbage left by an earlier crash');
    const w = await SegmentWriter.create(join(dir, '000001.seg'), { segmentIndex: 1, startIcount: 0n });
    w.append({ icount: 5n, channel: 1, kind: 0, payload: Uint8Array.of(1) });
    await w.close(5n);
    expect(await readdir(dir)).toEqual(['000001.seg']);
    expect((await readSegment(join(dir, '000001.seg'))).events.length).toBe(1);
  });
});
