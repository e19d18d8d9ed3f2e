/**
 * One recording: what it is, its slices lighting up during a job, the
 * diagnosis (when one has run), and the time-travel console.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { JobEvent, JobInfo, JobType, RecordingDetail, ReplayJobResult, ServerFeatures, SyscallTraceInfo } from '../../src/api-types.js';
import { api, followJob, startJob } from './api.js';
import { DiagnosisView } from './diagnosis-view.js';
import { bytes, count, exact } from './format.js';
import { SliceTimeline } from './slice-timeline.js';
import { TimeTravel, type Jump } from './time-travel.js';

/** The diagnosis a diagnose job left, whole or partial: a failed job keeps what the slices that replayed found. */
function diagnosisOf(job: JobInfo): JobInfo | null {
  if (job.type !== 'diagnose' || (job.status !== 'done' && job.status !== 'failed')) return null;
  const r = job.result as ReplayJobResult | undefined;
  return r?.analyses?.syscalls ? job : null;
}

/** Applies one event to the job as the page shows it. */
function apply(job: JobInfo | null, e: JobEvent): JobInfo | null {
  if (e.type === 'state') return e.job;
  if (!job) return job;
  if (e.type === 'done') return { ...job, status: e.status, ...(e.error ? { error: e.error } : {}) };
  if (e.type === 'progress' || e.type === 'task') {
    const progress = job.progress.map((p) => {
      if (p.slice !== e.slice || p.pass !== e.pass) return p;
      if (e.type === 'progress') return p.state === 'pending' || p.state === 'running' ? { ...p, state: 'running' as const, done: e.done, total: e.total, mips: e.mips } : p;
      return { ...p, state: e.error ? ('failed' as const) : e.verified ? ('verified' as const) : ('diverged' as const), done: e.error ? p.done : p.total, mips: e.mips, error: e.error };
    });
    return { ...job, progress };
  }
  return job;
}

export function RecordingPage({ name, features }: { name: string; features: ServerFeatures }) {
  const [rec, setRec] = useState<RecordingDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [job, setJob] = useState<JobInfo | null>(null);
  /** The diagnose job whose diagnosis is shown (done, or failed with a partial result). */
  const [diagnosed, setDiagnosed] = useState<JobInfo | null>(null);
  const [jump, setJump] = useState<Jump | null>(null);
  const [parallel, setParallel] = useState('');
  const following = useRef<AbortController | null>(null);

  const follow = useCallback((id: string) => {
    following.current?.abort();
    const ctl = new AbortController();
    following.current = ctl;
    let latest: JobInfo | null = null;
    followJob(
      id,
      (e) => {
        latest = apply(latest, e);
        setJob(latest);
      },
      ctl.signal,
    )
      .then(() => api<JobInfo>(`/api/jobs/${id}`, { signal: ctl.signal }))
      .then((final) => {
        setJob(final);
        const d = diagnosisOf(final);
        if (d) setDiagnosed(d);
      })
      .catch((e: Error) => {
        if (e.name !== 'AbortError') setError(e.message);
      });
  }, []);

  useEffect(() => {
    setRec(null);
    setJob(null);
    setDiagnosed(null);
    api<RecordingDetail>(`/api/recordings/${encodeURIComponent(name)}`).then(setRec, (e: Error) => setError(e.message));
    // Pick up where this page was left: a job still running, the last diagnosis.
    api<{ jobs: JobInfo[] }>(`/api/recordings/${encodeURIComponent(name)}/jobs`).then((r) => {
      const replays = r.jobs.filter((j) => j.type !== 'seek');
      const running = replays.find((j) => j.status === 'running');
      if (running) follow(running.id);
      else if (replays[0]) setJob(replays[0]);
      // A complete diagnosis first; else the newest failed one, which may hold a partial result.
      const diag = r.jobs.find((j) => j.type === 'diagnose' && j.status === 'done') ?? r.jobs.find((j) => j.type === 'diagnose' && j.status === 'failed');
      if (diag) api<JobInfo>(`/api/jobs/${diag.id}`).then((j) => setDiagnosed(diagnosisOf(j)), () => {});
    }, () => {});
    return () => following.current?.abort();
  }, [name, follow]);

  const start = (type: JobType) => {
    setError(null);
    const p = Number(parallel);
    startJob(name, { type, ...(parallel && Number.isInteger(p) && p > 0 ? { parallel: p } : {}) }).then(follow, (e: Error) => setError(e.message));
  };

  if (error && !rec) return <p className="error">{error}</p>;
  if (!rec) return <p className="muted">Loading {name}…</p>;
  const running = job?.status === 'running';
  const result = job?.status === 'done' && job.type !== 'seek' ? (job.result as ReplayJobResult | undefined) : undefined;
  const diagnosis = diagnosed?.result as ReplayJobResult | undefined;
  const trace = diagnosis?.analyses.syscalls as SyscallTraceInfo | undefined;
  const partial = diagnosed?.status === 'failed' && diagnosis ? diagnosis.slices.filter((s) => s.verified).length : null;
  const verifiedCount = job?.progress.filter((p) => p.pass === 0 && p.state === 'verified').length ?? 0;

  return (
    <>
      <p className="crumbs">
        <a href="#/">recordings</a> / {name}
      </p>
      <h1>
        {name} <span className={`badge ${rec.status}`}>{rec.status}</span>
      </h1>
      <p className="facts">
        {rec.slices} slices · {exact(rec.steps)} instructions · {bytes(rec.sizeBytes)} on disk ({bytes(rec.space.logicalBytes)} of snapshots deduplicated to {bytes(rec.space.storedBytes)}) · {rec.end ? `ended: ${rec.end.reason}` : 'cut short'} · hart behaviour v{rec.board.hartVersion} · recorded {rec.createdAt?.slice(0, 19).replace('T', ' ')}
      </p>

      <section className="jobs">
        <div className="actions">
          <button type="button" onClick={() => start('verify')} disabled={running} data-testid="start-verify">
            Verify
          </button>
          <button type="button" onClick={() => start('replay')} disabled={running}>
            Replay
          </button>
          <button type="button" onClick={() => start('diagnose')} disabled={running || !features.diagnosis} title={features.diagnosis ? 'replay with the syscall trace and find anomalies' : features.diagnosisNote} data-testid="start-diagnose">
            Diagnose
          </button>
          <label className="small">
            parallel <input type="number" min={1} max={256} value={parallel} onChange={(e) => setParallel(e.target.value)} placeholder="auto" className="parallel" />
          </label>
          {job && (
            <span className="job-status" data-testid="job-status" data-status={job.status}>
              {job.type} {job.status === 'running' ? `running: ${verifiedCount} of ${rec.slices} slices verified` : job.status}
              {result && ` · ${result.verified ? 'every slice reached its recorded state' : 'NOT verified'} · ${result.mips.toFixed(1)} MIPS aggregate in ${result.wallSeconds.toFixed(1)} s`}
              {job.error && <span className="error"> {job.error}</span>}
            </span>
          )}
        </div>
        {error && <p className="error">{error}</p>}
        <SliceTimeline slices={rec.sliceTable} progress={job?.type === 'seek' ? undefined : job?.progress} />
        <p className="legend small">
          <span className="swatch idle" /> not replayed <span className="swatch pending" /> waiting <span className="swatch running" /> replaying <span className="swatch verified" /> verified <span className="swatch diverged" /> diverged <span className="swatch failed" /> failed
        </p>
      </section>

      {partial !== null && (
        <p className="error" data-testid="diagnosis-partial">
          diagnose failed: {diagnosed!.error ?? 'some slices did not replay'}. The diagnosis below covers the {partial} of {diagnosis!.slices.length} slices that replayed to their recorded state.
        </p>
      )}
      {trace ? (
        <DiagnosisView trace={trace} anomalies={diagnosis?.anomalies} warnings={diagnosis?.warnings} onSeek={(icount) => setJump({ icount, at: Date.now() })} />
      ) : (
        features.diagnosis && <p className="muted">Run Diagnose to see the syscalls of every process and what went wrong.</p>
      )}

      <TimeTravel name={name} end={rec.steps} jump={jump} syscalls={trace?.events} />
      <p className="muted small">
        {count(rec.steps)} instructions in {rec.slices} slices of about {count(Math.round(rec.steps / Math.max(1, rec.slices)))}: any point is at most one slice of replay away.
      </p>
    </>
  );
}
