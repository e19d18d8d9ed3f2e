/** The queue executor's progress (one listener on the queue's events, whatever the number of jobs running) and the Redis URLs it takes. Against a real Redis: apps/cli/src/distributed.test.ts. */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { TaskProgress } from '../task.js';
import { QueueExecutor, QueueUnreachableError, checkRedisUrl, progressRoutes, startQueueWorker } from './queue.js';

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

describe('Redis URLs', () => {
  it('takes redis://, rediss:// and a socket path; refuses anything else in one line, the password hidden', () => {
    for (const ok of ['redis://127.0.0.1:6379', 'rediss://user:pw@h:6380/2', 'redis://h', '/run/redis.sock']) expect(() => checkRedisUrl(ok)).not.toThrow();
    expect(() => checkRedisUrl('http://127.0.0.1:8090')).toThrow(new QueueUnreachableError('not a Redis URL: "http://127.0.0.1:8090" (expected redis://HOST:PORT, rediss://HOST:PORT or a Unix socket path)'));
    expect(() => checkRedisUrl('http://u:secret@h:1')).toThrow('"http://u:***@h:1"');
    for (const bad of ['localhost:6379', '//h:6379', 'redis:/h', '']) expect(() => checkRedisUrl(bad), bad).toThrow(QueueUnreachableError);
  });

  it('the executor and the worker refuse such a URL before they connect to anything', () => {
    expect(() => new QueueExecutor({ redis: 'http://127.0.0.1:8090' })).toThrow(/^not a Redis URL/);
    expect(() => startQueueWorker({ redis: 'http://127.0.0.1:8090' })).toThrow(/^not a Redis URL/);
  });
});
