/** One cell per slice: its state in the current job (colour), how far it is, and how fast it replays. */
import type { SliceInfo, SliceProgress, SliceState } from '../../src/api-types.js';
import { count, exact } from './format.js';

export interface Cell {
  index: number;
  state: SliceState | 'idle';
  /** 0..1 */
  fraction: number;
  mips: number;
  note?: string;
}

/** A slice's cell from its tasks (one per pass): the worst outcome wins, speeds of running passes add up. */
export function cellsOf(slices: SliceInfo[], progress: SliceProgress[] | undefined): Cell[] {
  return slices.map((s) => {
    const tasks = progress?.filter((p) => p.slice === s.index) ?? [];
    if (tasks.length === 0) return { index: s.index, state: 'idle', fraction: 0, mips: 0 };
    const has = (st: SliceState) => tasks.some((t) => t.state === st);
    const state: SliceState = has('failed') ? 'failed' : has('diverged') ? 'diverged' : tasks.every((t) => t.state === 'verified') ? 'verified' : has('running') || has('verified') ? 'running' : 'pending';
    const done = tasks.reduce((a, t) => a + t.done, 0);
    const total = tasks.reduce((a, t) => a + t.total, 0);
    const running = tasks.filter((t) => t.state === 'running');
    const mips = running.length ? running.reduce((a, t) => a + t.mips, 0) : Math.max(...tasks.map((t) => t.mips));
    const bad = tasks.find((t) => t.error || t.divergence);
    return { index: s.index, state, fraction: total ? done / total : 0, mips, note: bad?.error ?? bad?.divergence?.message };
  });
}

export function SliceTimeline({ slices, progress }: { slices: SliceInfo[]; progress?: SliceProgress[] }) {
  const cells = cellsOf(slices, progress);
  return (
    <div className="timeline" data-testid="timeline">
      {cells.map((c) => {
        const s = slices[c.index];
        return (
          <div
            key={c.index}
            className={`cell ${c.state}`}
            data-slice={c.index}
            data-state={c.state}
            title={`slice ${c.index}: icount ${exact(s.startIcount)}..${exact(s.endIcount)}, ${s.events} events\n${c.state}${c.mips ? `, ${c.mips.toFixed(1)} MIPS` : ''}${c.note ? `\n${c.note}` : ''}`}
          >
            <div className="fill" style={{ width: `${Math.round((c.state === 'running' ? c.fraction : c.state === 'idle' || c.state === 'pending' ? 0 : 1) * 100)}%` }} />
            <span className="label">
              <b>{c.index}</b>
              <span className="range">{count(s.startIcount)}</span>
            </span>
            <span className="speed">{c.mips > 0 ? `${c.mips.toFixed(1)} MIPS` : c.state === 'idle' ? '' : c.state}</span>
          </div>
        );
      })}
    </div>
  );
}
