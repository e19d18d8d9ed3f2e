/** Diagnosis of a recording: the syscall trace replayed in parallel, merged, anomalies found. Shared by `diagnose` and `demo`. */
import { findAnomalies, type Anomaly, type SyscallTrace } from '@prnr/diagnosis';
import type { Recording } from '@prnr/recording';
import { AnalysisRegistry, replayRecording, type Executor, type RecordingReplayResult } from '@prnr/scheduler';
import { analysisModules } from './executor.js';
import { replayProgress } from './progress.js';

export interface Diagnosis {
  replay: RecordingReplayResult;
  trace: SyscallTrace;
  anomalies: Anomaly[];
}

export async function diagnose(rec: Recording, executor: Executor, o: { progress: boolean; extra?: Array<{ kind: string; options?: unknown }> }): Promise<Diagnosis> {
  const modules = analysisModules();
  const registry = new AnalysisRegistry();
  for (const m of modules) await registry.load(m);
  const slices = rec.manifest.slices.map((s) => s.index);
  const totals = new Map(rec.manifest.slices.map((s) => [s.index, s.endIcount - s.startIcount]));
  const progress = replayProgress({ slices, totals, passes: 1, enabled: o.progress });
  let replay: RecordingReplayResult;
  try {
    replay = await replayRecording({
      recording: { dir: rec.dir },
      slices,
      analyses: [{ kind: 'syscalls' }, ...(o.extra ?? [])],
      registry,
      modules,
      executor,
      onProgress: (p) => progress.update(p),
      onTaskDone: (t) => progress.done(t),
    });
  } finally {
    progress.stop();
  }
  const trace = replay.analyses.syscalls as SyscallTrace;
  return { replay, trace, anomalies: findAnomalies(trace) };
}

export function reportSlices(rec: Recording, r: RecordingReplayResult) {
  return r.slices.map((s) => {
    const m = rec.manifest.slices[s.slice];
    return { index: s.slice, startIcount: m.startIcount, endIcount: m.endIcount, startMtime: m.startMtime, endMtime: m.endMtime, verified: s.verified };
  });
}
