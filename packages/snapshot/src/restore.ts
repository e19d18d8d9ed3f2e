/**
 * Restoring a snapshot into a machine that has no writer: the RAM is filled
 * in place and meta and disk overlays are returned for the caller to load.
 * A machine that is restored again and again (a replay worker) should keep a
 * SnapshotWriter and use its jumpTo(), which writes only what differs.
 */
import type { ObjectReader } from './object-store.js';
import { restoreOnto, type ReadOptions, type RestoredSnapshot } from './restore-onto.js';
import type { Hash } from './schema.js';

export type { ReadOptions, RestoredDisk, RestoredSnapshot, RestoreStats } from './restore-onto.js';

export interface RestoreTarget {
  /** The machine's RAM, filled in place; its length must be the snapshot's RAM size. */
  ram: Uint8Array;
  /**
   * The RAM is all zero already (a machine just built): zero pages are not
   * written, and the parts of the tree over zero RAM are not read. Without it
   * the RAM is zeroed first. Wrong when the RAM is not zero.
   */
  zeroed?: boolean;
}

/**
 * Restores snapshot `root`: fills target.ram, returns meta and the disk
 * overlays, and the hashes a SnapshotWriter needs to continue from here
 * (SnapshotWriter.fromRestored). The caller loads the disks (CowDisk.restore)
 * and hands meta to its devices; RAM dirty marks left set only cost the next
 * capture a hash each.
 */
export function restoreSnapshot(root: Hash, store: ObjectReader, target: RestoreTarget, options: ReadOptions = {}): Promise<RestoredSnapshot> {
  return restoreOnto(root, store, { ram: target.ram }, target.zeroed ? 'zeroed' : 'anything', options);
}
