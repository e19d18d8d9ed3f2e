/**
 * The thread side of setReplayThreadHartDefaults (worker-pool.ts): a replay thread's entry calls
 * applyReplayThreadHartDefaults first, so its harts run on the engine of the thread that started
 * it (the cpu package itself reads no setting).
 */
import { workerData } from 'node:worker_threads';
import { Hart } from '@prnr/cpu';
import type { HartEngine } from '@prnr/cpu';
import type { ThreadHartDefaults } from './worker-pool.js';

export function applyReplayThreadHartDefaults(): void {
  const d = (workerData as { hartDefaults?: ThreadHartDefaults } | null)?.hartDefaults;
  // Unchecked here (the starter checks it): an unknown name makes each hart fail with HartEngineError,
  // which a task reports, rather than the thread failing to start.
  if (d?.engine !== undefined) Hart.defaultEngine = d.engine as HartEngine;
  if (d?.jitThreshold !== undefined) Hart.defaultJitThreshold = d.jitThreshold;
}
