/** A whole-recording replay on an executor, with the per-slice progress display: what replay, verify, diagnose and demo share. */
import type { Recording } from '@prnr/recording';
import { AnalysisRegistry, QueueExecutor, replayRecording, type AnalysisRequest, type Executor, type RecordingReplayResult } from '@prnr/scheduler';
import { analysisModules } from './executor.js';
import { replayProgress } from './progress.js';
import { localLocation } from './open-recording.js';

/** The built-in analyses and those of the installed analysis modules. */
export async function loadAnalyses(): Promise<{ registry: AnalysisRegistry; modules: string[] }> {
  const modules = analysisModules();
  const registry = new AnalysisRegistry();
  for (const m of modules) await registry.load(m);
  return { registry, modules };
}

export async function replayWithProgress(
  rec: Recording,
  o: {
    executor: Executor;
    slices?: number[];
    analyses?: AnalysisRequest[];
    progress: boolean;
    analysisSet?: { registry: AnalysisRegistry; modules: string[] };
    profile?: unknown;
    /** Read back every stored snapshot of the slices beside the replay (replayRecording's `readBack`, from `rec`), as verify does. */
    readBack?: boolean;
  },
): Promise<RecordingReplayResult> {
  o.executor.warm?.(localLocation(rec), o.analyses?.length ? analysisModules() : []); // workers get ready while the analyses load
  const { registry, modules } = o.analysisSet ?? (o.analyses?.length ? await loadAnalyses() : { registry: new AnalysisRegistry(), modules: [] });
  const slices = o.slices ?? rec.manifest.slices.map((s) => s.index);
  const totals = new Map(rec.manifest.slices.map((s) => [s.index, s.endIcount - s.startIcount]));
  const progress = replayProgress({ totals, enabled: o.progress });
  const signals = o.executor instanceof QueueExecutor ? stopOnSignals(o.executor, () => progress.stop()) : undefined;
  try {
    return await replayRecording({
      recording: localLocation(rec),
      slices,
      analyses: o.analyses,
      registry,
      modules,
      executor: o.executor,
      profile: o.profile,
      ...(o.readBack ? { readBack: rec } : {}),
      onProgress: (p) => progress.update(p),
      onSliceDone: (s, pass) => progress.done(s, pass),
    });
  } catch (e) {
    // Stopped by a signal: the runs fail as the executor closes, and the exit is the signal's, not their error.
    await signals?.stopping;
    throw e;
  } finally {
    signals?.remove();
    progress.stop();
  }
}

/**
 * Ctrl-C (or SIGTERM) during a replay on queue workers: its tasks no worker has taken are removed
 * from Redis before the exit (128 + the signal's number), so that workers do not replay them for
 * nobody. A second signal exits at once (the handler is gone).
 */
function stopOnSignals(executor: Executor, before: () => void): { stopping: Promise<never> | undefined; remove(): void } {
  const s: { stopping: Promise<never> | undefined; remove(): void } = { stopping: undefined, remove: () => {} };
  const on = (signal: NodeJS.Signals, code: number) => {
    const handler = () => {
      s.remove();
      before();
      process.stderr.write('\nprnr: interrupted: removing the tasks no worker has taken\n');
      s.stopping = executor.close().then(() => process.exit(code));
    };
    process.once(signal, handler);
    return () => process.off(signal, handler);
  };
  const offs = [on('SIGINT', 130), on('SIGTERM', 143)];
  s.remove = () => { for (const off of offs) off(); };
  return s;
}
