/** Entry of a replay worker thread (piscina): runs one task, reporting progress over the port it was given; or gets ready for a recording. */
import type { MessagePort } from 'node:worker_threads';
import { runTask, warmUp, type RecordingLocation, type ReplayTask, type TaskResult } from './task.js';

export type ThreadMessage = { task: ReplayTask; port: MessagePort } | { warm: RecordingLocation; modules: string[] };

export default async function (m: ThreadMessage): Promise<TaskResult | null> {
  if ('warm' in m) {
    await warmUp(m.warm, m.modules);
    return null;
  }
  try {
    return await runTask(m.task, (p) => m.port.postMessage(p));
  } finally {
    m.port.close();
  }
}
