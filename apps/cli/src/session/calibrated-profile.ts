/**
 * The guest profile `prnr diagnose` attributes processes with: the one the
 * recording carries; else one calibrated from the recording itself (a replay
 * with the `task-layout` analysis, then calibrateTaskLayout), saved beside the
 * recording as guest-profile.json for the next run; or one the user gives.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { calibrateTaskLayout, taskLayoutFromProfile, type TaskObservations } from '@prnr/diagnosis';
import type { Recording } from '@prnr/recording';
import type { Executor } from '@prnr/scheduler';
import { UsageError } from '../usage-error.js';
import { replayWithProgress } from './replay-with-progress.js';

/** Where a calibrated profile is kept: in the recording's directory. */
export const CALIBRATED_PROFILE = 'guest-profile.json';

export type ProfileChoice =
  | { source: 'recording'; profile: undefined }
  | { source: 'file' | 'calibrated' | 'saved-calibration'; profile: unknown; file: string }
  | { source: 'none'; profile: undefined; reason: string };

export function readProfileFile(file: string): unknown {
  let p: unknown;
  try {
    p = JSON.parse(readFileSync(file, 'utf8')) as unknown;
  } catch (e) {
    throw new UsageError(`cannot read the guest profile ${file}: ${(e as Error).message.replace(/\s+/g, " ")}`);
  }
  const check = taskLayoutFromProfile(p);
  if (!check.ok) throw new UsageError(`${file}: ${check.reason}`);
  return p;
}

export async function chooseProfile(rec: Recording, executor: Executor, o: { profileFile?: string; recalibrate?: boolean; progress: boolean; say: (line: string) => void }): Promise<ProfileChoice> {
  if (o.profileFile !== undefined) return { source: 'file', profile: readProfileFile(o.profileFile), file: o.profileFile };
  if (rec.manifest.guestProfile !== undefined && !o.recalibrate) return { source: 'recording', profile: undefined };
  const saved = join(rec.dir, CALIBRATED_PROFILE);
  if (existsSync(saved) && !o.recalibrate) return { source: 'saved-calibration', profile: readProfileFile(saved), file: saved };
  o.say(o.recalibrate
    ? `prnr: --recalibrate: calibrating the task_struct layout from the recording itself (not using ${rec.manifest.guestProfile !== undefined ? "the recording's guest profile" : existsSync(saved) ? saved : 'any saved calibration'})`
    : 'prnr: the recording has no guest profile: calibrating the task_struct layout from the recording itself');
  const r = await replayWithProgress(rec, { executor, analyses: [{ kind: 'task-layout' }], progress: o.progress });
  const result = calibrateTaskLayout(r.analyses['task-layout'] as TaskObservations);
  if (!result.ok) return { source: 'none', profile: undefined, reason: result.reason };
  writeFileSync(saved, JSON.stringify(result.profile, null, 2) + '\n');
  o.say(`prnr: calibrated (${result.profile.calibration.confidence} confidence, ${result.profile.calibration.observations} observations): ${result.evidence.map((e) => `${e.field} at ${e.offset}`).join(', ')}; saved to ${saved}`);
  return { source: 'calibrated', profile: result.profile, file: saved };
}
