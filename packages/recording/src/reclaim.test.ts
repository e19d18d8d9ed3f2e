/**
 * gc and merge on a damaged recording: a damaged object or log stops a merge
 * with one line naming the file (and the offset), and a failed merge changes
 * nothing (manifest, segments, packs as they were); log segments that are not
 * regular files (a FIFO, a directory, a symbolic link) are refused at once,
 * naming the path. On a short recording of the default guest.
 */
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LogFormatError } from '@prnr/eventlog';
import { ObjectCorruptError } from '@prnr/snapshot';
import { RecordingError } from './manifest.js';
import { collectGarbage, mergeSlices } from './reclaim.js';
import { recordSmoke } from './test-support/smoke-recording.js';
import { openRecording, replaySlice } from './replayer.js';
import { loadEvents } from './replay-session.js';
import { makeFifo } from '@prnr/test-env/fifo';

const SLICES = 5;
const SLICE = 4_000_000;
const top = mkdtempSync(join(tmpdir(), 'prnr-reclaim-'));
const original = join(top, 'original.rec');
const stops: Array<() => void> = [];

beforeAll(() => recordSmoke(original, SLICES, SLICE), 600_000);
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
});
afterAll(() => rmSync(top, { recursive: true, force: true }));

let copies = 0;
/** A copy of the recording to damage. */
function copy(): string {
  const dir = join(top, `copy-${++copies}.rec`);
  cpSync(original, dir, { recursive: true });
  return dir;
}

/** Every file of a recording and its bytes (or what it is, if not a regular file): what "nothing changed" compares. */
function files(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const sub of ['', 'log', 'objects/pack']) {
    for (const name of readdirSync(join(dir, sub)).sort()) {
      const path = join(dir, sub, name);
      if (name === 'log' || name === 'objects' || name === 'pack') continue;
      const st = lstatSync(path);
      out.set(join(sub, name), st.isFile() ? readFileSync(path).toString('base64') : `mode ${st.mode}`);
    }
  }
  return out;
}

/** Flips one byte at `offset` of `file`. */
function flip(file: string, offset: number): void {
  const b = readFileSync(file);
  b[offset] ^= 0xff;
  writeFileSync(file, b);
}

describe('merge of a damaged recording', () => {
  it('a damaged object that the gc would copy: one line naming the pack and offset, nothing changed; a later gc works, and once repaired the merge does', async () => {
    const dir = copy();
    const rec = openRecording(dir, { replay: false });
    expect(rec.manifest.slices).toHaveLength(SLICES);
    // The base disk image: kept, and never read by the gc's walk of the snapshot trees, only copied.
    const disk = Object.values(rec.manifest.disks)[0];
    const at = rec.store.locate(disk)!;
    expect(at.file).toMatch(/objects\/pack\/pack-\d+\.pack$/);
    flip(at.file, at.offset + 200);
    const before = files(dir);
    const err = await mergeSlices(openRecording(dir, { replay: false }), 2).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ObjectCorruptError);
    expect((err as Error).message).toBe(`object ${disk} in ${at.file} at offset ${at.offset - 48} is corrupt: body checksum mismatch (bytes 48..${48 + at.length} of the entry)`);
    expect(files(dir)).toEqual(before); // no merged segment, no new pack, the manifest as it was
    expect((await collectGarbage(openRecording(dir, { replay: false }))).segmentsRemoved).toEqual([]);
    expect(files(dir)).toEqual(before);
    flip(at.file, at.offset + 200);
    const merged = await mergeSlices(openRecording(dir, { replay: false }), 2);
    expect(merged).toMatchObject({ slicesBefore: SLICES, slicesAfter: Math.ceil(SLICES / 2) });
    expect(merged.objectsRemoved).toBeGreaterThan(0);
    const after = openRecording(dir);
    expect((await replaySlice(after, 1)).verified).toBe(true);
  });

  it('a damaged log segment: the error names it, and no merged segment (finished or .partial) is left', async () => {
    const dir = copy();
    const rec = openRecording(dir, { replay: false });
    const third = join(dir, rec.manifest.slices[2].log);
    flip(third, readFileSync(third).length - 3); // the end block: slices 0-1 merge first, then this fails
    const before = files(dir);
    const err = await mergeSlices(rec, 2).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LogFormatError);
    expect((err as Error).message).toContain(third);
    expect(files(dir)).toEqual(before);
  });

  it('a missing log segment: one line naming it, and nothing left', async () => {
    const dir = copy();
    const rec = openRecording(dir, { replay: false });
    const fourth = join(dir, rec.manifest.slices[3].log);
    rmSync(fourth);
    const before = files(dir);
    await expect(mergeSlices(rec, 2)).rejects.toThrow(new RecordingError(`${fourth} is missing (recording.json names it)`));
    expect(files(dir)).toEqual(before);
  });
});

describe('log segments that are not regular files', () => {
  const kinds: Array<[kind: string, make: (path: string) => void]> = [
    ['a FIFO', (path) => stops.push(makeFifo(path).stop)],
    ['a directory', (path) => mkdirSync(path)],
    ['a symbolic link', (path) => symlinkSync(join(original, 'log', path.split('/').pop()!), path)],
  ];

  it.each(kinds)('%s: refused at once in one line naming the path, by a replay and by a merge (nothing left)', async (kind, make) => {
    const dir = copy();
    const rec = openRecording(dir);
    const slice = rec.manifest.slices[1];
    const path = join(dir, slice.log);
    rmSync(path);
    make(path);
    const line = `${path} is ${kind}, not a regular file`;
    await expect(rec.readFile(slice.log)).rejects.toThrow(new RecordingError(line));
    await expect(loadEvents(rec, slice)).rejects.toThrow(line);
    const before = files(dir);
    await expect(mergeSlices(openRecording(dir, { replay: false }), 2)).rejects.toThrow(new RecordingError(line));
    expect(files(dir)).toEqual(before);
  });
});

describe('gc and what else is in log/', () => {
  it('removes stray segments (a crashed recorder\'s .partial, an unnamed .seg) and leaves everything else there, naming it', async () => {
    const dir = copy();
    const log = join(dir, 'log');
    writeFileSync(join(log, '000099.seg.partial'), 'cut short');
    writeFileSync(join(log, '12-34.seg'), 'merged once, named no more');
    writeFileSync(join(log, 'notes.txt'), 'the user\'s own');
    writeFileSync(join(log, 'backup.seg'), 'a user\'s copy, not a name a recorder gives');
    mkdirSync(join(log, 'old'));
    writeFileSync(join(log, 'old', '000001.seg'), 'kept under a folder');
    symlinkSync(join(original, 'log', '000000.seg'), join(log, '000098.seg'));
    const r = await collectGarbage(openRecording(dir, { replay: false }));
    expect(r.segmentsRemoved.sort()).toEqual(['log/000099.seg.partial', 'log/12-34.seg']);
    expect(r.leftAlone.sort()).toEqual(['log/000098.seg', 'log/backup.seg', 'log/notes.txt', 'log/old']);
    expect(readFileSync(join(log, 'notes.txt'), 'utf8')).toBe('the user\'s own');
    expect(readFileSync(join(log, 'old', '000001.seg'), 'utf8')).toBe('kept under a folder');
    expect(lstatSync(join(log, '000098.seg')).isSymbolicLink()).toBe(true); // a segment's name, but a link: not the recorder's
    expect((await replaySlice(openRecording(dir), 0)).verified).toBe(true);
  });
});

describe('a merged segment\'s name', () => {
  it('is never one a file already has (a stray of an earlier merge): the merge takes another, the stray goes with the gc, and the recording verifies', async () => {
    const dir = copy();
    const rec = openRecording(dir, { replay: false });
    const [a, b] = rec.manifest.slices;
    const stray = join(dir, 'log', `${a.startIcount}-${b.endIcount}.seg`);
    writeFileSync(stray, 'an earlier merge\'s, which no manifest names');
    const r = await mergeSlices(rec, 2);
    const merged = openRecording(dir);
    expect(merged.manifest.slices[0].log).toBe(`log/${a.startIcount}-${b.endIcount}-2.seg`);
    expect(r.segmentsRemoved).toContain(`log/${a.startIcount}-${b.endIcount}.seg`);
    expect(existsSync(stray)).toBe(false);
    expect((await replaySlice(merged, 0)).verified).toBe(true);
  });
});
