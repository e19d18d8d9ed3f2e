/**
 * prnr diagnose on a recording of the buggy workload (guest/workloads/buggy.sh):
 * the three failures planted there must be found, attributed to the right
 * processes, and each must point at a position that seek can jump to.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const BUGGY = fileURLToPath(new URL('../../../guest/workloads/buggy.sh', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'prnr-diag-'));
const rec = join(tmp, 'buggy.rec');
function prnr(...args: string[]) {
  return spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
}

interface Anomaly { kind: string; message: string; pid: number | null; comm: string | null; icount: number; slice: number; errno?: string; signal?: string | number; exitCode?: number; count?: number }

beforeAll(() => {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`pnpm build\` first (\`pnpm test\` does)`);
  const r = prnr('record', '-o', rec, '--script', BUGGY, '--slice-insns', '30000000', '-q');
  expect(r.status, r.stderr).toBe(0);
}, 300_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('prnr diagnose', () => {
  let anomalies: Anomaly[];

  it('finds the retry loop, the crash and the failed exit, each at a position', () => {
    const r = prnr('diagnose', rec, '--format', 'json');
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { verified: boolean; anomalies: Anomaly[]; trace: { events: Array<{ comm: string | null; name: string; text: string }> } };
    expect(out.verified).toBe(true);
    anomalies = out.anomalies;
    const retry = anomalies.find((a) => a.kind === 'retry-loop');
    expect(retry, JSON.stringify(anomalies, null, 1)).toBeDefined();
    expect(retry!.message).toContain('/etc/app.conf');
    expect(retry!.errno).toBe('ENOENT');
    expect(retry!.count).toBeGreaterThanOrEqual(6);
    const killed = anomalies.find((a) => a.kind === 'killed-by-signal');
    expect(killed).toBeDefined();
    expect(String(killed!.message)).toMatch(/SIGSEGV/);
    expect(killed!.comm).toBe('sh');
    const exit = anomalies.find((a) => a.kind === 'exit-nonzero' && a.exitCode === 3);
    expect(exit).toBeDefined();
    // The trace itself, as strace would show it.
    expect(out.trace.events.some((e) => e.comm === 'cat' && /openat\(AT_FDCWD, "\/mnt\/app\/state\.db", O_RDONLY.*\) = -1 ENOENT/.test(e.text))).toBe(true);
    const m = JSON.parse(readFileSync(join(rec, 'recording.json'), 'utf8')) as { slices: Array<{ startIcount: number; endIcount: number }> };
    for (const a of anomalies) {
      expect(a.icount).toBeGreaterThanOrEqual(m.slices[a.slice].startIcount);
      expect(a.icount).toBeLessThanOrEqual(m.slices[a.slice].endIcount);
    }
  }, 300_000);

  it('text: anomalies first, with the seek command; html: one self-contained file', () => {
    const t = prnr('diagnose', rec);
    expect(t.status).toBe(0);
    const firstAnomaly = t.stdout.search(/retry|SIGSEGV/);
    const firstTraceLine = t.stdout.search(/execve\(/);
    expect(firstAnomaly).toBeGreaterThanOrEqual(0);
    // The anomaly that explains the failure comes first: the crash, with its process and position.
    const first = /ANOMALIES[^\n]*\n\s*1\. (\S+)\s+(\S+)\s+([^\n]*)\n\s*at\s+([^\n]*)/.exec(t.stdout);
    expect(first, t.stdout.slice(0, 2000)).not.toBeNull();
    expect(first![2]).toBe('killed-by-signal');
    expect(first![3]).toMatch(/^sh \(pid \d+\) was killed by SIGSEGV/);
    expect(first![4]).toMatch(/icount \d+ in slice \d+/);
    expect(firstAnomaly).toBeLessThan(firstTraceLine);
    expect(t.stdout).toContain(`prnr seek ${rec} --icount`);
    const html = join(tmp, 'report.html');
    const h = prnr('diagnose', rec, '--format', 'html', '-o', html);
    expect(h.status).toBe(0);
    const page = readFileSync(html, 'utf8');
    expect(page).toMatch(/^<!doctype html>/i);
    expect(page).toContain('<svg');
    expect(page).not.toMatch(/<script[^>]+src=|<link[^>]+href="http/);
  }, 300_000);

  it('seek lands right before the crash the report points at', () => {
    const killed = anomalies.find((a) => a.kind === 'killed-by-signal')!;
    const s = prnr('seek', rec, '--icount', String(killed.icount), '--json');
    expect(s.status, s.stderr).toBe(0);
    const r = JSON.parse(s.stdout) as { icount: number; console: string };
    expect(r.icount).toBe(killed.icount);
    expect(r.console).toContain('app: starting without config');
  }, 120_000);
  it('a slice that fails: its error is said on stderr as replay says it, and given in --format json', () => {
    const bad = join(tmp, 'bad.rec');
    cpSync(rec, bad, { recursive: true });
    const m = JSON.parse(readFileSync(join(bad, 'recording.json'), 'utf8')) as { slices: Array<{ log: string }> };
    const seg = join(bad, m.slices[1].log);
    const bytes = readFileSync(seg);
    bytes[Math.floor(bytes.length / 2)] ^= 0xff;
    writeFileSync(seg, bytes);
    const r = prnr('diagnose', bad, '-j', '1', '--format', 'json');
    expect(r.status, r.stderr).toBe(4);
    const failed = r.stderr.split('\n').filter((l) => l.startsWith('prnr: slice '));
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatch(new RegExp(`^prnr: slice 1 FAILED: ${seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `));
    const out = JSON.parse(r.stdout) as { slices: Array<{ index: number; verified: boolean; error?: string }> };
    expect(out.slices.filter((s) => !s.verified).map((s) => [s.index, `prnr: slice ${s.index} FAILED: ${s.error}`])).toEqual([[1, failed[0]]]);
    // replay says the same of it.
    const replay = prnr('replay', bad, '-q', '--slice', '1', '--json');
    expect(JSON.parse(replay.stdout).slices[0].error).toBe(out.slices[1].error);
  }, 300_000);
  it('-j 2 takes the lanes verify would: one on this short recording, said on stderr; --all-lanes starts both, with the same report', () => {
    const one = prnr('diagnose', rec, '-j', '2', '--format', 'json');
    expect(one.status, one.stderr).toBe(0);
    expect(one.stderr).toMatch(/prnr: 1 lane\(s\) of 2 asked: .* too short/);
    const both = prnr('diagnose', rec, '-j', '2', '--all-lanes', '--format', 'json');
    expect(both.status, both.stderr).toBe(0);
    expect(both.stderr).not.toMatch(/lane\(s\) of 2 asked/);
    const report = (stdout: string) => {
      const out = JSON.parse(stdout) as { verified: boolean; anomalies: Anomaly[]; trace: { events: unknown[] } };
      return { verified: out.verified, anomalies: out.anomalies, events: out.trace.events };
    };
    expect(report(both.stdout)).toEqual(report(one.stdout));
  }, 300_000);
});
