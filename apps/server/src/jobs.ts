/**
 * Jobs: verify, replay, diagnose and seek runs over one recording, each on
 * the scheduler (replayRecording on the configured executor, or seek). The
 * manager only starts them, tracks their progress for late readers, fans
 * their events out to subscribers and limits how many run at once. What a
 * replay does is the scheduler's business.
 */
import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { disassemble } from '@prnr/cpu';
import type { RecordingManifest } from '@prnr/recording';
import {
  QueueExecutor,
  ThreadExecutor,
  chooseLanes,
  UnknownAnalysisError,
  SeekService,
  planReplay,
  replayRecording,
  type AnalysisRequest,
  type RecordingLocation,
  type TaskProgress,
  type SliceOutcome,
} from '@prnr/scheduler';
import type { Analyses } from './analyses.js';
import type { AnomalyInfo, JobEvent, JobInfo, JobRequest, ReplayJobResult, SeekJobResult, SliceProgress } from './api-types.js';
import { HttpError, badRequest, notFound } from './http-error.js';
import { JobExecutor } from './job-executor.js';
import { checkRecordingTree } from './recording-tree.js';
import { asRecording, type RecordingsDir } from './recordings-dir.js';

/**
 * Where replay tasks run: this thread, a pool of worker threads, or `prnr worker`s on a Redis queue
 * (`token`: what this server sends when it reads its own recordings at `recordingsUrl`, as the
 * workers do; buildApp passes the server's own).
 */
export type ExecutorChoice = 'inline' | 'threads' | { redis: string; recordingsUrl?: string; token?: string };

export interface JobManagerOptions {
  recordings: RecordingsDir;
  analyses: () => Analyses;
  executor: ExecutorChoice;
  maxConcurrent: number;
  /** Finished jobs kept for reading (oldest dropped first). */
  keepFinished?: number;
  /** Device modules may come from the recordings' own copies (startServer's `recordedModules`). */
  recordedModules?: boolean;
}

/** Progress events of one task are sent at most this often (the final state always is). */
const PROGRESS_INTERVAL_MS = 100;

class Job {
  readonly listeners = new Set<(e: JobEvent) => void>();
  readonly started = Date.now();
  /** Per task: when and at which step its speed was last measured. */
  readonly speed = new Map<string, { at: number; done: number; sentAt: number }>();
  /** Where its replay runs, while it runs (none for a seek). */
  executor?: JobExecutor;

  constructor(readonly info: JobInfo) {}

  emit(e: JobEvent): void {
    for (const l of this.listeners) l(e);
  }

  get finished(): boolean {
    return this.info.status !== 'running';
  }
}

export class JobManager {
  private readonly jobs = new Map<string, Job>();
  /** Every job's work still under way, a cancelled job's included, until it has really stopped. */
  private readonly work = new Set<Promise<void>>();
  private closing = false;
  /** Seeks run on a replay thread that keeps a warm machine per recording: the server's thread stays free. */
  private seeks: SeekService | undefined;

  constructor(private readonly o: JobManagerOptions) {}

  get running(): number {
    let n = 0;
    for (const j of this.jobs.values()) if (!j.finished) n++;
    return n;
  }

  /** Checks the request against the recording (and its tree: no links, no FIFOs), then starts the job. Throws HttpError (400, 404, 422, 429, 503). */
  async start(recording: string, req: JobRequest): Promise<JobInfo> {
    if (this.closing) throw new HttpError(503, 'the server is shutting down');
    const m = await this.o.recordings.manifest(recording);
    const dir = await this.o.recordings.dir(recording);
    // The replay libraries follow links; the server's own answer comes first, naming the entry.
    await checkRecordingTree(dir, recording);
    const location = this.location(recording, dir);
    const last = m.slices.at(-1)?.endIcount ?? 0;
    if (m.slices.length === 0) throw badRequest(`recording "${recording}" has no closed slice: nothing to replay`);
    const analyses = this.o.analyses();
    let slices = m.slices.map((s) => s.index);
    if (req.slices) {
      const bad = req.slices.find((i) => i >= m.slices.length);
      if (bad !== undefined) throw badRequest(`slices: recording "${recording}" has no slice ${bad} (it has ${m.slices.length})`);
      slices = [...new Set(req.slices)].sort((a, b) => a - b);
    }
    const requests: AnalysisRequest[] = [];
    if (req.type === 'seek') {
      if (req.icount === undefined) throw badRequest('a seek job needs "icount"');
      if (req.icount > last) throw badRequest(`icount ${req.icount} is outside the recording (0..${last})`);
    } else {
      const names = [...(req.type === 'diagnose' ? ['syscalls'] : []), ...(req.analyses ?? (req.type === 'replay' ? ['console'] : []))];
      if (req.type === 'diagnose' && !analyses.diagnosis) throw badRequest(`diagnosis is not available on this server: ${analyses.diagnosisNote ?? 'no syscalls analysis'}`);
      for (const name of new Set(names)) {
        if (name === 'watch') throw badRequest('analyses: "watch" needs a range; it cannot be started from the API');
        try {
          analyses.registry.get(name);
        } catch (e) {
          if (e instanceof UnknownAnalysisError) throw badRequest(`analyses: ${e.message}`);
          throw e;
        }
        requests.push({ kind: name });
      }
    }
    // From here to the job's registration nothing waits: two requests cannot both take the last place.
    if (this.closing) throw new HttpError(503, 'the server is shutting down');
    if (this.running >= this.o.maxConcurrent) {
      throw new HttpError(429, `${this.running} jobs are running, the limit is ${this.o.maxConcurrent}: try again when one finishes`, { 'retry-after': '5' });
    }

    // A recording's own guest profile wins; the server's fallback is for recordings made without one.
    const profile = m.guestProfile ? undefined : analyses.fallbackProfile;
    const modules = this.o.executor === 'inline' ? analyses.modules : analyses.workerModules;
    const progress: SliceProgress[] = [];
    let lanes: JobInfo['lanes'];
    if (req.type !== 'seek') {
      const plan = planReplay({ recording: location, slices, cost: () => 1, workers: 1, analyses: requests, registry: analyses.registry, modules, profile });
      plan.passes.forEach((_, pass) => {
        for (const i of slices) progress.push({ slice: i, pass, state: 'pending', done: 0, total: m.slices[i].endIcount - m.slices[i].startIcount, mips: 0 });
      });
      if (this.o.executor === 'threads') {
        // As the CLI decides: the planner starts fewer lanes than asked where more would not pay for their start.
        const asked = Math.min(req.parallel ?? availableParallelism(), availableParallelism() * 2);
        const d = chooseLanes({ slices: slices.map((i) => m.slices[i]), asked, cores: availableParallelism(), passes: plan.passes.length });
        lanes = req.allLanes ? { used: asked, asked, reason: `${asked} lane(s): every lane asked for (allLanes)` } : { used: d.lanes, asked, reason: d.reason };
      }
    }
    const job = new Job({
      id: randomUUID(),
      recording,
      type: req.type,
      status: 'running',
      request: req,
      createdAt: new Date().toISOString(),
      progress,
      ...(lanes ? { lanes } : {}),
    });
    this.jobs.set(job.info.id, job);
    this.prune();
    // As `prnr verify`: read back every stored snapshot of the slices, from this server's copy whatever replays them.
    const stored = req.type === 'verify' ? { dir, manifest: m } : null;
    const work = (req.type === 'seek' ? this.runSeek(job, location, req.icount!) : this.runReplay(job, location, slices, requests, modules, profile, stored)).then(
      (result) => {
        // Cancelled (or stopped by the server's close) while it ran: what it finished with is not its result.
        if (job.finished) return;
        // A replay that ran but whose slices did not all reach their recorded state has failed.
        const bad = result && 'slices' in result ? result.slices.filter((s) => !s.verified) : [];
        if (bad.length === 0) return this.finish(job, 'done', result);
        const first = bad[0];
        return this.finish(job, 'failed', result, this.o.recordings.clean(`${bad.length} of ${(result as ReplayJobResult).slices.length} slice(s) did not replay to their recorded state; slice ${first.slice}: ${first.error ?? first.divergence?.message ?? 'a different end state'}`));
      },
      (e: unknown) => (job.finished ? undefined : this.finish(job, 'failed', undefined, this.o.recordings.clean((e as Error).message ?? String(e)))),
    );
    this.work.add(work);
    void work.finally(() => this.work.delete(work));
    return job.info;
  }

  get(id: string): JobInfo {
    return this.job(id).info;
  }

  list(recording?: string): JobInfo[] {
    return [...this.jobs.values()].map((j) => j.info).filter((j) => !recording || j.recording === recording).reverse();
  }

  /** Calls `fn` with the job's current state, then with each event until it is done. Returns the unsubscribe. */
  subscribe(id: string, fn: (e: JobEvent) => void): () => void {
    const job = this.job(id);
    fn({ type: 'state', job: job.info });
    if (job.finished) {
      fn({ type: 'done', status: job.info.status, ...(job.info.error ? { error: job.info.error } : {}) });
      return () => {};
    }
    job.listeners.add(fn);
    return () => job.listeners.delete(fn);
  }

  /**
   * Stops a running job and ends it as cancelled: it starts no more tasks,
   * its worker threads are terminated, a replay in this thread stops at its
   * next progress report. A seek cannot be interrupted (@prnr/scheduler's
   * SeekService takes no signal): it runs to its end on the seek thread,
   * at most one slice, and its result is dropped. Throws 404, or 409 if it already ended.
   */
  cancel(id: string): JobInfo {
    const job = this.job(id);
    if (job.finished) throw new HttpError(409, `job ${id} has already ended (${job.info.status})`);
    this.stop(job, 'cancelled');
    return job.info;
  }

  /** Stops taking jobs, stops the running ones (as cancel does, and the seek thread too) and waits until all their work has ended. */
  async close(): Promise<void> {
    this.closing = true;
    for (const j of this.jobs.values()) if (!j.finished) this.stop(j, 'the server is shutting down');
    await this.seeks?.close().catch(() => {});
    while (this.work.size > 0) await Promise.allSettled([...this.work]);
  }

  private stop(job: Job, reason: string): void {
    const executor = job.executor;
    this.finish(job, 'cancelled', undefined, reason);
    void executor?.stop(reason).catch(() => {});
  }

  private job(id: string): Job {
    const j = typeof id === 'string' ? this.jobs.get(id) : undefined;
    if (!j) throw notFound(`no job with id "${String(id).slice(0, 64)}"`);
    return j;
  }

  private location(recording: string, dir: string): RecordingLocation {
    const e = this.o.executor;
    const copies = this.o.recordedModules ? { recordedModules: true } : {};
    if (typeof e === 'object' && e.recordingsUrl) return { url: `${e.recordingsUrl.replace(/\/+$/, '')}/recordings/${recording}`, ...copies };
    return { dir, ...copies };
  }

  private makeExecutor(job: Job): JobExecutor {
    const e = this.o.executor;
    const parallel = job.info.request.parallel;
    if (e === 'inline') return new JobExecutor(null);
    if (e === 'threads') return new JobExecutor(new ThreadExecutor(job.info.lanes?.used ?? 1)); // start() sets lanes for every replay job here
    return new JobExecutor(new QueueExecutor({ redis: e.redis, reader: { token: e.token, who: 'the server running the job' }, ...(parallel ? { concurrency: parallel } : {}) }));
  }

  private async runReplay(job: Job, location: RecordingLocation, slices: number[], requests: AnalysisRequest[], modules: string[], profile: unknown, stored: { dir: string; manifest: RecordingManifest } | null): Promise<ReplayJobResult> {
    const analyses = this.o.analyses();
    const executor = this.makeExecutor(job);
    job.executor = executor;
    // Slices whose stored snapshot could not be read back, by index: their error as the job says it.
    const unreadable = new Map<number, string>();
    const inline = this.o.executor === 'inline';
    // A replay in this thread reports progress between chunks of steps: there the server answers other requests, and a stopped job ends.
    const breathe = (): Promise<void> => {
      executor.check();
      return new Promise((resolve) => setImmediate(resolve));
    };
    try {
      const r = await replayRecording({
        recording: location,
        slices,
        analyses: requests,
        registry: analyses.registry,
        modules,
        profile,
        executor,
        onProgress: (p) => {
          this.onProgress(job, p);
          return inline ? breathe() : undefined;
        },
        onSliceDone: (t, pass) => this.onSliceDone(job, t, pass),
        // Beside the replay, on a thread of its own (a lane running straight through a chunk restores only its
        // first snapshot), from this server's copy whatever replays them.
        ...(stored ? { readBack: asRecording(stored.dir, stored.manifest), onReadBackFailure: (t: SliceOutcome) => this.onReadBackFailure(job, t, unreadable) } : {}),
      });
      const steps = r.slices.reduce((a, s) => a + s.steps, 0);
      const result: ReplayJobResult = {
        verified: r.verified,
        slices: r.slices.map((s) => ({ ...s, divergence: s.divergence ?? null, ...(unreadable.has(s.slice) ? { error: unreadable.get(s.slice) } : {}) })),
        passes: r.passes,
        tasks: r.tasks,
        wallSeconds: r.wallSeconds,
        mips: r.wallSeconds > 0 ? steps / r.wallSeconds / 1e6 : 0,
        analyses: r.analyses,
      };
      if (job.info.type === 'diagnose') {
        result.anomalies = anomaliesOf(r.analyses, analyses);
        result.warnings = warningsOf(r.analyses, analyses, profile !== undefined);
      }
      return result;
    } finally {
      // The read-back has ended by now (replayRecording waits for it, whatever the replay did): close() waits for the job's work.
      await executor.close().catch(() => {});
    }
  }

  /**
   * A slice that replayed to its end state but whose stored snapshot cannot be read back has failed, as `prnr verify` has it:
   * its entry and the page following the job say so, with the error cleaned as the job's result will have it (`unreadable`).
   */
  private onReadBackFailure(job: Job, t: SliceOutcome, unreadable: Map<number, string>): void {
    const error = this.o.recordings.clean(t.error ?? '');
    unreadable.set(t.slice, error);
    if (job.finished) return;
    const e = this.entry(job, t.slice, 0);
    if (e) {
      e.state = 'failed';
      e.error = error;
    }
    job.emit({ type: 'task', slice: t.slice, pass: 0, verified: false, diverged: false, error, mips: e?.mips ?? 0, wallSeconds: t.wallSeconds });
  }

  private async runSeek(job: Job, location: RecordingLocation, icount: number): Promise<SeekJobResult> {
    this.seeks ??= new SeekService();
    let sentAt = 0;
    const r = await this.seeks.seek(location, icount, {
      onProgress: (at) => {
        if (job.finished) return;
        job.info.seekIcount = at;
        const now = Date.now();
        if (now - sentAt >= PROGRESS_INTERVAL_MS) {
          sentAt = now;
          job.emit({ type: 'seek-progress', icount: at });
        }
      },
    });
    return {
      icount: r.icount,
      slice: r.slice,
      pc: r.pc,
      priv: r.priv,
      instruction: r.instruction,
      disassembly: r.instruction === null ? '(not readable)' : disassemble(r.instruction, BigInt(r.pc)).text,
      registers: r.registers,
      csrs: r.csrs,
      console: r.console,
    };
  }

  private entry(job: Job, slice: number, pass: number): SliceProgress | undefined {
    return job.info.progress.find((p) => p.slice === slice && p.pass === pass);
  }

  private onProgress(job: Job, p: TaskProgress): void {
    if (job.finished) return;
    const e = this.entry(job, p.slice, p.pass);
    if (!e || e.state !== 'pending' && e.state !== 'running') return;
    const key = `${p.slice}/${p.pass}`;
    const now = Date.now();
    const s = job.speed.get(key);
    if (s && now > s.at) e.mips = (p.done - s.done) / ((now - s.at) / 1000) / 1e6;
    if (!s || now - s.at >= 250) job.speed.set(key, { at: now, done: p.done, sentAt: s?.sentAt ?? 0 });
    e.state = 'running';
    e.done = p.done;
    e.total = p.total;
    const t = job.speed.get(key)!;
    if (now - t.sentAt >= PROGRESS_INTERVAL_MS || p.done >= p.total) {
      t.sentAt = now;
      job.emit({ type: 'progress', slice: p.slice, pass: p.pass, done: p.done, total: p.total, mips: round(e.mips) });
    }
  }

  private onSliceDone(job: Job, t: SliceOutcome, pass: number): void {
    if (job.finished) return;
    const e = this.entry(job, t.slice, pass);
    const mips = t.wallSeconds > 0 ? t.steps / t.wallSeconds / 1e6 : 0;
    if (e) {
      e.state = t.error ? 'failed' : t.verified ? 'verified' : 'diverged';
      e.done = t.error ? e.done : e.total;
      e.mips = round(mips);
      if (t.error) e.error = this.o.recordings.clean(t.error);
      e.divergence = t.divergence ? { from: t.divergence.from, to: t.divergence.to, message: t.divergence.message } : null;
    }
    job.emit({
      type: 'task',
      slice: t.slice,
      pass,
      verified: t.verified,
      diverged: !t.verified && !t.error,
      ...(t.error ? { error: this.o.recordings.clean(t.error) } : {}),
      mips: round(mips),
      wallSeconds: t.wallSeconds,
    });
  }

  private finish(job: Job, status: 'done' | 'failed' | 'cancelled', result?: JobInfo['result'], error?: string): void {
    job.info.status = status;
    job.info.finishedAt = new Date().toISOString();
    job.executor = undefined;
    if (result) job.info.result = result;
    if (error) job.info.error = error;
    job.emit({ type: 'done', status, ...(error ? { error } : {}) });
    job.listeners.clear();
  }

  private prune(): void {
    const keep = this.o.keepFinished ?? 100;
    const finished = [...this.jobs.values()].filter((j) => j.finished);
    for (const j of finished.slice(0, Math.max(0, finished.length - keep))) this.jobs.delete(j.info.id);
  }
}

/** Anomalies of a diagnose job: an `anomalies` analysis result if there is one, else the rules run over the syscall trace. */
function anomaliesOf(results: Record<string, unknown>, analyses: Analyses): AnomalyInfo[] | undefined {
  if (Array.isArray(results.anomalies)) return results.anomalies as AnomalyInfo[];
  const trace = results.syscalls as { anomalies?: unknown } | undefined;
  if (trace && Array.isArray(trace.anomalies)) return trace.anomalies as AnomalyInfo[];
  if (trace && analyses.findAnomalies) return analyses.findAnomalies(trace);
  return undefined;
}

/**
 * Warnings of a diagnose job: the guest profile looks wrong for the recording (most calls attributed to pid 0, to
 * unprintable names or to tasks that did not read). It is the recording's own, or the server's fallback (`fallback`).
 */
function warningsOf(results: Record<string, unknown>, analyses: Analyses, fallback: boolean): string[] {
  if (!results.syscalls || !analyses.attributionWarning) return [];
  const w = analyses.attributionWarning(results.syscalls, fallback ? "the server's guest profile (profilePath)" : "the recording's guest profile");
  return w === null ? [] : [w];
}

function round(v: number): number {
  return Math.round(v * 10) / 10;
}
