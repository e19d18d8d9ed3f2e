/**
 * Recordings of the default guest for the server's tests: a short boot, or a
 * whole run of a small script (boot, the script, poweroff), cut into slices.
 */
import { randomFillSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ScriptInput, guestBoard, loadGuestImages } from '@prnr/machine';
import { record } from '@prnr/recording';

export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
/** The default guest's profile, which its recordings carry. */
export const GUEST_PROFILE = join(REPO_ROOT, 'guest/images/profile.json');

/** Fails with `cat` (ENOENT, exit 1): the anomaly a diagnosis finds. */
export const FAILING_SCRIPT = 'cat /nonexistent\necho time-travel-marker\npoweroff -f\n';

/**
 * `objectLayout` defaults to 'loose', one file per object: the tests that damage or remove single objects, and the
 * uploads of recordings made before packs, need it. A recording in packs: 'packs'. `profile: false`: a recording that
 * carries no guest profile (the server's fallback, profilePath, then names its processes).
 */
export async function recordFixture(o: { dir: string; script?: string; steps: number; sliceSteps: number; checkpointInterval?: number; objectLayout?: 'packs' | 'loose'; profile?: boolean }): Promise<string> {
  const { config, images } = guestBoard(loadGuestImages(join(REPO_ROOT, 'guest/images')));
  const input = new ScriptInput(o.script ?? 'poweroff -f\n');
  await record({
    dir: o.dir,
    config,
    images,
    inputs: { consoleInput: input, clock: { now: () => 1_764_000_000_000_000_000n }, entropy: { fill: (b) => void randomFillSync(b) } },
    output: { write: (b) => input.observe(b) },
    realtime: false,
    maxSteps: o.steps,
    sliceSteps: o.sliceSteps,
    objectLayout: o.objectLayout ?? 'loose',
    checkpointInterval: o.checkpointInterval ?? 2_000_000,
    ...(o.profile === false ? {} : { profile: JSON.parse(readFileSync(GUEST_PROFILE, 'utf8')) as unknown }),
  });
  return o.dir;
}
