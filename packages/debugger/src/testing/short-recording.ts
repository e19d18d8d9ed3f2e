/** A short recording of the default guest for the debugger's tests, and kernel symbols from its System.map. */
import { randomFillSync } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ScriptInput, guestBoard, loadGuestImages } from '@prnr/machine';
import { record } from '@prnr/recording';
import { readSystemMap } from '../symbol-file.js';

export const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/** Boots the default guest under the smoke workload for `steps` instructions. */
export async function shortRecording(o: { steps: number; sliceSteps: number; checkpointInterval?: number }): Promise<string> {
  const dir = join(mkdtempSync(join(tmpdir(), 'prnr-debugger-')), 'short.rec');
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

let symbols: Map<string, bigint> | undefined;

/** A kernel symbol's (virtual) address, from the default guest's System.map. */
export function kernelSymbol(name: string): bigint {
  symbols ??= new Map(readSystemMap(join(ROOT, 'guest/images/System.map.zst')).map((s) => [s.name, s.address]));
  const a = symbols.get(name);
  if (a === undefined) throw new Error(`no symbol ${name} in the default guest's System.map`);
  return a;
}

/** The kernel is linked at 0xffffffff80000000 and loaded at 0x80200000. */
export function kernelPhys(name: string): number {
  return Number(kernelSymbol(name) - 0xffffffff80000000n + 0x80200000n);
}
