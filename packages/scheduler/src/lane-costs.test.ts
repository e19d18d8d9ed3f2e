import { describe, expect, it } from 'vitest';
import { chooseLanes, expectedReplaySeconds, laneSpeed, pickSteal, predictReplaySeconds, type LaneCosts } from './lane-costs.js';

// Costs given as data (no timing is measured here): a lane beside the first loses 2 s starting,
// each replay uses 1.25 cores, a jump costs 0.02 s, replay takes 0.8 s per recorded busy second.
const costs: LaneCosts = { laneStartSeconds: 2, cpuPerLane: 1.25, jumpRestoreSeconds: 0.02, replayPerRecordedSecond: 0.8, stepsPerSecond: 10e6, minGain: 0.1 };
const slices = (busy: number[]) => busy.map((b, i) => ({ startIcount: i * 50e6, endIcount: (i + 1) * 50e6, busySeconds: b }));

describe('lane costs', () => {
  it('expects replay time from busy seconds, at most the instructions at the slowest rate, and from instructions without them', () => {
    expect(expectedReplaySeconds(slices([1, 2, 2]).map((s) => ({ ...s, endIcount: s.startIcount + 50e6 })), costs)).toBeCloseTo(4);
    // 20M instructions without busy seconds: 2 s; 30M recorded as 9 busy seconds on a loaded host: at most 3 s.
    expect(expectedReplaySeconds([{ startIcount: 0, endIcount: 20e6 }, { startIcount: 20e6, endIcount: 50e6, busySeconds: 9 }], costs)).toBeCloseTo(5);
  });

  it('lanes slow down once they need more cores than there are', () => {
    expect(laneSpeed(1, 2, costs)).toBe(1);
    expect(laneSpeed(2, 2, costs)).toBeCloseTo(0.8);
    expect(laneSpeed(2, 16, costs)).toBe(1);
    // 10 s on 2 lanes: lane 0 does 2 s x 0.8 while lane 1 starts, then both share the remaining 8.4 s at 0.8.
    expect(predictReplaySeconds(10, 2, 2, costs)).toBeCloseTo(2 + 0.02 + 8.4 / 1.6);
    expect(predictReplaySeconds(10, 1, 2, costs)).toBe(10);
  });

  it('a recording made on a loaded host (inflated busy seconds) is judged by its instructions', () => {
    const loaded = [0.9, 2.1, 2.7, 1.2].map((b, i) => ({ startIcount: i * 10e6, endIcount: (i + 1) * 10e6, busySeconds: b }));
    expect(expectedReplaySeconds(loaded, costs)).toBeCloseTo(0.72 + 1 + 1 + 0.96);
    expect(chooseLanes({ slices: loaded, asked: 2, cores: 2, costs }).lanes).toBe(1);
  });

  it('starts no second lane for a short recording, and says so', () => {
    const d = chooseLanes({ slices: slices([0.3, 0.7, 0.9, 0.4, 0.4, 0.3, 0.4, 0.5, 0.4]), asked: 2, cores: 2, costs });
    expect(d.lanes).toBe(1);
    expect(d.predicted[1]).toBeGreaterThan(d.predicted[0] * 0.9);
    expect(d.reason).toMatch(/^1 lane\(s\) of 2 asked: .*too short/);
  });

  it('counts every pass over the slices: a second lane that one pass does not pay for, two passes do', () => {
    const short = slices([0.3, 0.7, 0.9, 0.4, 0.4, 0.3, 0.4, 0.5, 0.4]);
    expect(chooseLanes({ slices: short, asked: 2, cores: 2, costs }).lanes).toBe(1);
    const twice = chooseLanes({ slices: short, asked: 2, cores: 2, passes: 2, costs });
    expect(twice.expectedSeconds).toBeCloseTo(2 * expectedReplaySeconds(short, costs));
    expect(chooseLanes({ slices: short, asked: 2, cores: 2, passes: 4, costs }).lanes).toBe(2);
  });

  it('starts the second lane where it is predicted to pay for its start', () => {
    const d = chooseLanes({ slices: slices(Array(40).fill(0.3)), asked: 2, cores: 2, costs });
    expect(d.lanes).toBe(2);
    expect(d.expectedSeconds).toBeCloseTo(9.6);
    expect(d.reason).toMatch(/^2 lane\(s\): /);
  });

  it('takes more lanes on more cores only while each pays; never more lanes than slices', () => {
    const long = chooseLanes({ slices: slices(Array(64).fill(1)), asked: 16, cores: 16, costs });
    expect(long.lanes).toBeGreaterThan(4);
    expect(long.lanes).toBeLessThanOrEqual(16);
    expect(chooseLanes({ slices: slices([30, 30]), asked: 8, cores: 8, costs }).lanes).toBe(2);
    expect(chooseLanes({ slices: slices([30]), asked: 8, cores: 8, costs }).lanes).toBe(1);
  });

  it('asked for far more lanes than slices (-j 1e9): predicts only the lane counts it could use', () => {
    // Nine long slices on many cores: every lane pays, so all nine are taken.
    const long = Array.from({ length: 9 }, (_, i) => ({ startIcount: i * 1e13, endIcount: (i + 1) * 1e13, busySeconds: 1000 }));
    const d = chooseLanes({ slices: long, asked: 1e9, cores: 1000, costs });
    expect(d.asked).toBe(1e9);
    expect(d.predicted).toHaveLength(9);
    expect(d.lanes).toBe(9);
    expect(d.reason).toBe('9 lane(s) of 1000000000 asked: the recording has 9 slice(s)');
  });
});

describe('pickSteal', () => {
  it('takes about half of what is left less the restore, from the back', () => {
    // 4 s left in four slices, restore 0.2 s: taking the last two (2 s) ends the busy lane 2 s sooner,
    // the thief at 2.2 s: the best cut.
    expect(pickSteal([1, 1, 1, 1], 0.2)).toBe(2);
  });

  it('takes nothing where the restore costs more than the work would save', () => {
    expect(pickSteal([0.05, 0.05], 0.2)).toBeNull();
    expect(pickSteal([1], 0.2)).toBeNull(); // the busy lane runs it sooner itself
    expect(pickSteal([], 0.01)).toBeNull();
  });

  it('counts what the busy lane still has of its running slice', () => {
    // The busy lane is 3 s from the end of its current slice: the one slice after it is worth taking,
    // as is everything it has not begun.
    expect(pickSteal([1], 0.2, 3)).toBe(0);
    expect(pickSteal([1, 1], 0.2, 3)).toBe(0);
  });
});
