/** A short recording of the default guest for tests: boot under the smoke workload, cut into small slices. */
import { randomFillSync } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ScriptInput, guestBoard, loadGuestImages } from '@prnr/machine';
import { record } from '@prnr/recording';

export const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

export async function shortRecording(o: { steps: number; sliceSteps: number; checkpointInterval?: number }): Promise<string> {
  const dir = join(mkdtempSync(join(tmpdir(), 'prnr-sched-')), 'short.rec');
  const { config, images } = guestBoard(loadGuestImages(join(ROOT, 'guest/images')));
  const input = new ScriptInput(readFileSync(join(ROOT, 'guest/workloads/smoke.sh'), 'utf8'));
  await record({
    dir,
    config,
    images,
    inputs: { consoleInput: input, clock: { now: () => BigInt(Date.now()) * 1_000_000n }, entropy: { fill: (b) => void randomFillSync(b) } },
    output: { write: (b) => input.observe(b) },
    realtime: false,
    maxSteps: o.steps,
    sliceSteps: o.sliceSteps,
    checkpointInterval: o.checkpointInterval,
  });
  return dir;
}

/** Physical address of a kernel symbol from the guest profile (the kernel is linked at 0xffffffff80000000, loaded at 0x80200000). */
export function kernelSymbolPhys(name: string): number {
  const profile = JSON.parse(readFileSync(join(ROOT, 'guest/images/profile.json'), 'utf8')) as { symbols: Record<string, string> };
  const v = BigInt(profile.symbols[name]);
  return Number(v - 0xffffffff80000000n + 0x80200000n);
}
