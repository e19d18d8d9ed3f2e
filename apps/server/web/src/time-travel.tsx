/**
 * The time-travel console: a slider over icount. Where it rests (debounced),
 * a seek job replays to exactly that instruction; the guest console as it was
 * then, the registers, and the process (from the diagnosis, when there is one)
 * are shown. Seeks run one at a time; moving on while one runs asks for the
 * latest position next.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { SeekJobResult, SyscallRecordInfo } from '../../src/api-types.js';
import { ApiError, runJob } from './api.js';
import { count, exact } from './format.js';

const DEBOUNCE_MS = 300;
const PRIV_NAMES = { U: 'user', S: 'supervisor (kernel)', M: 'machine (firmware)', '?': '?' } as const;

export interface Jump {
  icount: number;
  /** A new object per jump, so jumping twice to one place still moves. */
  at: number;
}

function cleanConsole(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');
}

/** The last syscall that started at or before `icount` (events are in icount order). */
function lastCallBefore(events: SyscallRecordInfo[], icount: number): SyscallRecordInfo | null {
  let lo = 0;
  let hi = events.length - 1;
  let found: SyscallRecordInfo | null = null;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (events[mid].entry.icount <= icount) {
      found = events[mid];
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

export function TimeTravel({ name, end, jump, syscalls }: { name: string; end: number; jump: Jump | null; syscalls?: SyscallRecordInfo[] }) {
  const [pos, setPos] = useState(Math.floor(end / 2));
  const [view, setView] = useState<{ r: SeekJobResult; ms: number } | null>(null);
  const [status, setStatus] = useState('');
  const [error, setError] = useState<string | null>(null);
  const busy = useRef(false);
  const want = useRef<number | null>(null);
  const consoleRef = useRef<HTMLPreElement>(null);

  const run = useCallback(async () => {
    if (busy.current) return;
    busy.current = true;
    try {
      while (want.current !== null) {
        const at = want.current;
        want.current = null;
        setStatus(`replaying to icount ${exact(at)}…`);
        const t0 = performance.now();
        try {
          const job = await runJob(name, { type: 'seek', icount: at });
          if (job.status !== 'done') throw new Error(job.error ?? 'the seek failed');
          setView({ r: job.result as SeekJobResult, ms: performance.now() - t0 });
          setError(null);
          setStatus('');
        } catch (e) {
          if (e instanceof ApiError && e.status === 429) {
            // The server is busy with other jobs: try this position again shortly, unless the slider moved on.
            want.current ??= at;
            setStatus('the server is busy; retrying…');
            await new Promise((r) => setTimeout(r, 1000));
          } else {
            setError((e as Error).message);
            setStatus('');
          }
        }
      }
    } finally {
      busy.current = false;
    }
  }, [name]);

  useEffect(() => {
    const t = setTimeout(() => {
      want.current = pos;
      void run();
    }, DEBOUNCE_MS);
    return () => clearTimeout(t);
  }, [pos, run]);

  useEffect(() => {
    if (jump) setPos(Math.min(end, Math.max(0, jump.icount)));
  }, [jump, end]);

  useEffect(() => {
    const el = consoleRef.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [view]);

  const r = view?.r;
  const call = r && syscalls ? lastCallBefore(syscalls, r.icount) : null;
  const step = Math.max(1, Math.floor(end / 2000));
  return (
    <section className="time-travel" data-testid="time-travel">
      <h2>Time travel</h2>
      <div className="slider-row">
        <input
          type="range"
          min={0}
          max={end}
          step={step}
          value={pos}
          onChange={(e) => setPos(Number(e.target.value))}
          data-testid="tt-slider"
          aria-label="position (icount)"
        />
        <input
          type="number"
          min={0}
          max={end}
          value={pos}
          onChange={(e) => {
            const v = Number(e.target.value);
            if (Number.isSafeInteger(v) && v >= 0 && v <= end) setPos(v);
          }}
          className="icount-input"
          aria-label="icount"
        />
        <span className="muted small">of {count(end)}</span>
      </div>
      <p className="status small" data-testid="tt-status">
        {status || (r ? `at icount ${exact(r.icount)} (slice ${r.slice}), replayed in ${Math.round(view!.ms)} ms` : '')}
        {error && <span className="error"> {error}</span>}
      </p>
      <div className="tt-body">
        <pre className="console" ref={consoleRef} data-testid="tt-console" data-icount={r?.icount ?? ''}>
          {r ? cleanConsole(r.console) || '(nothing on the console yet)' : ''}
        </pre>
        <div className="machine">
          <p>
            <b>{r ? PRIV_NAMES[r.priv] : ''}</b> {r && <>mode, pc <code>{r.pc}</code></>}
          </p>
          {r && (
            <p>
              <code className="insn">{r.disassembly}</code>
            </p>
          )}
          {call && (
            <p data-testid="tt-process">
              process: <b>{call.comm ?? '?'}</b> {call.pid !== null && `(pid ${call.pid})`}
              <br />
              <span className="muted small">
                last syscall before this point: <code>{call.text}</code>
              </span>
            </p>
          )}
          {r && (
            <table className="registers">
              <tbody>
                {chunk(Object.entries(r.registers), 2).map((row, i) => (
                  <tr key={i}>
                    {row.map(([k, v]) => (
                      <td key={k}>
                        <span className="reg">{k}</span> <code>{v.replace(/^0x0{0,12}/, '0x')}</code>
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      </div>
    </section>
  );
}

function chunk<T>(xs: T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}
