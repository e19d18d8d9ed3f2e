/**
 * Reclaiming space in a recording: remove objects and segments nothing refers
 * to, and merge runs of slices (keeping every K-th snapshot).
 *
 * Order of work keeps the recording valid at every moment: new segments are
 * written (under new names) before the manifest that names them replaces the
 * old one atomically; only then is anything deleted.
 */
import { readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { SegmentWriter, readSegment, type LogEvent } from '@prnr/eventlog';
import { reachableObjects } from '@prnr/snapshot';
import { RecordingError, writeManifest, type SliceEntry } from './manifest.js';
import { assertNotBeingRecorded } from './recording-lock.js';
import type { Recording } from './replayer.js';

export interface GcResult {
  objectsRemoved: number;
  segmentsRemoved: string[];
  bytesFreed: number;
}

/** Removes objects no snapshot or disk refers to, and log files no slice names (e.g. the .partial of a crashed recorder). */
export async function collectGarbage(rec: Recording): Promise<GcResult> {
  assertNotBeingRecorded(rec.dir, 'gc');
  const m = rec.manifest;
  const roots = new Set<string>();
  for (const s of m.slices) roots.add(s.snapshot).add(s.endState);
  const keep = await reachableObjects([...roots], rec.store);
  for (const h of Object.values(m.disks)) keep.add(h);
  for (const s of m.slices) if (s.console) keep.add(s.console);
  if (m.guestProfile) keep.add(m.guestProfile);
  for (const p of m.devicePlugins ?? []) if (p.object) keep.add(p.object);
  // Loose objects (recordings before packs) are unlinked; packs holding anything else are rewritten with the kept objects only.
  const { objectsRemoved, bytesFreed } = await rec.store.retainOnly(keep);
  const named = new Set(m.slices.map((s) => s.log.slice('log/'.length)));
  const segmentsRemoved: string[] = [];
  // An incomplete recording's open segment may still be written by a live recorder: only a complete one loses its strays.
  if (m.status === 'complete') {
    for (const f of readdirSync(join(rec.dir, 'log'))) {
      if (named.has(f)) continue;
      unlinkSync(join(rec.dir, 'log', f));
      segmentsRemoved.push(`log/${f}`);
    }
  }
  return { objectsRemoved, segmentsRemoved, bytesFreed };
}

/**
 * Keeps every `k`-th snapshot: slices [ik, (i+1)k) become one slice that
 * starts from slice ik's snapshot and has their events in one segment. Then
 * collects garbage. The merged recording still verifies.
 */
export async function mergeSlices(rec: Recording, k: number): Promise<GcResult & { slicesBefore: number; slicesAfter: number }> {
  if (!Number.isInteger(k) || k < 2) throw new RecordingError(`--merge needs a whole number of at least 2, got ${k}`);
  assertNotBeingRecorded(rec.dir, 'merge');
  const m = rec.manifest;
  if (m.status !== 'complete') throw new RecordingError(`${rec.dir} is incomplete (its recorder did not finish): run gc without --merge, or record again`);
  const before = m.slices.length;
  const merged: SliceEntry[] = [];
  for (let i = 0; i < m.slices.length; i += k) {
    const group = m.slices.slice(i, i + k);
    if (group.length === 1) {
      merged.push({ ...group[0], index: merged.length });
      continue;
    }
    const first = group[0];
    const last = group[group.length - 1];
    const log = `log/${first.startIcount}-${last.endIcount}.seg`;
    const w = await SegmentWriter.create(join(rec.dir, log), { segmentIndex: merged.length, startIcount: BigInt(first.startIcount) });
    let events = 0;
    const consoles: Uint8Array[] = [];
    for (const s of group) {
      if (s.console) consoles.push(await rec.store.get(s.console));
      const seg = await readSegment(join(rec.dir, s.log));
      seg.events.forEach((e: LogEvent) => w.append(e));
      events += seg.events.length;
    }
    await w.close(BigInt(last.endIcount));
    merged.push({
      index: merged.length,
      startIcount: first.startIcount,
      endIcount: last.endIcount,
      snapshot: first.snapshot,
      log,
      endState: last.endState,
      events,
      logBytes: w.bytesWritten,
      ...(consoles.length === group.length ? { console: await rec.store.put(Buffer.concat(consoles)) } : {}),
      startMtime: first.startMtime,
      endMtime: last.endMtime,
    });
  }
  const kept = new Set(merged.flatMap((s) => [s.snapshot, s.endState]));
  m.slices = merged;
  m.snapshots = m.snapshots.filter((s) => kept.has(s.root));
  await rec.store.sync(); // the merged consoles are durable before a manifest names them
  writeManifest(rec.dir, m);
  const gc = await collectGarbage(rec);
  return { ...gc, slicesBefore: before, slicesAfter: merged.length };
}

export interface SpaceReport {
  snapshots: number;
  /** What storing every snapshot in full would take. */
  logicalBytes: number;
  /** Distinct content, uncompressed: what deduplication leaves. */
  uniqueBytes: number;
  /** On disk, compressed. */
  storedBytes: number;
  logBytes: number;
}

export function spaceReport(rec: Recording): SpaceReport {
  const m = rec.manifest;
  const sum = (f: (s: (typeof m.snapshots)[number]) => number) => m.snapshots.reduce((a, s) => a + f(s), 0);
  return {
    snapshots: m.snapshots.length,
    logicalBytes: sum((s) => s.logicalBytes),
    uniqueBytes: sum((s) => s.uniqueBytes),
    storedBytes: sum((s) => s.storedBytes),
    logBytes: m.slices.reduce((a, s) => a + s.logBytes, 0),
  };
}
