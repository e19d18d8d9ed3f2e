/**
 * Diagnosis reports: what both renderers share (the input, the processes of a
 * trace, where an anomaly is, the seek command) and the plain-text report.
 *
 * Text report layout: a summary, then the anomalies (most likely explanation first, each
 * with the `prnr seek` command that stops right before it), then an
 * strace-like trace per process: `[pid N comm] icount  text`, one line per
 * syscall in order, shortened to about `maxLines` per process (the first
 * calls, the calls around anomalies, the last calls) unless a pid is chosen.
 *
 * Everything the guest wrote (comm, decoded strings) is untrusted: control
 * characters are shown as \xNN escapes so a comm cannot drive the terminal.
 */
import type { Anomaly, AnomalySeverity } from './anomalies.js';
import { defFor, formatCall } from './format.js';
import type { SyscallRecord, SyscallTrace } from './syscall-tracer.js';
import { unfinishedRecord } from './syscall-tracer.js';

/** mtime ticks per second (the virt machine's 10 MHz timebase). */
export const MTIME_HZ = 10_000_000;

export interface ReportSlice {
  index: number;
  startIcount: number;
  endIcount: number;
  startMtime: number;
  endMtime: number;
  /** Whether the slice's replay reached its end state as recorded. */
  verified: boolean;
}

export interface ReportInput {
  /** The recording's name or path: the title, and the argument of the seek commands. */
  recording: string;
  /** The trace merged over all slices. */
  trace: SyscallTrace;
  /** findAnomalies(trace). */
  anomalies: Anomaly[];
  slices: ReportSlice[];
  /** Report only this process (tgid) and its threads. */
  pid?: number;
}

export interface TextReportOptions {
  /** ANSI colours (for a terminal). */
  color?: boolean;
  /** Lines per process when no pid is chosen (default 200). */
  maxLines?: number;
}

/** One process of the report: the records of one pid (or, without attribution, one task). */
export interface ReportProcess {
  /** `pid:N`, or `task:0x...` when attribution is unavailable. */
  key: string;
  pid: number | null;
  /** The command names it had, in order (execve changes it). */
  comms: string[];
  tids: number[];
  records: SyscallRecord[];
  /** icount of its first entry and its last entry or exit. */
  first: number;
  last: number;
  /** Calls that failed (an errno), and calls that never returned: counted apart, as the summary counts them. */
  failures: number;
  unfinished: number;
}

export interface ReportModel {
  input: ReportInput;
  /** Records shown (pid filter applied), in entry order; calls still running at the end are unfinished records. */
  records: SyscallRecord[];
  processes: ReportProcess[];
  /** Anomalies shown (pid filter applied), in rank order (most likely explanation first). */
  anomalies: Anomaly[];
  /** The record each anomaly points at (same index), if it is in the trace. */
  anomalyRecords: (SyscallRecord | null)[];
  /** The process each anomaly belongs to (same index), if any. */
  anomalyProcesses: (ReportProcess | null)[];
  /** The whole recording's extent: from the slices, else from the records. */
  span: { startIcount: number; endIcount: number; startMtime: number; endMtime: number };
  /** Traced records in the whole trace (before the pid filter). */
  totalRecords: number;
  totalProcesses: number;
  /** A pid was asked for and made no traced call. */
  pidAbsent: boolean;
}

const SEVERITY_RANK: Record<AnomalySeverity, number> = { error: 0, warning: 1, info: 2 };

/** Whether a record counts as a failure (an errno, or a call that never returned). */
export function isFailure(r: SyscallRecord): boolean {
  return r.errno !== null || r.outcome === 'unfinished';
}

const processKeyOf = (r: SyscallRecord): string => (r.pid !== null ? `pid:${r.pid}` : `task:${r.task}`);
const lastIcount = (r: SyscallRecord): number => r.exit?.icount ?? r.entry.icount;

/** Groups, filters and orders what both reports show. */
export function buildReportModel(input: ReportInput): ReportModel {
  const all = [...input.trace.events, ...input.trace.openAtEnd.map(unfinishedRecord)].sort((a, b) => a.entry.icount - b.entry.icount);
  const records = input.pid === undefined ? all : all.filter((r) => r.pid === input.pid);
  const byKey = new Map<string, ReportProcess>();
  for (const r of records) {
    const key = processKeyOf(r);
    let p = byKey.get(key);
    if (p === undefined) {
      p = { key, pid: r.pid, comms: [], tids: [], records: [], first: r.entry.icount, last: r.entry.icount, failures: 0, unfinished: 0 };
      byKey.set(key, p);
    }
    p.records.push(r);
    p.last = Math.max(p.last, lastIcount(r));
    if (r.errno !== null) p.failures++;
    if (r.outcome === 'unfinished') p.unfinished++;
    for (const c of [r.comm, r.commAtExit]) if (c != null && p.comms[p.comms.length - 1] !== c) p.comms.push(c);
    if (r.tid !== null && !p.tids.includes(r.tid)) p.tids.push(r.tid);
  }
  const processes = [...byKey.values()].sort((a, b) => a.first - b.first);

  const anomalies = input.anomalies
    .map((a, i) => ({ a, i }))
    .filter(({ a }) => input.pid === undefined || a.pid === input.pid)
    .sort((x, y) => (x.a.rank ?? Infinity) - (y.a.rank ?? Infinity) || SEVERITY_RANK[x.a.severity] - SEVERITY_RANK[y.a.severity] || x.a.icount - y.a.icount || x.i - y.i)
    .map(({ a }) => a);
  const anomalyRecords = anomalies.map((a) => recordOf(a, records));
  const anomalyProcesses = anomalies.map((a, i) => {
    const r = anomalyRecords[i];
    if (r !== null) return byKey.get(processKeyOf(r)) ?? null;
    return a.pid !== null ? (byKey.get(`pid:${a.pid}`) ?? null) : null;
  });

  const keys = new Set(all.map(processKeyOf));
  const sl = input.slices;
  const span = sl.length > 0
    ? {
      startIcount: Math.min(...sl.map((s) => s.startIcount)), endIcount: Math.max(...sl.map((s) => s.endIcount)),
      startMtime: Math.min(...sl.map((s) => s.startMtime)), endMtime: Math.max(...sl.map((s) => s.endMtime)),
    }
    : {
      startIcount: all[0]?.entry.icount ?? 0, endIcount: Math.max(0, ...all.map(lastIcount)),
      startMtime: all[0]?.entry.mtime ?? 0, endMtime: Math.max(0, ...all.map((r) => r.exit?.mtime ?? r.entry.mtime)),
    };
  return {
    input, records, processes, anomalies, anomalyRecords, anomalyProcesses, span, totalRecords: all.length, totalProcesses: keys.size,
    pidAbsent: input.pid !== undefined && records.length === 0,
  };
}

/**
 * The record an anomaly points at: the syscall entered at its icount by its
 * process (for a killed process, the last syscall, which ended there).
 */
function recordOf(a: Anomaly, records: readonly SyscallRecord[]): SyscallRecord | null {
  const mine = (r: SyscallRecord): boolean => a.pid === null || r.pid === a.pid;
  return records.find((r) => mine(r) && r.entry.icount === a.icount)
    ?? records.find((r) => mine(r) && r.exit?.icount === a.icount)
    ?? null;
}

/** Shows control characters (C0, DEL, C1) as \xNN: guest text must not reach a terminal raw. */
export function printable(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** A word for the shell: as is when safe, else single-quoted. */
export function shellWord(s: string): string {
  return /^[\w./:@%+=,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The command that stops the replay right before `icount`. */
export function seekCommand(recording: string, icount: number): string {
  return `prnr seek ${shellWord(recording)} --icount ${icount}`;
}

/** `pid 40 (sh → cat)`, or the task pointer when attribution is unavailable. */
export function processLabel(p: ReportProcess): string {
  const name = p.comms.length > 0 ? p.comms.map(printable).join(' → ') : '?';
  return p.pid !== null ? `pid ${p.pid} ${name}` : `task ${p.key.slice(5)}`;
}

/** Seconds of virtual time, from mtime ticks. */
export function seconds(ticks: number, digits = 3): string {
  return (ticks / MTIME_HZ).toFixed(digits);
}

/** The arguments and the result of a record's line: `openat(` ARGS `) = ` RESULT. */
export function callParts(r: SyscallRecord): { args: string; result: string } {
  let prefix: string | null = null;
  try {
    prefix = formatCall(defFor(r.nr), r.args.map((a) => BigInt(a)), r.argText, '');
  } catch {
    prefix = null;
  }
  if (prefix !== null && r.text.startsWith(prefix)) return { args: prefix.slice(r.name.length + 1, -4), result: r.text.slice(prefix.length) };
  const open = r.text.indexOf('(');
  const close = r.text.lastIndexOf(') = ');
  if (open < 0 || close < open) return { args: r.text, result: '' };
  return { args: r.text.slice(open + 1, close), result: r.text.slice(close + 4) };
}

/** Indices of the records to print for one process, at most `max`: the first half, the last quarter, the calls around anomalies, then more from the start. */
function chooseLines(p: ReportProcess, anomalyAt: ReadonlySet<SyscallRecord>, max: number): number[] {
  const n = p.records.length;
  if (n <= max) return p.records.map((_, i) => i);
  const keep = new Set<number>();
  const head = Math.ceil(max * 0.5);
  const tail = Math.ceil(max * 0.25);
  for (let i = 0; i < head; i++) keep.add(i);
  for (let i = n - tail; i < n; i++) keep.add(i);
  let budget = max - head - tail;
  for (let i = 0; i < n && budget > 0; i++) {
    if (!anomalyAt.has(p.records[i])) continue;
    for (let j = Math.max(0, i - 2); j <= Math.min(n - 1, i + 2); j++) {
      if (!keep.has(j)) { keep.add(j); budget--; }
    }
  }
  for (let i = head; i < n && budget > 0; i++) {
    if (!keep.has(i)) { keep.add(i); budget--; }
  }
  return [...keep].sort((a, b) => a - b);
}

type Paint = (style: keyof typeof ANSI, s: string) => string;
const ANSI = { bold: '1', dim: '2', red: '31', green: '32', yellow: '33', cyan: '36', boldRed: '1;31' } as const;
const SEVERITY_STYLE: Record<AnomalySeverity, keyof typeof ANSI> = { error: 'boldRed', warning: 'yellow', info: 'cyan' };

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** The prefix of a trace line: `[pid 40 sh]`, `[pid 40 tid 41 sh]`, `[task 0xffff...]`. */
function lineWho(r: SyscallRecord): string {
  if (r.pid === null) return `[task ${r.task}]`;
  const tid = r.tid !== null && r.tid !== r.pid ? ` tid ${r.tid}` : '';
  return `[pid ${r.pid}${tid} ${printable(r.comm ?? '?')}]`;
}

/** The summary lines shared by the text report: label, value. */
function summaryRows(m: ReportModel): [string, string][] {
  const { input } = m;
  const rows: [string, string][] = [];
  const sl = input.slices;
  const bad = sl.filter((s) => !s.verified).map((s) => s.index);
  rows.push(['slices', sl.length === 0
    ? `${input.trace.slices.length} (verification unknown)`
    : bad.length === 0 ? `${sl.length}, all verified` : `${sl.length - bad.length} of ${sl.length} verified (not verified: ${bad.slice(0, 20).join(', ')}${bad.length > 20 ? ', ...' : ''})`]);
  rows.push(['span', `icount ${m.span.startIcount} .. ${m.span.endIcount}, virtual ${seconds(m.span.startMtime)} .. ${seconds(m.span.endMtime)} s`]);
  const failed = m.records.filter((r) => r.errno !== null).length;
  const unfinished = m.records.filter((r) => r.outcome === 'unfinished').length;
  rows.push(['syscalls', `${m.records.length} traced in ${plural(m.processes.length, 'process', 'processes')}, ${failed} failed${unfinished > 0 ? `, ${unfinished} unfinished` : ''}`]);
  if (input.pid !== undefined) rows.push(['filter', `${m.pidAbsent ? `pid ${input.pid}: NOT IN THE TRACE, it made no traced syscall` : `pid ${input.pid} and its threads only`} (of ${m.totalRecords} syscalls in ${plural(m.totalProcesses, 'process', 'processes')})`]);
  const att = input.trace.attribution;
  rows.push(['attribution', att.available ? att.note : `UNAVAILABLE: ${att.note}`]);
  if (input.trace.openAtStart.length > 0) rows.push(['not shown', `${plural(input.trace.openAtStart.length, 'return')} whose entry came before the trace`]);
  rows.push(['anomalies', anomalyCounts(m.anomalies)]);
  return rows;
}

/** `, 2 failed, 1 unfinished` for a process header (empty when neither), counted as the summary counts them. */
export function failureCounts(p: ReportProcess): string {
  return `${p.failures > 0 ? `, ${p.failures} failed` : ''}${p.unfinished > 0 ? `, ${p.unfinished} unfinished` : ''}`;
}

/** `1 error, 2 warnings, 3 info`, or `none`. */
export function anomalyCounts(as: readonly Anomaly[]): string {
  if (as.length === 0) return 'none';
  const n = (s: AnomalySeverity): number => as.filter((a) => a.severity === s).length;
  return [n('error') > 0 ? plural(n('error'), 'error') : '', n('warning') > 0 ? plural(n('warning'), 'warning') : '', n('info') > 0 ? `${n('info')} info` : '']
    .filter((s) => s !== '').join(', ');
}

/** Where an anomaly is, in words: `pid 40 (sh), icount 1234 in slice 3, virtual 0.123456 s`. */
export function anomalyPosition(a: Anomaly): string {
  const who = a.pid !== null ? `pid ${a.pid}${a.comm !== null ? ` (${printable(a.comm)})` : ''}, ` : a.comm !== null ? `${printable(a.comm)}, ` : '';
  const died = a.beforeIcount !== undefined ? `; died before icount ${a.beforeIcount}` : '';
  return `${who}icount ${a.icount} in slice ${a.slice}, virtual ${seconds(a.mtime, 6)} s${died}`;
}

/** The plain-text report: summary, anomalies, then a trace per process. */
export function renderTextReport(r: ReportInput, o: TextReportOptions = {}): string {
  const paint: Paint = o.color === true ? (style, s) => `\x1b[${ANSI[style]}m${s}\x1b[0m` : (_style, s) => s;
  const m = buildReportModel(r);
  const out: string[] = [];
  const heading = (s: string): void => { out.push('', paint('bold', s)); };

  out.push(paint('bold', `prnr diagnosis of ${printable(r.recording)}`));
  const rows = summaryRows(m);
  const w = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) {
    const value = k === 'attribution' && !r.trace.attribution.available ? paint('yellow', v) : v;
    out.push(`  ${k.padEnd(w)}  ${value}`);
  }

  heading(m.pidAbsent ? `ANOMALIES: none for pid ${r.pid}, which is not in the trace` : m.anomalies.length === 0 ? 'ANOMALIES: none found' : `ANOMALIES (${anomalyCounts(m.anomalies)}), most likely explanation first`);
  const num = String(m.anomalies.length).length;
  const sevW = Math.max(0, ...m.anomalies.map((a) => a.severity.length));
  const kindW = Math.max(0, ...m.anomalies.map((a) => a.kind.length));
  m.anomalies.forEach((a, i) => {
    const indent = ' '.repeat(num + 4);
    out.push(`  ${String(i + 1).padStart(num)}. ${paint(SEVERITY_STYLE[a.severity], a.severity.padEnd(sevW))}  ${a.kind.padEnd(kindW)}  ${printable(a.message)}`);
    out.push(`${indent}${paint('dim', 'at     ')} ${anomalyPosition(a)}`);
    if (a.why !== undefined && a.severity !== 'info') out.push(`${indent}${paint('dim', 'why    ')} ${printable(a.why)}`);
    // Information (failures by design, PATH lookups) stays short: no call line.
    if (a.example !== undefined && a.severity !== 'info') out.push(`${indent}${paint('dim', 'call   ')} ${printable(a.example)}`);
    out.push(`${indent}${paint('dim', 'seek   ')} ${paint('green', seekCommand(r.recording, a.icount))}`);
  });

  const anomalyAt = new Set(m.anomalyRecords.filter((x): x is SyscallRecord => x !== null));
  const max = r.pid !== undefined ? Infinity : Math.max(1, o.maxLines ?? 200);
  const icW = String(m.span.endIcount).length;
  heading(m.processes.length === 0 ? 'TRACE: no syscalls' : `TRACE (${plural(m.processes.length, 'process', 'processes')}, in order of their first syscall)`);
  for (const p of m.processes) {
    out.push('', paint('bold', `== ${processLabel(p)}: ${plural(p.records.length, 'syscall')}${failureCounts(p)}, icount ${p.first} .. ${p.last}${p.tids.length > 1 ? `, ${plural(p.tids.length, 'thread')}` : ''}`));
    const keep = chooseLines(p, anomalyAt, max);
    let next = 0;
    const skipped = (k: number): void => {
      if (k > 0) out.push(paint('dim', `  ... ${k} more${p.pid !== null && r.pid === undefined ? ` (--pid ${p.pid} shows all)` : ''}`));
    };
    for (const i of keep) {
      skipped(i - next);
      next = i + 1;
      const rec = p.records[i];
      const line = `${lineWho(rec)} ${String(rec.entry.icount).padStart(icW)}  ${printable(rec.text)}`;
      const mark = anomalyAt.has(rec) ? paint('boldRed', '!') : ' ';
      out.push(`${mark} ${isFailure(rec) ? paint('red', line) : line}`);
    }
    skipped(p.records.length - next);
  }
  return out.join('\n') + '\n';
}
