/**
 * Opens the recording a command was given. A path that is not a directory
 * at all is said as such ("does not exist", "is a file") before
 * @prnr/recording looks for recording.json in it, whose words would be about
 * the file inside ("recording.json is missing", "cannot read: ENOTDIR").
 */
import { statSync, type Stats } from 'node:fs';
import { openRecording, type OpenRecordingOptions, type Recording } from '@prnr/recording';
import type { RecordingLocation } from '@prnr/scheduler';
import { UsageError } from '../usage-error.js';

/** The option of the commands that replay a local recording: its own copies of device modules that are gone or changed. */
export const RECORDED_MODULES_OPTION = [
  '--use-recorded-modules',
  "a device module that is gone or changed since the recording: run the recording's own copy of it (code from the recording: only for one you trust)",
] as const;

export function openRecordingDir(dir: string, options?: OpenRecordingOptions): Recording {
  const st = statOrMissing(dir);
  if (st === undefined) throw new UsageError(`${dir} does not exist: give a recording directory (made by prnr record)`);
  if (!st.isDirectory()) throw new UsageError(`${dir} is a file, not a recording directory`);
  return openRecording(dir, options); // a refused device module with a copy in the recording names this option
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

/** Where replay threads and workers find `rec`: its directory, and whether its device modules may come from its own copies. */
export function localLocation(rec: Recording): RecordingLocation {
  return { dir: rec.dir, ...(rec.recordedModules ? { recordedModules: true } : {}) };
}
