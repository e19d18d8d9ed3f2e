/** The planner's chunks: consecutive, covering every requested slice once, balanced by cost. */
import { describe, expect, it } from 'vitest';
import type { SliceEntry } from '@prnr/recording';
import { chunkSlices, sliceCost } from './planner.js';

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
