/**
 * A replay's timeline for finding where its time goes: with PRNR_TRACE_REPLAY
 * set, each lane (the caller's thread and every replay thread) writes one
 * line per event to stderr: wall-clock milliseconds (the same clock in every
 * thread), the thread, the event. Off by default; costs one check when off.
 */
import { performance } from 'node:perf_hooks';
import { threadId } from 'node:worker_threads';

const on = !!process.env.PRNR_TRACE_REPLAY;

export function traceReplay(event: string): void {
  if (on) process.stderr.write(`prnr-trace ${(performance.timeOrigin + performance.now()).toFixed(1)} t${threadId} ${event}\n`);
}

/** The process's start, once, from the caller's thread (the timeline's zero). */
export function traceProcessStart(): void {
  if (on) process.stderr.write(`prnr-trace ${performance.timeOrigin.toFixed(1)} t${threadId} process-start\n`);
}
