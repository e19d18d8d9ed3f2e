/**
 * Recording format versions: a recorder writes version 2 (objects in packs);
 * a version-1 recording (one file per object, the layout before packs) still
 * replays, every slice to its recorded end state; a version this prnr does
 * not know is refused in one line that names the versions.
 *
 * The version-1 recording is built here from a fresh one: its log and
 * manifest copied, every object written as a file of its own by the loose
 * layout's writer, the packs left out, the version set to 1.
 */
import { randomFillSync } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScriptInput, guestBoard, loadGuestImages } from '@prnr/machine';
import { FsObjectStore } from '@prnr/snapshot';
import { MANIFEST_FILE, RECORDING_FORMAT_VERSION, RecordingError, manifestText, type RecordingManifest } from './manifest.js';
import { record, type RecordResult } from './recorder.js';
import { openRecording, replaySlice } from './replayer.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

describe('recording format versions', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'prnr-format-'));
  const packed = join(tmp, 'packed.rec');
  const old = join(tmp, 'old.rec');
  let recorded: RecordResult;

  beforeAll(async () => {
    const { config, images } = guestBoard(loadGuestImages(join(ROOT, 'guest/images')));
    const script = new ScriptInput(readFileSync(join(ROOT, 'guest/workloads/smoke.sh'), 'utf8'));
    recorded = await record({
      dir: packed,
      config,
      images,
      inputs: { consoleInput: script, clock: { now: () => BigInt(Date.now()) * 1_000_000n }, entropy: { fill: (b) => void randomFillSync(b) } },
      output: { write: (b) => script.observe(b) },
      realtime: false,
      sliceSteps: 20_000_000,
      maxSteps: 60_000_000,
    });
    // The same recording in the layout before packs.
    cpSync(packed, old, { recursive: true, filter: (src) => !src.startsWith(join(packed, 'objects')) });
    const from = new FsObjectStore(packed);
    const to = new FsObjectStore(old, { packs: false });
    for await (const h of from.list()) await to.putHashed(h, await from.get(h));
    await to.sync();
    const manifest = JSON.parse(readFileSync(join(old, MANIFEST_FILE), 'utf8')) as { version: number };
    manifest.version = 1;
    writeFileSync(join(old, MANIFEST_FILE), manifestText(manifest as RecordingManifest)); // its checksum made again
  }, 600_000);

  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('a new recording is version 2, its objects in a pack', () => {
    expect(RECORDING_FORMAT_VERSION).toBe(2);
    expect(recorded.manifest.version).toBe(2);
    expect(recorded.manifest.slices.length).toBe(3);
    expect(readdirSync(join(packed, 'objects', 'pack')).filter((n) => n.endsWith('.pack')).length).toBeGreaterThanOrEqual(1);
    expect(readdirSync(join(packed, 'objects')).filter((n) => /^[0-9a-f]{2}$/.test(n))).toEqual([]);
  });

  it('a version-1 recording (one file per object, no pack) replays every slice to its recorded end state', async () => {
    expect(existsSync(join(old, 'objects', 'pack'))).toBe(false);
    const rec = openRecording(old);
    expect(rec.manifest.version).toBe(1);
    expect((await rec.store.fileCount()).loose).toBeGreaterThan(100);
    for (const s of rec.manifest.slices) {
      const r = await replaySlice(rec, s.index);
      expect(r.divergence).toBeNull();
      expect(r.endState).toBe(recorded.manifest.slices[s.index].endState);
      expect(r.verified).toBe(true);
    }
  }, 600_000);

  it('a version this prnr does not know is refused in one line naming the versions', () => {
    const future = join(tmp, 'future.rec');
    cpSync(packed, future, { recursive: true });
    const manifest = JSON.parse(readFileSync(join(future, MANIFEST_FILE), 'utf8')) as { version: number };
    manifest.version = 3;
    writeFileSync(join(future, MANIFEST_FILE), JSON.stringify(manifest));
    expect(() => openRecording(future)).toThrow(RecordingError);
    expect(() => openRecording(future)).toThrow(
      new RecordingError(`${join(future, MANIFEST_FILE)}: recording format version 3 is not supported (this prnr reads versions 1 and 2)`),
    );
  });
});
