import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decideLanes, decideLanesFromDir } from './lanes.js';

const dir = mkdtempSync(join(tmpdir(), 'prnr-lanes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Slices as a manifest holds them; the costs are data, no time is measured.
const slices = (n: number, busySeconds: number) => Array.from({ length: n }, (_, i) => ({ index: i, startIcount: i * 4e6, endIcount: (i + 1) * 4e6, busySeconds }));

describe('lanes', () => {
  it('the entry and the command take the same decision from the same manifest', () => {
    const rec = join(dir, 'a.rec');
    for (const [n, busy] of [[10, 0.3], [200, 0.3]] as const) {
      const m = slices(n, busy);
      rmSync(rec, { recursive: true, force: true });
      mkdirSync(rec);
      writeFileSync(join(rec, 'recording.json'), JSON.stringify({ slices: m }));
      expect(decideLanesFromDir(rec, 2)).toEqual(decideLanes(m, 2));
    }
    expect(decideLanes(slices(200, 0.3), 2).lanes).toBe(decideLanes(slices(200, 0.3), 2, 1).lanes);
  });

  it('one lane for a short recording, every lane asked for a long one on as many cores', () => {
    expect(decideLanes(slices(10, 0.3), 2).lanes).toBe(1);
    expect(decideLanes(slices(10, 0.3), 1).lanes).toBe(1);
    // More passes (heavy analyses) are more work: worth another lane sooner.
    expect(decideLanes(slices(10, 0.3), 2, 8).expectedSeconds).toBeCloseTo(8 * decideLanes(slices(10, 0.3), 2).expectedSeconds);
  });

  it('an unreadable or malformed manifest decides nothing (the command says what is wrong)', () => {
    expect(decideLanesFromDir(join(dir, 'missing.rec'), 2)).toBeNull();
    const bad = join(dir, 'bad.rec');
    mkdirSync(bad);
    writeFileSync(join(bad, 'recording.json'), JSON.stringify({ slices: [{ startIcount: 'x', endIcount: 3 }] }));
    expect(decideLanesFromDir(bad, 2)).toBeNull();
    writeFileSync(join(bad, 'recording.json'), '{ not json');
    expect(decideLanesFromDir(bad, 2)).toBeNull();
  });
});
