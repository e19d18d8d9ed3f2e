/**
 * Entry of a replay worker thread (piscina). A thread runs replay tasks
 * (progress over the port it is given), gets ready for a recording ahead of
 * its tasks, or answers seeks: it keeps one Seeker per recording, so seeks
 * stay warm and off the caller's thread.
 */
import type { MessagePort } from 'node:worker_threads';
import { Seeker, type SeekOptions, type SeekResult } from './seek.js';
import { openSource, runTask, warmUp, type RecordingLocation, type ReplayTask, type TaskResult } from './task.js';

export type ThreadMessage =
  | { task: ReplayTask; port: MessagePort }
  | { warm: RecordingLocation; modules: string[] }
  | { seek: RecordingLocation; icount: number; memory?: SeekOptions['memory']; port: MessagePort };

const seekers = new Map<string, Seeker>();

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
    await warmUp(m.warm, m.modules);
    return null;
  }
  try {
    if ('seek' in m) return await (await seekerFor(m.seek)).seek(m.icount, { memory: m.memory, onProgress: (icount) => m.port.postMessage(icount) });
    return await runTask(m.task, (p) => m.port.postMessage(p));
  } finally {
    m.port.close();
  }
}
