/** The recordings in the server's directory, and an upload form. */
import { useCallback, useEffect, useState } from 'react';
import type { RecordingSummary } from '../../src/api-types.js';
import { api } from './api.js';
import { bytes, count } from './format.js';

export function RecordingsList() {
  const [list, setList] = useState<RecordingSummary[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(() => {
    api<{ recordings: RecordingSummary[] }>('/api/recordings').then((r) => setList(r.recordings), (e: Error) => setError(e.message));
  }, []);
  useEffect(load, [load]);

  return (
    <section>
      <h1>Recordings</h1>
      {error && <p className="error">{error}</p>}
      {list && list.length === 0 && <p className="muted">No recordings here yet: record one with <code>prnr record</code> into the server's directory, or upload one below.</p>}
      {list && list.length > 0 && (
        <table className="recordings">
          <thead>
            <tr>
              <th>name</th>
              <th>status</th>
              <th className="num">slices</th>
              <th className="num">instructions</th>
              <th className="num">size</th>
              <th>ended</th>
            </tr>
          </thead>
          <tbody>
            {list.map((r) => (
              <tr key={r.name} data-recording={r.name}>
                <td>{r.status === 'invalid' ? r.name : <a href={`#/r/${encodeURIComponent(r.name)}`}>{r.name}</a>}</td>
                <td>
                  <span className={`badge ${r.status}`}>{r.status}</span>
                  {r.error && <div className="error small">{r.error}</div>}
                </td>
                <td className="num">{r.slices}</td>
                <td className="num">{count(r.steps)}</td>
                <td className="num">{bytes(r.sizeBytes)}</td>
                <td>{r.end ? `${r.end.reason}${r.end.exitCode !== undefined ? ` (${r.end.exitCode})` : ''}` : r.status === 'recording' ? 'cut short' : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Upload onDone={load} />
    </section>
  );
}

function Upload({ onDone }: { onDone: () => void }) {
  const [name, setName] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const [state, setState] = useState<{ busy: boolean; message?: string; error?: boolean }>({ busy: false });
  return (
    <form
      className="card upload"
      onSubmit={(e) => {
        e.preventDefault();
        if (!file) return;
        setState({ busy: true, message: `Uploading ${bytes(file.size)}…` });
        api<RecordingSummary>(`/api/recordings?name=${encodeURIComponent(name)}`, { method: 'POST', raw: file, contentType: file.name.endsWith('.tar') ? 'application/x-tar' : 'application/gzip' }).then(
          (r) => {
            setState({ busy: false, message: `${r.name}: ${r.slices} slices, ${count(r.steps)} instructions` });
            onDone();
          },
          (err: Error) => setState({ busy: false, message: err.message, error: true }),
        );
      }}
    >
      <h2>Upload a recording</h2>
      <p className="muted small">A .tar.gz (or .tar) of a recording directory, e.g. <code>tar czf smoke.tgz smoke.rec</code>.</p>
      <input placeholder="name (a-z 0-9 . _ -)" value={name} onChange={(e) => setName(e.target.value)} pattern="[a-z0-9][a-z0-9._\-]*" required />
      <input type="file" accept=".tgz,.tar.gz,.tar,application/gzip" onChange={(e) => setFile(e.target.files?.[0] ?? null)} required />
      <button type="submit" disabled={state.busy || !file}>Upload</button>
      {state.message && <p className={state.error ? 'error' : 'muted'}>{state.message}</p>}
    </form>
  );
}
