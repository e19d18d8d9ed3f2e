/**
 * Multi-slice, multi-dimension replay of a whole recording: plan the passes
 * and chunks, run every task on an executor (as many at once as it takes),
 * check every slice's end state against recording.json here (a worker's word
 * is not taken for it, remote workers included), and merge each analysis's
 * slice results in slice order. A failed or diverging slice is reported with
 * its index; the others still run and are reported. Optionally (`readBack`,
 * as `prnr verify` does) every stored snapshot of the slices is read back
 * beside the replay, on a thread of its own.
 */
import { checkStoredSnapshotsInThread, type Recording, type StoredSliceProblem } from '@prnr/recording';
import type { AnalysisContext } from './analysis.js';
import type { AnalysisRegistry } from './analysis-registry.js';
import type { Executor, SharedTaskOptions } from './executor.js';
import { Lanes, planReplay, sliceCost } from './planner.js';
import { SliceClaims } from './slice-claims.js';
import { MEASURED_LANE_COSTS, pickSteal, type LaneCosts } from './lane-costs.js';
import { traceReplay } from './trace.js';
import { openSource, profileOf, type AnalysisRequest, type RecordingLocation, type ReplayTask, type SliceReport, type TaskProgress, type TaskResult } from './task.js';

export interface SliceOutcome {
  slice: number;
  /** The replayed end state equals the one recording.json names (checked by the coordinator). */
  verified: boolean;
  endState: string | null;
  divergence: SliceReport['divergence'];
  error?: string;
  wallSeconds: number;
  restoreSeconds: number;
  steps: number;
  checkpoints: number;
}

/** Where the time of a parallel replay went that was not replaying: what each chunk paid before its slices ran. */
export interface FixedCosts {
  /** Chunks (tasks) run. */
  chunks: number;
  /**
   * Seconds each task spent before its first slice started (opening the recording, loading analyses
   * and the code cache): on an executor in this process from its submission (a thread's start
   * included); on others (a queue) from when a worker began it, as the worker measured, since a task
   * waits in the queue only for a worker to be free, which is no cost of the task.
   */
  startupSeconds: number;
  /** Seconds restoring snapshots, all slices together. */
  restoreSeconds: number;
}

/**
 * A pass after pass 0 (a heavy analysis's own pass) that failed or diverged on some slices: its
 * analyses' results lack those slices. (Pass 0's failures are in `slices`.)
 */
export interface PassFailure {
  pass: number;
  /** The analyses the pass ran. */
  analyses: string[];
  /** The slices it failed or diverged on, in order. */
  slices: number[];
  /** What went wrong on the first of them. */
  error: string;
}

export interface RecordingReplayResult {
  /** One per slice, in slice order (from pass 0, which verifies). */
  slices: SliceOutcome[];
  /** Every slice of every pass verified. */
  verified: boolean;
  /** The passes after pass 0 that did not replay every slice (empty when all did). */
  passFailures: PassFailure[];
  /** Merged analysis results by kind (over the slices whose task ran; see `slices` for any that failed; none for a heavy analysis whose pass failed on every slice). */
  analyses: Record<string, unknown>;
  passes: number;
  /** Tasks that ran slices (with an executor that shares memory, those taken from another lane's task included). */
  tasks: number;
  fixed: FixedCosts;
  wallSeconds: number;
}

export interface ReplayRecordingOptions {
  recording: RecordingLocation;
  /** Slice indices to replay (default: all). */
  slices: number[];
  analyses?: AnalysisRequest[];
  registry: AnalysisRegistry;
  modules?: string[];
  profile?: unknown;
  executor: Executor;
  onProgress?: (p: TaskProgress) => void;
  /** A slice of a pass finished; `verified` as the coordinator judged it. */
  onSliceDone?: (s: SliceOutcome, pass: number) => void;
  /**
   * What restores and replay cost, for deciding whether an idle lane takes slices from a busy one.
   * Given: taken as they are (tests, callers that know them). Default: MEASURED_LANE_COSTS, refined
   * by what this run measures as it goes (its restores, its replay seconds per unit of slice cost).
   */
  costs?: LaneCosts;
  /**
   * Also read back every object each slice's stored snapshot reaches (its console, and what every
   * restore needs), as `prnr verify` does, on a thread of its own beside the replay
   * (@prnr/recording's checkStoredSnapshotsInThread, over `slices`): a lane running straight
   * through a chunk restores only the chunk's first snapshot, so a damaged object of a later one
   * would otherwise go unnoticed, and the answer would depend on the number of lanes.
   *
   * Given: the same recording as `recording`, opened from a local directory, which is where it is
   * read back from. The read-back needs the files, so it is always local: a caller whose workers
   * read the recording by URL (`{ url }`) passes its own copy here (the server does). Not given:
   * no read-back (replay, diagnose).
   *
   * The read-back starts as replayRecording does and has always ended when it returns or throws
   * (a replay that throws is not held up by its answer, which is dropped; its failure never goes
   * unhandled). A slice of pass 0 that replayed to its recorded end state but whose stored
   * snapshot cannot be read back is then not verified, with the problem as its `error`, and
   * neither is the result; a slice whose replay already failed keeps its own error.
   */
  readBack?: Recording;
  /**
   * With `readBack`: a slice that `onSliceDone` reported verified (pass 0) failed the read-back,
   * after the replay and before replayRecording returns. `s` is its outcome as the result now
   * has it: `verified` false, `error` the read-back's problem. Told at most once per slice, in
   * the order of `slices`.
   */
  onReadBackFailure?: (s: SliceOutcome) => void;
}

/**
 * Replays `o.slices` of the recording on `o.executor` (see ReplayRecordingOptions), and with
 * `o.readBack` reads back their stored snapshots beside it.
 */
export async function replayRecording(o: ReplayRecordingOptions): Promise<RecordingReplayResult> {
  // Started first, on its own thread; awaited after the replay, whatever the replay did.
  const readBack = o.readBack ? checkStoredSnapshotsInThread(o.readBack, o.slices) : undefined;
  readBack?.catch(() => {}); // a replay that throws first must not leave it unhandled
  let r: RecordingReplayResult;
  try {
    r = await replaySlices(o);
  } catch (e) {
    await readBack?.catch(() => {}); // the work has ended when replayRecording throws
    throw e;
  }
  if (readBack) failUnreadable(r, await readBack, o.onReadBackFailure);
  return r;
}

/** A slice that replayed to its end state but whose stored snapshot cannot be read back fails, with what is wrong. */
function failUnreadable(r: RecordingReplayResult, problems: StoredSliceProblem[], told?: (s: SliceOutcome) => void): void {
  for (const p of problems) {
    const s = r.slices.find((x) => x.slice === p.slice);
    if (!s?.verified) continue; // its replay already failed, and says why
    s.verified = false;
    s.error = p.error;
    r.verified = false;
    told?.(s);
  }
}

async function replaySlices(o: ReplayRecordingOptions): Promise<RecordingReplayResult> {
  const started = process.hrtime.bigint();
  traceReplay('replay-recording');
  o.executor.warm?.(o.recording, o.modules);
  const source = await openSource(o.recording);
  const manifest = source.manifest;
  const cost = sliceCost(manifest.slices);
  // An executor in this process shares each task's slices with the other lanes (slice-claims.ts): one
  // chunk per lane and pass, an idle lane taking slices from the back of the busiest. Otherwise a few
  // chunks per lane, an idle lane taking the last chunk of the busiest.
  const shares = o.executor.sharesMemory === true;
  const plan = planReplay({ recording: o.recording, slices: o.slices, cost, workers: o.executor.concurrency, analyses: o.analyses ?? [], registry: o.registry, modules: o.modules, profile: o.profile, chunksPerWorker: shares ? 1 : undefined });

  const judge = (r: SliceReport): SliceOutcome => {
    const recorded = manifest.slices[r.slice]?.endState;
    return {
      slice: r.slice,
      verified: !r.error && r.divergence === null && r.endState !== null && r.endState === recorded,
      endState: r.endState,
      divergence: r.divergence ?? (r.endState !== null && r.endState !== recorded && !r.error
        ? { from: manifest.slices[r.slice]?.startIcount ?? 0, to: manifest.slices[r.slice]?.endIcount ?? 0, message: `the state at icount ${manifest.slices[r.slice]?.endIcount} hashes to ${r.endState}, the recording says ${recorded}` }
        : null),
      ...(r.error ? { error: r.error } : {}),
      wallSeconds: r.wallSeconds,
      restoreSeconds: r.restoreSeconds,
      steps: r.steps,
      checkpoints: r.checkpoints,
    };
  };

  const results: TaskResult[] = [];
  const fixed: FixedCosts = { chunks: 0, startupSeconds: 0, restoreSeconds: 0 };
  const rangeCost = (first: number, last: number) => { let c = 0; for (let i = first; i <= last; i++) c += cost(i); return c; };
  // Each slice of each pass is told once: as it ends (streamed), or with its task's result (whichever comes first).
  const told = new Set<string>();
  // What this run has measured so far, for the steal decision: restores, and replay seconds per unit of slice cost.
  const costs = o.costs ?? MEASURED_LANE_COSTS;
  const measure = o.costs === undefined;
  const timed = manifest.slices.length > 0 && manifest.slices.every((s) => s.busySeconds !== undefined);
  const restored = { seconds: 0, count: 0 };
  const replayed = { seconds: 0, cost: 0 };
  /** Per running slice (pass:slice), the fraction done, from progress. */
  const running = new Map<string, number>();
  const secondsPerCost = () => (measure && replayed.cost > 0 && replayed.seconds > 0 ? replayed.seconds / replayed.cost : timed ? costs.replayPerRecordedSecond : 1 / costs.stepsPerSecond);
  // Conservative: the first restores of a run are cold and dearer than a jump; they count too.
  const restoreEstimate = () => Math.max(costs.jumpRestoreSeconds, measure && restored.count > 0 ? restored.seconds / restored.count : 0);
  const tell = (s: SliceReport, pass: number) => {
    const key = `${pass}:${s.slice}`;
    if (told.has(key)) return;
    told.add(key);
    fixed.restoreSeconds += s.restoreSeconds;
    running.delete(key);
    if (s.restoreSeconds > 0) { restored.seconds += s.restoreSeconds; restored.count++; }
    if (!s.error && cost(s.slice) > 0) { replayed.seconds += s.wallSeconds - s.restoreSeconds; replayed.cost += cost(s.slice); }
    o.onSliceDone?.(judge(s), pass);
  };
  const submit = async (task: ReplayTask, k: number, shared?: SharedTaskOptions) => {
    const submitted = process.hrtime.bigint();
    const progress = (p: TaskProgress) => {
      if (p.total > 0 && !told.has(`${p.pass}:${p.slice}`)) running.set(`${p.pass}:${p.slice}`, p.done / p.total);
      o.onProgress?.(p);
    };
    const r = await o.executor.run(task, progress, k, shared && { ...shared, onSliceReport: (s) => tell(s, task.pass) });
    // With claims, the task ran first..(the first slice it could not claim) - 1.
    checkShape(r, task.first, shared?.claims ? shared.claims.left().next - 1 : task.last);
    if (r.slices.length === 0) return;
    results.push(r);
    fixed.chunks++;
    const sliceSeconds = r.slices.reduce((a, s) => a + s.wallSeconds, 0);
    fixed.startupSeconds += shares ? Math.max(0, Number(process.hrtime.bigint() - submitted) / 1e9 - sliceSeconds) : r.setupSeconds;
    for (const s of r.slices) tell(s, r.pass);
  };
  if (shares) {
    const own = plan.lanes.map((l) => l.map((t) => ({ task: plan.tasks[t], claims: SliceClaims.create(plan.tasks[t].first, plan.tasks[t].last) })));
    const live = own.flat();
    /**
     * Takes slices from the back of a running range, the one with the most time left first, where
     * that ends the work sooner even after the jump's restore (lane-costs.ts pickSteal); undefined
     * when no range is worth it (the lane is done).
     */
    const steal = () => {
      const perCost = secondsPerCost();
      const restore = restoreEstimate();
      const busyFor = (r: (typeof live)[number], next: number) => {
        const k = `${r.task.pass}:${next - 1}`;
        const done = running.get(k);
        return next - 1 >= r.task.first && !told.has(k) ? cost(next - 1) * perCost * (1 - (done ?? 0)) : 0;
      };
      const left = live
        .map((r) => { const { next, end } = r.claims.left(); return { r, time: next < end ? busyFor(r, next) + rangeCost(next, end - 1) * perCost : 0 }; })
        .filter((x) => x.time > 0)
        .sort((a, b) => b.time - a.time);
      for (const { r: victim } of left) {
        const taken = victim.claims.takeBack((next, end) => {
          const at = pickSteal(Array.from({ length: end - next }, (_, j) => cost(next + j) * perCost), restore, busyFor(victim, next));
          return at === null ? null : next + at;
        });
        if (!taken) continue;
        traceReplay(`steal ${taken.first}..${taken.last}`);
        const r = { task: { ...victim.task, first: taken.first, last: taken.last }, claims: SliceClaims.create(taken.first, taken.last) };
        live.push(r);
        return r;
      }
      return undefined;
    };
    const lane = async (k: number) => {
      for (let r = own[k].shift() ?? steal(); r !== undefined; r = own[k].shift() ?? steal()) {
        const { next, end } = r.claims.left();
        if (next < end) { traceReplay(`lane ${k} submit ${next}..${end - 1}`); await submit(r.task, k, { claims: r.claims }); traceReplay(`lane ${k} done`); }
      }
      traceReplay(`lane ${k} idle`);
    };
    await Promise.all(plan.lanes.map((_, k) => lane(k)));
  } else {
    const lanes = new Lanes(plan, (t) => rangeCost(plan.tasks[t].first, plan.tasks[t].last));
    const lane = async (k: number) => {
      for (let i = lanes.next(k); i !== undefined; i = lanes.next(k)) await submit(plan.tasks[i], k);
    };
    await Promise.all(plan.lanes.map((_, k) => lane(k)));
  }

  const reports = (pass: number) => results.filter((r) => r.pass === pass).flatMap((r) => r.slices).sort((a, b) => a.slice - b.slice);
  const context: AnalysisContext = { profile: o.profile ?? (o.analyses?.length ? await profileOf(source) : undefined) };
  const analyses: Record<string, unknown> = {};
  let verified = true;
  const passFailures: PassFailure[] = [];
  plan.passes.forEach((reqs, pass) => {
    const rs = reports(pass);
    const bad = rs.map(judge).filter((r) => !r.verified);
    verified &&= bad.length === 0;
    // Said, not only counted: an analysis pass that failed (its analysis could not start, say) leaves its results short.
    if (pass > 0 && bad.length > 0) passFailures.push({ pass, analyses: reqs.map((a) => a.kind), slices: bad.map((r) => r.slice), error: bad[0].error ?? bad[0].divergence?.message ?? 'did not reach the recorded state' });
    for (const a of reqs) {
      const parts = rs.filter((r) => !r.error && a.kind in r.analyses).map((r) => r.analyses[a.kind]);
      // A heavy analysis's own pass that gave no slice a result: none is made up (passFailures says why).
      if (pass > 0 && parts.length === 0 && rs.length > 0) continue;
      analyses[a.kind] = o.registry.get(a.kind).merge(parts, context);
    }
  });
  return {
    slices: reports(0).map(judge),
    verified,
    passFailures,
    analyses,
    passes: plan.passes.length,
    tasks: results.length,
    fixed,
    wallSeconds: Number(process.hrtime.bigint() - started) / 1e9,
  };
}

/** A result must report exactly the chunk's slices, in order: a worker of another version, or a broken one, is caught here. */
function checkShape(r: TaskResult, first: number, last: number): void {
  const ok = r && Array.isArray(r.slices) && r.slices.length === Math.max(0, last - first + 1) && r.slices.every((s, k) => s.slice === first + k);
  if (!ok) throw new Error(`a worker answered the task for slices ${first}..${last} with ${r && Array.isArray(r.slices) ? `reports for slices [${r.slices.map((s) => s.slice).join(', ')}]` : 'no slice reports'} (is it running another prnr version?)`);
}
