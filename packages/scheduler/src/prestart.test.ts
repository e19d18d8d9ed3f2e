/**
 * Replay threads started ahead (prestart.ts), as the CLI starts them: a
 * thread gets ready once, every lane loads the recording's code cache itself
 * and waits for no other lane's code, and nothing but speed changes: the
 * same slices verify to the same roots.
 */
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { Piscina } from 'piscina';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CodeCache } from '@prnr/cpu';
import { openRecording, type Recording } from '@prnr/recording';
import { AnalysisRegistry } from './analysis-registry.js';
import { ThreadExecutor } from './executors/threads.js';
import { prestartReplayThreads } from './prestart.js';
import { replayRecording } from './replay-recording.js';
import { shortRecording } from './testing/short-recording.js';

let dir: string;
let rec: Recording;

beforeAll(async () => {
  dir = await shortRecording({ steps: 40_000_000, sliceSteps: 10_000_000, checkpointInterval: 5_000_000 });
  rec = openRecording(dir);
}, 300_000);
afterAll(() => rmSync(dirname(dir), { recursive: true, force: true }));

describe('prestarted replay threads', () => {
  it('get one warm-up; the caller lane runs on the recording code cache it loaded itself, and every slice verifies to the recorded root', async () => {
    CodeCache.shared.clear(); // what this thread translated while recording: the lane must take its code from the file
    // Every message handed to a replay thread, to count the warm-ups among them.
    const sent = vi.spyOn(Piscina.prototype, 'run');
    prestartReplayThreads(1, { dir }, { callerLane: true }); // its warm-up also restores lane 1's first slice
    const executor = new ThreadExecutor(2, { callerRuns: true });
    try {
      // What the CLI does before replayRecording, which warms again: the thread gets ready once.
      executor.warm({ dir });
      const r = await replayRecording({ recording: { dir }, slices: [0, 1, 2, 3], registry: new AnalysisRegistry(), executor });
      expect(r.slices.map((s) => s.verified)).toEqual([true, true, true, true]);
      expect(r.slices.map((s) => s.endState)).toEqual(rec.manifest.slices.map((s) => s.endState));
    } finally {
      await executor.close();
    }
    // One warm-up message only (the prestart's): a repeated one would hold up the thread's first
    // task until the caller's thread, busy replaying lane 0, took its answer.
    const warmUps = sent.mock.calls.filter(([m]) => typeof m === 'object' && m !== null && 'warm' in m);
    sent.mockRestore();
    expect(warmUps.length).toBe(1);
    const stats = CodeCache.shared.stats;
    expect(stats.modules).toBeGreaterThan(10); // the recording's code was loaded in this lane...
    expect(stats.hits).toBeGreaterThan(0); // ...and used (each block checked against the guest bytes)
    expect(stats.compiled).toBeGreaterThan(0); // compiled here on first use, not posted by another thread
  }, 300_000);
});
