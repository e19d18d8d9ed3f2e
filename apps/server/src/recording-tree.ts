/**
 * A recording's tree checked before a job reads it. Jobs read the recording
 * through @prnr/recording and @prnr/scheduler, which open paths as given and
 * so follow links; a link anywhere in the tree (log/, objects/ or a directory
 * of it, code-cache.bin) would hand a job files from outside the recordings
 * directory. So a job starts only on a tree of regular files and directories,
 * each seen as it is (readdir's types are lstat's: links are not followed).
 */
import { readdirSync, type Dirent } from 'node:fs';
import { join } from 'node:path';
import { HttpError } from './http-error.js';

/** Directories read between turns of the event loop (a recording of loose objects has up to 257). */
const DIRS_PER_TURN = 64;

/**
 * Throws a 422 naming the first entry under `dir` (the recording `name`'s real
 * directory) that is a symbolic link or neither a regular file nor a directory.
 */
export async function checkRecordingTree(dir: string, name: string): Promise<void> {
  const pending = [''];
  for (let read = 1; pending.length > 0; read++) {
    const rel = pending.shift()!;
    // In name order, so the entry named is the same every time.
    for (const e of entries(dir, rel, name).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const path = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) pending.push(path);
      else if (!e.isFile()) throw new HttpError(422, `recording "${name}": ${path} is ${kindOf(e)}: a job reads only regular files and directories, never through a link`);
    }
    if (read % DIRS_PER_TURN === 0) await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Synchronous, as regular-file.ts's checks: an asynchronous call per directory would wait a replay chunk each in the server's thread. */
function entries(dir: string, rel: string, name: string): Dirent[] {
  try {
    return readdirSync(join(dir, rel), { withFileTypes: true });
  } catch (e) {
    throw new HttpError(422, `recording "${name}": cannot read ${rel || 'its directory'} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

function kindOf(e: Dirent): string {
  if (e.isSymbolicLink()) return 'a symbolic link';
  if (e.isFIFO()) return 'a FIFO';
  if (e.isSocket()) return 'a socket';
  if (e.isBlockDevice() || e.isCharacterDevice()) return 'a device';
  return 'not a regular file';
}
