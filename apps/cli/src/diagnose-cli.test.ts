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

interface Anomaly { kind: string; severity: string; message: string; pid: number | null; comm: string | null; icount: number; slice: number; rank: number; why: string; syscall?: string; example?: string; errno?: string; signal?: string | number; exitCode?: number; count?: number }
interface TraceEvent { pid: number | null; comm: string | null; name: string; text: string; errno: string | null; entry: { icount: number } }
const PROFILE = fileURLToPath(new URL('../../../guest/images/profile.json', import.meta.url));
const ALT_PROFILE = fileURLToPath(new URL('../../../guest/images-alt/profile.json', import.meta.url));

beforeAll(() => {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`pnpm build\` first (\`pnpm test\` does)`);
  const r = prnr('record', '-o', rec, '--script', BUGGY, '--slice-insns', '30000000', '-q');
  expect(r.status, r.stderr).toBe(0);
}, 300_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('prnr diagnose', () => {
  let anomalies: Anomaly[];
  let events: TraceEvent[];

  it('finds the retry loop, the crash and the failed exit, each at a position', () => {
    const r = prnr('diagnose', rec, '--format', 'json');
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { verified: boolean; warnings: string[]; anomalies: Anomaly[]; trace: { events: TraceEvent[] } };
    expect(out.verified).toBe(true);
    // The recording's own profile fits it: no warning.
    expect(out.warnings).toEqual([]);
    expect(r.stderr).not.toContain('warning');
    anomalies = out.anomalies;
    events = out.trace.events;
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

  it("the helper's failure ranks above the failures by design of its shell: a PATH lookup and a WNOHANG wait", () => {
    // `sh -c 'cat /mnt/app/state.db; exit 3'`: the shell that exited 3, and cat's failed openat.
    const shell = anomalies.find((a) => a.kind === 'exit-nonzero' && a.exitCode === 3)!;
    const state = anomalies.find((a) => a.kind === 'failed-syscalls' && a.example?.includes('"/mnt/app/state.db"'));
    const lookup = anomalies.find((a) => a.kind === 'failed-syscalls' && a.pid === shell.pid && a.example?.includes('"/sbin/cat"'));
    const echild = anomalies.find((a) => a.kind === 'failed-syscalls' && a.pid === shell.pid && a.errno === 'ECHILD');
    expect(state, JSON.stringify(anomalies, null, 1)).toBeDefined();
    expect(lookup).toBeDefined();
    expect(echild).toBeDefined();
    // What the trace says of the two: the lookup of /sbin/cat is followed by one of /bin/cat that succeeds; the wait has WNOHANG.
    const shellCalls = events.filter((e) => e.pid === shell.pid);
    const miss = shellCalls.findIndex((e) => e.text.startsWith('newfstatat(AT_FDCWD, "/sbin/cat"') && e.errno === 'ENOENT');
    expect(shellCalls[miss + 1].text).toMatch(/^newfstatat\(AT_FDCWD, "\/bin\/cat", \{st_mode=S_IFREG.* = 0$/);
    expect(shellCalls.find((e) => e.errno === 'ECHILD')!.text).toMatch(/^wait4\(-1, .*, WNOHANG, NULL\) = -1 ECHILD/);
    expect(state!.rank).toBeLessThan(lookup!.rank);
    expect(state!.rank).toBeLessThan(echild!.rank);
    expect(state!.why).toMatch(/the likely cause of that failure/);
    for (const a of [lookup!, echild!]) {
      expect(a.severity).toBe('info');
      expect(a.why).not.toMatch(/likely cause/);
      expect(a.message).toMatch(/by design/);
    }
    // Only the crash ranks above cat's failure.
    expect(anomalies.filter((a) => a.rank < state!.rank).map((a) => a.kind)).toEqual(['killed-by-signal']);
  });

  it('a profile of another kernel: a warning with the counts and what to try; a release other than the recording\'s: a warning', () => {
    const alt = prnr('diagnose', rec, '--profile', ALT_PROFILE, '--format', 'json');
    expect(alt.status, alt.stderr).toBe(0);
    const warnings = alt.stderr.split('\n').filter((l) => l.startsWith('prnr: warning:'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(new RegExp(`^prnr: warning: the guest profile ${ALT_PROFILE.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} looks wrong for this recording: \\d+ of \\d+ system calls are attributed to .*; try without --profile, or with --recalibrate instead of it`));
    // What the other kernel's offsets name in this one, by the trace itself.
    const out = JSON.parse(alt.stdout) as { warnings: string[]; trace: { events: TraceEvent[] } };
    expect(out.warnings).toEqual([warnings[0].slice('prnr: warning: '.length)]);
    const odd = out.trace.events.filter((e) => e.pid === 0 || e.pid === null || !/^[\x20-\x7e]+$/.test(e.comm ?? ''));
    expect(odd.length * 2).toBeGreaterThan(out.trace.events.length);

    // The default guest's own layout under another release: attribution is right, the release is not.
    const relabelled = join(tmp, 'other-release.json');
    const p = JSON.parse(readFileSync(PROFILE, 'utf8')) as { kernel: { release: string } };
    const own = p.kernel.release;
    p.kernel.release = '6.6.0';
    writeFileSync(relabelled, JSON.stringify(p));
    const rel = prnr('diagnose', rec, '--profile', relabelled, '--format', 'json');
    expect(rel.status, rel.stderr).toBe(0);
    expect(rel.stderr.split('\n').filter((l) => l.startsWith('prnr: warning:'))).toEqual([
      `prnr: warning: the guest profile ${relabelled} is for Linux 6.6.0, but the recording's own profile is for Linux ${own}: processes may be misnamed`,
    ]);
  }, 300_000);

  it('a profile with sizes or offsets no kernel has is refused at once, in one line naming the field', () => {
    for (const [edit, field] of [
      [(p: { sizes: Record<string, number>; offsets: Record<string, Record<string, number>> }) => void (p.sizes.task_comm_len = 100_000_000), 'sizes.task_comm_len is 100000000'],
      [(p: { sizes: Record<string, number>; offsets: Record<string, Record<string, number>> }) => void (p.offsets.task_struct.comm = 99_999_999), 'offsets.task_struct.comm is 99999999'],
    ] as const) {
      const file = join(tmp, 'bad-profile.json');
      const p = JSON.parse(readFileSync(PROFILE, 'utf8')) as Parameters<typeof edit>[0];
      edit(p);
      writeFileSync(file, JSON.stringify(p));
      const r = prnr('diagnose', rec, '--profile', file);
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(new RegExp(`^prnr: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: the guest profile's ${field.replace(/\./g, '\\.')}: [^\n]*; at most \\d+\n$`));
    }
  }, 120_000);

  it('--pid of a process not in the trace says so, on stderr and in the report', () => {
    const pids = new Set(events.map((e) => e.pid));
    expect(pids.has(9999)).toBe(false);
    const r = prnr('diagnose', rec, '--pid', '9999');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^prnr: warning: --pid 9999 is not in the trace: it made no traced syscall \(the trace has pids 1 to \d+\)$/m);
    expect(r.stdout).toContain('ANOMALIES: none for pid 9999, which is not in the trace');
    expect(r.stdout).not.toContain('none found');
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
    // The count said on stderr is the one both reports give.
    const said = /^prnr: \d+ anomalies, (\d+) system calls; report written to /m.exec(h.stderr);
    expect(said, h.stderr).not.toBeNull();
    expect(page).toContain(`<b>${said![1]}</b><span>syscalls traced</span>`);
    expect(t.stdout).toMatch(new RegExp(`^  syscalls +${said![1]} traced in`, 'm'));
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
