/**
 * The code cache is a hint: a recording whose code-cache.bin could not be
 * written (a full disk at its last piece) is still complete, and says so in
 * one warning line instead of failing as if the recording were lost.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { ScriptInput, guestBoard, loadGuestImages } from '@prnr/machine';
import { CodeCacheWriter } from './code-cache-file.js';
import { readManifest } from './manifest.js';
import { record } from './recorder.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'prnr-ccfail-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

describe('a code cache that cannot be written', () => {
  it('leaves the recording complete, with one warning that names the file', async () => {
    vi.spyOn(CodeCacheWriter.prototype, 'close').mockRejectedValue(new Error('ENOSPC: no space left on device, write'));
    const { config, images } = guestBoard(loadGuestImages(join(ROOT, 'guest/images')));
    const dir = join(tmp, 'r.rec');
    const warnings: string[] = [];
    const r = await record({
      dir,
      config,
      images,
      inputs: { consoleInput: new ScriptInput(''), clock: { now: () => 0n }, entropy: { fill: (b) => void b.fill(7) } },
      output: { write: () => {} },
      realtime: false,
      sliceSteps: 2_000_000,
      maxSteps: 5_000_000,
      onWarning: (l) => void warnings.push(l),
    });
    expect(r.manifest.status).toBe('complete');
    expect(readManifest(dir).status).toBe('complete');
    expect(readManifest(dir).slices.length).toBeGreaterThanOrEqual(2);
    expect(warnings).toEqual([`${join(dir, 'code-cache.bin')} was not written (ENOSPC: no space left on device, write): replays translate code afresh`]);
  }, 120_000);
});
