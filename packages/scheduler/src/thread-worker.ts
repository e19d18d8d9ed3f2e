/**
 * Entry of a replay worker thread (piscina). A thread runs replay tasks
 * (progress over the port it is given), gets ready for a recording ahead of
 * its tasks, or answers seeks: it keeps one Seeker per recording, so seeks
 * stay warm and off the caller's thread.
 */
import type { MessagePort } from 'node:worker_threads';
import { chunkSlices, sliceCost } from './planner.js';
import { Seeker, type SeekOptions, type SeekResult } from './seek.js';
import { SliceClaims } from './slice-claims.js';
import { openSource, runTask, warmUp, type RecordingLocation, type ReplayTask, type TaskResult } from './task.js';
import { applyReplayThreadHartDefaults } from './thread-hart-defaults.js';
import { traceReplay } from './trace.js';

applyReplayThreadHartDefaults();
traceReplay('thread-loaded');

export type ThreadMessage =
  | { task: ReplayTask; port: MessagePort; claims?: BigInt64Array }
  /**
   * lane of lanes: the lane this thread will most likely run of a replay of every slice on that many
   * lanes; its first slice is restored ahead (planner.ts cuts the same chunks).
   */
  | { warm: RecordingLocation; modules: string[]; lane?: { index: number; of: number } }
  | { seek: RecordingLocation; icount: number; memory?: SeekOptions['memory']; port: MessagePort };

const seekers = new Map<string, Seeker>();

/** Tasks run one after another, even when the pool hands over the next before this one ends (it may: prestart.ts). */
let tasks: Promise<void> = Promise.resolve();

async function seekerFor(loc: RecordingLocation): Promise<Seeker> {
  const key = JSON.stringify(loc);
  const source = await openSource(loc);
  let s = seekers.get(key);
  if (!s || s.source !== source) {
    s = new Seeker(source);
    seekers.set(key, s);
  }
  return s;
}

export default async function (m: ThreadMessage): Promise<TaskResult | SeekResult | null> {
  if ('warm' in m) {
    // A task handed over meanwhile waits for it (runTask).
    const lane = m.lane;
    return await warmUp(m.warm, m.modules, {
      firstSlice: lane && ((source) => chunkSlices(source.manifest.slices.map((s) => s.index), sliceCost(source.manifest.slices), lane.of)[lane.index]?.[0]),
    }).then(() => null);
  }
  try {
    if ('seek' in m) return await (await seekerFor(m.seek)).seek(m.icount, { memory: m.memory, onProgress: (icount) => m.port.postMessage(icount) });
    const task = m.task;
    const run = tasks.then(() => runTask(task, (p) => m.port.postMessage(p), {
      claims: m.claims ? SliceClaims.of(m.claims) : undefined,
      onSliceReport: (report) => m.port.postMessage({ report }),
    }));
    tasks = run.then(() => {}, () => {});
    return await run;
  } finally {
    m.port.close();
  }
}
