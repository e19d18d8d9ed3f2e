/**
 * Opens the recording a command was given. A path that is not a directory
 * at all is said as such ("does not exist", "is a file") before
 * @prnr/recording looks for recording.json in it, whose words would be about
 * the file inside ("recording.json is missing", "cannot read: ENOTDIR").
 */
import { statSync, type Stats } from 'node:fs';
import { openRecording, type OpenRecordingOptions, type Recording } from '@prnr/recording';
import { UsageError } from '../usage-error.js';

export function openRecordingDir(dir: string, options?: OpenRecordingOptions): Recording {
  const st = statOrMissing(dir);
  if (st === undefined) throw new UsageError(`${dir} does not exist: give a recording directory (made by prnr record)`);
  if (!st.isDirectory()) throw new UsageError(`${dir} is a file, not a recording directory`);
  return openRecording(dir, options);
}

/** The path's stat; undefined where nothing is there, a file on the way included (ENOTDIR). */
function statOrMissing(path: string): Stats | undefined {
  try {
    return statSync(path, { throwIfNoEntry: false });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw e;
  }
}
