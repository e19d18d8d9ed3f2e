/**
 * Damaged recordings, at random: seeded byte flips, truncations, deletions of
 * bytes and of whole files in the log segments (log/*.seg), the objects
 * (objects/**: the recording's pack; loose object files in recordings made
 * before packs) and recording.json of one small recording of the default
 * guest (boot, `poweroff -f`, 3 slices). Each damaged copy goes through
 * `prnr verify` (and recording.json's through `prnr slices` too), which must
 * end in one of two ways:
 *
 *  - the damage is found: a non-zero exit (2, or 4 with the slice marked
 *    FAILED) and a one-line message naming the damaged file (a segment's
 *    path, an object's hash, recording.json; a deleted pack takes every
 *    object with it, so a missing object's hash will do). No damage may
 *    make the replay diverge: segments are checksummed, objects hashed, and
 *    recording.json carries its own checksum (a changed endState would
 *    otherwise read as a divergence);
 *  - the damage hit bytes nothing reads: every slice verified, with the end
 *    states of the undamaged recording.
 *
 * Never a stack trace, never a hang (each run has a time limit), never
 * "verified" with another end state. PRNR_FUZZ_SEED and PRNR_FUZZ_COUNT
 * choose other cases (the default 24 take about two minutes on 2 cores):
 * `PRNR_FUZZ_SEED=7 PRNR_FUZZ_COUNT=200 pnpm fuzz`. The seed fixes the plan
 * (which file, what damage, where); the recording is made anew each run with
 * the host's clock and entropy, so its objects differ from run to run.
 */
import { createHash } from 'node:crypto';
import { linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prnr, readManifestJson, recordPoweroff, STACK_TRACE, type CliRun, type Manifest } from './testing/cli-run.js';

const SEED = Number(process.env.PRNR_FUZZ_SEED ?? 20251205) >>> 0;
const COUNT = Number(process.env.PRNR_FUZZ_COUNT ?? 24);
/** Per run: a replay of the whole recording takes a few seconds. */
const RUN_LIMIT_MS = 90_000;

type Target = 'segment' | 'object' | 'manifest';
type Damage = 'flip' | 'truncate' | 'delete-bytes' | 'delete-file' | 'number';
const TARGETS: Target[] = ['segment', 'object', 'manifest'];
const DAMAGES: Record<Target, Damage[]> = {
  segment: ['flip', 'truncate', 'delete-bytes', 'delete-file'],
  object: ['flip', 'truncate', 'delete-bytes', 'delete-file'],
  // number: one digit of a JSON number changed, so the file still parses.
  manifest: ['flip', 'number', 'truncate', 'delete-bytes', 'delete-file'],
};

/** mulberry32: a small seeded generator, the same sequence on every machine. */
function generator(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

interface Case {
  target: Target;
  damage: Damage;
  /** Relative to the recording. */
  file: string;
  what: string;
  /** recording.json damaged: hashes it now names that the undamaged one does not. */
  newHashes?: string[];
}

/** Damages one file of the recording at `rec`, as case `i` of `seed` says. */
function damage(rec: string, files: Record<Target, string[]>, seed: number, i: number): Case {
  const pick = generator(seed ^ Math.imul(i + 1, 0x9e3779b9));
  const target = TARGETS[i % TARGETS.length];
  const kinds = DAMAGES[target];
  const kind = kinds[Math.floor(i / TARGETS.length) % kinds.length];
  const file = files[target][pick(files[target].length)];
  const path = join(rec, file);
  const bytes = readFileSync(path);
  unlinkSync(path); // a hard link to the undamaged recording: replaced, never written through
  let out: Buffer;
  let what: string;
  switch (kind) {
    case 'flip': {
      const at = pick(bytes.length);
      const mask = 1 + pick(255);
      out = Buffer.from(bytes);
      out[at] ^= mask;
      what = `byte ${at} of ${bytes.length} xor 0x${mask.toString(16)}`;
      break;
    }
    case 'number': {
      const digits: number[] = [];
      for (const m of bytes.toString('latin1').matchAll(/": (\d+)/g)) for (let k = 0; k < m[1].length; k++) digits.push(m.index + 3 + k);
      const at = digits[pick(digits.length)];
      out = Buffer.from(bytes);
      out[at] = 0x30 + ((bytes[at] - 0x30 + 1 + pick(9)) % 10);
      const key = /"(\w+)": \d*$/.exec(bytes.subarray(Math.max(0, at - 40), at + 1).toString('latin1'))?.[1];
      what = `digit at byte ${at} (${key}) ${String.fromCharCode(bytes[at])} -> ${String.fromCharCode(out[at])}`;
      break;
    }
    case 'truncate': {
      const n = pick(bytes.length);
      out = bytes.subarray(0, n);
      what = `cut to ${n} of ${bytes.length} bytes`;
      break;
    }
    case 'delete-bytes': {
      const at = pick(bytes.length);
      const n = 1 + pick(Math.min(16, bytes.length - at));
      out = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + n)]);
      what = `${n} bytes deleted at byte ${at} of ${bytes.length}`;
      break;
    }
    case 'delete-file':
      return { target, damage: kind, file, what: 'file deleted' };
  }
  writeFileSync(path, out);
  return { target, damage: kind, file, what };
}

interface VerifyJson {
  verified: boolean;
  slices: Array<{ slice: number; verified: boolean; endState: string | null; error?: string; divergence: { message: string } | null }>;
}

const tmp = mkdtempSync(join(tmpdir(), 'prnr-fuzz-'));
const base = join(tmp, 'base.rec');
let manifest: Manifest;
const files: Record<Target, string[]> = { segment: [], object: [], manifest: ['recording.json'] };
const outcomes: string[] = [];
const started = Date.now();

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listFiles(join(dir, e.name)) : [join(dir, e.name)]));
}

/** A copy of the recording made of hard links (the damage replaces the one file it changes). */
function linkCopy(from: string, to: string): string {
  for (const f of listFiles(from)) {
    const rel = relative(from, f);
    mkdirSync(join(to, rel, '..'), { recursive: true });
    linkSync(f, join(to, rel));
  }
  return to;
}

/** Hash of every file of a recording, by path. */
function contents(dir: string): Map<string, string> {
  return new Map(listFiles(dir).map((f) => [relative(dir, f), createHash('sha256').update(readFileSync(f)).digest('hex')]));
}
let undamaged: Map<string, string>;

beforeAll(() => {
  console.log(`recording fuzz: seed ${SEED}, ${COUNT} cases (PRNR_FUZZ_SEED, PRNR_FUZZ_COUNT)`);
  const r = recordPoweroff(base, tmp);
  expect(r.status, r.stderr).toBe(0);
  manifest = readManifestJson(base);
  for (const f of listFiles(base).map((p) => relative(base, p)).sort()) {
    if (f.startsWith('log/')) files.segment.push(f);
    else if (f.startsWith('objects/')) files.object.push(f);
  }
  expect(files.segment.length).toBe(manifest.slices.length);
  expect(files.object.length).toBeGreaterThan(0);
  undamaged = contents(base);
}, 300_000);

afterAll(() => {
  console.log(`recording fuzz: seed ${SEED}, ${outcomes.length} of ${COUNT} cases run in ${((Date.now() - started) / 1000).toFixed(0)} s\n${outcomes.join('\n')}`);
  rmSync(tmp, { recursive: true, force: true });
});

/** What names the damaged file in a message: its path in the recording, an object's hash, a hash only the damaged recording.json names. */
function names(message: string, c: Case): boolean {
  if (c.target === 'manifest') return message.includes('recording.json') || (c.newHashes ?? []).some((h) => message.includes(h));
  if (c.target === 'object' && c.file.endsWith('.pack')) return message.includes(c.file) || (c.damage === 'delete-file' && /object [0-9a-f]{64} is missing/.test(message));
  if (c.target === 'object') return message.includes(c.file.split('/').slice(1).join(''));
  return message.includes(c.file);
}

/** Checks one run against the rules above; returns a short outcome for the summary. */
function judge(r: CliRun, c: Case, command: string): string {
  const context = `${c.target} ${c.file}: ${c.what}\n${r.command}\n--- stdout\n${r.stdout.slice(-4000)}\n--- stderr\n${r.stderr.slice(-4000)}`;
  expect(r.timedOut, `hung: ${context}`).toBe(false);
  expect(r.stderr, context).not.toMatch(STACK_TRACE);
  expect(r.stdout, context).not.toMatch(STACK_TRACE);
  expect([0, 2, 4], context).toContain(r.status);
  if (r.status === 2) {
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines, context).toHaveLength(1);
    expect(lines[0], context).toMatch(/^prnr: /);
    expect(names(lines[0], c), `the message names ${c.file}: ${context}`).toBe(true);
    return `exit 2: ${lines[0]}`;
  }
  if (command === 'slices') {
    expect(r.status, context).toBe(0);
    return 'exit 0';
  }
  let out: VerifyJson;
  try {
    out = JSON.parse(r.stdout) as VerifyJson;
  } catch {
    expect.fail(`verify --json printed no JSON: ${context}`);
  }
  expect(out.slices.map((s) => s.slice), context).toEqual(manifest.slices.map((s) => s.index));
  for (const s of out.slices) {
    if (s.verified) {
      expect(s.endState, `slice ${s.slice} verified with the recorded end state: ${context}`).toBe(manifest.slices[s.slice].endState);
      continue;
    }
    const message = s.error ?? s.divergence?.message ?? '';
    expect(message, context).not.toBe('');
    expect(message, context).not.toContain('\n');
    expect(s.error, `a divergence, not an error naming the file: ${context}`).toBeDefined();
    expect(names(s.error!, c), `slice ${s.slice}'s error names ${c.file}: ${context}`).toBe(true);
  }
  if (r.status === 0) {
    expect(out.verified, context).toBe(true);
    return 'exit 0: verified, the recorded end states';
  }
  expect(out.verified, context).toBe(false);
  const first = out.slices.find((s) => !s.verified)!;
  return `exit 4: slice ${first.slice} ${first.error ? `FAILED: ${first.error}` : `DIVERGED: ${first.divergence?.message}`}`;
}

describe(`prnr verify on damaged copies of a recording (seed ${SEED})`, () => {
  it.each([...Array(COUNT).keys()])('case %i', (i) => {
    const rec = linkCopy(base, join(tmp, `case-${i}.rec`));
    try {
      const c = damage(rec, files, SEED, i);
      if (c.target === 'manifest' && c.damage !== 'delete-file') {
        const hashes = (text: string) => new Set(text.match(/[0-9a-f]{64}/g));
        const before = hashes(readFileSync(join(base, c.file), 'latin1'));
        c.newHashes = [...hashes(readFileSync(join(rec, c.file), 'latin1'))].filter((h) => !before.has(h));
      }
      const summary: string[] = [];
      if (c.target === 'manifest') summary.push(`slices ${judge(prnr(['slices', rec], RUN_LIMIT_MS), c, 'slices')}`);
      summary.push(judge(prnr(['verify', rec, '-j', '1', '--json'], RUN_LIMIT_MS), c, 'verify'));
      outcomes.push(`  #${i} ${c.target} ${c.file} (${c.damage}: ${c.what}) -> ${summary.join('; ').replaceAll(rec, basename(rec)).slice(0, 300)}`);
    } finally {
      rmSync(rec, { recursive: true, force: true });
    }
  }, 4 * RUN_LIMIT_MS);

  it('left the undamaged recording as it was (the copies share its files)', () => {
    expect(contents(base)).toEqual(undamaged);
  });
});
