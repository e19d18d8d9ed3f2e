/**
 * A realtime recording of a guest that mostly waits (a shell that wakes now
 * and then, as for its user's keys or a network's frames) is cut into slices
 * by wall time at the guest's idles, so that a crash loses at most a few
 * seconds of it. Those cuts fall right after an idle jump:
 * every slice must still replay to its recorded end state, alone from its own
 * snapshot and straight through from the first, on both engines.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Hart } from '@prnr/cpu';
import { ScriptInput, guestBoard, loadGuestImages } from '@prnr/machine';
import { record, type RecordResult } from './recorder.js';
import { openRecording, replayConsecutive, replaySlice } from './replayer.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** Wall seconds per slice while the guest waits (the default is IDLE_SLICE_SECONDS). */
const IDLE_SLICE = 0.5;
/**
 * The guest wakes every half second, TICKS times. Idle time follows the wall clock only once the
 * guest's clock has caught up with it: the boot runs slower than its clock, so the first seconds
 * of sleeping pass at once.
 */
const TICKS = 20;

describe('a realtime recording of a waiting guest', () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'prnr-idle-')), 'idle.rec');
  let recorded: RecordResult;
  /** icount when the shell started its sleep (the console echoed the command). */
  let sleepFrom = -1;

  beforeAll(async () => {
    const { config, images } = guestBoard(loadGuestImages(join(ROOT, 'guest/images')));
    const script = new ScriptInput(`echo sleeping; for i in $(seq ${TICKS}); do sleep 0.5; done; echo awake\npoweroff -f\n`);
    let text = '';
    /** The icount the recorder last reported (between chunks): where the guest is, to a chunk. */
    let icount = 0;
    recorded = await record({
      dir,
      config,
      images,
      inputs: { consoleInput: script, clock: { now: () => 1_767_225_600_000_000_000n }, entropy: { fill: (b) => void b.fill(0x5a) } },
      output: { write: (b) => { text += String.fromCharCode(b); script.observe(b); if (sleepFrom < 0 && text.endsWith('sleeping\r\n')) sleepFrom = icount; } },
      realtime: true,
      idleSliceSeconds: IDLE_SLICE,
      sliceSteps: 2_000_000_000, // only the idle rule (and the end) cuts
      sliceSeconds: 0,
      maxSteps: 2_000_000_000,
      onProgress: (p) => void (icount = p.icount),
    });
    expect(text).toContain('awake');
  }, 300_000);

  afterAll(() => rmSync(dirname(dir), { recursive: true, force: true }));

  it('is cut while the guest sleeps, and ends complete', () => {
    const m = recorded.manifest;
    expect(m.status).toBe('complete');
    expect(m.end).toMatchObject({ reason: 'poweroff' });
    expect(sleepFrom).toBeGreaterThan(0);
    // The boot is busy (it may take a cut at its idles too); the sleeps last up to TICKS / 2 wall seconds.
    const inSleep = m.slices.filter((s) => s.startIcount >= sleepFrom);
    expect(inSleep.length).toBeGreaterThanOrEqual(3);
    expect(m.slices.length).toBeGreaterThan(inSleep.length);
  });

  it('replays every slice alone from its own snapshot, last to first, to its recorded end state', async () => {
    const rec = openRecording(dir);
    for (const s of [...rec.manifest.slices].reverse()) {
      const r = await replaySlice(rec, s.index);
      expect(r.divergence, `slice ${s.index}`).toBeNull();
      expect(r.endState, `slice ${s.index}`).toBe(s.endState);
    }
  }, 300_000);

  it('replays straight through on the interpreter to every slice end state', async () => {
    const rec = openRecording(dir);
    Hart.defaultEngine = 'interp';
    try {
      const results = await replayConsecutive(rec, 0, rec.manifest.slices.length - 1);
      expect(results).toHaveLength(rec.manifest.slices.length);
      for (const [i, r] of results.entries()) {
        expect(r.divergence, `slice ${i}`).toBeNull();
        expect(r.endState, `slice ${i}`).toBe(rec.manifest.slices[i].endState);
      }
    } finally {
      Hart.defaultEngine = 'wasm';
    }
  }, 600_000);
});
