/**
 * A recording that fails before its first slice is closed (a kernel that
 * does not fit the RAM asked for, a device the board refuses) holds nothing
 * to replay, yet its directory would make the next try fail ("already
 * exists and is not empty"). `record` and `demo` remove it then: only a
 * directory the command made (or found empty), and only while it holds
 * nothing but what a recorder's start writes. Anything else stays as it is.
 */
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { assertNotBeingRecorded } from '@prnr/recording';

/** What a recorder writes before its first slice closes (@prnr/recording's recorder, manifest, lock, code cache). */
const START_FILES = new Set(['log', 'objects', 'recording.json', 'recording.json.tmp', 'recording.lock', 'code-cache.bin', 'code-cache.bin.partial']);
/** The first slice's log while it is open; once closed it is 000000.seg, and the recording is kept. */
const FIRST_OPEN_SEGMENT = '000000.seg.partial';

/**
 * Looks at `dir` before a recording into it starts; the function returned, called once that
 * recording has failed, removes what its start left and says whether it did.
 */
export function failedStartCleanup(dir: string): () => boolean {
  let made: boolean;
  let wasEmpty: boolean;
  try {
    const before = statSync(dir, { throwIfNoEntry: false });
    made = before === undefined;
    wasEmpty = before?.isDirectory() === true && readdirSync(dir).length === 0;
  } catch {
    return () => false; // not a place a recording can be made (under a file, say): the recorder says why
  }
  return () => {
    if (!(made || wasEmpty) || !onlyAStart(dir)) return false;
    // maxRetries: the recorder's store worker is being stopped, and may finish a file meanwhile.
    if (made) rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
    else for (const name of readdirSync(dir)) rmSync(join(dir, name), { recursive: true, force: true, maxRetries: 5 });
    return true;
  };
}

/** `dir` holds only what a recorder's start writes: no closed slice, no other file. */
function onlyAStart(dir: string): boolean {
  try {
    if (!statSync(dir).isDirectory() || !readdirSync(dir).every((n) => START_FILES.has(n))) return false;
    // Another recorder that made it first and is starting there (this one's lock is gone by now).
    assertNotBeingRecorded(dir);
    const log = join(dir, 'log');
    if (existsSync(log) && !readdirSync(log).every((n) => n === FIRST_OPEN_SEGMENT)) return false;
    const manifest = join(dir, 'recording.json');
    if (!existsSync(manifest)) return true;
    const slices = (JSON.parse(readFileSync(manifest, 'utf8')) as { slices?: unknown }).slices;
    return Array.isArray(slices) && slices.length === 0;
  } catch {
    return false; // what cannot be read is not removed
  }
}
