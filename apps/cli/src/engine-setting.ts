/**
 * The hart engine of this process, from PRNR_ENGINE ('interp' or 'wasm'; unset or empty: the cpu
 * package's default, 'wasm'). It is the way to run a whole program, replay threads and queue
 * workers included, on the reference interpreter when a translation bug is suspected
 * (`PRNR_ENGINE=interp prnr verify ...`). Threads started through @prnr/scheduler's replayThreads
 * take this thread's engine; `prnr worker` processes read their own environment.
 */
import { HART_ENGINES, Hart, HartEngineError, parseHartEngine } from '@prnr/cpu';
import { setReplayThreadHartDefaults } from '@prnr/scheduler';
import { UsageError } from './usage-error.js';

/** Set the default engine of this process from `env.PRNR_ENGINE`; a name that is not an engine is a UsageError. */
export function applyEngineSetting(env: NodeJS.ProcessEnv = process.env): void {
  const name = env.PRNR_ENGINE;
  if (name === undefined || name === '') return;
  try {
    Hart.defaultEngine = parseHartEngine(name);
    setReplayThreadHartDefaults({ engine: name });
  } catch (e) {
    if (!(e instanceof HartEngineError)) throw e;
    throw new UsageError(`unknown hart engine '${name}' (expected ${HART_ENGINES.map((n) => `'${n}'`).join(' or ')}; PRNR_ENGINE sets the default)`);
  }
}
