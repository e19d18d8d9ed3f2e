/**
 * For the CLI's tests of damaged recordings and exit statuses: run the built
 * CLI with a time limit, make a small recording that powers off, copy it,
 * rewrite a log segment, and check that a failure is said in one line.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { readSegment, SegmentWriter, type LogEvent } from '@prnr/eventlog';
import { manifestText, type RecordingManifest } from '@prnr/recording';

export const MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
  /** The run was killed at its time limit. */
  timedOut: boolean;
  /** The command line, for failure messages. */
  command: string;
}

/** Runs `prnr ...args`; a run still going after `timeoutMs` is killed (timedOut). */
export function prnr(args: string[], timeoutMs = 120_000): CliRun {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`pnpm build\` first (\`pnpm test\` does)`);
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 << 20 });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', timedOut: r.signal === 'SIGKILL', command: `prnr ${args.join(' ')}` };
}

/** A stack trace line, as Node prints one under an uncaught error. */
export const STACK_TRACE = /\n\s+at /;

/** `prnr record` of the default guest typing `poweroff -f`: about 89M instructions, 3 slices of 30M, ended by poweroff. */
export function recordPoweroff(dir: string, scratch: string): CliRun {
  const script = join(scratch, 'poweroff.sh');
  writeFileSync(script, 'poweroff -f\n');
  return prnr(['record', '-o', dir, '--script', script, '--slice-insns', '30000000', '--max-insns', '300000000', '-q'], 300_000);
}

/** A fresh copy of a recording, to damage. */
export function copyRecording(from: string, to: string): string {
  cpSync(from, to, { recursive: true });
  return to;
}

export interface ManifestSlice {
  index: number;
  startIcount: number;
  endIcount: number;
  snapshot: string;
  endState: string;
  log: string;
  events: number;
  logBytes: number;
}
export interface Manifest {
  slices: ManifestSlice[];
  end?: { icount: number; reason: string };
  [field: string]: unknown;
}

export function readManifestJson(rec: string): Manifest {
  return JSON.parse(readFileSync(join(rec, 'recording.json'), 'utf8')) as Manifest;
}

/** Rewrites recording.json through `edit`, as prnr writes it (its checksum made again). */
export function editManifest(rec: string, edit: (m: Manifest) => void): void {
  const m = readManifestJson(rec);
  edit(m);
  writeFileSync(join(rec, 'recording.json'), manifestText(m as unknown as RecordingManifest));
}

/**
 * Rewrites a slice's log segment, valid and checksummed, with the events and
 * end icount `edit` returns, and keeps recording.json's counts of it in step:
 * damage a checksum cannot see.
 */
export async function rewriteSegment(rec: string, slice: number, edit: (events: LogEvent[], endIcount: bigint) => { events: LogEvent[]; endIcount: bigint }): Promise<void> {
  const m = readManifestJson(rec);
  const file = join(rec, m.slices[slice].log);
  const seg = await readSegment(file);
  const { events, endIcount } = edit(seg.events, seg.endIcount);
  const w = await SegmentWriter.create(file, { segmentIndex: seg.segmentIndex, startIcount: seg.startIcount });
  for (const ev of events) w.append(ev);
  await w.close(endIcount);
  const bytes = readFileSync(file).length;
  editManifest(rec, (mm) => {
    mm.slices[slice].events = events.length;
    mm.slices[slice].logBytes = bytes;
  });
}

/**
 * Checks a failure: the exit status, no stack trace, and exactly one line of
 * `text` matching `line` (what went wrong and where).
 */
export function expectFailure(r: CliRun, status: number, text: 'stdout' | 'stderr', line: RegExp): string {
  const context = `${r.command}\n--- stdout\n${r.stdout.slice(-3000)}\n--- stderr\n${r.stderr.slice(-3000)}`;
  expect(r.timedOut, context).toBe(false);
  expect(r.status, context).toBe(status);
  expect(r.stderr, context).not.toMatch(STACK_TRACE);
  expect(r.stdout, context).not.toMatch(STACK_TRACE);
  const hits = r[text].split('\n').filter((l) => line.test(l));
  expect(hits, context).toHaveLength(1);
  return hits[0];
}

/** Checks a bad-input failure: status 2 and nothing on stderr but one line, `prnr: ` and a match of `line`. */
export function expectBadInput(r: CliRun, line: RegExp): void {
  const context = `${r.command}\n--- stdout\n${r.stdout.slice(-3000)}\n--- stderr\n${r.stderr.slice(-3000)}`;
  expect(r.timedOut, context).toBe(false);
  expect(r.status, context).toBe(2);
  expect(r.stderr.trimEnd().split('\n'), context).toHaveLength(1);
  expect(r.stderr, context).toMatch(/^prnr: /);
  expect(r.stderr.trimEnd(), context).toMatch(line);
}

/** A regular expression matching `s` literally. */
export function literal(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
