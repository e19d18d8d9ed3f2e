/**
 * The thread checkStoredSnapshotsInThread starts: it reads back a recording's
 * stored snapshots (check-snapshots.ts) and answers once. It lowers its own
 * priority first, so that the replay lanes beside it keep their cores.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { FsObjectStore, HELPER_NICE, niceThisThread } from '@prnr/snapshot';
import { checkStoredSnapshots, type StoredSliceProblem } from './check-snapshots.js';
import type { RecordingManifest } from './manifest.js';

export interface CheckRequest {
  dir: string;
  /** The caller's manifest, as it read it: both threads check the same slices. */
  manifest: RecordingManifest;
  slices: number[];
}

/** The problems found, or why the check itself could not run (the caller then runs it). */
export type CheckReply = { problems: StoredSliceProblem[] } | { failed: string };

if (parentPort) {
  const port = parentPort;
  const { dir, manifest, slices } = workerData as CheckRequest;
  niceThisThread(HELPER_NICE);
  const store = new FsObjectStore(dir, { packs: true });
  // The store is closed (its pack descriptors with it) before the answer; the thread then ends by itself.
  const answer = (reply: CheckReply) => store.close().catch(() => {}).then(() => port.postMessage(reply));
  checkStoredSnapshots({ manifest, store }, slices).then(
    (problems) => answer({ problems }),
    (e: Error) => answer({ failed: e.message }),
  );
}
