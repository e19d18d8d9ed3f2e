/**
 * A realtime recording of a guest that mostly waits (a shell that wakes now
 * and then, as for its user's keys or a network's frames) is cut into slices
 * by wall time at the guest's idles, so that a crash loses at most a few
 * seconds of it; and a stop while it waits (its user's Ctrl-A x), after
 * several idle rounds at one icount, ends a last slice that replays too.
 * Every slice must replay to its recorded end state, alone from its own
 * snapshot and straight through from the first, on both engines.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Hart } from '@prnr/cpu';
import { Channel, readSegment } from '@prnr/eventlog';
import { ScriptInput, guestBoard, loadGuestImages } from '@prnr/machine';
import { RecordSession, type RecordResult } from './recorder.js';
import { openRecording, replayConsecutive, replaySlice } from './replayer.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** Wall seconds per slice while the guest waits (the default is IDLE_SLICE_SECONDS). */
const IDLE_SLICE = 0.5;
/** Slices cut while the guest sleeps before the test stops the recording. */
const WANT = 4;
/** The most wall seconds the test waits for them once the guest sleeps. */
const CAP_SECONDS = 120;

describe('a realtime recording of a waiting guest', () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'prnr-idle-')), 'idle.rec');
  let recorded: RecordResult;
  /** icount when the shell started sleeping (the console echoed it), to a chunk. */
  let sleepFrom = -1;

  beforeAll(async () => {
    const { config, images } = guestBoard(loadGuestImages(join(ROOT, 'guest/images')));
    // The guest wakes every half second for ever. Idle time follows the wall clock only once the
    // guest's clock has caught up with it (the boot runs slower than its clock, so its first
    // sleeps pass at once): the test waits, on any host, until WANT slices are cut, then stops.
    const script = new ScriptInput('echo sleeping; while :; do sleep 0.5; done\n');
    let text = '';
    /** The icount the recorder last reported (between chunks). */
    let icount = 0;
    let sleptAt = 0;
    let lookedAt = 0;
    let cut = 0;
    let enough = false;
    /** Where the guest stood at the last look, and how many looks in a row found it there. */
    let waitedAt = -1;
    let looks = 0;
    const session: { current?: RecordSession } = {};
    const stop = () => {
      const hart = session.current!.machine.hart;
      if (!enough && sleepFrom >= 0) {
        const now = Date.now();
        if (now - sleptAt > CAP_SECONDS * 1000) return true;
        if (now - lookedAt >= 200) {
          lookedAt = now;
          // What recording.json names (closed slices): the manifest trails the recorder by a slice or two.
          try {
            const m = JSON.parse(readFileSync(join(dir, 'recording.json'), 'utf8')) as { slices: { startIcount: number }[] };
            cut = m.slices.filter((x) => x.startIcount >= sleepFrom).length;
          } catch { /* not written yet */ }
          enough = cut >= WANT;
        }
      }
      // Then stop in a wait: looked at before each chunk and each idle round, the guest has stood at
      // one icount for several looks (a busy chunk moves it; a cut may look twice).
      looks = hart.icount === waitedAt ? looks + 1 : 0;
      waitedAt = hart.icount;
      return enough && looks >= 5;
    };
    session.current = await RecordSession.start({
      dir,
      config,
      images,
      inputs: { consoleInput: script, clock: { now: () => 1_767_225_600_000_000_000n }, entropy: { fill: (b) => void b.fill(0x5a) } },
      output: {
        write: (b) => {
          text += String.fromCharCode(b);
          script.observe(b);
          if (sleepFrom < 0 && text.endsWith('sleeping\r\n')) { sleepFrom = icount; sleptAt = Date.now(); }
        },
      },
      realtime: true,
      idleSliceSeconds: IDLE_SLICE,
      sliceSteps: 2_000_000_000, // only the idle rule (and the end) cuts
      sliceSeconds: 0,
      maxSteps: 2_000_000_000,
      shouldStop: stop,
      onProgress: (p) => void (icount = p.icount),
    });
    recorded = await session.current.finish(await session.current.run());
    await session.current.release();
  }, 300_000);

  afterAll(() => rmSync(dirname(dir), { recursive: true, force: true }));

  it('is cut while the guest sleeps, and ends complete', () => {
    const m = recorded.manifest;
    expect(m.status).toBe('complete');
    expect(m.end, 'stopped by the test once enough slices were cut, not by its time cap').toMatchObject({ reason: 'user' });
    expect(sleepFrom).toBeGreaterThan(0);
    // The boot is busy (it may take a cut at its idles too).
    const inSleep = m.slices.filter((s) => s.startIcount >= sleepFrom);
    expect(inSleep.length).toBeGreaterThanOrEqual(WANT);
    expect(m.slices.length).toBeGreaterThan(inSleep.length);
  });

  it('was stopped in a wait: its last slice logs more than one idle round at its end', async () => {
    const last = recorded.manifest.slices.at(-1)!;
    const { events } = await readSegment(join(dir, last.log));
    expect(events.filter((e) => e.channel === Channel.idle && e.icount === BigInt(last.endIcount)).length).toBeGreaterThanOrEqual(2);
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
