/** A whole-recording replay on an executor, with the per-slice progress display: what replay, verify, diagnose and demo share. */
import type { Recording } from '@prnr/recording';
import { AnalysisRegistry, replayRecording, type AnalysisRequest, type Executor, type RecordingReplayResult } from '@prnr/scheduler';
import { analysisModules } from './executor.js';
import { replayProgress } from './progress.js';

/** The built-in analyses and those of the installed analysis modules. */
export async function loadAnalyses(): Promise<{ registry: AnalysisRegistry; modules: string[] }> {
  const modules = analysisModules();
  const registry = new AnalysisRegistry();
  for (const m of modules) await registry.load(m);
  return { registry, modules };
}

export async function replayWithProgress(
  rec: Recording,
  o: { executor: Executor; slices?: number[]; analyses?: AnalysisRequest[]; progress: boolean; analysisSet?: { registry: AnalysisRegistry; modules: string[] }; profile?: unknown },
): Promise<RecordingReplayResult> {
  o.executor.warm?.({ dir: rec.dir }, o.analyses?.length ? analysisModules() : []); // workers get ready while the analyses load
  const { registry, modules } = o.analysisSet ?? (o.analyses?.length ? await loadAnalyses() : { registry: new AnalysisRegistry(), modules: [] });
  const slices = o.slices ?? rec.manifest.slices.map((s) => s.index);
  const totals = new Map(rec.manifest.slices.map((s) => [s.index, s.endIcount - s.startIcount]));
  const progress = replayProgress({ totals, enabled: o.progress });
  try {
    return await replayRecording({
      recording: { dir: rec.dir },
      slices,
      analyses: o.analyses,
      registry,
      modules,
      executor: o.executor,
      profile: o.profile,
      onProgress: (p) => progress.update(p),
      onSliceDone: (s, pass) => progress.done(s, pass),
    });
  } finally {
    progress.stop();
  }
}
