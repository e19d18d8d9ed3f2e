/** A diagnosis: warnings about the trace itself, anomalies (each can be jumped to in time), then the syscalls of each process, filterable. */
import { useMemo, useState } from 'react';
import type { AnomalyInfo, SyscallRecordInfo, SyscallTraceInfo } from '../../src/api-types.js';
import { exact } from './format.js';

/** Rows shown per process before "narrow the filter". */
const MAX_ROWS = 400;

interface ProcessGroup {
  key: string;
  pid: number | null;
  comms: string[];
  events: SyscallRecordInfo[];
  failed: number;
}

function groups(events: SyscallRecordInfo[]): ProcessGroup[] {
  const by = new Map<string, ProcessGroup>();
  for (const e of events) {
    const key = e.pid === null ? 'unattributed' : String(e.pid);
    let g = by.get(key);
    if (!g) by.set(key, (g = { key, pid: e.pid, comms: [], events: [], failed: 0 }));
    if (e.comm && !g.comms.includes(e.comm)) g.comms.push(e.comm);
    g.events.push(e);
    if (e.errno) g.failed++;
  }
  return [...by.values()].sort((a, b) => (a.pid ?? Infinity) - (b.pid ?? Infinity));
}

export function DiagnosisView({ trace, anomalies, warnings, onSeek }: { trace: SyscallTraceInfo; anomalies?: AnomalyInfo[]; warnings?: string[]; onSeek: (icount: number) => void }) {
  const [filter, setFilter] = useState('');
  const [failedOnly, setFailedOnly] = useState(false);
  const [showInfo, setShowInfo] = useState(false);
  const all = useMemo(() => groups(trace.events), [trace]);
  const shown = useMemo(() => {
    const f = filter.trim().toLowerCase();
    return all
      .map((g) => ({
        ...g,
        events: g.events.filter((e) => (!failedOnly || e.errno) && (!f || e.text.toLowerCase().includes(f) || (e.comm ?? '').toLowerCase().includes(f) || String(e.pid) === f)),
      }))
      .filter((g) => g.events.length > 0);
  }, [all, filter, failedOnly]);
  const listed = (anomalies ?? []).filter((a) => showInfo || a.severity !== 'info');
  // Open at first: the processes an error or warning is about, or what a filter leaves when it leaves few.
  const flagged = new Set((anomalies ?? []).filter((a) => a.severity !== 'info').map((a) => String(a.pid)));
  const filtering = filter.trim() !== '' || failedOnly;
  const hidden = (anomalies ?? []).length - listed.length;

  return (
    <section className="diagnosis" data-testid="diagnosis">
      <h2>Diagnosis</h2>
      {trace.attribution && !trace.attribution.available && <p className="muted small">Processes are not attributed: {trace.attribution.note}</p>}
      {warnings?.map((w, i) => (
        <p key={i} className="diagnosis-warning" data-testid="diagnosis-warning">
          warning: {w}
        </p>
      ))}
      <h3>Anomalies</h3>
      {anomalies === undefined && <p className="muted">This server's diagnosis has no anomaly rules.</p>}
      {anomalies && anomalies.length === 0 && <p className="ok">No anomaly found.</p>}
      <ul className="anomalies">
        {listed.map((a, i) => (
          <li key={i} className={`anomaly ${a.severity}`} data-testid="anomaly">
            <span className={`badge ${a.severity}`}>{a.severity}</span>
            <span className="message">{a.message}</span>
            <button type="button" className="link" onClick={() => onSeek(a.icount)} title="show the machine there in the time-travel console">
              icount {exact(a.icount)} →
            </button>
            {a.example && <code className="example">{a.example}</code>}
          </li>
        ))}
      </ul>
      {hidden > 0 && (
        <button type="button" className="link" onClick={() => setShowInfo(true)}>
          show {hidden} more (info)
        </button>
      )}

      <h3>Syscalls by process</h3>
      <div className="filters">
        <input type="search" placeholder="filter: syscall, path, errno, process…" value={filter} onChange={(e) => setFilter(e.target.value)} data-testid="syscall-filter" />
        <label>
          <input type="checkbox" checked={failedOnly} onChange={(e) => setFailedOnly(e.target.checked)} /> failed only
        </label>
        <span className="muted small">
          {shown.reduce((a, g) => a + g.events.length, 0)} of {trace.events.length} calls
        </span>
      </div>
      {shown.map((g) => (
        <details key={`${g.key}/${filtering}`} className="process" open={filtering ? shown.length <= 5 : flagged.has(g.key)} data-pid={g.key}>
          <summary>
            <b>{g.comms.join(' → ') || '?'}</b> {g.pid === null ? '(unattributed)' : `pid ${g.pid}`} · {g.events.length} calls{g.failed ? ` · ${g.failed} failed` : ''}
          </summary>
          <table className="syscalls">
            <thead>
              <tr>
                <th className="num">icount</th>
                <th className="num">tid</th>
                <th>call</th>
              </tr>
            </thead>
            <tbody>
              {g.events.slice(0, MAX_ROWS).map((e, i) => (
                <tr key={i} className={e.errno ? 'failed' : ''}>
                  <td className="num">
                    <button type="button" className="link" onClick={() => onSeek(e.entry.icount)}>
                      {exact(e.entry.icount)}
                    </button>
                  </td>
                  <td className="num">{e.tid ?? ''}</td>
                  <td>
                    <code>{e.text}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {g.events.length > MAX_ROWS && <p className="muted small">… {g.events.length - MAX_ROWS} more: narrow the filter.</p>}
        </details>
      ))}
    </section>
  );
}
