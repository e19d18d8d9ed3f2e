/**
 * The failure catalogue (guest/workloads/failures/*.sh): scripted failures,
 * each with the anomaly that should come first written by hand in its
 * `# expect-top:` line. All run in one boot of the default guest (96 MiB, so
 * the OOM workload is short), each after an `echo` marker; the trace is cut at
 * the markers and the anomaly rules run on each workload's part alone.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { findAnomalies } from './anomalies.js';
import type { SyscallRecord } from './syscall-tracer.js';
import { syscallsAnalysis, unfinishedRecord } from './syscall-tracer.js';
import { PROFILE, bootGuest, liveSlices, runTo } from './guest-boot.js';

const DIR = fileURLToPath(new URL('../../../guest/workloads/failures', import.meta.url));
/** The OOM killer last: it may take others with it. */
const ORDER = ['missing-file', 'permission-denied', 'full-disk', 'deadlocked-pipe', 'segfault', 'oom-kill'];

interface Workload { name: string; script: string; expect: Record<string, string | number> }

function loadCatalogue(): Workload[] {
  return ORDER.map((name) => {
    const script = readFileSync(`${DIR}/${name}.sh`, 'utf8');
    const line = /^# expect-top: (.*)$/m.exec(script);
    if (line === null) throw new Error(`${name}.sh has no "# expect-top:" line`);
    const expectTop = Object.fromEntries(line[1].trim().split(/\s+/).map((kv) => {
      const [k, v] = kv.split('=');
      return [k, /^\d+$/.test(v) ? Number(v) : v];
    }));
    return { name, script, expect: expectTop };
  });
}

const marker = (name: string) => `=== catalogue: ${name}`;

/** Runs `script` on the default guest with the tracer attached for the whole run (one slice). */
function traceGuest(script: string): { out: string; records: SyscallRecord[] } {
  const { machine: m, console: out } = bootGuest(script, undefined, { memMiB: 96 });
  const analysis = syscallsAnalysis.create(undefined, { profile: PROFILE });
  analysis.attach(liveSlices(m)(0).view);
  runTo(m, 2_000_000_000);
  const trace = syscallsAnalysis.merge([analysis.finish()], { profile: PROFILE });
  return { out: out(), records: [...trace.events, ...trace.openAtEnd.map(unfinishedRecord)].sort((a, b) => a.entry.icount - b.entry.icount) };
}

describe('the failure catalogue: the top anomaly of each scripted failure is the expected one', () => {
  const catalogue = loadCatalogue();
  const script = [...catalogue.flatMap((w) => [`echo '${marker(w.name)}'`, w.script]), `echo '${marker('end')}'`, 'poweroff -f'].join('\n');
  const { out, records } = traceGuest(script);
  /** Where each workload starts: the shell's write of its marker. */
  const starts = [...catalogue.map((w) => w.name), 'end'].map((name) => records.find((r) => r.name === 'write' && r.text.includes(marker(name)))?.entry.icount ?? -1);

  it('ran every workload of the catalogue', () => {
    expect(readdirSync(DIR).filter((f) => f.endsWith('.sh')).map((f) => f.slice(0, -3)).sort()).toEqual([...ORDER].sort());
    expect(starts.every((s) => s > 0)).toBe(true);
    expect(out).toContain("cat: can't open '/etc/app.conf': No such file or directory");
    expect(out).toMatch(/\/tmp\/tool: Permission denied/);
    expect(out).toMatch(/No space left on device/);
    expect(out).toMatch(/Segmentation fault/);
    expect(out).toMatch(/Out of memory: Killed process \d+ \(hog\)/);
    expect(out).toContain('reboot: Power down');
  });

  it.each(catalogue.map((w, i) => ({ ...w, i })))('$name: $expect', ({ name, expect: want, i }) => {
    const part = records.filter((r) => r.entry.icount >= starts[i] && r.entry.icount < starts[i + 1]);
    const anomalies = findAnomalies(part);
    const summary = anomalies.map((a) => `${a.rank}. ${a.severity} ${a.kind}: ${a.message}`).join('\n');
    console.log(`catalogue ${name}:\n${summary}`);
    expect(anomalies.length).toBeGreaterThan(0);
    expect(anomalies[0]).toMatchObject({ rank: 1, ...want });
    expect(anomalies[0].why.length).toBeGreaterThan(10);
  });
});
