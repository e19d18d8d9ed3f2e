/**
 * The ends of `prnr record` other than a finished recording: a directory that
 * cannot take one (said before anything starts, hostfwd ports included), and
 * a failure while the guest ran, after which the recording stays marked
 * "recording" (readers see it as incomplete) and its closed slices replay and
 * verify as they are.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { DeviceModuleError } from '@prnr/devices';
import { MANIFEST_FILE } from '@prnr/recording';
import { UsageError } from '../usage-error.js';

/** Exit status of a recording cut short by a failure while the guest ran. */
export const EXIT_RECORDING_FAILED = 1;

/** Throws a UsageError unless `dir` is missing or an empty directory: where a recording can be made. */
export function checkNewRecordingDir(dir: string): void {
  let st;
  try {
    st = statSync(dir, { throwIfNoEntry: false });
  } catch {
    return; // not a place a recording can be made (under a file, say): the recorder says why, in its words
  }
  if (st === undefined) return;
  if (!st.isDirectory()) throw new UsageError(`-o ${dir} is a file: choose a new directory for the recording`);
  // The recorder's own words for it.
  if (readdirSync(dir).length > 0) throw new UsageError(`${dir} already exists and is not empty: choose a new directory for the recording`);
}

/** Slices in the recording's manifest as it stands on disk (0: none, or no manifest yet). */
export function closedSlices(dir: string): number {
  try {
    const m = JSON.parse(readFileSync(join(dir, MANIFEST_FILE), 'utf8')) as { slices?: unknown };
    return Array.isArray(m.slices) ? m.slices.length : 0;
  } catch {
    return 0;
  }
}

/** The one line naming a device module that failed while the guest ran (device, module, call, icount). */
export function reportDeviceFailure(e: DeviceModuleError): void {
  process.stderr.write(`\nprnr: ${e.message.replace(/\s*\n\s*/g, ' ')}\n`);
}

/**
 * Says what is left of a recording cut short, once the recorder has settled and released it
 * (RecordSession.settle): the slices in recording.json, which replay and verify. `cleanUp`
 * (failed-start.ts) removes the directory if nothing in it was ever closed.
 */
export function reportIncomplete(dir: string, cleanUp: () => boolean): void {
  const slices = closedSlices(dir);
  const removed = slices === 0 && cleanUp();
  process.stderr.write(
    slices === 0
      ? `prnr: the recording is incomplete: no slice was closed, nothing to replay${removed ? ` (${dir} removed)` : ''}\n`
      : `prnr: the recording is incomplete: ${slices} slice(s) closed in ${dir}, which replay and verify; the open one is lost\n`,
  );
}
