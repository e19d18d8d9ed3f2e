/**
 * What a parallel replay's lanes cost, and the two decisions taken from it:
 * how many lanes to start (chooseLanes), and whether an idle lane takes
 * slices from a busy one (pickSteal). Pure functions of plain data, so that
 * they are tested with costs given as data; no heavy imports (the CLI's
 * entry calls chooseLanes before it loads the rest of itself).
 *
 * The model: a lane beside the first starts late (a thread, its packages, its
 * code, a machine, a cold restore, V8 optimizing the hart's code again in its
 * own isolate) and, while it starts, takes CPU from the first. Once running,
 * lanes share the cores: each replay uses more than one core's worth of CPU
 * (V8's compiler and GC threads run beside it), so on few cores every lane
 * runs slower than a lone one. A lane that is not expected to pay for its
 * start is not started.
 */

/** The costs that decide the plan, in seconds of replay (see MEASURED_LANE_COSTS). */
export interface LaneCosts {
  /** Time a lane beside the first loses by starting (thread, code, machine, cold restore, re-optimizing), as lane time. */
  laneStartSeconds: number;
  /** CPU-seconds one replaying lane uses per wall-second (its thread plus V8's background threads). */
  cpuPerLane: number;
  /** A restore that moves a warm lane's machine to another snapshot (a steal pays one). */
  jumpRestoreSeconds: number;
  /** Replay seconds per second the recorder was busy with a slice (a slice's `busySeconds`). */
  replayPerRecordedSecond: number;
  /**
   * Replay instructions per second at the slowest (a cold boot): the estimate for slices recorded
   * without `busySeconds`, and a bound on those with: in recordings before 2026-12-06 (and on hosts
   * other than Linux) busy seconds are wall time and grow with the host's load while recording, and a
   * recording made on a busy host must not look longer than it is. Newer ones hold the machine
   * thread's CPU time, which moves far less with the load.
   */
  stepsPerSecond: number;
  /** A lane more is started only when it is predicted to cut the replay's time by at least this fraction. */
  minGain: number;
}

/**
 * Measured on the project's 2-core host (BENCHMARKS.md §5, session 8, quiet runs): the second
 * lane's start and cold code cost 2-3 s of lane time (demo lane time 4.35 s in -j 2 against
 * 2.50 s in -j 1, smoke 10.88 against 8.71), `replay -j 1` uses 1.25-1.45 CPU-s per wall-second,
 * a jump between snapshots 4-19 ms, replay ran at 0.6-1.0 times the recorder's busy time, and at
 * 34M (the demo, mostly a boot) to 190M (smoke) instructions per second. The model is rough: minGain keeps it from starting a
 * lane that it predicts to win only a little.
 */
export const MEASURED_LANE_COSTS: LaneCosts = {
  laneStartSeconds: 2.5,
  cpuPerLane: 1.25,
  jumpRestoreSeconds: 0.02,
  replayPerRecordedSecond: 0.8,
  stepsPerSecond: 25e6,
  minGain: 0.1,
};

/** A slice as the decision needs it (a recording manifest's slice entry fits). */
export interface SliceSize {
  startIcount: number;
  endIcount: number;
  busySeconds?: number;
}

/**
 * Expected replay seconds of `slices` on one lane: per slice, from the recorder's busy time, at most
 * its instructions at the slowest rate (see stepsPerSecond); from its instructions alone without one.
 */
export function expectedReplaySeconds(slices: readonly SliceSize[], costs: LaneCosts = MEASURED_LANE_COSTS): number {
  return slices.reduce((a, s) => {
    const bound = (s.endIcount - s.startIcount) / costs.stepsPerSecond;
    return a + (s.busySeconds === undefined ? bound : Math.min(s.busySeconds * costs.replayPerRecordedSecond, bound));
  }, 0);
}

/** Speed of each of `lanes` lanes, relative to a lone lane, on `cores` cores. */
export function laneSpeed(lanes: number, cores: number, costs: LaneCosts = MEASURED_LANE_COSTS): number {
  return Math.min(1, cores / (Math.max(1, lanes) * costs.cpuPerLane));
}

/**
 * Predicted wall time of replaying `seconds` of one-lane work on `lanes` lanes: the first lane
 * runs while the others start (at the shared speed: their start takes CPU), then all share the rest.
 */
export function predictReplaySeconds(seconds: number, lanes: number, cores: number, costs: LaneCosts = MEASURED_LANE_COSTS): number {
  if (lanes <= 1) return seconds;
  const e = laneSpeed(lanes, cores, costs);
  const s = costs.laneStartSeconds;
  if (seconds <= s * e) return seconds / e; // done before the others could help
  return s + costs.jumpRestoreSeconds + (seconds - s * e) / (lanes * e);
}

export interface LaneDecision {
  /** Lanes to start (1 ≤ lanes ≤ the most asked for). */
  lanes: number;
  /** The most lanes asked for (e.g. --parallel). */
  asked: number;
  /** Expected one-lane replay seconds, and the predicted seconds per lane count 1..min(asked, slices). */
  expectedSeconds: number;
  predicted: number[];
  /** One line saying what was decided and why. */
  reason: string;
}

/**
 * How many of at most `asked` lanes to start for `slices` on `cores` cores: the fewest whose
 * predicted time no larger count beats by `minGain`. Never more lanes than slices. `passes`: how
 * many times the slices are replayed (1 + the heavy analyses: planReplay's passes).
 */
export function chooseLanes(o: { slices: readonly SliceSize[]; asked: number; cores: number; passes?: number; costs?: LaneCosts }): LaneDecision {
  const costs = o.costs ?? MEASURED_LANE_COSTS;
  const asked = Math.max(1, Math.floor(o.asked));
  const most = Math.max(1, Math.min(asked, o.slices.length));
  const expectedSeconds = expectedReplaySeconds(o.slices, costs) * Math.max(1, o.passes ?? 1);
  // Only the lane counts that can be used: `asked` may be anything a user typed (-j 1e9).
  const predicted = Array.from({ length: most }, (_, i) => predictReplaySeconds(expectedSeconds, i + 1, o.cores, costs));
  let lanes = 1;
  for (let n = 2; n <= most; n++) if (predicted[n - 1] <= predicted[lanes - 1] * (1 - costs.minGain)) lanes = n;
  const fmt = (s: number) => `${s.toFixed(1)} s`;
  let reason: string;
  if (lanes === asked) reason = `${lanes} lane(s): ~${fmt(expectedSeconds)} of replay, predicted ${fmt(predicted[lanes - 1])}${lanes > 1 ? ` (1 lane: ${fmt(predicted[0])})` : ''}`;
  else if (most < asked && lanes === most) reason = `${lanes} lane(s) of ${asked} asked: the recording has ${o.slices.length} slice(s)`;
  else reason = `${lanes} lane(s) of ${asked} asked: ~${fmt(expectedSeconds)} of replay is too short for more to pay for their start (predicted ${fmt(predicted[lanes - 1])}, ${lanes + 1} lanes ${fmt(predicted[lanes])}, on ${o.cores} core(s))`;
  return { lanes, asked, expectedSeconds, predicted, reason };
}

/**
 * Where an idle lane should cut a busy lane's unclaimed slices (their expected seconds, in
 * order), taking those from the returned index to the end; null to take nothing. `busyFor`: what
 * the busy lane still has to do of the slice it is running (0 when unknown). The thief pays
 * `restoreSeconds` to jump there, so a cut is taken only where it ends the two lanes' work sooner
 * than the busy lane alone would (the taken part, and what the busy lane keeps less the thief's
 * restore, both positive); of those, the cut that ends both soonest.
 */
export function pickSteal(costs: readonly number[], restoreSeconds: number, busyFor = 0): number | null {
  const total = costs.reduce((a, c) => a + c, 0);
  let best: number | null = null;
  let bestGain = 0;
  let taken = 0;
  for (let i = costs.length - 1; i >= 0; i--) {
    taken += costs[i];
    // Makespan before: busyFor + total; after: max(busyFor + total - taken, restore + taken).
    const gain = Math.min(taken, busyFor + total - restoreSeconds - taken);
    if (gain > bestGain) { bestGain = gain; best = i; }
  }
  return best;
}
