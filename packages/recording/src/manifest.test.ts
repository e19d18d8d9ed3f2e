import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HART_BEHAVIOUR_VERSION } from '@prnr/cpu';
import { manifestText, readManifest, writeManifest, RecordingError, type RecordingManifest } from './manifest.js';

const H = 'a'.repeat(64);
const sample: RecordingManifest = {
  format: 'prnr-recording',
  version: 1,
  status: 'complete',
  createdAt: '2026-11-25T00:00:00.000Z',
  board: { version: 1, board: 'virt', ramSize: 1 << 20, cmdline: 'console=ttyS0', devices: [{ kind: 'clint' }], stepsPerTick: 10, serviceQuantum: 100000, images: { firmware: 'f', kernel: 'k' } },
  deviceVersions: [{ kind: 'clint', version: 1 }],
  disks: {},
  checkpointInterval: 1000,
  slices: [
    { index: 0, startIcount: 0, endIcount: 100, snapshot: H, log: 'log/000000.seg', endState: 'b'.repeat(64), events: 1, logBytes: 80, startMtime: 0, endMtime: 10 },
    { index: 1, startIcount: 100, endIcount: 250, snapshot: 'b'.repeat(64), log: 'log/000001.seg', endState: 'c'.repeat(64), events: 0, logBytes: 60, startMtime: 10, endMtime: 25 },
  ],
  snapshots: [],
};

function dirWith(text: string): string {
  const d = mkdtempSync(join(tmpdir(), 'prnr-manifest-'));
  writeFileSync(join(d, 'recording.json'), text);
  return d;
}

describe('recording.json', () => {
  it('round-trips, atomically replaced', () => {
    const d = mkdtempSync(join(tmpdir(), 'prnr-manifest-'));
    writeManifest(d, sample);
    expect(readManifest(d)).toEqual(sample);
    writeManifest(d, { ...sample, status: 'recording' });
    expect(readManifest(d).status).toBe('recording');
    expect(JSON.parse(readFileSync(join(d, 'recording.json'), 'utf8')).status).toBe('recording');
  });

  it('says what is wrong, in one line naming the file', () => {
    const empty = mkdtempSync(join(tmpdir(), 'prnr-manifest-'));
    expect(() => readManifest(empty)).toThrow(new RecordingError(`${empty} is not a prnr recording: recording.json is missing`));
    expect(() => readManifest(dirWith('{"format": "prnr-rec'))).toThrow(/recording\.json: not valid JSON/);
    expect(() => readManifest(dirWith(JSON.stringify({ ...sample, version: 3 })))).toThrow(/recording format version 3 is not supported \(this prnr reads versions 1 and 2\)/);
    // Version 1 (one file per object, before packs) is still read.
    expect(readManifest(dirWith(JSON.stringify({ ...sample, version: 1 }))).version).toBe(1);
    expect(readManifest(dirWith(JSON.stringify({ ...sample, version: 2 }))).version).toBe(2);
    // A hart newer than this prnr's: refused once, here, in one line (an absent version is 1, the oldest).
    expect(() => readManifest(dirWith(JSON.stringify({ ...sample, board: { ...sample.board, hartVersion: HART_BEHAVIOUR_VERSION + 1 } }))))
      .toThrow(`recording.json: recorded with hart behaviour version ${HART_BEHAVIOUR_VERSION + 1}, newer than this prnr's (${HART_BEHAVIOUR_VERSION}): replay it with a newer prnr`);
    expect(readManifest(dirWith(JSON.stringify({ ...sample, board: { ...sample.board, hartVersion: HART_BEHAVIOUR_VERSION } }))).board.hartVersion).toBe(HART_BEHAVIOUR_VERSION);
    expect(() => readManifest(dirWith(JSON.stringify({ ...sample, slices: [{ ...sample.slices[0], snapshot: 'xyz' }] })))).toThrow(/slices\.0\.snapshot: must be a 64-digit hex hash/);
    expect(() => readManifest(dirWith(JSON.stringify({ ...sample, slices: [sample.slices[0], { ...sample.slices[1], startIcount: 101 }] })))).toThrow(/slice 1 does not start where slice 0 ends/);
    const fifo = mkdtempSync(join(tmpdir(), 'prnr-manifest-'));
    execFileSync('mkfifo', [join(fifo, 'recording.json')]);
    expect(() => readManifest(fifo)).toThrow(new RecordingError(`${join(fifo, 'recording.json')} is a FIFO, not a regular file`));
    expect(() => readManifest(dirWith(JSON.stringify({ ...sample, slices: [sample.slices[0], { ...sample.slices[1], snapshot: 'd'.repeat(64) }] })))).toThrow(`slice 1 starts from snapshot ${'d'.repeat(64)}, not from slice 0's end state ${'b'.repeat(64)}`);
    for (const e of [() => readManifest(dirWith('[]')), () => readManifest(dirWith('{"format": "prnr-recording", "version": 1}'))]) {
      expect(e).toThrow(RecordingError);
      try { e(); } catch (err) { expect((err as Error).message).not.toContain('\n'); }
    }
  });
});

describe("recording.json's checksum", () => {
  const written = () => {
    const d = mkdtempSync(join(tmpdir(), 'prnr-manifest-'));
    writeManifest(d, sample);
    return { d, text: readFileSync(join(d, 'recording.json'), 'utf8') };
  };
  it('is the last field, the SHA-256 of the rest as written, and is checked and dropped on reading', () => {
    const { d, text } = written();
    const m = /,\n {2}"checksum": "sha256:([0-9a-f]{64})"\n\}\n$/.exec(text);
    expect(m).not.toBeNull();
    // Independently: the hash of the file without that field is the same as Node's of sample's JSON.
    expect(m![1]).toBe(createHash('sha256').update(JSON.stringify(sample, null, 2)).digest('hex'));
    expect(readManifest(d)).toEqual(sample);
    expect(manifestText(readManifest(d))).toBe(text);
  });
  it('a changed byte is reported as damage to recording.json, before anything it says is used', () => {
    const { text } = written();
    const flips: Array<[string, string]> = [
      ['"endIcount": 250', '"endIcount": 251'], // a number that would pass the schema and the slice checks
      [`"endState": "${'c'.repeat(64)}"`, `"endState": "${'c'.repeat(63)}d"`], // a hash: replay would call it a divergence
      ['"kind": "clint"', '"kind": "clinu"'],
    ];
    for (const [from, to] of flips) {
      const dir = dirWith(text.replace(from, to));
      expect(() => readManifest(dir), to).toThrow(new RecordingError(`${join(dir, 'recording.json')}: damaged: its content does not match its checksum (a byte changed after prnr wrote it)`));
    }
    expect(() => readManifest(dirWith(text.replace(/"sha256:[0-9a-f]{64}"/, '"sha256:xyz"')))).toThrow(/damaged: its checksum field is not "sha256:" and 64 hex digits/);
    // A future version is still refused by its version first.
    expect(() => readManifest(dirWith(text.replace('"version": 1', '"version": 3')))).toThrow(/recording format version 3 is not supported/);
  });
  it('re-indenting keeps it valid; a manifest without one (made before it) is read as it is', () => {
    const { text } = written();
    expect(readManifest(dirWith(JSON.stringify(JSON.parse(text))))).toEqual(sample);
    expect(readManifest(dirWith(JSON.stringify(sample)))).toEqual(sample);
  });
});
