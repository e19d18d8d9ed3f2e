/**
 * Live progress of a replay, one bar per slice (cli-progress), on stderr
 * when it is a terminal; nothing otherwise.
 */
import cliProgress from 'cli-progress';
import type { SliceOutcome, TaskProgress } from '@prnr/scheduler';

export interface ReplayProgress {
  update(p: TaskProgress): void;
  /** A slice of a pass finished. */
  done(r: SliceOutcome, pass: number): void;
  stop(): void;
}

export function replayProgress(o: { totals: Map<number, number>; enabled: boolean }): ReplayProgress {
  if (!o.enabled || !process.stderr.isTTY) return { update() {}, done() {}, stop() {} };
  const multi = new cliProgress.MultiBar(
    { stream: process.stderr, hideCursor: true, clearOnComplete: false, format: ' slice {slice} pass {pass} [{bar}] {percentage}% | {status} | {mips} MIPS', barsize: 30, noTTYOutput: false },
    cliProgress.Presets.shades_grey,
  );
  const bars = new Map<string, { bar: cliProgress.SingleBar; started: number }>();
  const key = (slice: number, pass: number) => `${slice}:${pass}`;
  const barFor = (slice: number, pass: number) => {
    let b = bars.get(key(slice, pass));
    if (!b) {
      b = { bar: multi.create(o.totals.get(slice) ?? 1, 0, { slice: String(slice).padStart(3), pass, status: 'running ', mips: '   -' }), started: Date.now() };
      bars.set(key(slice, pass), b);
    }
    return b;
  };
  return {
    update(p) {
      const b = barFor(p.slice, p.pass);
      const secs = (Date.now() - b.started) / 1000;
      b.bar.update(p.done, { mips: secs > 0 ? (p.done / secs / 1e6).toFixed(1).padStart(5) : '    -' });
    },
    done(r, pass) {
      const b = barFor(r.slice, pass);
      b.bar.update(o.totals.get(r.slice) ?? 1, { status: r.error ? 'FAILED  ' : r.verified ? 'verified' : 'DIVERGED', mips: r.wallSeconds > 0 ? (r.steps / r.wallSeconds / 1e6).toFixed(1).padStart(5) : '    -' });
    },
    stop() {
      multi.stop();
    },
  };
}
