/** The recorder's lock: gc and merge refuse a recording a live recorder still writes; a dead recorder's lock is ignored. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LOCK_FILE, acquireRecordingLock, assertNotBeingRecorded } from './recording-lock.js';
import { collectGarbage, mergeSlices } from './reclaim.js';
import type { Recording } from './replayer.js';

const dir = mkdtempSync(join(tmpdir(), 'prnr-lock-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const fake = { dir, manifest: { slices: [], status: 'recording' } } as unknown as Recording;

describe('the recording lock', () => {
  it('held by this live process: gc and merge refuse in one line, and work again once it is released', async () => {
    const release = acquireRecordingLock(dir);
    expect(existsSync(join(dir, LOCK_FILE))).toBe(true);
    await expect(collectGarbage(fake)).rejects.toThrow(`is still being recorded by process ${process.pid}`);
    await expect(mergeSlices(fake, 2)).rejects.toThrow(/merge must wait until it finishes/);
    expect(() => acquireRecordingLock(dir)).toThrow(/still being recorded/);
    release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    expect(() => assertNotBeingRecorded(dir)).not.toThrow();
  });

  it('left by a recorder that died: ignored', () => {
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const pid = Number(dead.stdout);
    expect(pid).toBeGreaterThan(0);
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid, host: hostname(), since: 'then' }));
    expect(() => assertNotBeingRecorded(dir)).not.toThrow();
    const release = acquireRecordingLock(dir); // takes over the stale lock
    release();
  });

  it('held on another host: refused, naming the host and the way out', () => {
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: 1, host: 'elsewhere.example', since: 'then' }));
    expect(() => assertNotBeingRecorded(dir, 'gc')).toThrow(`is being recorded by process 1 on elsewhere.example (since then): gc must wait until it finishes (or delete ${LOCK_FILE} if that recorder is gone)`);
    rmSync(join(dir, LOCK_FILE));
  });
});
