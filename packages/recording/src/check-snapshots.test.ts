/**
 * The read-back of stored snapshots gives the same answer on its own thread
 * as on the caller's: nothing for a whole recording, and for a damaged object
 * the slices whose snapshots reach it, each naming the pack and offset. On a
 * short recording of the default guest.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { reachableObjects } from '@prnr/snapshot';
import { checkStoredSnapshots, checkStoredSnapshotsInThread } from './check-snapshots.js';
import { recordSmoke } from './test-support/smoke-recording.js';
import { openRecording } from './replayer.js';

const SLICES = 4;
const SLICE = 4_000_000;
const top = mkdtempSync(join(tmpdir(), 'prnr-check-snapshots-'));
const original = join(top, 'original.rec');

beforeAll(() => recordSmoke(original, SLICES, SLICE), 600_000);
afterAll(() => rmSync(top, { recursive: true, force: true }));

it('a whole recording: no problem, on either thread', async () => {
  const rec = openRecording(original, { replay: false });
  const all = rec.manifest.slices.map((s) => s.index);
  expect(all).toHaveLength(SLICES);
  expect(await checkStoredSnapshots(rec, all)).toEqual([]);
  const fellBack: string[] = [];
  expect(await checkStoredSnapshotsInThread(rec, all, { onFallback: (why) => fellBack.push(why) })).toEqual([]);
  expect(fellBack).toEqual([]); // the thread answered (it runs the built package: dist/check-snapshots-worker.js)
});

it('an object only the last two snapshots reach, damaged: those slices fail, naming the pack and offset, the same on either thread', async () => {
  const dir = join(top, 'damaged.rec');
  cpSync(original, dir, { recursive: true });
  const rec = openRecording(dir, { replay: false });
  const slices = rec.manifest.slices;
  const early = await reachableObjects([slices[0].snapshot, slices[1].snapshot], rec.store);
  const later = await reachableObjects([slices[2].snapshot], rec.store);
  const only = [...later].find((h) => !early.has(h))!;
  expect(only).toBeDefined();
  const reachable = new Map<string, Set<string>>();
  for (const s of slices) {
    const roots = s === slices.at(-1) ? [s.snapshot, s.endState] : [s.snapshot];
    reachable.set(roots.join(), await reachableObjects(roots, rec.store));
  }
  const at = rec.store.locate(only)!;
  const bytes = readFileSync(at.file);
  bytes[at.offset + at.length - 1] ^= 0x40; // the last byte of its body
  writeFileSync(at.file, bytes);
  const all = slices.map((s) => s.index);
  const inline = await checkStoredSnapshots(openRecording(dir, { replay: false }), all);
  const fellBack: string[] = [];
  const aside = await checkStoredSnapshotsInThread(openRecording(dir, { replay: false }), all, { onFallback: (why) => fellBack.push(why) });
  expect(fellBack).toEqual([]);
  expect(aside).toEqual(inline);
  // The slices whose snapshot (the last one's end state too) reaches the object, walked before the damage.
  const reaching: number[] = [];
  for (const s of slices) {
    const roots = s === slices.at(-1) ? [s.snapshot, s.endState] : [s.snapshot];
    if ((reachable.get(roots.join()) ?? new Set()).has(only)) reaching.push(s.index);
  }
  expect(reaching[0]).toBe(2);
  expect(inline.map((p) => p.slice)).toEqual(reaching);
  expect(inline[0].error).toContain(`object ${only} in ${at.file} at offset`);
  expect(inline[0].error).toContain('is corrupt');
});
