/** Each failed slice, diverged slice and failed analysis pass of a replay: one line on stderr each. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RecordingReplayResult } from '@prnr/scheduler';
import { deviceModuleHint, reportProblems } from './replay-problems.js';

type Slice = RecordingReplayResult['slices'][number];
const slice = (i: number, o: Partial<Slice> = {}): Slice => ({ slice: i, verified: true, endState: 'ab', divergence: null, wallSeconds: 0, restoreSeconds: 0, steps: 0, checkpoints: 0, ...o });

afterEach(() => vi.restoreAllMocks());

describe('reportProblems', () => {
  it('says every problem, one line each: failed and diverged slices, and analysis passes that failed', () => {
    const lines: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => (lines.push(String(s)), true));
    reportProblems({
      slices: [slice(0), slice(1, { verified: false, error: 'log/000001.seg: block 0 at byte 28: checksum mismatch' }), slice(2, { verified: false, divergence: { from: 10, to: 20, message: 'the state\nhashes to 00' } })],
      passFailures: [
        { pass: 1, analyses: ['watch'], slices: [0], error: 'watch range 0x1000+8 is not in RAM' },
        { pass: 2, analyses: ['x'], slices: [0, 1, 2, 3, 4, 5, 6, 7, 8], error: 'boom' },
      ],
    });
    expect(lines).toEqual([
      'prnr: slice 1 FAILED: log/000001.seg: block 0 at byte 28: checksum mismatch\n',
      'prnr: slice 2 DIVERGED between icount 10 and 20: the state hashes to 00\n',
      'prnr: analysis watch FAILED on slice 0: watch range 0x1000+8 is not in RAM\n',
      'prnr: analysis x FAILED on 9 slices (0, 1, 2, 3, 4, 5, 6, 7, ...): boom\n',
    ]);
  });

  it('adds one hint line after a divergence when the recording has device modules, none after a failure only', () => {
    const lines: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => (lines.push(String(s)), true));
    const manifest = { devicePlugins: [{ module: '/m/random.mjs', sha256: 'a'.repeat(64), kind: 'temperature-sensor', version: 1 }] };
    const diverged = slice(1, { verified: false, divergence: { from: 10, to: 20, message: 'the replay ran past a consoleInput event' } });
    reportProblems({ slices: [slice(0), diverged, { ...diverged, slice: 2 }], passFailures: [] }, manifest);
    const hint = 'prnr: hint: the recording uses device module temperature-sensor (/m/random.mjs); a module that reads the host outside its ports (Date.now, Math.random, files) makes replays diverge\n';
    expect(lines.slice(2)).toEqual([hint]);
    lines.length = 0;
    reportProblems({ slices: [slice(0, { verified: false, error: 'boom' })], passFailures: [] }, manifest);
    expect(lines).toEqual(['prnr: slice 0 FAILED: boom\n']);
    expect(deviceModuleHint({})).toBeUndefined();
  });
});
