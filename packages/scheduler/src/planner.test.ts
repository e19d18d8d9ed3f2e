/** The planner's chunks: consecutive, covering every requested slice once, balanced by cost. */
import { describe, expect, it } from 'vitest';
import type { SliceEntry } from '@prnr/recording';
import { AnalysisRegistry } from './analysis-registry.js';
import { Lanes, chunkSlices, planReplay, sliceCost } from './planner.js';

const even = () => 100;

describe('chunkSlices', () => {
  it('one worker: one chunk over everything', () => {
    expect(chunkSlices([0, 1, 2, 3], even, 1)).toEqual([[0, 3]]);
  });

  it('cuts equal slices into equal runs, never more chunks than slices', () => {
    expect(chunkSlices([0, 1, 2, 3], even, 2)).toEqual([[0, 1], [2, 3]]);
    expect(chunkSlices([0, 1, 2, 3, 4, 5], even, 3)).toEqual([[0, 1], [2, 3], [4, 5]]);
    expect(chunkSlices([0, 1, 2], even, 8)).toEqual([[0, 0], [1, 1], [2, 2]]);
  });

  it('balances by cost: an expensive slice gets a chunk of its own', () => {
    const cost = (i: number) => (i === 0 ? 300 : 100);
    expect(chunkSlices([0, 1, 2, 3], cost, 2)).toEqual([[0, 0], [1, 3]]);
  });

  it('a gap in the requested slices always cuts; order and duplicates do not matter', () => {
    expect(chunkSlices([5, 1, 2, 2, 6], even, 1)).toEqual([[1, 2], [5, 6]]);
  });

  it('covers every slice exactly once for any worker count', () => {
    const slices = Array.from({ length: 37 }, (_, i) => i);
    const steps = (i: number) => 1 + ((i * 7919) % 13);
    for (let w = 1; w <= 40; w++) {
      const chunks = chunkSlices(slices, steps, w);
      expect(chunks.length).toBe(Math.min(w, slices.length));
      expect(chunks.flatMap(([a, b]) => Array.from({ length: b - a + 1 }, (_, k) => a + k))).toEqual(slices);
    }
  });

  it('no slices: no chunks', () => {
    expect(chunkSlices([], even, 4)).toEqual([]);
  });
});

describe('sliceCost', () => {
  const slice = (i: number, steps: number, busySeconds?: number) => ({ index: i, startIcount: i * 100, endIcount: i * 100 + steps, ...(busySeconds === undefined ? {} : { busySeconds }) }) as SliceEntry;

  it('the recorded busy seconds when every slice has them', () => {
    const cost = sliceCost([slice(0, 100, 3), slice(1, 100, 0.5)]);
    expect([cost(0), cost(1)]).toEqual([3, 0.5]);
  });

  it('steps when a slice lacks them (an older recording), and 0 past the end', () => {
    const cost = sliceCost([slice(0, 100, 3), slice(1, 80)]);
    expect([cost(0), cost(1), cost(2)]).toEqual([100, 80, 0]);
  });
});

describe('planReplay and Lanes', () => {
  const registry = new AnalysisRegistry();
  const plan = (slices: number, workers: number, cost: (i: number) => number = () => 1) =>
    planReplay({ recording: { dir: 'x.rec' }, slices: [...Array(slices).keys()], cost, workers, analyses: [{ kind: 'profile' }, { kind: 'watch', options: { paddr: 0, length: 8 } }], registry });

  it('4 chunks per worker; each worker starts with a run of consecutive chunks of every pass, pass 0 first', () => {
    const p = plan(16, 2);
    expect(p.passes.length).toBe(2);
    expect(p.tasks.length).toBe(16); // 8 chunks of 2 slices, 2 passes
    expect(p.lanes).toEqual([[0, 1, 2, 3, 8, 9, 10, 11], [4, 5, 6, 7, 12, 13, 14, 15]]);
    expect(p.lanes[1].map((t) => [p.tasks[t].pass, p.tasks[t].first])).toEqual([[0, 8], [0, 10], [0, 12], [0, 14], [1, 8], [1, 10], [1, 12], [1, 14]]);
  });

  it('a worker whose run is done takes the last task of the worker with the most cost left', () => {
    const p = plan(8, 2);
    const lanes = new Lanes(p, (t) => p.tasks[t].last - p.tasks[t].first + 1);
    const taken: Array<[number, number | undefined]> = [];
    // Lane 1 runs through its own tasks, then takes lane 0's from the back while lane 0 takes from the front.
    for (let i = 0; i < 8; i++) taken.push([1, lanes.next(1)]);
    taken.push([0, lanes.next(0)]);
    for (let i = 0; i < 8; i++) taken.push([1, lanes.next(1)]);
    const all = taken.map(([, t]) => t).filter((t) => t !== undefined);
    expect(new Set(all).size).toBe(p.tasks.length); // each task exactly once
    expect(all.length).toBe(p.tasks.length);
    expect(taken[8]).toEqual([0, p.lanes[0][0]]); // lane 0 still starts at the front of its run
    expect(taken[9]).toEqual([1, p.lanes[0].at(-1)]); // lane 1 took lane 0's last task
  });
});

describe('the lanes prestarted threads restore ahead', () => {
  it('with one chunk per worker, lane k starts at chunkSlices(every slice, cost, workers)[k][0] (thread-worker.ts restores it while it waits)', () => {
    const registry = new AnalysisRegistry();
    const slices = Array.from({ length: 23 }, (_, i) => i);
    const cost = (i: number) => 1 + ((i * 7919) % 17);
    for (let w = 1; w <= 6; w++) {
      const plan = planReplay({ recording: { dir: 'x' }, slices, cost, workers: w, analyses: [], registry, chunksPerWorker: 1 });
      const predicted = chunkSlices(slices, cost, w).map(([first]) => first);
      expect(plan.lanes.map((l) => plan.tasks[l[0]].first)).toEqual(predicted);
    }
  });
});
