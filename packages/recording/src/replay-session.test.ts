/**
 * The replay session, on a short recording of the default guest made on the
 * reference interpreter: every slice replays on the wasm engine (from its
 * snapshot and straight through), a session that moves between snapshots and
 * seeks back and forth reaches exactly the states a fresh session reaches,
 * and a slice whose log holds an event the guest never asks for is reported.
 */
import { randomFillSync } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CodeCache, Hart } from '@prnr/cpu';
import { Channel, SegmentWriter, readSegment } from '@prnr/eventlog';
import { ScriptInput, guestBoard, loadGuestImages } from '@prnr/machine';
import { SnapshotWriter } from '@prnr/snapshot';
import { record } from './recorder.js';
import { openRecording, replaySlice, type Recording } from './replayer.js';
import { ReplaySession } from './replay-session.js';
import { CODE_CACHE_FILE, loadCodeCache } from './code-cache-file.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const STEPS = 40_000_000;
const SLICE = 10_000_000;
let dir: string;
let rec: Recording;

beforeAll(async () => {
  dir = join(mkdtempSync(join(tmpdir(), 'prnr-session-')), 'interp.rec');
  const { config, images } = guestBoard(loadGuestImages(join(ROOT, 'guest/images')));
  const input = new ScriptInput(readFileSync(join(ROOT, 'guest/workloads/smoke.sh'), 'utf8'));
  const before = Hart.defaultEngine;
  Hart.defaultEngine = 'interp';
  try {
    await record({
      dir, config, images,
      inputs: { consoleInput: input, clock: { now: () => BigInt(Date.now()) * 1_000_000n }, entropy: { fill: (b) => void randomFillSync(b) } },
      output: { write: (b) => input.observe(b) },
      realtime: false, maxSteps: STEPS, sliceSteps: SLICE, checkpointInterval: 2_500_000,
    });
  } finally {
    Hart.defaultEngine = before;
  }
  rec = openRecording(dir);
}, 600_000);
afterAll(() => rmSync(dirname(dir), { recursive: true, force: true }));

/** The full state hash of the session's machine, computed from scratch (not from the session's incremental trees). */
function fullRoot(s: ReplaySession): Promise<string> {
  const m = s.machine!;
  return SnapshotWriter.fullStateRoot({ meta: m.saveMeta(), ram: m.ram, disks: m.disks });
}

describe('a recording made on the interpreter', () => {
  it('replays on the wasm engine: every slice from its own snapshot, and straight through', async () => {
    expect(Hart.defaultEngine).toBe('wasm');
    expect(existsSync(join(dir, CODE_CACHE_FILE))).toBe(false); // nothing was translated while recording
    expect(rec.manifest.slices.length).toBe(STEPS / SLICE);
    for (const s of rec.manifest.slices) {
      const r = await replaySlice(rec, s.index);
      expect(r.divergence, `slice ${s.index}`).toBeNull();
      expect(r.endState, `slice ${s.index}`).toBe(s.endState);
    }
    const session = new ReplaySession(rec);
    await session.restore(0);
    for (const s of rec.manifest.slices) {
      const r = await session.runSlice();
      expect(r.verified, `slice ${s.index}`).toBe(true);
      expect(r.endState).toBe(s.endState);
    }
    expect(session.stats.restores).toBe(1);
  }, 600_000);
});

describe('ReplaySession', () => {
  it('a machine moved between snapshots is in exactly the recorded state each time', async () => {
    const session = new ReplaySession(rec);
    for (const i of [2, 0, 3, 1, 3]) {
      await session.restore(i);
      expect(session.icount).toBe(rec.manifest.slices[i].startIcount);
      expect(session.root()).toBe(rec.manifest.slices[i].snapshot);
      expect(await fullRoot(session)).toBe(rec.manifest.slices[i].snapshot);
    }
    expect(session.stats.coldRestores).toBe(1);
  }, 300_000);

  it('seeks back and forth land in the same state as a fresh session seeking there', async () => {
    const targets = [25_000_000, 27_500_000, 12_345_678, 12_345_679, 31_000_000, SLICE * 2, STEPS, 1];
    const warm = new ReplaySession(rec);
    for (const x of targets) {
      await warm.seek(x);
      const fresh = new ReplaySession(rec);
      await fresh.seek(x);
      expect(warm.icount).toBe(x);
      expect(fresh.icount).toBe(x);
      expect(await fullRoot(warm), `icount ${x}`).toBe(await fullRoot(fresh));
    }
    // Forward within reach ran on instead of restoring: fewer restores than seeks.
    expect(warm.stats.restores).toBeLessThan(targets.length);
  }, 300_000);

  it('a slice whose log holds an event the guest never takes does not verify, and says so', async () => {
    const s = rec.manifest.slices[1];
    const file = join(dir, s.log);
    const good = readFileSync(file);
    const seg = await readSegment(file);
    try {
      const w = await SegmentWriter.create(file, { segmentIndex: s.index, startIcount: BigInt(s.startIcount) });
      for (const e of seg.events) w.append(e);
      // Console input at the slice's very end, after its last checkpoint: the replay stops there, so nothing takes it.
      w.append({ icount: BigInt(s.endIcount), channel: Channel.consoleInput, kind: 0, payload: Uint8Array.of(0x41) });
      await w.close(BigInt(s.endIcount));
      const r = await replaySlice(openRecording(dir), s.index);
      expect(r.verified).toBe(false);
      expect(r.divergence?.message).toMatch(/ended with 1 recorded events never consumed/);
    } finally {
      const { writeFileSync } = await import('node:fs');
      writeFileSync(file, good);
    }
  }, 300_000);
});

describe('slices cut by recording time, and the code a recording carries', () => {
  it('a slice is cut at the first chunk past sliceSeconds, every such slice replays exactly; a damaged code cache is ignored with a warning', async () => {
    const d = join(mkdtempSync(join(tmpdir(), 'prnr-timecut-')), 't.rec');
    try {
      const { config, images } = guestBoard(loadGuestImages(join(ROOT, 'guest/images')));
      const input = new ScriptInput(readFileSync(join(ROOT, 'guest/workloads/smoke.sh'), 'utf8'));
      const { manifest } = await record({
        dir: d, config, images,
        inputs: { consoleInput: input, clock: { now: () => BigInt(Date.now()) * 1_000_000n }, entropy: { fill: (b) => void randomFillSync(b) } },
        output: { write: (b) => input.observe(b) },
        // Any time at all is up: every chunk of the run loop (4M steps, or less where it idles) ends a slice.
        realtime: false, maxSteps: 30_000_000, sliceSteps: 1_000_000_000, sliceSeconds: 1e-9,
      });
      expect(manifest.slices.length).toBeGreaterThanOrEqual(7);
      expect(manifest.slices.every((s) => s.endIcount - s.startIcount <= 4_000_000)).toBe(true);
      expect(manifest.end).toMatchObject({ icount: 30_000_000, reason: 'max-steps' });
      const rec2 = openRecording(d);
      for (const s of manifest.slices) expect((await replaySlice(rec2, s.index)).verified, `slice ${s.index}`).toBe(true);

      // Made on the wasm engine: the translated code went with it; a damaged copy is ignored with one warning.
      const file = join(d, CODE_CACHE_FILE);
      expect(existsSync(file)).toBe(true);
      const fresh = new CodeCache();
      await loadCodeCache(openRecording(d), (m) => { throw new Error(m); }, fresh);
      expect(fresh.stats.blocks).toBeGreaterThan(100);
      const bytes = readFileSync(file);
      bytes[bytes.length >> 1] ^= 0x5a;
      writeFileSync(file, bytes);
      const warnings: string[] = [];
      const session = new ReplaySession(openRecording(d), { onWarning: (m) => warnings.push(m) });
      await session.restore(2);
      expect((await session.runSlice()).verified).toBe(true);
      expect(warnings.length).toBe(1);
      expect(warnings[0]).toContain(`${d}/${CODE_CACHE_FILE}`);
    } finally {
      rmSync(dirname(d), { recursive: true, force: true });
    }
  }, 300_000);
  /**
   * Records the smoke workload into `dir` with every chunk's recording time up, so that every chunk
   * would end a slice (unless `sliceSeconds` is 0: none by time), until `stop(icount)` (the user's
   * stop, asked between chunks) says so.
   */
  async function recordUntilStopped(dir: string, stop: (icount: number) => boolean, sliceSeconds = 1e-9) {
    const { config, images } = guestBoard(loadGuestImages(join(ROOT, 'guest/images')));
    const input = new ScriptInput(readFileSync(join(ROOT, 'guest/workloads/smoke.sh'), 'utf8'));
    let icount = 0;
    const { manifest } = await record({
      dir, config, images,
      inputs: { consoleInput: input, clock: { now: () => BigInt(Date.now()) * 1_000_000n }, entropy: { fill: (b) => void randomFillSync(b) } },
      output: { write: (b) => input.observe(b) },
      realtime: false, maxSteps: 30_000_000, sliceSteps: 1_000_000_000, sliceSeconds,
      onProgress: (p) => void (icount = p.icount),
      shouldStop: () => stop(icount),
    });
    return manifest;
  }
  it('a stop asked for in the chunk where a slice\'s time runs out ends the recording by the user, not by max-steps', async () => {
    const d = join(mkdtempSync(join(tmpdir(), 'prnr-timestop-')), 't.rec');
    try {
      // The user's stop always lands in a chunk that would also cut a slice.
      const manifest = await recordUntilStopped(d, (icount) => icount >= 10_000_000);
      expect(manifest.end?.reason).toBe('user');
      expect(manifest.end!.icount).toBeGreaterThanOrEqual(10_000_000);
      expect(manifest.end!.icount).toBeLessThan(30_000_000);
      expect(manifest.status).toBe('complete');
      const rec2 = openRecording(d);
      const last = manifest.slices.at(-1)!;
      expect(last.endIcount).toBe(manifest.end!.icount);
      expect((await replaySlice(rec2, last.index)).verified).toBe(true);
    } finally {
      rmSync(dirname(d), { recursive: true, force: true });
    }
  }, 300_000);
  it('a stop said once (true at one question, false after) ends the recording by the user', async () => {
    const d = join(mkdtempSync(join(tmpdir(), 'prnr-oncestop-')), 't.rec');
    try {
      let said = 0;
      const manifest = await recordUntilStopped(d, (icount) => icount >= 10_000_000 && said++ === 0, 0);
      expect(said).toBe(1);
      expect(manifest.end?.reason).toBe('user');
      expect(manifest.end!.icount).toBeLessThan(30_000_000);
      expect(manifest.status).toBe('complete');
    } finally {
      rmSync(dirname(d), { recursive: true, force: true });
    }
  }, 300_000);
  it('a stop that comes while a slice is being cut ends the recording at that cut, with no empty slice after it', async () => {
    const d = join(mkdtempSync(join(tmpdir(), 'prnr-cutstop-')), 't.rec');
    try {
      // Past 10M steps the question whether the user stopped, asked when the recorder decides to
      // cut, says no; from the next question on, yes: the stop lands after the cut, before the
      // new slice has run a step.
      let asked = false;
      const manifest = await recordUntilStopped(d, (icount) => {
        if (asked) return true;
        if (icount >= 10_000_000) asked = true;
        return false;
      });
      expect(asked).toBe(true);
      expect(manifest.end?.reason).toBe('user');
      expect(manifest.status).toBe('complete');
      const last = manifest.slices.at(-1)!;
      expect(last.endIcount).toBe(manifest.end!.icount);
      for (const s of manifest.slices) expect(s.endIcount, `slice ${s.index}`).toBeGreaterThan(s.startIcount);
      // The dropped slice's segment file is gone: every file in log/ is a slice's.
      expect(readdirSync(join(d, 'log')).sort()).toEqual(manifest.slices.map((s) => s.log.replace(/^log\//, '')).sort());
      expect((await replaySlice(openRecording(d), last.index)).verified).toBe(true);
    } finally {
      rmSync(dirname(d), { recursive: true, force: true });
    }
  }, 300_000);
});
