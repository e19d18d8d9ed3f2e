/**
 * Reclaiming space in a recording: remove objects and segments nothing refers
 * to, and merge runs of slices (keeping every K-th snapshot).
 *
 * Order of work keeps the recording valid at every moment: new segments are
 * written (under new names) before the manifest that names them replaces the
 * old one atomically; only then is anything deleted. A merge first reads
 * every object the gc after it will copy, so damage stops it before it has
 * written anything; what it wrote before a failure is removed.
 */
import { existsSync, readdirSync, rmSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { SegmentWriter, readSegmentBytes, type LogEvent } from '@prnr/eventlog';
import { reachableObjects, type Hash, type ObjectReader } from '@prnr/snapshot';
import { RecordingError, writeManifest, type RecordingManifest, type SliceEntry } from './manifest.js';
import { assertNotBeingRecorded } from './recording-lock.js';
import { consoleObjects, recordingObjects, type NamingManifest } from './named-objects.js';
import type { Recording } from './replayer.js';

export interface GcResult {
  objectsRemoved: number;
  segmentsRemoved: string[];
  /** Entries of log/ that no recorder or merge writes (someone else's files, directories, links): kept, named here. */
  leftAlone: string[];
  bytesFreed: number;
}

/**
 * The names a recorder (segmentName: 000012.seg) or a merge (START-END.seg, START-END-N.seg) gives a
 * file of log/, closed or not yet (.partial). A user's backup.seg is not one of them.
 */
const SEGMENT_FILE = /^(\d{6,}|\d+-\d+(-\d+)?)\.seg(\.partial)?$/;

/**
 * Removes objects no snapshot or disk refers to, and segment files no slice names (e.g. the .partial of
 * a crashed recorder). Nothing else in log/ is touched: a file the recorder would not have written there
 * is not the recorder's to delete.
 */
export async function collectGarbage(rec: Recording): Promise<GcResult> {
  assertNotBeingRecorded(rec.dir, 'gc');
  const m = rec.manifest;
  const keep = await neededObjects(m, rec.store);
  // Loose objects (recordings before packs) are unlinked; packs holding anything else are rewritten with the kept objects only.
  const { objectsRemoved, bytesFreed } = await rec.store.retainOnly(keep);
  const named = new Set(m.slices.map((s) => s.log.slice('log/'.length)));
  const segmentsRemoved: string[] = [];
  const leftAlone: string[] = [];
  // An incomplete recording's open segment may still be written by a live recorder: only a complete one loses its strays.
  if (m.status === 'complete') {
    for (const f of readdirSync(join(rec.dir, 'log'), { withFileTypes: true })) {
      if (named.has(f.name)) continue;
      if (!f.isFile() || !SEGMENT_FILE.test(f.name)) {
        leftAlone.push(`log/${f.name}`);
        continue;
      }
      unlinkSync(join(rec.dir, 'log', f.name));
      segmentsRemoved.push(`log/${f.name}`);
    }
  }
  return { objectsRemoved, segmentsRemoved, leftAlone, bytesFreed };
}

/** Every object a recording with these slices needs: its snapshots' trees, base disks, consoles, guest profile, device modules. */
async function neededObjects(m: NamingManifest & Pick<RecordingManifest, 'slices'>, store: ObjectReader): Promise<Set<Hash>> {
  const roots = new Set<string>();
  for (const s of m.slices) roots.add(s.snapshot).add(s.endState);
  const keep = await reachableObjects([...roots], store);
  for (const h of [...recordingObjects(m), ...consoleObjects(m.slices)]) keep.add(h);
  return keep;
}

/**
 * Keeps every `k`-th snapshot: slices [ik, (i+1)k) become one slice that
 * starts from slice ik's snapshot and has their events in one segment. Then
 * collects garbage. The merged recording still verifies.
 *
 * A merge that fails leaves the recording as it was: the objects the gc would
 * copy are checked first, and the merged segments are removed if one cannot be
 * written (a damaged or missing log), before the manifest is replaced (merged
 * consoles stored by then are unreferenced, and the next gc removes them).
 */
export async function mergeSlices(rec: Recording, k: number): Promise<GcResult & { slicesBefore: number; slicesAfter: number }> {
  if (!Number.isInteger(k) || k < 2) throw new RecordingError(`--merge needs a whole number of at least 2, got ${k}`);
  assertNotBeingRecorded(rec.dir, 'merge');
  const m = rec.manifest;
  if (m.status !== 'complete') throw new RecordingError(`${rec.dir} is incomplete (its recorder did not finish): run gc without --merge, or record again`);
  const before = m.slices.length;
  const groups: SliceEntry[][] = [];
  for (let i = 0; i < m.slices.length; i += k) groups.push(m.slices.slice(i, i + k));
  // What the merged recording keeps (its new consoles aside: they are made from objects read below), read as the gc will read it.
  const slices = groups.map((g) => ({ ...g[0], endState: g[g.length - 1].endState, console: g.length === 1 ? g[0].console : undefined }));
  await rec.store.checkRetain(await neededObjects({ ...m, slices }, rec.store));
  const written = await writeMergedSegments(rec, groups);
  const merged: SliceEntry[] = [];
  try {
    for (const [i, group] of groups.entries()) {
      const w = written[i];
      if (!w) {
        merged.push({ ...group[0], index: merged.length });
        continue;
      }
      const first = group[0];
      const last = group[group.length - 1];
      merged.push({
        index: merged.length,
        startIcount: first.startIcount,
        endIcount: last.endIcount,
        snapshot: first.snapshot,
        log: w.log,
        endState: last.endState,
        events: w.events,
        logBytes: w.logBytes,
        ...(w.consoles.length === group.length ? { console: await rec.store.put(Buffer.concat(w.consoles)) } : {}),
        startMtime: first.startMtime,
        endMtime: last.endMtime,
      });
    }
    await rec.store.sync(); // the merged consoles are durable before a manifest names them
  } catch (e) {
    removeSegments(rec, written.flatMap((w) => (w ? [w.log] : [])));
    throw e;
  }
  const kept = new Set(merged.flatMap((s) => [s.snapshot, s.endState]));
  m.slices = merged;
  m.snapshots = m.snapshots.filter((s) => kept.has(s.root));
  writeManifest(rec.dir, m);
  const gc = await collectGarbage(rec);
  return { ...gc, slicesBefore: before, slicesAfter: merged.length };
}

/** A merged slice's segment, written, and what it holds. */
interface MergedSegment {
  log: string;
  events: number;
  logBytes: number;
  /** The consoles of its slices that have one (verified as read). */
  consoles: Uint8Array[];
}

/**
 * Writes one segment per group of two or more slices (undefined for a group
 * of one, which stays as it is). If any fails, every segment written here,
 * finished or not, is removed before the error goes on.
 */
async function writeMergedSegments(rec: Recording, groups: SliceEntry[][]): Promise<Array<MergedSegment | undefined>> {
  let open: SegmentWriter | undefined;
  const out: Array<MergedSegment | undefined> = [];
  try {
    for (const [i, group] of groups.entries()) {
      if (group.length === 1) {
        out.push(undefined);
        continue;
      }
      const first = group[0];
      const last = group[group.length - 1];
      const log = freeSegmentName(rec, `${first.startIcount}-${last.endIcount}`);
      const w = await SegmentWriter.create(join(rec.dir, log), { segmentIndex: i, startIcount: BigInt(first.startIcount) });
      open = w;
      let events = 0;
      const consoles: Uint8Array[] = [];
      for (const s of group) {
        if (s.console) consoles.push(await rec.store.get(s.console));
        // Through the recording's reader: a missing file or one that is not a regular file is one line naming it.
        const seg = readSegmentBytes(await rec.readFile(s.log), join(rec.dir, s.log));
        seg.events.forEach((e: LogEvent) => w.append(e));
        events += seg.events.length;
      }
      await w.close(BigInt(last.endIcount));
      open = undefined;
      out.push({ log, events, logBytes: w.bytesWritten, consoles });
    }
  } catch (e) {
    await open?.abort({ remove: true }).catch(() => {}); // its .partial
    removeSegments(rec, out.flatMap((w) => (w ? [w.log] : [])));
    throw e;
  }
  return out;
}

/**
 * `log/BASE.seg`, or `log/BASE-N.seg` where that is taken: a group whose first slice was merged
 * before and whose others are empty spans the same icounts, and its segment must not replace (or,
 * on a failure, remove) the one the manifest names.
 */
function freeSegmentName(rec: Recording, base: string): string {
  const named = new Set(rec.manifest.slices.map((s) => s.log));
  const free = (log: string) => !named.has(log) && !existsSync(join(rec.dir, log)) && !existsSync(join(rec.dir, `${log}.partial`));
  for (let n = 1; ; n++) {
    const log = n === 1 ? `log/${base}.seg` : `log/${base}-${n}.seg`;
    if (free(log)) return log;
  }
}

/** Removes merged segments no manifest names (a merge that failed); best effort, the failure is what is reported. */
function removeSegments(rec: Recording, logs: string[]): void {
  for (const log of logs) rmSync(join(rec.dir, log), { force: true });
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
