/** What went wrong in a replay, said the same way by replay, diagnose and demo. */
import type { RecordingReplayResult } from '@prnr/scheduler';

/** A message on one line, whatever it quotes. */
const oneLine = (s: string | undefined) => String(s).replace(/\s*\n\s*/g, ' ');

/** One line on stderr per slice that failed or diverged, and per analysis pass that did not replay every slice. */
export function reportProblems(r: Pick<RecordingReplayResult, 'slices' | 'passFailures'>): void {
  for (const s of r.slices) {
    if (s.error) process.stderr.write(`prnr: slice ${s.slice} FAILED: ${oneLine(s.error)}\n`);
    else if (!s.verified) process.stderr.write(`prnr: slice ${s.slice} DIVERGED between icount ${s.divergence?.from} and ${s.divergence?.to}: ${oneLine(s.divergence?.message)}\n`);
  }
  for (const p of r.passFailures) {
    const where = p.slices.length === 1 ? `slice ${p.slices[0]}` : `${p.slices.length} slices (${p.slices.slice(0, 8).join(', ')}${p.slices.length > 8 ? ', ...' : ''})`;
    process.stderr.write(`prnr: analysis ${p.analyses.join(', ')} FAILED on ${where}: ${oneLine(p.error)}\n`);
  }
}
