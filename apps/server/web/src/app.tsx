/** The shell: which page (from the address's #/...), the server's features, and the token form when the API wants one. */
import { useCallback, useEffect, useState } from 'react';
import type { ServerFeatures } from '../../src/api-types.js';
import { ApiError, api, setToken } from './api.js';
import { RecordingPage } from './recording-page.js';
import { RecordingsList } from './recordings-list.js';

function useRoute(): string {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const on = () => setHash(location.hash);
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return hash.replace(/^#/, '') || '/';
}

export function App() {
  const route = useRoute();
  const [features, setFeatures] = useState<ServerFeatures | null>(null);
  const [needToken, setNeedToken] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(() => {
    api<ServerFeatures>('/api/features').then(
      (f) => {
        setFeatures(f);
        setNeedToken(false);
        setError(null);
      },
      (e: unknown) => {
        if (e instanceof ApiError && e.status === 401) setNeedToken(true);
        else setError((e as Error).message);
      },
    );
  }, []);
  useEffect(load, [load]);

  const m = /^\/r\/([^/]+)$/.exec(route);
  return (
    <>
      <header className="top">
        <a href="#/" className="brand">prnr</a>
        <span className="tagline">record once, replay in parallel</span>
        {features && <span className="server-info">executor: {features.executor} · up to {features.maxConcurrentJobs} jobs · diagnosis {features.diagnosis ? 'on' : 'off'}</span>}
      </header>
      <main>
        {needToken ? (
          <TokenForm onSaved={load} />
        ) : error ? (
          <p className="error">{error}</p>
        ) : !features ? (
          <p className="muted">Loading…</p>
        ) : m ? (
          <RecordingPage name={decodeURIComponent(m[1])} features={features} />
        ) : (
          <RecordingsList />
        )}
      </main>
    </>
  );
}

function TokenForm({ onSaved }: { onSaved: () => void }) {
  const [value, setValue] = useState('');
  return (
    <form
      className="card token"
      onSubmit={(e) => {
        e.preventDefault();
        setToken(value);
        onSaved();
      }}
    >
      <h2>This server needs a token</h2>
      <p className="muted">It listens beyond this machine, so every request carries a bearer token. Ask whoever started it (prnr serve prints it), or open the address with #token=… appended.</p>
      <input type="password" value={value} onChange={(e) => setValue(e.target.value)} placeholder="token" autoFocus />
      <button type="submit">Use token</button>
    </form>
  );
}
