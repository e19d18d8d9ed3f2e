/**
 * replayRecording's `readBack`, as `prnr verify` uses it: an object only a later
 * slice's snapshot has, damaged, goes unnoticed by one lane running straight
 * through from slice 0; the read-back fails exactly that slice.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { reachableObjects } from '@prnr/snapshot';
import { openRecording } from '@prnr/recording';
import { AnalysisRegistry } from './analysis-registry.js';
import { InlineExecutor } from './executors/inline.js';
import { replayRecording, type SliceOutcome } from './replay-recording.js';
import { shortRecording } from './testing/short-recording.js';

let dir: string;

beforeAll(async () => {
  dir = await shortRecording({ steps: 18_000_000, sliceSteps: 6_000_000 });
}, 300_000);
afterAll(() => rmSync(dirname(dir), { recursive: true, force: true }));

it('readBack: a damaged object only slice 2 reaches fails that slice (told once), the others verify', async () => {
  const rec = openRecording(dir);
  const m = rec.manifest;
  expect(m.slices).toHaveLength(3);
  const before = await reachableObjects([m.slices[0].snapshot, m.slices[1].snapshot], rec.store);
  const only = [...(await reachableObjects(m.slices[2].snapshot, rec.store))].find((h) => !before.has(h))!;
  const at = rec.store.locate(only)!;
  const bytes = readFileSync(at.file);
  bytes[at.offset + at.length - 1] ^= 0x40; // the last byte of its body
  writeFileSync(at.file, bytes);

  const done: SliceOutcome[] = [];
  const failed: SliceOutcome[] = [];
  const r = await replayRecording({
    recording: { dir },
    slices: [0, 1, 2],
    registry: new AnalysisRegistry(),
    executor: new InlineExecutor(),
    readBack: openRecording(dir),
    onSliceDone: (s) => done.push({ ...s }),
    onReadBackFailure: (s) => failed.push({ ...s }),
  });
  // The replay itself reached every recorded end state; the read-back is what fails slice 2.
  expect(done.map((s) => [s.slice, s.verified])).toEqual([[0, true], [1, true], [2, true]]);
  expect(r.slices.map((s) => s.endState)).toEqual(m.slices.map((s) => s.endState));
  expect(r.verified).toBe(false);
  expect(r.slices.map((s) => [s.slice, s.verified])).toEqual([[0, true], [1, true], [2, false]]);
  expect(r.slices[2].error).toMatch(new RegExp(`^its stored snapshot cannot be restored: .*object ${only} .* is corrupt`));
  expect(failed).toEqual([r.slices[2]]);
}, 300_000);
