import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readManifest, writeManifest, RecordingError, type RecordingManifest } from './manifest.js';

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
    expect(() => readManifest(dirWith(JSON.stringify({ ...sample, slices: [{ ...sample.slices[0], snapshot: 'xyz' }] })))).toThrow(/slices\.0\.snapshot: must be a 64-digit hex hash/);
    expect(() => readManifest(dirWith(JSON.stringify({ ...sample, slices: [sample.slices[0], { ...sample.slices[1], startIcount: 101 }] })))).toThrow(/slice 1 does not start where slice 0 ends/);
    for (const e of [() => readManifest(dirWith('[]')), () => readManifest(dirWith('{"format": "prnr-recording", "version": 1}'))]) {
      expect(e).toThrow(RecordingError);
      try { e(); } catch (err) { expect((err as Error).message).not.toContain('\n'); }
    }
  });
});
