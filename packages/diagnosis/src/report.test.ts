import { describe, expect, it } from 'vitest';
import { findAnomalies } from './anomalies.js';
import { defFor, finalArgTexts, formatCall, formatResult } from './format.js';
import { renderHtmlReport } from './report-html.js';
import type { ReportInput } from './report-text.js';
import { renderTextReport, seekCommand } from './report-text.js';
import { syscallByName } from './syscall-table.js';
import type { SyscallEntryPart, SyscallRecord, SyscallTrace } from './syscall-tracer.js';
import { SYSCALL_TRACE_VERSION } from './syscall-tracer.js';

/** Builds a synthetic run, one syscall after another, 1000 steps apart. */
class Run {
  clock = 0;
  readonly events: SyscallRecord[] = [];
  readonly openAtEnd: SyscallEntryPart[] = [];

  /** `name(args) = result`; a string argument is its decoded text, the rest are decoded from their values as the tracer would. */
  call(pid: number, comm: string, name: string, args: (number | string)[], result: number | null, o: { ticks?: number; wstatus?: number; commAtExit?: string } = {}): SyscallRecord {
    this.clock += 1000;
    const def = defFor(syscallByName(name)!.nr);
    const raw = def.args.map((_, i) => (typeof args[i] === 'string' ? 0x1000n : BigInt.asUintN(64, BigInt(args[i] ?? 0))));
    const texts = finalArgTexts(def, raw, def.args.map((_, i) => (typeof args[i] === 'string' ? (args[i] as string) : null)), null);
    const res = formatResult(def, result === null ? null : BigInt(result));
    const entry = { icount: this.clock, mtime: this.clock * 10, slice: this.slice(this.clock) };
    const done = result !== null;
    const r: SyscallRecord = {
      task: `0xffffffd800${pid.toString(16).padStart(6, '0')}`, pid, tid: pid, comm,
      nr: def.nr, name, args: raw.map(String), argText: texts,
      result: done ? String(result) : null, errno: res.errno,
      outcome: done ? 'returned' : 'no-return',
      text: formatCall(def, raw, texts, res.text),
      entry, exit: done ? { icount: this.clock + 500, mtime: (this.clock + 500) * 10 + (o.ticks ?? 0), slice: this.slice(this.clock + 500) } : null,
      wstatus: o.wstatus ?? null, signal: null,
    };
    if (o.commAtExit !== undefined) r.commAtExit = o.commAtExit;
    this.events.push(r);
    return r;
  }

  /** A call still running when the recording ends. */
  running(pid: number, comm: string, name: string, args: number[]): void {
    this.clock += 1000;
    const def = defFor(syscallByName(name)!.nr);
    const raw = def.args.map((_, i) => BigInt(args[i] ?? 0));
    this.openAtEnd.push({
      task: `0xffffffd800${pid.toString(16).padStart(6, '0')}`, pid, tid: pid, comm, nr: def.nr, name,
      args: raw.map(String), argText: def.args.map(() => null), pc: '0x10000',
      at: { icount: this.clock, mtime: this.clock * 10, slice: this.slice(this.clock) },
    });
  }

  slice(icount: number): number {
    return Math.floor(icount / 100_000);
  }

  trace(attribution = true): SyscallTrace {
    const n = this.slice(this.clock + 1000) + 1;
    return {
      version: SYSCALL_TRACE_VERSION,
      slices: Array.from({ length: n }, (_, i) => i),
      attribution: attribution ? { available: true, note: 'pid, tid and comm from task_struct (guest profile: Linux 6.6.0)' } : { available: false, note: 'no guest profile: process attribution is unavailable' },
      events: [...this.events].sort((a, b) => a.entry.icount - b.entry.icount),
      openAtStart: [],
      openAtEnd: this.openAtEnd,
    };
  }
}

const EVIL_COMM = '<script>"x\x1b[2J';
const EVIL_PATH = '"/tmp/<script>alert(1)</script>\\""';

/** init forks a crashing service (ENOENT, then SIGSEGV), a retry loop that exits 1, a noisy process, a hostile comm, and a daemon still reading. */
function scenario(): { run: Run; input: ReportInput } {
  const run = new Run();
  run.call(1, 'init', 'execve', ['"/sbin/init"', '["init"]', '0x3ffffff0 /* 3 vars */'], 0);
  run.call(1, 'init', 'clone', [17, 0, 0, 0, 0], 40);
  run.call(40, 'init', 'execve', ['"/usr/bin/crashy"', '["crashy", "a.conf"]', '0x3ffffff0 /* 3 vars */'], 0, { commAtExit: 'crashy' });
  run.call(40, 'crashy', 'openat', [-100, '"/etc/crashy/a.conf"', 0], -2);
  run.call(40, 'crashy', 'write', [2, '"crashy: no config\\n"', 18], 18);
  run.call(40, 'crashy', 'kill', [40, 11], 0);
  run.call(1, 'init', 'wait4', [-1, '[{WIFSIGNALED(s) && WTERMSIG(s) == SIGSEGV && WCOREDUMP(s)}]', 0, 0], 40, { wstatus: 0x8b });
  run.call(1, 'init', 'clone', [17, 0, 0, 0, 0], 41);
  for (let i = 0; i < 6; i++) {
    run.call(41, 'retry', 'openat', [-100, '"/run/lock/app"', 0o102, 0o644], -13);
    run.call(41, 'retry', 'nanosleep', ['{tv_sec=0, tv_nsec=100000000}', 0], 0);
  }
  run.call(41, 'retry', 'exit_group', [1], null);
  run.call(1, 'init', 'wait4', [-1, '[{WIFEXITED(s) && WEXITSTATUS(s) == 1}]', 0, 0], 41, { wstatus: 1 << 8 });
  for (let i = 0; i < 300; i++) run.call(43, 'busy', 'getpid', [], 43);
  run.call(43, 'busy', 'openat', [-100, '"/etc/busy.conf"', 0], -2);
  run.call(43, 'busy', 'getppid', [], 1);
  run.call(42, EVIL_COMM, 'openat', [-100, EVIL_PATH, 0], -2);
  run.call(42, EVIL_COMM, 'exit_group', [0], null);
  run.running(44, 'daemon', 'read', [0, 0x2000, 4096]);
  const trace = run.trace();
  const end = run.clock + 1000;
  const slices = trace.slices.map((index) => {
    const startIcount = index * 100_000, endIcount = Math.min(end, (index + 1) * 100_000);
    return { index, startIcount, endIcount, startMtime: startIcount * 10, endMtime: endIcount * 10, verified: index !== 1 };
  });
  return { run, input: { recording: 'recs/buggy.rec', trace, anomalies: findAnomalies(trace), slices } };
}

/** The trace lines of one process in a text report. */
const linesOf = (text: string, pid: number): string[] => text.split('\n').filter((l) => l.includes(`[pid ${pid} `));

describe('text report', () => {
  const { run, input } = scenario();
  const text = renderTextReport(input);

  it('starts with the summary: slices verified, syscalls, processes, anomalies', () => {
    const lines = text.split('\n');
    expect(lines[0]).toBe('prnr diagnosis of recs/buggy.rec');
    expect(text).toMatch(/slices\s+\d+ of \d+ verified \(not verified: 1\)/);
    expect(text).toContain(`syscalls     ${run.events.length + 1} traced in 6 processes`);
    expect(text).toContain('1 unfinished');
    expect(text).toMatch(/attribution\s+pid, tid and comm from task_struct/);
    expect(text.indexOf('attribution')).toBeLessThan(text.indexOf('ANOMALIES'));
  });

  it('lists the anomalies, most severe first, before the trace, each with its seek command', () => {
    const a = text.indexOf('ANOMALIES');
    const t = text.indexOf('TRACE');
    expect(a).toBeGreaterThan(0);
    expect(t).toBeGreaterThan(a);
    const section = text.slice(a, t);
    const kinds = [...section.matchAll(/^\s+\d+\. (error|warning|info)\s+(\S+)/gm)].map((x) => [x[1], x[2]]);
    expect(kinds[0]).toEqual(['error', 'killed-by-signal']);
    expect(kinds.map((k) => k[1])).toContain('retry-loop');
    expect(kinds.map((k) => k[1])).toContain('exit-nonzero');
    const sev = kinds.map((k) => ['error', 'warning', 'info'].indexOf(k[0]));
    expect(sev).toEqual([...sev].sort((x, y) => x - y));
    for (const an of input.anomalies) expect(section).toContain(`prnr seek recs/buggy.rec --icount ${an.icount}`);
    // The crash: its process, position and slice.
    const kill = run.events.find((r) => r.name === 'kill')!;
    expect(section).toContain('crashy (pid 40) was killed by SIGSEGV (Segmentation fault), core dumped; reaped by init (pid 1)');
    expect(section).toContain(`pid 40 (crashy), icount ${kill.exit!.icount} in slice ${kill.exit!.slice}`);
    expect(section).toContain('call    kill(40, SIGSEGV) = 0');
  });

  it('prints an strace-like trace per process, in order', () => {
    expect(text).toMatch(/^== pid 40 init → crashy: 4 syscalls, 1 failed, icount \d+ \.\. \d+$/m);
    const crashy = linesOf(text, 40);
    expect(crashy.map((l) => l.replace(/^. \[pid 40 \w+\]\s+\d+\s+/, ''))).toEqual([
      'execve("/usr/bin/crashy", ["crashy", "a.conf"], 0x3ffffff0 /* 3 vars */) = 0',
      'openat(AT_FDCWD, "/etc/crashy/a.conf", O_RDONLY) = -1 ENOENT (No such file or directory)',
      'write(2, "crashy: no config\\n", 18) = 18',
      'kill(40, SIGSEGV) = 0',
    ]);
    const icounts = crashy.map((l) => Number(/\]\s+(\d+)/.exec(l)![1]));
    expect(icounts).toEqual([...icounts].sort((x, y) => x - y));
    // The process sections come in order of their first syscall; the unfinished read is there.
    const heads = [...text.matchAll(/^== pid (\d+)/gm)].map((x) => Number(x[1]));
    expect(heads).toEqual([1, 40, 41, 43, 42, 44]);
    expect(linesOf(text, 44)[0]).toMatch(/read\(0, 0x2000, 4096\) = \? <unfinished>$/);
  });

  it('shortens a long process to about 200 lines, keeping the calls around its anomalies', () => {
    const busy = linesOf(text, 43);
    expect(busy.length).toBeLessThanOrEqual(200);
    expect(busy.length).toBeGreaterThan(190);
    expect(text).toMatch(/^ {2}\.\.\. \d+ more \(--pid 43 shows all\)$/m);
    expect(busy.some((l) => l.includes('openat(AT_FDCWD, "/etc/busy.conf"'))).toBe(true);
    expect(busy[busy.length - 1]).toContain('getppid() = 1');
    const short = renderTextReport(input, { maxLines: 20 });
    expect(linesOf(short, 43).length).toBeLessThanOrEqual(20);
  });

  it('--pid: only that process, all of its lines, and only its anomalies', () => {
    const only = renderTextReport({ ...input, pid: 43 });
    expect(linesOf(only, 43).length).toBe(302);
    expect(only).not.toContain('more (--pid');
    expect(only).not.toMatch(/\[pid (1|40|41|42|44) /);
    expect(only).toContain('filter       pid 43 and its threads only');
    expect(only).not.toContain('killed-by-signal');
    const crashy = renderTextReport({ ...input, pid: 40 });
    expect(crashy).toContain('killed-by-signal');
    expect(crashy).not.toContain('retry-loop');
    expect([...crashy.matchAll(/^== pid (\d+)/gm)].map((x) => x[1])).toEqual(['40']);
  });

  it('a process header counts failed and unfinished calls apart, as the summary does', () => {
    // The daemon's only call is a read still running at the end: unfinished, not failed.
    expect(text).toMatch(/^== pid 44 daemon: 1 syscall, 1 unfinished, icount \d+ \.\. \d+$/m);
    const failed = run.events.filter((r) => r.errno !== null).length;
    expect(text).toContain(`syscalls     ${run.events.length + 1} traced in 6 processes, ${failed} failed, 1 unfinished`);
    // Summed over the headers, the same numbers as the summary.
    const sum = (what: string): number => [...text.matchAll(new RegExp(`^== .*, (\\d+) ${what},`, 'gm'))].reduce((n, x) => n + Number(x[1]), 0);
    expect(sum('failed')).toBe(failed);
    expect(sum('unfinished')).toBe(1);
    expect(renderHtmlReport(input)).toContain('<span class="meta">1 syscall, 1 unfinished · icount');
  });

  it('--pid of a process that is not in the trace says so, in the text and the HTML', () => {
    const absent = renderTextReport({ ...input, pid: 9999 });
    expect(absent).toContain('filter       pid 9999: NOT IN THE TRACE, it made no traced syscall');
    expect(absent).toContain('ANOMALIES: none for pid 9999, which is not in the trace');
    expect(absent).not.toContain('none found');
    const html = renderHtmlReport({ ...input, pid: 9999 });
    expect(html).toContain('<b>only pid 9999</b>, <b>which is not in the trace</b>');
    expect(html).toContain('None for pid 9999, which is not in the trace.');
    // A pid in the trace is not called absent.
    expect(renderTextReport({ ...input, pid: 43 })).not.toContain('NOT IN THE TRACE');
  });

  it('colours only when asked; guest text never reaches the terminal raw', () => {
    expect(text).not.toContain('\x1b');
    expect(text).toContain('[pid 42 <script>"x\\x1b[2J]');
    const colored = renderTextReport(input, { color: true });
    expect(colored).toContain('\x1b[1;31merror');
    expect(colored).not.toContain('\x1b[2J');
    // eslint-disable-next-line no-control-regex -- the escape sequences are what is taken out
    expect(colored.replace(/\x1b\[[\d;]*m/g, '')).toBe(text);
  });

  it('says when attribution is unavailable, and quotes a recording path for the shell', () => {
    const blind = { ...input, trace: { ...input.trace, attribution: { available: false, note: 'no guest profile: process attribution is unavailable' } } };
    expect(renderTextReport(blind)).toMatch(/attribution\s+UNAVAILABLE: no guest profile/);
    expect(seekCommand('my recs/it\'s.rec', 12)).toBe("prnr seek 'my recs/it'\\''s.rec' --icount 12");
    expect(renderTextReport({ ...input, recording: 'a b.rec' })).toContain("prnr seek 'a b.rec' --icount");
  });

  it('an empty trace still gives a report', () => {
    const empty = new Run().trace(false);
    const t = renderTextReport({ recording: 'x.rec', trace: empty, anomalies: [], slices: [] });
    expect(t).toContain('ANOMALIES: none found');
    expect(t).toContain('TRACE: no syscalls');
    expect(renderHtmlReport({ recording: 'x.rec', trace: empty, anomalies: [], slices: [] })).toContain('<svg');
  });
});

/** Checks that tags nest and close (void elements and `/>` aside; script and style bodies skipped); returns the tag names opened. */
function checkTags(html: string): string[] {
  const VOID = new Set(['meta', 'input', 'br', 'hr', 'img', 'link']);
  const body = html.replace(/<(script|style)>[\s\S]*?<\/\1>/g, '<$1></$1>').replace(/^<!doctype html>/i, '');
  const stack: string[] = [];
  const opened: string[] = [];
  for (const t of body.matchAll(/<(\/?)([a-zA-Z][\w-]*)((?:\s+[\w-]+(?:="[^"]*")?)*)\s*(\/?)>/g)) {
    const [, close, name, , selfClose] = t;
    if (close === '/') {
      const top = stack.pop();
      if (top !== name) throw new Error(`</${name}> closes <${top}> at ${t.index}`);
    } else if (selfClose !== '/' && !VOID.has(name)) {
      stack.push(name);
      opened.push(name);
    }
  }
  if (stack.length > 0) throw new Error(`unclosed: ${stack.join(' ')}`);
  // Every '<' in the text starts a tag the pattern recognised (text has none raw).
  const tags = [...body.matchAll(/<(\/?)([a-zA-Z][\w-]*)((?:\s+[\w-]+(?:="[^"]*")?)*)\s*(\/?)>/g)].length;
  expect(body.split('<').length - 1).toBe(tags);
  return opened;
}

describe('HTML report', () => {
  const { input } = scenario();
  const html = renderHtmlReport(input);

  it('is one well-formed, self-contained file', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    const opened = checkTags(html);
    for (const t of ['html', 'head', 'body', 'main', 'header', 'svg', 'table']) expect(opened).toContain(t);
    expect(html).not.toMatch(/https?:|\bsrc=|<link/);
    expect(html.match(/<script>/g)).toHaveLength(1);
    expect(html.match(/<style>/g)).toHaveLength(1);
  });

  it('puts the summary first, then anomaly cards, the timeline, and the tables', () => {
    const at = (s: string): number => html.indexOf(s);
    expect(at('<header>')).toBeGreaterThan(0);
    expect(at('<header>')).toBeLessThan(at('id="anomalies"'));
    expect(at('id="anomalies"')).toBeLessThan(at('id="timeline"'));
    expect(at('id="timeline"')).toBeLessThan(at('id="processes"'));
    expect(html).toContain('<b>3/4</b><span>slices verified</span>');
    const cards = [...html.matchAll(/<div class="card" id="anomaly-(\d+)" style="--sev:([^"]+)">/g)];
    expect(cards).toHaveLength(input.anomalies.length);
    expect(cards[0][2]).toBe('#c62828');
    for (const a of input.anomalies) expect(html).toContain(`<code>prnr seek recs/buggy.rec --icount ${a.icount}</code><button class="copy"`);
  });

  it('draws the timeline: a lane per process, a marker per anomaly, slice boundaries', () => {
    const svg = html.slice(html.indexOf('<svg'), html.indexOf('</svg>'));
    const lanes = [...svg.matchAll(/<g class="lane" data-lane="([^"]+)">/g)].map((x) => x[1]);
    expect(lanes).toEqual(['pid:1', 'pid:40', 'pid:41', 'pid:43', 'pid:42', 'pid:44']);
    expect(svg.match(/class="marker"/g)).toHaveLength(input.anomalies.length);
    expect(svg).toContain('data-kind="killed-by-signal"');
    expect(svg).toContain('data-kind="retry-loop"');
    expect(svg.match(/<line class="slice"/g)).toHaveLength(input.slices.length - 1);
    expect(svg).toContain('<title>slice 1: not verified</title>');
    expect(svg.match(/class="tick fail"/g)!.length).toBeGreaterThanOrEqual(4);
  });

  it('adds a timeline zoomed to the syscalls when they fill little of the recording (a boot before them)', () => {
    expect(html.match(/<svg /g)).toHaveLength(1);
    const boot = 5_000_000;
    const slices = [{ index: 0, startIcount: 0, endIcount: boot, startMtime: 0, endMtime: boot * 10, verified: true }, ...input.slices.map((s) => ({ ...s, index: s.index + 1, startIcount: s.startIcount + boot, endIcount: s.endIcount + boot }))];
    const shift = (r: SyscallRecord): SyscallRecord => ({ ...r, entry: { ...r.entry, icount: r.entry.icount + boot }, exit: r.exit && { ...r.exit, icount: r.exit.icount + boot } });
    const trace = { ...input.trace, events: input.trace.events.map(shift), openAtEnd: input.trace.openAtEnd.map((e) => ({ ...e, at: { ...e.at, icount: e.at.icount + boot } })) };
    const late = renderHtmlReport({ ...input, trace, anomalies: findAnomalies(trace), slices });
    checkTags(late);
    const svgs = [...late.matchAll(/<svg class="timeline" id="([\w-]+)"[^>]*?( hidden)?>/g)].map((x) => [x[1], x[2] !== undefined]);
    expect(svgs).toEqual([['tl-whole', false], ['tl-zoom', true]]);
    const zoomed = late.slice(late.indexOf('id="tl-zoom"'));
    expect(zoomed.slice(0, zoomed.indexOf('</svg>')).match(/<g class="lane"/g)).toHaveLength(6);
    expect(late).toContain('<input type="radio" name="tl" value="tl-zoom">');
  });

  it('has a table per process, with a filter box and a failures toggle', () => {
    expect(html.match(/<details class="proc"/g)).toHaveLength(6);
    expect(html).toContain('id="filter"');
    expect(html).toContain('id="failonly"');
    expect(html).toContain('<td>openat</td><td class="args">AT_FDCWD, &quot;/etc/crashy/a.conf&quot;, O_RDONLY</td><td class="res">-1</td><td class="errno" title="No such file or directory">ENOENT</td><td class="n">0.500</td></tr>');
    expect(html.match(/<tr [^>]*class="fail/g)!.length).toBe(input.trace.events.filter((r) => r.errno !== null).length + 1);
    const only = renderHtmlReport({ ...input, pid: 41 });
    expect(only.match(/<details class="proc"/g)).toHaveLength(1);
    expect(only.slice(0, only.indexOf('</svg>')).match(/<g class="lane"/g)).toHaveLength(1);
  });

  it('escapes all guest text', () => {
    expect(html).not.toContain('<script>"x');
    expect(html).not.toContain('<script>alert');
    expect(html).not.toContain('\x1b');
    expect(html).toContain('pid 42 &lt;script&gt;&quot;x\\x1b[2J');
    expect(html).toContain('&quot;/tmp/&lt;script&gt;alert(1)&lt;/script&gt;\\&quot;&quot;');
    const evil = renderHtmlReport({ ...input, recording: '</title><script>alert(1)</script>' });
    expect(evil).toContain('<title>prnr diagnosis: &lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;</title>');
    expect(evil.match(/<script>/g)).toHaveLength(1);
    checkTags(evil);
  });
});
