/**
 * The objects recording.json names besides its snapshots' trees: the base
 * disk images, the slices' consoles, the guest profile, the device modules.
 * What gc keeps and what verify reads back both start from here.
 */
import type { Hash } from '@prnr/snapshot';
import type { RecordingManifest, SliceEntry } from './manifest.js';

export type NamingManifest = Pick<RecordingManifest, 'disks' | 'guestProfile' | 'devicePlugins'>;

/** The recording-wide ones (every slice's restore or replay may need them). */
export function recordingObjects(m: NamingManifest): Hash[] {
  return [...Object.values(m.disks), ...(m.guestProfile ? [m.guestProfile] : []), ...(m.devicePlugins ?? []).flatMap((p) => (p.object ? [p.object] : []))];
}

/** The consoles of these slices. */
export function consoleObjects(slices: readonly SliceEntry[]): Hash[] {
  return slices.flatMap((s) => (s.console ? [s.console] : []));
}
