/**
 * Recordings keep the hart behaviour version they were made with (the board config's
 * `hartVersion`; @prnr/cpu's HART_BEHAVIOUR_VERSION). One made before the field existed (no
 * hartVersion: version 1, sstatus reads showing SXL) replays on a version-1 hart and verifies; the
 * same recording replayed on the current hart does not, because Linux saves sstatus in memory on
 * every trap. A new recording names the current version and verifies too.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CSR, HART_BEHAVIOUR_VERSION, peekCsr } from '@prnr/cpu';
import { ScriptInput, guestBoard, loadGuestImages } from '@prnr/machine';
import type { BoardConfig } from '@prnr/devices';
import { record } from './recorder.js';
import { openRecording, replayConsecutive, type Recording } from './replayer.js';
import { ReplaySession } from './replay-session.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const STEPS = 12_000_000;
const SLICE = 4_000_000;
const SXL = 3n << 34n;
let base: string;

/** The default guest under the smoke workload, its inputs fixed; `hartVersion` undefined: a config without the field. */
async function recordWith(name: string, hartVersion: number | undefined): Promise<Recording> {
  const dir = join(base, name);
  const { config: current, images } = guestBoard(loadGuestImages(join(ROOT, 'guest/images')));
  const { hartVersion: _, ...rest } = current;
  const config: BoardConfig = hartVersion === undefined ? rest : { ...rest, hartVersion };
  const input = new ScriptInput(readFileSync(join(ROOT, 'guest/workloads/smoke.sh'), 'utf8'));
  await record({
    dir, config, images,
    inputs: { consoleInput: input, clock: { now: () => 1_764_000_000_000_000_000n }, entropy: { fill: (b) => void b.fill(7) } },
    output: { write: (b) => input.observe(b) },
    realtime: false, maxSteps: STEPS, sliceSteps: SLICE, checkpointInterval: 500_000,
  });
  return openRecording(dir);
}

let old: Recording;
let current: Recording;
beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), 'prnr-hart-version-'));
  old = await recordWith('old.rec', undefined);
  current = await recordWith('current.rec', HART_BEHAVIOUR_VERSION);
}, 600_000);
afterAll(() => rmSync(base, { recursive: true, force: true }));

/** The replay's hart, and its sstatus bits 35:34, at the end of the recording. */
async function hartAtEnd(rec: Recording): Promise<{ version: number; sxl: bigint }> {
  const s = new ReplaySession(rec);
  await s.seek(STEPS - 1);
  const hart = s.machine!.hart;
  return { version: hart.behaviourVersion, sxl: peekCsr(hart, CSR.sstatus)! & SXL };
}

describe('hart behaviour versions of recordings', () => {
  it('a recording without hartVersion replays on a version-1 hart (sstatus shows SXL) and verifies', async () => {
    expect(old.manifest.board.hartVersion).toBeUndefined();
    expect(old.manifest.slices.length).toBe(STEPS / SLICE);
    const results = await replayConsecutive(old, 0, old.manifest.slices.length - 1);
    expect(results.map((r) => r.verified)).toEqual(old.manifest.slices.map(() => true));
    expect(await hartAtEnd(old)).toEqual({ version: 1, sxl: 2n << 34n });
  }, 300_000);

  it('a new recording names the current version, replays on it (sstatus bits 35:34 clear) and verifies', async () => {
    expect(current.manifest.board.hartVersion).toBe(2);
    const results = await replayConsecutive(current, 0, current.manifest.slices.length - 1);
    expect(results.map((r) => r.verified)).toEqual(current.manifest.slices.map(() => true));
    expect(await hartAtEnd(current)).toEqual({ version: 2, sxl: 0n });
    // The same inputs, another hart: the guest's memory differs (sstatus saved in pt_regs).
    expect(current.manifest.slices.at(-1)!.endState).not.toBe(old.manifest.slices.at(-1)!.endState);
  }, 300_000);

  it('the old recording replayed on the current hart does not verify: the version is what keeps it', async () => {
    const wrong: Recording = { ...old, manifest: { ...old.manifest, board: { ...old.manifest.board, hartVersion: HART_BEHAVIOUR_VERSION } } };
    const results = await replayConsecutive(wrong, 0, old.manifest.slices.length - 1);
    expect(results.at(-1)!.verified).toBe(false);
    expect(results.at(-1)!.divergence).not.toBeNull();
  }, 300_000);
});
