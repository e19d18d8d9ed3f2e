/** Entry of a replay worker thread (piscina): runs one task, reports progress over the port it was given. */
import type { MessagePort } from 'node:worker_threads';
import { runTask, type ReplayTask, type TaskResult } from './task.js';

export default async function ({ task, port }: { task: ReplayTask; port: MessagePort }): Promise<TaskResult> {
  try {
    return await runTask(task, (p) => port.postMessage(p));
  } finally {
    port.close();
  }
}
