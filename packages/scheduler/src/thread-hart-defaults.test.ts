/**
 * Replay threads run their harts on their starter's engine: what setReplayThreadHartDefaults was
 * given when replayThreads started them (the apps set it from PRNR_ENGINE; the cpu package reads
 * no environment). Threads run built code: build @prnr/scheduler and @prnr/cpu first.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { replayThreads, setReplayThreadHartDefaults } from './worker-pool.js';

const dist = (pkg: string, file: string) => new URL(`../../${pkg}/dist/${file}`, import.meta.url).href;
const dir = mkdtempSync(join(tmpdir(), 'prnr-thread-engine-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// A thread entry that applies the defaults as the replay entries do, and reports its Hart's.
const entry = join(dir, 'report-engine.mjs');
writeFileSync(entry, `
import { applyReplayThreadHartDefaults } from ${JSON.stringify(dist('scheduler', 'index.js'))};
import { Hart } from ${JSON.stringify(dist('cpu', 'index.js'))};
applyReplayThreadHartDefaults();
export default () => ({ engine: Hart.defaultEngine, jitThreshold: Hart.defaultJitThreshold ?? null });
`);

async function threadDefaults(): Promise<unknown> {
  const pool = replayThreads(1, pathToFileURL(entry));
  try {
    return await pool.run(null);
  } finally {
    await pool.destroy();
  }
}

describe('replay threads take their starter\'s hart engine', () => {
  it('interp when set so, wasm (the cpu default) when nothing is set', async () => {
    try {
      setReplayThreadHartDefaults({ engine: 'interp', jitThreshold: 7 });
      expect(await threadDefaults()).toEqual({ engine: 'interp', jitThreshold: 7 });
      setReplayThreadHartDefaults({});
      expect(await threadDefaults()).toEqual({ engine: 'wasm', jitThreshold: null });
    } finally {
      setReplayThreadHartDefaults({});
    }
  });
});
