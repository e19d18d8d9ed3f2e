/**
 * Records the default guest running the smoke workload with the real host
 * world (wall clock, host entropy), then replays every slice from its own
 * snapshot and checks what matters: each slice ends in exactly the recorded
 * state (Merkle root of hart, devices, RAM, disk overlay), and the console
 * comes out the same. The recording runs on the hart's default engine
 * ('wasm'); every slice is replayed again on the reference interpreter and must
 * reach the same state hash at every slice boundary. Then damages a recording
 * in two ways and checks that replay says so.
 */
import { randomFillSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Hart } from '@prnr/cpu';
import { Channel, LogFormatError, SegmentWriter, readSegment } from '@prnr/eventlog';
import { ScriptInput, guestBoard, loadGuestImages } from '@prnr/machine';
import { record, type RecordResult } from './recorder.js';
import { openRecording, replayConsecutive, replaySlice } from './replayer.js';
import { writeFileSync } from 'node:fs';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SLICE = 150_000_000; // about 11 slices of the 1.6G-instruction workload

describe('record and replay of the smoke workload', () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'prnr-rec-')), 'smoke.rec');
  let recorded: RecordResult;
  let console1 = '';
  let lastLook = 0;
  let namedWhileRunning = 0;

  beforeAll(async () => {
    const { config, images } = guestBoard(loadGuestImages(join(ROOT, 'guest/images')));
    const script = new ScriptInput(readFileSync(join(ROOT, 'guest/workloads/smoke.sh'), 'utf8'));
    recorded = await record({
      dir,
      config,
      images,
      inputs: { consoleInput: script, clock: { now: () => BigInt(Date.now()) * 1_000_000n }, entropy: { fill: (b) => void randomFillSync(b) } },
      output: { write: (b) => { console1 += String.fromCharCode(b); script.observe(b); } },
      realtime: false,
      sliceSteps: SLICE,
      maxSteps: 6_000_000_000,
      // What a crash at this moment would leave: the slices recording.json names while the recorder runs.
      onProgress: () => {
        const now = Date.now();
        if (now - lastLook < 100) return;
        lastLook = now;
        try {
          const m = JSON.parse(readFileSync(join(dir, 'recording.json'), 'utf8'));
          if (m.status === 'recording') namedWhileRunning = Math.max(namedWhileRunning, m.slices.length);
        } catch { /* not written yet */ }
      },
    });
  }, 900_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('records the whole workload to poweroff, with a small log', () => {
    const m = recorded.manifest;
    expect(m.status).toBe('complete');
    expect(m.end).toMatchObject({ reason: 'poweroff' });
    expect(console1).toContain('smoke: disk ok');
    expect(console1).toContain('smoke: done');
    expect(m.slices.length).toBe(Math.ceil(m.end!.icount / SLICE));
    const perMillion = m.stats!.logBytes / (m.stats!.steps / 1e6);
    console.log(`log: ${m.stats!.events} events, ${m.stats!.logBytes} bytes, ${perMillion.toFixed(1)} bytes per million instructions over ${m.stats!.steps} steps`);
    expect(perMillion).toBeLessThan(50);
    // recording.json follows the recorder (a crash loses only the last slices), not written first at the end.
    expect(namedWhileRunning).toBeGreaterThanOrEqual(Math.floor(m.slices.length / 2));
    // Each slice's busy time is the machine thread's own (CPU time on Linux): together never more than the recording's wall time.
    const busy = m.slices.map((s) => s.busySeconds!);
    expect(busy.every((b) => Number.isFinite(b) && b > 0)).toBe(true);
    expect(busy.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(m.stats!.wallSeconds);
  });

  it('replays every slice alone, last to first, each to its recorded end state, with the same console', async () => {
    const rec = openRecording(dir);
    expect(rec.manifest.slices.length).toBeGreaterThanOrEqual(8);
    // In reverse order: a slice needs nothing but its own snapshot and segment.
    const consoles: string[] = [];
    for (const s of [...rec.manifest.slices].reverse()) {
      let text = '';
      const r = await replaySlice(rec, s.index, { output: { write: (b) => { text += String.fromCharCode(b); } } });
      expect(r.divergence).toBeNull();
      expect(r.endState).toBe(s.endState);
      expect(r.verified).toBe(true);
      consoles[s.index] = text;
    }
    expect(consoles.join('')).toBe(console1);
  }, 900_000);

  it('recorded on the wasm engine, every slice replays on the interpreter to the same state hash', async () => {
    const rec = openRecording(dir);
    expect(Hart.defaultEngine).toBe('wasm');
    Hart.defaultEngine = 'interp';
    try {
      // One machine straight through: each slice end is checked against the recorded state root.
      const results = await replayConsecutive(rec, 0, rec.manifest.slices.length - 1);
      expect(results.length).toBe(rec.manifest.slices.length);
      for (const [i, r] of results.entries()) {
        expect(r.divergence, `slice ${i}`).toBeNull();
        expect(r.endState, `slice ${i}`).toBe(rec.manifest.slices[i].endState);
      }
    } finally {
      Hart.defaultEngine = 'wasm';
    }
  }, 900_000);

  it('detects a changed input: the slice diverges and says where', async () => {
    const rec = openRecording(dir);
    // The first slice that took random bytes: give it different ones.
    let target = -1;
    let events;
    for (const s of rec.manifest.slices) {
      const seg = await readSegment(join(dir, s.log));
      if (seg.events.some((e) => e.channel === Channel.entropy)) { target = s.index; events = seg.events; break; }
    }
    expect(target).toBeGreaterThanOrEqual(0);
    const s = rec.manifest.slices[target];
    const w = await SegmentWriter.create(join(dir, s.log), { segmentIndex: target, startIcount: BigInt(s.startIcount) });
    let changed = false;
    for (const e of events!) {
      if (!changed && e.channel === Channel.entropy) { w.append({ ...e, payload: e.payload.map((b) => b ^ 0xff) }); changed = true; }
      else w.append(e);
    }
    await w.close(BigInt(s.endIcount));
    const r = await replaySlice(rec, target);
    expect(r.verified).toBe(false);
    expect(r.divergence).not.toBeNull();
    expect(r.divergence!.slice).toBe(target);
    expect(r.divergence!.from).toBeGreaterThanOrEqual(s.startIcount);
    expect(r.divergence!.to).toBeLessThanOrEqual(s.endIcount);
  }, 300_000);

  it('refuses a damaged segment with a one-line error naming the file', async () => {
    const rec = openRecording(dir);
    const s = rec.manifest.slices[rec.manifest.slices.length - 1];
    const file = join(dir, s.log);
    const bytes = readFileSync(file);
    bytes[bytes.length - 30] ^= 0x55;
    writeFileSync(file, bytes);
    await expect(replaySlice(rec, s.index)).rejects.toThrow(LogFormatError);
    await expect(replaySlice(rec, s.index)).rejects.toThrow(new RegExp(`${s.log.replace('/', '\\/')}: .*checksum mismatch`));
  });
});
