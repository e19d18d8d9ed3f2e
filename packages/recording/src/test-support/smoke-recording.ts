/**
 * A short recording of the default guest running the smoke workload, for
 * tests that need a real one on disk: `slices` slices of `sliceSteps`
 * instructions each, recorded with the host's clock and entropy.
 */
import { randomFillSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ScriptInput, guestBoard, loadGuestImages } from '@prnr/machine';
import { record } from '../recorder.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

export async function recordSmoke(dir: string, slices: number, sliceSteps: number): Promise<void> {
  const { config, images } = guestBoard(loadGuestImages(join(ROOT, 'guest/images')));
  const input = new ScriptInput(readFileSync(join(ROOT, 'guest/workloads/smoke.sh'), 'utf8'));
  await record({
    dir, config, images,
    inputs: { consoleInput: input, clock: { now: () => BigInt(Date.now()) * 1_000_000n }, entropy: { fill: (b) => void randomFillSync(b) } },
    output: { write: (b) => input.observe(b) },
    realtime: false, maxSteps: slices * sliceSteps, sliceSteps,
  });
}
