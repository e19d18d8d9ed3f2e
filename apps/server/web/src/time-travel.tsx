/**
 * The time-travel console: a slider over icount. Where it rests (debounced),
 * a seek job replays to exactly that instruction; the guest console as it was
 * then, the registers, and the process (from the diagnosis, when there is one)
 * are shown. Seeks run one at a time; moving on while one runs asks for the
 * latest position next. A seek that fails leaves the last point shown, greyed
 * and labelled as the previous position.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { SeekJobResult, SyscallRecordInfo } from '../../src/api-types.js';
import { ApiError, runJob } from './api.js';
import { count, exact } from './format.js';

const DEBOUNCE_MS = 300;
/** Positions of the slider: finer is below a pixel; the number box takes any icount. */
const SLIDER_STOPS = 2000;
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

/**
 * The calls around `icount` (events are in icount order): the last one entered
 * before it, and the one whose ecall is at it. A call's entry icount is the
 * point just before its ecall executes, so a seek there stops with the pc at
 * the ecall and the call not yet made.
 */
function callsAround(events: SyscallRecordInfo[], icount: number): { before: SyscallRecordInfo | null; at: SyscallRecordInfo | null } {
  let lo = 0;
  let hi = events.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (events[mid].entry.icount < icount) lo = mid + 1;
    else hi = mid - 1;
  }
  // lo: the first call entered at or after icount.
  return { before: lo > 0 ? events[lo - 1] : null, at: events[lo]?.entry.icount === icount ? events[lo] : null };
}

export function TimeTravel({ name, end, jump, syscalls }: { name: string; end: number; jump: Jump | null; syscalls?: SyscallRecordInfo[] }) {
  const [pos, setPos] = useState(Math.floor(end / 2));
  /** What is shown; `failedAt` when a later seek failed (the view is then the previous position's). */
  const [view, setView] = useState<{ r: SeekJobResult; ms: number; failedAt?: number } | null>(null);
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
            setView((v) => v && { ...v, failedAt: at });
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
  const stale = view?.failedAt !== undefined;
  const calls = r && syscalls ? callsAround(syscalls, r.icount) : { before: null, at: null };
  const who = calls.at ?? calls.before;
  // The slider moves over stops, the last of which is the recording's end (a step of the icount would stop short of it).
  const stops = Math.max(1, Math.min(end, SLIDER_STOPS));
  const toStop = (icount: number): number => Math.round((icount * stops) / Math.max(1, end));
  const fromStop = (stop: number): number => (stop >= stops ? end : Math.round((stop * end) / stops));
  return (
    <section className="time-travel" data-testid="time-travel">
      <h2>Time travel</h2>
      <div className="slider-row">
        <input
          type="range"
          min={0}
          max={stops}
          step={1}
          value={toStop(pos)}
          onChange={(e) => setPos(fromStop(Number(e.target.value)))}
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
          data-testid="tt-icount"
        />
        <span className="muted small">of {count(end)}</span>
      </div>
      <p className="status small" data-testid="tt-status">
        {status || (r ? `at icount ${exact(r.icount)} (slice ${r.slice}), replayed in ${Math.round(view!.ms)} ms` : '')}
        {error && <span className="error"> {error}</span>}
      </p>
      {stale && (
        <p className="stale-note small" data-testid="tt-stale">
          The seek to icount {exact(view!.failedAt!)} failed: below is the previous position, icount {exact(r!.icount)}.
        </p>
      )}
      <div className={stale ? 'tt-body stale' : 'tt-body'} data-stale={stale}>
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
          {who && (
            <p data-testid="tt-process">
              process: <b>{who.comm ?? '?'}</b> {who.pid !== null && `(pid ${who.pid})`}
              {calls.at && (
                <>
                  <br />
                  <span className="muted small" data-testid="tt-call-at">
                    about to make (the pc is at its ecall): <code>{calls.at.text}</code>
                  </span>
                </>
              )}
              {calls.before && (
                <>
                  <br />
                  <span className="muted small" data-testid="tt-call-before">
                    last syscall before this point: <code>{calls.before.text}</code>
                  </span>
                </>
              )}
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
