/**
 * The fixed costs a replay reports mean the same on every executor: what a
 * task spent before its first slice, not how long it waited for a worker.
 * A queue executor submits every task at once; the time they wait in the
 * queue is no start-up.
 */
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openRecording, type Recording } from '@prnr/recording';
import { AnalysisRegistry } from './analysis-registry.js';
import type { Executor } from './executor.js';
import { replayRecording } from './replay-recording.js';
import { TASK_VERSION, type ReplayTask, type TaskResult } from './task.js';
import { shortRecording } from './testing/short-recording.js';

let dir: string;
let rec: Recording;

beforeAll(async () => {
  dir = await shortRecording({ steps: 3_000_000, sliceSteps: 1_000_000 });
  rec = openRecording(dir);
}, 300_000);
afterAll(() => rmSync(dirname(dir), { recursive: true, force: true }));

it('on a queue, start-up is what the workers measured from taking each task, not its wait in the queue', async () => {
  const SETUP = 0.25;
  const queued: Array<() => void> = [];
  const slices = rec.manifest.slices.map((s) => s.index);
  // Every task is submitted at once, and none is taken before all are queued: each waits in the queue.
  const queue: Executor = {
    concurrency: 64,
    run: (task: ReplayTask) =>
      new Promise<TaskResult>((resolve) => {
        queued.push(() => resolve({
          version: TASK_VERSION, first: task.first, last: task.last, pass: task.pass, setupSeconds: SETUP, wallSeconds: SETUP + 0.5,
          slices: Array.from({ length: task.last - task.first + 1 }, (_, k) => ({ slice: task.first + k, endState: rec.manifest.slices[task.first + k].endState, divergence: null, steps: 1, checkpoints: 0, wallSeconds: 0.5 / (task.last - task.first + 1), restoreSeconds: 0, analyses: {} })),
        }));
        if (queued.length === expected) setImmediate(() => { for (const done of queued) done(); });
      }),
    close: async () => {},
  };
  const expected = slices.length; // one slice per task with 64 lanes
  const r = await replayRecording({ recording: { dir }, slices, registry: new AnalysisRegistry(), executor: queue });
  expect(r.verified).toBe(true);
  expect(r.fixed.chunks).toBe(expected);
  expect(r.fixed.startupSeconds).toBeCloseTo(expected * SETUP, 9);
}, 300_000);
