/** Diagnosis of a recording: the syscall trace replayed in parallel, merged, anomalies found. Shared by `diagnose` and `demo`. */
import { findAnomalies, type Anomaly, type SyscallTrace } from '@prnr/diagnosis';
import type { Recording } from '@prnr/recording';
import type { AnalysisRequest, Executor, RecordingReplayResult } from '@prnr/scheduler';
import { replayWithProgress } from './replay-with-progress.js';

export interface Diagnosis {
  replay: RecordingReplayResult;
  trace: SyscallTrace;
  anomalies: Anomaly[];
}

/** `profile`: the guest profile to attribute with instead of the recording's (a calibrated one). */
export async function diagnose(rec: Recording, executor: Executor, o: { progress: boolean; extra?: AnalysisRequest[]; profile?: unknown }): Promise<Diagnosis> {
  const replay = await replayWithProgress(rec, { executor, analyses: [{ kind: 'syscalls' }, ...(o.extra ?? [])], progress: o.progress, profile: o.profile });
  const trace = replay.analyses.syscalls as SyscallTrace;
  return { replay, trace, anomalies: findAnomalies(trace) };
}

export function reportSlices(rec: Recording, r: RecordingReplayResult) {
  return r.slices.map((s) => {
    const m = rec.manifest.slices[s.slice];
    // A slice not verified says why (in --format json; the text and HTML reports only mark it).
    const error = s.verified ? undefined : (s.error ?? s.divergence?.message);
    return { index: s.slice, startIcount: m.startIcount, endIcount: m.endIcount, startMtime: m.startMtime, endMtime: m.endMtime, verified: s.verified, ...(error !== undefined ? { error } : {}) };
  });
}
