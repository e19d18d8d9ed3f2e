/**
 * Whether a guest profile fits the recording it attributed. A profile of
 * another kernel reads task_struct at the wrong offsets and still reads
 * something: every task then looks like `pid 0` with a name of stray bytes.
 * Both are detectable after tracing: every traced call comes from a user task,
 * and no user task has pid 0 (the idle task's) or a name that is empty or
 * holds control characters (comm is the basename of the program run).
 */
import type { SyscallRecord, SyscallTrace } from './syscall-tracer.js';

// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f]/;

/** An attributed name no user task can have. */
function badName(comm: string | null): boolean {
  return comm === null || comm === '' || UNPRINTABLE.test(comm);
}

/**
 * One line saying how the trace's attribution looks wrong, or null when it
 * looks right (or there is none to judge): when more than half of the traced
 * calls have pid 0, an unreadable task, or a name that is not printable.
 */
export function attributionProblem(trace: SyscallTrace): string | null {
  if (!trace.attribution.available) return null;
  // Counted as the reports count: calls still running at the end included.
  const records: readonly Pick<SyscallRecord, 'pid' | 'comm'>[] = [...trace.events, ...trace.openAtEnd];
  if (records.length === 0) return null;
  let pid0 = 0, unread = 0, names = 0, suspect = 0;
  for (const r of records) {
    const a = r.pid === null, b = r.pid === 0, c = !a && badName(r.comm);
    if (a) unread++;
    if (b) pid0++;
    if (c) names++;
    if (a || b || c) suspect++;
  }
  if (suspect * 2 <= records.length) return null;
  const parts = [
    [pid0, 'pid 0 (the idle task, which makes none)'],
    [names, 'names that are empty or not printable'],
    [unread, 'tasks whose task_struct did not read'],
  ].filter(([n]) => n !== 0).map(([n, what], i) => (i === 0 ? `${n} of ${records.length} system calls are attributed to ${what}` : `${n} to ${what}`));
  return parts.join(', ');
}

/**
 * The warning that the guest profile `which` names ("the recording's guest
 * profile") looks wrong for the recording traced, or null when it looks right:
 * one wording for every front end, each adding what its users can do about it.
 */
export function attributionWarning(trace: SyscallTrace, which: string): string | null {
  const problem = attributionProblem(trace);
  return problem === null ? null : `${which} looks wrong for this recording: ${problem}`;
}

/** The kernel release a guest profile names, or null when it names none ("unknown" included). */
export function profileRelease(profile: unknown): string | null {
  if (typeof profile !== 'object' || profile === null) return null;
  const kernel = (profile as { kernel?: unknown }).kernel;
  const release = typeof kernel === 'object' && kernel !== null ? (kernel as { release?: unknown }).release : undefined;
  return typeof release === 'string' && release !== '' && release !== 'unknown' ? release : null;
}
