/**
 * Code shared between replay threads: a prestarted thread compiles the
 * recording's code cache and the caller's lane runs those very modules
 * instead of loading and compiling them again. Nothing but speed may change:
 * the same slices verify to the same roots.
 */
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Piscina } from 'piscina';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CodeCache } from '@prnr/cpu';
import { CODE_CACHE_FILE, decodeCodeCacheFile, openRecording, type Recording } from '@prnr/recording';
import { AnalysisRegistry } from './analysis-registry.js';
import { ThreadExecutor } from './executors/threads.js';
import { prestartReplayThreads } from './prestart.js';
import { replayRecording } from './replay-recording.js';
import { compiledCodeSnapshot, useCompiled } from './shared-code.js';
import { shortRecording } from './testing/short-recording.js';

let dir: string;
let rec: Recording;

beforeAll(async () => {
  dir = await shortRecording({ steps: 40_000_000, sliceSteps: 10_000_000, checkpointInterval: 5_000_000 });
  rec = openRecording(dir);
}, 300_000);
afterAll(() => rmSync(dirname(dir), { recursive: true, force: true }));

describe('translated code shared between replay threads', () => {
  it('compiledCodeSnapshot compiles every module; useCompiled has the cache hold them, every block kept', () => {
    const cache = CodeCache.load(decodeCodeCacheFile(readFileSync(join(dir, CODE_CACHE_FILE))));
    const before = cache.stats;
    expect(before.modules).toBeGreaterThan(10);
    expect(cache.snapshot().modules.every((m) => m.module === null)).toBe(true); // a file holds no compiled code
    const { snapshot: snap, compiledHere } = compiledCodeSnapshot(cache);
    expect(compiledHere).toBe(true);
    expect(snap.modules.length).toBe(before.modules);
    expect(snap.modules.every((m) => m.module !== null)).toBe(true);
    expect(cache.snapshot().modules.every((m) => m.module === null)).toBe(true); // untouched until told to use them
    useCompiled(snap, cache);
    expect(cache.stats.modules).toBe(before.modules);
    expect(cache.stats.blocks).toBe(before.blocks);
    expect(cache.snapshot().modules.every((m) => m.module !== null)).toBe(true);
    // Another cache takes it as it is (what the receiving thread does): nothing left to compile.
    const other = new CodeCache();
    expect(other.merge(structuredClone(snap))).toBe(before.blocks);
    expect(other.snapshot().modules.every((m) => m.module !== null)).toBe(true);
  });

  it('a prestarted thread hands its compiled code to the caller lane: that lane compiles none of it, and every slice verifies to the recorded root', async () => {
    CodeCache.shared.clear(); // what this thread translated while recording: the lane must get its code from the thread
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
    expect(stats.modules).toBeGreaterThan(10); // the recording's code arrived here...
    expect(stats.hits).toBeGreaterThan(0); // ...was used...
    expect(stats.compiled).toBe(0); // ...and came compiled (loaded from the file, each module would be compiled on first use)
  }, 300_000);
});
