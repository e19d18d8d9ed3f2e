/**
 * Parallel replay must change nothing but speed: the same slices verify, to
 * the same end roots, with the same merged analysis results, whether replayed
 * inline, one slice after another, or on worker threads. Seek must land in the
 * same state as a replay that ran straight through from the start.
 */
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SnapshotWriter } from '@prnr/snapshot';
import { openRecording, ReplaySession, type Recording } from '@prnr/recording';
import { AnalysisRegistry } from './analysis-registry.js';
import { InlineExecutor } from './executors/inline.js';
import type { Executor } from './executor.js';
import { ThreadExecutor } from './executors/threads.js';
import { replayRecording, type RecordingReplayResult } from './replay-recording.js';
import { MEASURED_LANE_COSTS } from './lane-costs.js';
import { seek } from './seek.js';
import { SeekService } from './seek-service.js';
import { kernelSymbolPhys, shortRecording } from './testing/short-recording.js';
import type { PrivilegeProfile } from './analyses/privilege-profile.js';
import type { MemoryWatchResult } from './analyses/memory-watch.js';
import type { ConsoleOutput } from './analyses/console-output.js';

const STEPS = 80_000_000;
let dir: string;
let rec: Recording;

beforeAll(async () => {
  dir = await shortRecording({ steps: STEPS, sliceSteps: 20_000_000, checkpointInterval: 5_000_000 });
  rec = openRecording(dir);
}, 300_000);
afterAll(() => rmSync(dirname(dir), { recursive: true, force: true }));

const analyses = () => [{ kind: 'profile' }, { kind: 'console' }, { kind: 'watch', options: { paddr: kernelSymbolPhys('jiffies_64'), length: 8 } }];

describe('multi-slice, multi-dimension replay', () => {
  let inline: RecordingReplayResult;

  it('inline: every slice verifies; light analyses share pass 0, the heavy watch gets its own pass', async () => {
    const registry = new AnalysisRegistry();
    inline = await replayRecording({ recording: { dir }, slices: [0, 1, 2, 3], analyses: analyses(), registry, executor: new InlineExecutor() });
    expect(inline.passes).toBe(2);
    expect(inline.tasks).toBe(2); // one chunk per pass: one worker runs each straight through
    expect(inline.slices.map((s) => s.restoreSeconds > 0)).toEqual([true, false, false, false]);
    expect(inline.slices.map((s) => s.verified)).toEqual([true, true, true, true]);
    expect(inline.slices.map((s) => s.endState)).toEqual(rec.manifest.slices.map((s) => s.endState));
    const profile = inline.analyses.profile as PrivilegeProfile;
    expect(profile.steps.U + profile.steps.S + profile.steps.M).toBe(STEPS);
    expect(profile.steps.M).toBeGreaterThan(0); // OpenSBI runs first
    expect(profile.steps.S).toBeGreaterThan(profile.steps.M); // then the kernel
    const watch = inline.analyses.watch as MemoryWatchResult;
    expect(watch.count).toBeGreaterThan(10); // jiffies advance with every timer tick
    expect(watch.stores.every((s, i, a) => i === 0 || a[i - 1].icount <= s.icount)).toBe(true);
    const con = inline.analyses.console as ConsoleOutput;
    expect(con.text).toContain('Linux version 6.1');
    expect(con.lineStarts.length).toBe(con.text.split('\n').length - (con.text.endsWith('\n') ? 1 : 0));
  }, 300_000);

  it('worker threads: the same verification, end roots and merged results', async () => {
    const executor = new ThreadExecutor(2);
    try {
      const progress: number[] = [];
      const threads = await replayRecording({ recording: { dir }, slices: [0, 1, 2, 3], analyses: analyses(), registry: new AnalysisRegistry(), executor, onProgress: (p) => progress.push(p.slice) });
      expect(threads.tasks).toBeGreaterThanOrEqual(4); // a chunk per worker and pass, and any slices a worker took from the other's
      expect(threads.slices).toEqual(inline.slices.map((s, i) => ({ ...s, wallSeconds: threads.slices[i].wallSeconds, restoreSeconds: threads.slices[i].restoreSeconds })));
      // Each of the two workers starts its run of chunks with a restore, and runs on from there.
      expect(threads.slices[0].restoreSeconds).toBeGreaterThan(0);
      expect(threads.slices.filter((s) => s.restoreSeconds > 0).length).toBeGreaterThanOrEqual(2);
      expect(threads.analyses).toEqual(inline.analyses);
      expect(new Set(progress).size).toBeGreaterThan(1);
    } finally {
      await executor.close();
    }
  }, 300_000);

  it('worker threads with lane 0 in the calling thread: the same slices verify to the same roots', async () => {
    const executor = new ThreadExecutor(2, { callerRuns: true });
    try {
      const r = await replayRecording({ recording: { dir }, slices: [0, 1, 2, 3], analyses: [{ kind: 'profile' }], registry: new AnalysisRegistry(), executor });
      expect(r.slices.map((s) => s.verified)).toEqual([true, true, true, true]);
      expect(r.slices.map((s) => s.endState)).toEqual(inline.slices.map((s) => s.endState));
      expect(r.analyses.profile).toEqual(inline.analyses.profile);
    } finally {
      await executor.close();
    }
  }, 300_000);

  it('a lane that is done takes slices from the back of a running one: each slice still runs once and verifies to the same root', async () => {
    const threads = new ThreadExecutor(2, { callerRuns: true });
    let calls0 = 0;
    let stole!: () => void;
    const lane0Stole = new Promise<void>((r) => (stole = r));
    // Lane 1 (the thread) starts only once lane 0 (this thread) has run its own chunk and come back for more.
    const late: Executor = {
      concurrency: 2,
      sharesMemory: true,
      run: async (task, progress, lane, shared) => {
        if (lane === 0 && ++calls0 === 2) stole();
        if (lane === 1) await lane0Stole;
        return threads.run(task, progress, lane, shared);
      },
      close: () => threads.close(),
    };
    try {
      const told: number[] = [];
      // Restores cost nothing here (costs as data): a steal always pays, whatever this host's timing.
      const r = await replayRecording({ recording: { dir }, slices: [0, 1, 2, 3], registry: new AnalysisRegistry(), executor: late, onSliceDone: (s) => told.push(s.slice), costs: { ...MEASURED_LANE_COSTS, jumpRestoreSeconds: 0 } });
      expect(calls0).toBeGreaterThanOrEqual(2);
      expect(r.tasks).toBeGreaterThanOrEqual(3);
      expect(told.sort()).toEqual([0, 1, 2, 3]);
      expect(r.slices.map((s) => s.slice)).toEqual([0, 1, 2, 3]);
      expect(r.slices.map((s) => s.verified)).toEqual([true, true, true, true]);
      expect(r.slices.map((s) => s.endState)).toEqual(inline.slices.map((s) => s.endState));
    } finally {
      await late.close();
    }
  }, 300_000);

  it('the coordinator checks every end state against recording.json itself: a worker reporting another root fails its slice', async () => {
    const inline = new InlineExecutor();
    const lying: Executor = {
      concurrency: 1,
      run: async (task, progress) => {
        const r = await inline.run(task, progress);
        return { ...r, slices: r.slices.map((x) => (x.slice === 1 ? { ...x, endState: '0'.repeat(64) } : x)) };
      },
      close: () => inline.close(),
    };
    const r = await replayRecording({ recording: { dir }, slices: [0, 1, 2, 3], registry: new AnalysisRegistry(), executor: lying });
    expect(r.verified).toBe(false);
    expect(r.slices.map((x) => x.verified)).toEqual([true, false, true, true]);
    expect(r.slices[1].divergence?.message).toContain(`the recording says ${rec.manifest.slices[1].endState}`);
  }, 300_000);

  it('an analysis pass that fails is reported (its analyses, slices and error), not only counted against verified', async () => {
    // Not in RAM: the watch cannot attach, so its pass fails on the slice; pass 0 verifies it.
    const r = await replayRecording({ recording: { dir }, slices: [3], analyses: [{ kind: 'watch', options: { paddr: 0x1000, length: 8 } }], registry: new AnalysisRegistry(), executor: new InlineExecutor() });
    expect(r.slices.map((s) => s.verified)).toEqual([true]);
    expect(r.verified).toBe(false);
    expect(r.passFailures).toEqual([{ pass: 1, analyses: ['watch'], slices: [3], error: expect.stringMatching(/^watch range 0x1000\+8 is not in RAM/) }]);
    expect(r.analyses).not.toHaveProperty('watch'); // no result made up for it
    const ok = await replayRecording({ recording: { dir }, slices: [3], registry: new AnalysisRegistry(), executor: new InlineExecutor() });
    expect([ok.verified, ok.passFailures]).toEqual([true, []]);
  }, 300_000);

  it('a damaged slice is reported with its index; the others still verify', async () => {
    const { writeFileSync, readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const file = join(dir, rec.manifest.slices[2].log);
    const good = readFileSync(file);
    try {
      const bad = Buffer.from(good);
      bad[bad.length - 25] ^= 0xff;
      writeFileSync(file, bad);
      const r = await replayRecording({ recording: { dir }, slices: [0, 1, 2, 3], registry: new AnalysisRegistry(), executor: new InlineExecutor() });
      expect(r.verified).toBe(false);
      expect(r.slices.map((s) => s.verified)).toEqual([true, true, false, true]);
      expect(r.slices[2].error).toMatch(/log\/000002\.seg: .*checksum/);
    } finally {
      writeFileSync(file, good);
    }
  }, 300_000);
});

/** A sequential replay: from the first snapshot, straight through every slice (each end checked), stopped at `icount`. */
async function straightThrough(icount: number): Promise<string> {
  const session = new ReplaySession(rec);
  await session.restore(0);
  while (session.slice!.endIcount <= icount && session.slice!.index < rec.manifest.slices.length - 1) expect((await session.runSlice()).verified).toBe(true);
  await session.seek(icount);
  expect(session.stats.restores).toBe(1);
  const machine = session.machine!;
  expect(machine.hart.icount).toBe(icount);
  return (await SnapshotWriter.fullStateRoot({ meta: machine.saveMeta(), ram: machine.ram, disks: machine.disks }));
}

describe('seek', () => {
  it('lands exactly on random positions, in the same state as a replay straight from the start', async () => {
    // Positions from a fixed seed: inside slices, and on a slice boundary.
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const targets = [20_000_000, ...Array.from({ length: 3 }, () => 1 + Math.floor(rand() * (STEPS - 1)))];
    for (const x of targets) {
      const { replayTo } = await import('@prnr/recording');
      const { machine } = await replayTo(rec, x);
      expect(machine.hart.icount).toBe(x);
      const seeked = await SnapshotWriter.fullStateRoot({ meta: machine.saveMeta(), ram: machine.ram, disks: machine.disks });
      expect(seeked).toBe(await straightThrough(x));
    }
  }, 300_000);

  it('the seek service answers on a thread, warm: the same machine state as seeking here', async () => {
    const service = new SeekService();
    try {
      const targets = [61_000_000, 63_500_000, 22_222_222];
      for (const x of targets) {
        const here = await seek(rec, x);
        const there = await service.seek({ dir }, x);
        expect(there).toEqual(here);
      }
    } finally {
      await service.close();
    }
  }, 300_000);

  it('reports pc, registers, the instruction there and the console so far', async () => {
    const at = 70_000_000;
    const r = await seek(rec, at, { memory: { address: BigInt(kernelSymbolPhys('linux_banner')), length: 14 } });
    expect(r.icount).toBe(at);
    expect(r.slice).toBe(3);
    expect(r.pc).toMatch(/^0x[0-9a-f]{16}$/);
    expect(Object.keys(r.registers)).toHaveLength(31);
    expect(r.instruction).not.toBeNull();
    expect(Buffer.from(r.memory!.bytes!, 'hex').toString('latin1')).toBe('Linux version ');
    expect(r.console).toContain('Linux version 6.1');
  }, 120_000);
});
