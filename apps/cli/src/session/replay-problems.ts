/** What went wrong in a replay, said the same way by replay, verify, diagnose and demo. */
import type { RecordingManifest } from '@prnr/recording';
import type { RecordingReplayResult } from '@prnr/scheduler';

/** A message on one line, whatever it quotes. */
const oneLine = (s: string | undefined) => String(s).replace(/\s*\n\s*/g, ' ');

/**
 * One line on stderr per slice that failed or diverged, and per analysis pass that did not replay
 * every slice; with `manifest`, a divergence in a recording with device modules adds the hint
 * deviceModuleHint gives.
 */
export function reportProblems(r: Pick<RecordingReplayResult, 'slices' | 'passFailures'>, manifest?: Pick<RecordingManifest, 'devicePlugins'>): void {
  for (const s of r.slices) {
    if (s.error) process.stderr.write(`prnr: slice ${s.slice} FAILED: ${oneLine(s.error)}\n`);
    else if (!s.verified) process.stderr.write(`prnr: slice ${s.slice} DIVERGED between icount ${s.divergence?.from} and ${s.divergence?.to}: ${oneLine(s.divergence?.message)}\n`);
  }
  if (manifest) reportDeviceModuleHint(r.slices, manifest);
  for (const p of r.passFailures) {
    const where = p.slices.length === 1 ? `slice ${p.slices[0]}` : `${p.slices.length} slices (${p.slices.slice(0, 8).join(', ')}${p.slices.length > 8 ? ', ...' : ''})`;
    process.stderr.write(`prnr: analysis ${p.analyses.join(', ')} FAILED on ${where}: ${oneLine(p.error)}\n`);
  }
}

/**
 * The likeliest cause of a divergence in a recording whose board has device modules, in one line
 * (undefined: it has none). A divergence's own message points at the first event the replay
 * missed, which is often far from the module that made the machine take another path.
 */
export function deviceModuleHint(manifest: Pick<RecordingManifest, 'devicePlugins'>): string | undefined {
  const modules = manifest.devicePlugins ?? [];
  if (modules.length === 0) return undefined;
  const named = modules.map((m) => `${m.kind} (${m.module})`).join(', ');
  return `prnr: hint: the recording uses device module${modules.length > 1 ? 's' : ''} ${named}; a module that reads the host outside its ports (Date.now, Math.random, files) makes replays diverge`;
}

/** The hint on stderr, once, if any of `slices` diverged (a failure names its own cause). */
export function reportDeviceModuleHint(slices: ReadonlyArray<Pick<RecordingReplayResult['slices'][number], 'verified' | 'error'>>, manifest: Pick<RecordingManifest, 'devicePlugins'>): void {
  const hint = deviceModuleHint(manifest);
  if (hint !== undefined && slices.some((s) => !s.verified && !s.error)) process.stderr.write(`${hint}\n`);
}
