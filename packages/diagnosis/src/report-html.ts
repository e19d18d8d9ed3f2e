/**
 * The HTML diagnosis report: one self-contained file (inline CSS, a little
 * inline JS, no external URL; a Content-Security-Policy forbids loading
 * anything). Top to bottom:
 * - header: the recording and the summary (slices verified, syscalls,
 *   processes, attribution);
 * - anomalies as cards, most likely explanation first (with why): severity colour, message,
 *   position, the strace line, the seek command with a copy button (the
 *   first eight open, the rest folded);
 * - a timeline (inline SVG): x = icount across the recording, one lane per
 *   process from its first to its last syscall with a tick per syscall (red
 *   where one failed), anomalies as markers linked to their cards, slice
 *   boundaries as faint vertical lines with slice numbers, unverified slices
 *   shaded; when the syscalls fill little of the recording (a boot before
 *   them), a second one zoomed to them, with a switch;
 * - a table per process (syscall, arguments, result, errno, icount,
 *   duration in virtual ms) with a filter box and a failures-only toggle.
 *
 * All guest-provided text (comm, paths, strings, messages) goes through
 * `esc`; no guest text is put inside the script.
 */
import type { Anomaly, AnomalySeverity } from './anomalies.js';
import type { ReportInput, ReportModel, ReportProcess } from './report-text.js';
import {
  MTIME_HZ, anomalyCounts, anomalyPosition, buildReportModel, callParts, failureCounts, isFailure, printable, processLabel, seconds, seekCommand,
} from './report-text.js';
import type { SyscallRecord } from './syscall-tracer.js';

export interface HtmlReportOptions {
  /** Table rows per process at most (default 5000); the rest is counted. */
  maxRows?: number;
}

/** Escapes text for HTML content and attribute values (after showing control characters as \xNN). */
export function escapeHtml(s: string): string {
  return printable(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
const esc = escapeHtml;

const SEVERITY_COLOR: Record<AnomalySeverity, string> = { error: '#c62828', warning: '#d97706', info: '#2563eb' };

const CSS = `
:root{--fg:#1f2328;--mut:#656d76;--bd:#d0d7de;--bg:#f6f8fa;--err:#c62828;--warn:#d97706;--info:#2563eb;--ok:#57606a}
*{box-sizing:border-box}[hidden]{display:none!important}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:#fff}
main{max-width:1200px;margin:0 auto;padding:16px 24px 48px}
h1{font-size:20px;margin:0 0 4px;word-break:break-all}h2{font-size:16px;margin:28px 0 10px;border-bottom:1px solid var(--bd);padding-bottom:4px}
code,.mono,td{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
.stats{display:flex;flex-wrap:wrap;gap:8px;margin:12px 0}
.stat{background:var(--bg);border:1px solid var(--bd);border-radius:6px;padding:6px 12px}.stat b{display:block;font-size:18px}
.stat span{color:var(--mut);font-size:12px}.note{color:var(--mut)}.warn-note{color:var(--warn);font-weight:600}
.cards{display:grid;gap:10px}
.card{border:1px solid var(--bd);border-left:6px solid var(--sev);border-radius:6px;padding:10px 14px;background:#fff}
.card .head{display:flex;gap:8px;align-items:baseline;flex-wrap:wrap}
.badge{background:var(--sev);color:#fff;border-radius:10px;padding:0 8px;font-size:12px;font-weight:600;text-transform:uppercase}
.kind{color:var(--mut);font-size:12px}.msg{font-weight:600}
.row{display:flex;flex-wrap:wrap;justify-content:space-between;gap:4px 12px;align-items:center;margin-top:4px}.pos{color:var(--mut);font-size:13px}
.call{display:block;margin-top:4px;white-space:pre-wrap;word-break:break-all;color:#424a53}
.seek{display:flex;gap:6px;align-items:center}
details.rest{margin-top:10px}details.rest>summary{cursor:pointer;color:var(--mut);margin-bottom:8px}
.seek code{background:var(--bg);border:1px solid var(--bd);border-radius:4px;padding:2px 6px;user-select:all}
button{font:inherit;font-size:12px;border:1px solid var(--bd);background:var(--bg);border-radius:4px;padding:2px 8px;cursor:pointer}
svg{width:100%;height:auto;display:block;border:1px solid var(--bd);border-radius:6px;background:#fff}
svg text{font:11px system-ui,sans-serif;fill:var(--fg)}svg .lbl{font-size:12px}svg .ax{fill:var(--mut)}
.life{fill:#dbe4ee}.tick{stroke:var(--ok);stroke-width:1}.tick.fail{stroke:var(--err);stroke-width:1.5}
.slice{stroke:#8c959f;stroke-opacity:.3;stroke-dasharray:2 3}.unverified{fill:var(--err);fill-opacity:.07}
.mk{stroke:#fff;stroke-width:1}a:hover .mk{stroke:#000}
.tl-switch{display:flex;gap:16px;margin:0 0 6px;color:var(--mut);font-size:13px}
.controls{display:flex;gap:16px;align-items:center;margin:8px 0 12px;position:sticky;top:0;background:#fff;padding:6px 0;z-index:1}
.controls input[type=search]{width:320px;padding:4px 8px;border:1px solid var(--bd);border-radius:4px;font:inherit}
details.proc{border:1px solid var(--bd);border-radius:6px;margin:10px 0}
details.proc summary{cursor:pointer;padding:6px 10px;background:var(--bg);font-weight:600}
details.proc summary .meta{font-weight:400;color:var(--mut);margin-left:8px}
.tw{overflow-x:auto}table{border-collapse:collapse;width:100%}
th{text-align:left;font-size:12px;color:var(--mut);font-weight:600;padding:4px 8px;border-bottom:1px solid var(--bd)}
td{padding:2px 8px;border-bottom:1px solid #eef1f4;vertical-align:top}
td.args{white-space:pre-wrap;word-break:break-all;min-width:300px}td.n{text-align:right;white-space:nowrap}
tr.fail td{background:#fff1f0}tr.fail td.res,tr.fail td.errno{color:var(--err);font-weight:600}
tr.anom td:first-child{box-shadow:inset 4px 0 var(--err)}tr:target td{background:#fff8c5}
.more{color:var(--mut);font-style:italic}
`;

/** Filter box, failures-only toggle, copy buttons. Reads the DOM only: no guest data in here. */
const JS = `
(function(){
var q=document.getElementById('filter'),f=document.getElementById('failonly'),cnt=document.getElementById('shown');
function apply(){
  var s=q.value.trim().toLowerCase(),fo=f.checked,total=0;
  document.querySelectorAll('details.proc').forEach(function(d){
    var head=d.querySelector('summary').textContent.toLowerCase(),all=!s||head.indexOf(s)>=0,shown=0;
    d.querySelectorAll('tbody tr[data-r]').forEach(function(tr){
      var ok=(!fo||tr.classList.contains('fail'))&&(all||tr.textContent.toLowerCase().indexOf(s)>=0);
      tr.hidden=!ok;if(ok)shown++;
    });
    d.hidden=shown===0&&(s!==''||fo);total+=shown;
  });
  cnt.textContent=(s||fo)?total+' matching syscalls':'';
}
q.addEventListener('input',apply);f.addEventListener('change',apply);
document.querySelectorAll('input[name=tl]').forEach(function(r){
  r.addEventListener('change',function(){document.querySelectorAll('svg.timeline').forEach(function(s){s.hidden=s.id!==r.value;});});
});
document.querySelectorAll('button.copy').forEach(function(b){
  b.addEventListener('click',function(){
    var t=b.previousElementSibling.textContent,done=function(){b.textContent='copied';setTimeout(function(){b.textContent='copy';},1200);};
    if(navigator.clipboard)navigator.clipboard.writeText(t).then(done,function(){});
    else{var r=document.createRange();r.selectNodeContents(b.previousElementSibling);var sel=getSelection();sel.removeAllRanges();sel.addRange(r);document.execCommand('copy');done();}
  });
});
function reveal(id){
  var el=document.getElementById(id);if(!el)return;
  if(el.hidden||(el.closest('details.proc')||{}).hidden){q.value='';f.checked=false;apply();}
  for(var d=el.closest('details');d;d=d.parentElement&&d.parentElement.closest('details'))d.open=true;
}
document.addEventListener('click',function(e){var a=e.target.closest&&e.target.closest('a[href^="#"]');if(a)reveal(a.getAttribute('href').slice(1));});
if(location.hash)reveal(location.hash.slice(1));
})();
`;

/** An id fragment for a process (its key may hold a task pointer). */
const procId = (p: ReportProcess): string => `p-${p.key.replace(/[^\w-]/g, '-')}`;
/** The id of a record's table row. */
const rowId = (r: SyscallRecord): string => `r-${r.entry.icount}-${r.task.replace(/[^\w]/g, '')}`;

/** The HTML report: one self-contained file. */
export function renderHtmlReport(r: ReportInput, o: HtmlReportOptions = {}): string {
  const m = buildReportModel(r);
  const title = `prnr diagnosis: ${r.recording}`;
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(title)}</title>`,
    `<style>${CSS}</style>`,
    '</head><body><main>',
    header(m),
    anomalySection(m),
    timelineSection(m),
    processSection(m, o.maxRows ?? 5000),
    '</main>',
    `<script>${JS}</script>`,
    '</body></html>',
    '',
  ].join('\n');
}

function stat(value: string, label: string): string {
  return `<div class="stat"><b>${value}</b><span>${label}</span></div>`;
}

function header(m: ReportModel): string {
  const { input } = m;
  const sl = input.slices;
  const unverified = sl.filter((s) => !s.verified).map((s) => s.index);
  const failed = m.records.filter((x) => x.errno !== null).length;
  const att = input.trace.attribution;
  const parts = [
    '<header>',
    `<h1>prnr diagnosis: <span class="mono">${esc(input.recording)}</span></h1>`,
    `<div class="note">icount ${m.span.startIcount} – ${m.span.endIcount} · virtual time ${seconds(m.span.startMtime)} – ${seconds(m.span.endMtime)} s${input.pid !== undefined ? ` · <b>only pid ${input.pid}</b>${m.pidAbsent ? ', <b>which is not in the trace</b>: it made no traced syscall' : ' and its threads'} (of ${m.totalRecords} syscalls in ${m.totalProcesses} processes)` : ''}</div>`,
    '<div class="stats">',
    sl.length === 0 ? stat(String(input.trace.slices.length), 'slices') : stat(`${sl.length - unverified.length}/${sl.length}`, 'slices verified'),
    stat(String(m.records.length), 'syscalls traced'),
    stat(String(m.processes.length), m.processes.length === 1 ? 'process' : 'processes'),
    stat(String(failed), 'failed syscalls'),
    stat(String(m.anomalies.length), `anomalies${m.anomalies.length > 0 ? ` (${anomalyCounts(m.anomalies)})` : ''}`),
    '</div>',
    att.available ? `<div class="note">Attribution: ${esc(att.note)}</div>` : `<div class="warn-note">Process attribution unavailable: ${esc(att.note)}</div>`,
  ];
  if (unverified.length > 0) parts.push(`<div class="warn-note">Slices not verified: ${unverified.slice(0, 40).join(', ')}${unverified.length > 40 ? ', …' : ''}</div>`);
  if (input.trace.openAtStart.length > 0) parts.push(`<div class="note">${input.trace.openAtStart.length} returns whose entry came before the trace are not shown.</div>`);
  parts.push('</header>');
  return parts.join('\n');
}

/** Cards shown open: all errors, then warnings and info up to this many; the rest are folded. */
const OPEN_CARDS = 8;

function anomalySection(m: ReportModel): string {
  const out = ['<section id="anomalies">', `<h2>Anomalies${m.anomalies.length > 0 ? `, most likely explanation first (${anomalyCounts(m.anomalies)})` : ''}</h2>`];
  if (m.anomalies.length === 0) out.push(m.pidAbsent ? `<p class="note">None for pid ${m.input.pid}, which is not in the trace.</p>` : '<p class="note">None found.</p>');
  const open = Math.max(OPEN_CARDS, m.anomalies.filter((a) => a.severity === 'error').length);
  const cards = m.anomalies.map((a, i) => card(m, a, i));
  if (cards.length > 0) out.push('<div class="cards">', ...cards.slice(0, open), '</div>');
  if (cards.length > open) {
    const rest = m.anomalies.slice(open);
    out.push(`<details class="rest"><summary>${rest.length} more (${anomalyCounts(rest)})</summary>`, '<div class="cards">', ...cards.slice(open), '</div>', '</details>');
  }
  out.push('</section>');
  return out.join('\n');
}

function card(m: ReportModel, a: Anomaly, i: number): string {
  const rec = m.anomalyRecords[i];
  return [
    `<div class="card" id="anomaly-${i + 1}" style="--sev:${SEVERITY_COLOR[a.severity]}">`,
    `<div class="head"><span class="badge">${a.severity}</span><span class="kind">${esc(a.kind)}</span><span class="msg">${esc(a.message)}</span></div>`,
    `<div class="row"><span class="pos">${esc(anomalyPosition(a))}${rec !== null ? ` · <a href="#${rowId(rec)}">show in trace</a>` : ''}</span>`
      + `<span class="seek"><code>${esc(seekCommand(m.input.recording, a.icount))}</code><button class="copy" type="button">copy</button></span></div>`,
    a.why !== undefined ? `<div class="why">${esc(a.why)}</div>` : '',
    a.example !== undefined ? `<code class="call">${esc(a.example)}</code>` : '',
    '</div>',
  ].filter((s) => s !== '').join('\n');
}

/** 1, 2 or 5 times a power of ten, about `span / 8`. */
function niceStep(span: number): number {
  const raw = Math.max(1, span / 8);
  const p = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((k) => k * p).find((s) => s >= raw) ?? 10 * p;
}

/** Axis labels for a step: 12k, 3.4M, 81.25M (as many decimals as the step needs). */
function axisLabel(n: number, step: number, top: number): string {
  const [unit, suffix] = top >= 1e9 ? [1e9, 'G'] : top >= 1e6 ? [1e6, 'M'] : top >= 1e3 ? [1e3, 'k'] : [1, ''];
  const decimals = Math.max(0, Math.ceil(-Math.log10(step / unit) - 1e-9));
  return `${(n / unit).toFixed(decimals)}${suffix}`;
}

const fix = (v: number): string => (Math.round(v * 10) / 10).toString();

/**
 * The timeline: the whole recording, and, when the syscalls fill only part
 * of it (a kernel boot before them), the same zoomed to the syscalls, with
 * a switch between the two.
 */
function timelineSection(m: ReportModel): string {
  const whole = { from: m.span.startIcount, to: m.span.endIcount };
  const out = ['<section id="timeline">', '<h2>Timeline</h2>'];
  if (m.processes.length > 0) {
    const first = Math.min(...m.processes.map((p) => p.first)), last = Math.max(...m.processes.map((p) => p.last));
    const pad = Math.max(1, Math.round((last - first) * 0.02));
    const zoom = { from: Math.max(whole.from, first - pad), to: Math.min(Math.max(whole.to, last), last + pad) };
    if (zoom.to - zoom.from < 0.6 * (whole.to - whole.from)) {
      out.push(
        '<div class="tl-switch">',
        '<label><input type="radio" name="tl" value="tl-whole" checked> whole recording</label>',
        `<label><input type="radio" name="tl" value="tl-zoom"> zoom to the syscalls (icount ${zoom.from} – ${zoom.to})</label>`,
        '</div>',
        timelineSvg(m, whole.from, whole.to, 'tl-whole', false),
        timelineSvg(m, zoom.from, zoom.to, 'tl-zoom', true),
      );
      out.push('</section>');
      return out.join('\n');
    }
  }
  out.push(timelineSvg(m, whole.from, whole.to, 'tl-whole', false), '</section>');
  return out.join('\n');
}

/** One timeline over icount [from, to]: lanes, ticks, anomaly markers, slices. */
function timelineSvg(m: ReportModel, from: number, to: number, id: string, hidden: boolean): string {
  const W = 1000, L = 180, R = 16, TOP = 30, BOTTOM = 30;
  const lanes = m.processes;
  const other = m.anomalies.some((_, i) => m.anomalyProcesses[i] === null);
  const laneH = lanes.length > 40 ? 14 : 22;
  const nLanes = lanes.length + (other ? 1 : 0);
  const H = TOP + Math.max(1, nLanes) * laneH + BOTTOM;
  const x0 = from;
  const x1 = Math.max(to, x0 + 1);
  const PW = W - L - R;
  const x = (ic: number): number => L + ((Math.min(Math.max(ic, x0), x1) - x0) / (x1 - x0)) * PW;
  const laneY = (i: number): number => TOP + i * laneH + laneH / 2;
  const out: string[] = [
    `<svg class="timeline" id="${id}" viewBox="0 0 ${W} ${H}" role="img" aria-label="processes and anomalies over icount ${x0} to ${x1}"${hidden ? ' hidden' : ''}>`,
  ];

  // Slices: unverified ones shaded, boundaries as faint lines, numbers where there is room.
  const slices = [...m.input.slices].sort((a, b) => a.startIcount - b.startIcount).filter((s) => s.endIcount > x0 && s.startIcount < x1);
  for (const s of slices) {
    if (!s.verified) out.push(`<rect class="unverified" x="${fix(x(s.startIcount))}" y="${TOP - 4}" width="${fix(Math.max(1, x(s.endIcount) - x(s.startIcount)))}" height="${H - TOP - BOTTOM + 8}"><title>slice ${s.index}: not verified</title></rect>`);
  }
  const lineEvery = Math.max(1, Math.ceil(slices.length / 250));
  let lastLabel = -Infinity;
  slices.forEach((s, i) => {
    const sx = x(s.startIcount);
    if (s.startIcount > x0 && i % lineEvery === 0) out.push(`<line class="slice" x1="${fix(sx)}" y1="${TOP - 12}" x2="${fix(sx)}" y2="${H - BOTTOM}"/>`);
    const mid = (sx + x(s.endIcount)) / 2;
    if (mid - lastLabel >= 28) {
      out.push(`<text class="ax" x="${fix(mid)}" y="${TOP - 14}" text-anchor="middle">${s.index}</text>`);
      lastLabel = mid;
    }
  });
  if (slices.length > 0) out.push(`<text class="ax" x="${L - 8}" y="${TOP - 14}" text-anchor="end">slice</text>`);

  // Axis: icount.
  const step = niceStep(x1 - x0);
  for (let t = Math.ceil(x0 / step) * step; t <= x1; t += step) {
    out.push(`<line x1="${fix(x(t))}" y1="${H - BOTTOM}" x2="${fix(x(t))}" y2="${H - BOTTOM + 4}" stroke="#8c959f"/>`);
    out.push(`<text class="ax" x="${fix(x(t))}" y="${H - BOTTOM + 16}" text-anchor="middle">${axisLabel(t, step, x1)}</text>`);
  }
  out.push(`<text class="ax" x="${L - 8}" y="${H - BOTTOM + 16}" text-anchor="end">icount</text>`);

  // Lanes: lifetime bar and a tick per syscall (merged per half unit; red if any call there failed).
  lanes.forEach((p, i) => {
    const y = laneY(i);
    const label = processLabel(p);
    const short = label.length > 26 ? `${label.slice(0, 25)}…` : label;
    const start = x(p.first), end = Math.max(x(p.last), start + 2);
    out.push(
      `<g class="lane" data-lane="${esc(p.key)}">`,
      `<a href="#${procId(p)}"><text class="lbl" x="${L - 8}" y="${fix(y + 4)}" text-anchor="end">${esc(short)}<title>${esc(label)}</title></text></a>`,
      `<rect class="life" x="${fix(start)}" y="${fix(y - laneH * 0.3)}" width="${fix(end - start)}" height="${fix(laneH * 0.6)}" rx="2"><title>${esc(`${label}: ${p.records.length} syscalls, icount ${p.first} – ${p.last}`)}</title></rect>`,
    );
    const px = new Map<number, boolean>();
    for (const rec of p.records) {
      const k = Math.round(x(rec.entry.icount) * 2) / 2;
      px.set(k, (px.get(k) ?? false) || isFailure(rec));
    }
    const ok: string[] = [], bad: string[] = [];
    const h = laneH * 0.25;
    for (const [k, f] of px) (f ? bad : ok).push(`M${k} ${fix(y - h)}V${fix(y + h)}`);
    if (ok.length > 0) out.push(`<path class="tick" d="${ok.join('')}"/>`);
    if (bad.length > 0) out.push(`<path class="tick fail" d="${bad.join('')}"/>`);
    out.push('</g>');
  });
  if (other) out.push(`<text class="lbl ax" x="${L - 8}" y="${fix(laneY(lanes.length) + 4)}" text-anchor="end">(no process)</text>`);
  if (lanes.length === 0 && !other) out.push(`<text class="ax" x="${L + PW / 2}" y="${fix(laneY(0) + 4)}" text-anchor="middle">no syscalls</text>`);

  // Anomalies: markers on their process's lane, most severe drawn last (on top).
  for (let i = m.anomalies.length - 1; i >= 0; i--) {
    const a = m.anomalies[i];
    const p = m.anomalyProcesses[i];
    const lane = p === null ? lanes.length : lanes.indexOf(p);
    out.push(`<a href="#anomaly-${i + 1}" class="marker" data-kind="${esc(a.kind)}">${marker(a, x(a.icount), laneY(lane), laneH)}<title>${esc(`${a.severity}: ${a.message} (icount ${a.icount})`)}</title></a>`);
  }
  out.push('</svg>');
  return out.join('\n');
}

/** A diamond (a cross for a killed process), coloured by severity. */
function marker(a: Anomaly, cx: number, cy: number, laneH: number): string {
  const s = Math.min(7, laneH * 0.36);
  const color = SEVERITY_COLOR[a.severity];
  if (a.kind === 'killed-by-signal') {
    const d = `M${fix(cx - s)} ${fix(cy - s)}L${fix(cx + s)} ${fix(cy + s)}M${fix(cx + s)} ${fix(cy - s)}L${fix(cx - s)} ${fix(cy + s)}`;
    return `<path class="mk" d="${d}" style="stroke:${color};stroke-width:3"/>`;
  }
  const d = `M${fix(cx)} ${fix(cy - s)}L${fix(cx + s)} ${fix(cy)}L${fix(cx)} ${fix(cy + s)}L${fix(cx - s)} ${fix(cy)}Z`;
  return `<path class="mk" d="${d}" fill="${color}"/>`;
}

function processSection(m: ReportModel, maxRows: number): string {
  const out = [
    '<section id="processes">',
    '<h2>Syscalls by process</h2>',
    '<div class="controls"><input type="search" id="filter" placeholder="filter: syscall, path, errno, icount…" aria-label="filter syscalls">'
      + '<label><input type="checkbox" id="failonly"> only failures</label><span id="shown" class="note"></span></div>',
  ];
  const anomalyAt = new Set(m.anomalyRecords.filter((x): x is SyscallRecord => x !== null));
  for (const p of m.processes) {
    const meta = `${p.records.length} ${p.records.length === 1 ? 'syscall' : 'syscalls'}${failureCounts(p)} · icount ${p.first} – ${p.last}${p.tids.length > 1 ? ` · ${p.tids.length} threads` : ''}`;
    out.push(
      `<details class="proc" id="${procId(p)}" open>`,
      `<summary>${esc(processLabel(p))}<span class="meta">${meta}</span></summary>`,
      '<div class="tw"><table><thead><tr><th>icount</th><th>syscall</th><th>arguments</th><th>result</th><th>errno</th><th>ms</th></tr></thead><tbody>',
    );
    const threads = p.tids.length > 1;
    for (const rec of p.records.slice(0, maxRows)) out.push(row(rec, threads, anomalyAt.has(rec)));
    if (p.records.length > maxRows) out.push(`<tr><td class="more" colspan="6">… ${p.records.length - maxRows} more syscalls not shown</td></tr>`);
    out.push('</tbody></table></div>', '</details>');
  }
  out.push('</section>');
  return out.join('\n');
}

function row(r: SyscallRecord, threads: boolean, anomaly: boolean): string {
  const { args, result } = callParts(r);
  let res = result, errno = '', why = '';
  if (r.errno !== null) {
    errno = r.errno;
    const e = /^(-1) (\S+)(?: \((.*)\))?$/.exec(result);
    if (e !== null) [res, why] = [e[1], e[3] ?? ''];
  }
  const ms = r.exit !== null ? ((r.exit.mtime - r.entry.mtime) / (MTIME_HZ / 1000)).toFixed(3) : '';
  const cls = [isFailure(r) ? 'fail' : '', anomaly ? 'anom' : ''].filter((c) => c !== '').join(' ');
  const name = `${threads && r.tid !== null ? `[${r.tid}] ` : ''}${r.name}`;
  return `<tr id="${rowId(r)}" data-r${cls !== '' ? ` class="${cls}"` : ''}><td class="n">${r.entry.icount}</td><td>${esc(name)}</td><td class="args">${esc(args)}</td>`
    + `<td class="res">${esc(res)}</td><td class="errno"${why !== '' ? ` title="${esc(why)}"` : ''}>${esc(errno)}</td><td class="n">${ms}</td></tr>`;
}
