/** The queue executor's progress: one listener on the queue's events, whatever the number of jobs running. */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { TaskProgress } from '../task.js';
import { progressRoutes } from './queue.js';

const progress = (slice: number): TaskProgress => ({ pass: 0, slice, done: 1, total: 2 });

describe('QueueExecutor progress', () => {
  it('twelve jobs at once: one listener (no MaxListenersExceededWarning), each job\'s progress to its own callback', () => {
    const events = new EventEmitter(); // Node's default limit: 10 listeners per event
    const routes = progressRoutes(events);
    const seen = new Map<string, number[]>();
    const stops = Array.from({ length: 12 }, (_, i) => routes.add(`job-${i}`, (p) => seen.set(`job-${i}`, [...(seen.get(`job-${i}`) ?? []), p.slice])));
    expect(events.listenerCount('progress')).toBe(1);
    for (let i = 0; i < 12; i++) events.emit('progress', { jobId: `job-${i}`, data: progress(i) });
    events.emit('progress', { jobId: 'another-coordinators-job', data: progress(99) });
    expect([...seen.entries()].sort(([a], [b]) => Number(a.slice(4)) - Number(b.slice(4)))).toEqual(Array.from({ length: 12 }, (_, i) => [`job-${i}`, [i]]));
    // A finished job hears no more.
    stops[3]();
    events.emit('progress', { jobId: 'job-3', data: progress(3) });
    expect(seen.get('job-3')).toEqual([3]);
  });
});
