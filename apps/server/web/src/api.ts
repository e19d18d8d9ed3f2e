/** The server's API from the browser: JSON calls with the bearer token, and job event streams. */
import type { JobEvent, JobInfo, JobRequest } from '../../src/api-types.js';

const TOKEN_KEY = 'prnr-token';

/** A token given in the address (#token=...) is kept for the session and taken out of the address bar. */
function initialToken(): string {
  const m = /(?:^#|[#&])token=([^&]+)/.exec(location.hash);
  if (m) {
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(m[1]));
    history.replaceState(null, '', location.pathname + location.search + location.hash.replace(/[#&]?token=[^&]+/, '').replace(/^$/, '#/'));
  }
  return sessionStorage.getItem(TOKEN_KEY) ?? '';
}

let token = initialToken();

export function setToken(t: string): void {
  token = t.trim();
  sessionStorage.setItem(TOKEN_KEY, token);
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function headers(extra: Record<string, string> = {}): Record<string, string> {
  return token ? { ...extra, authorization: `Bearer ${token}` } : extra;
}

export async function api<T>(path: string, init: { method?: string; body?: unknown; raw?: Blob; contentType?: string; signal?: AbortSignal } = {}): Promise<T> {
  const h: Record<string, string> = {};
  let body: BodyInit | undefined;
  if (init.raw) {
    body = init.raw;
    h['content-type'] = init.contentType ?? 'application/gzip';
  } else if (init.body !== undefined) {
    body = JSON.stringify(init.body);
    h['content-type'] = 'application/json';
  }
  const res = await fetch(path, { method: init.method ?? 'GET', headers: headers(h), body, signal: init.signal });
  const text = await res.text();
  let data: unknown = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    // Not JSON: said below.
  }
  if (!res.ok) throw new ApiError(res.status, (data as { error?: string } | null)?.error ?? `HTTP ${res.status}`);
  return data as T;
}

/** Reads the job's server-sent events until the job is done (or `signal` aborts). */
export async function followJob(id: string, onEvent: (e: JobEvent) => void, signal?: AbortSignal): Promise<void> {
  const res = await fetch(`/api/jobs/${encodeURIComponent(id)}/events`, { headers: headers({ accept: 'text/event-stream' }), signal });
  if (!res.ok || !res.body) throw new ApiError(res.status, `cannot follow job ${id}: HTTP ${res.status}`);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let cut: number;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const data = block.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
      if (data) onEvent(JSON.parse(data) as JobEvent);
    }
  }
}

export async function startJob(recording: string, req: JobRequest): Promise<string> {
  return (await api<{ id: string }>(`/api/recordings/${encodeURIComponent(recording)}/jobs`, { method: 'POST', body: req })).id;
}

/** Starts a job, follows it to its end, returns it with its result. */
export async function runJob(recording: string, req: JobRequest, onEvent?: (e: JobEvent) => void, signal?: AbortSignal): Promise<JobInfo> {
  const id = await startJob(recording, req);
  await followJob(id, (e) => onEvent?.(e), signal);
  return api<JobInfo>(`/api/jobs/${id}`, { signal });
}
