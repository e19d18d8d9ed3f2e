/** ThreadExecutor starts a thread per lane, and no more lanes than the slices it will be given. */
import { describe, expect, it, vi } from 'vitest';

// Threads as data: each one the executor starts is counted, none is really started.
const started = vi.hoisted(() => ({ threads: 0 }));
vi.mock('../worker-pool.js', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../worker-pool.js')>()),
  replayThreads: () => {
    started.threads++;
    return { run: async () => undefined, destroy: async () => undefined };
  },
}));
const { ThreadExecutor } = await import('./threads.js');

describe('ThreadExecutor', () => {
  it('starts a thread per lane asked for, less the caller\'s own', async () => {
    started.threads = 0;
    const e = new ThreadExecutor(4, { callerRuns: true });
    expect([e.concurrency, started.threads]).toEqual([4, 3]);
    await e.close();
  });

  it('asked for 16 lanes with 9 slices to replay (--all-lanes -j 16): 9 lanes, 8 threads beside the caller\'s', async () => {
    started.threads = 0;
    const e = new ThreadExecutor(16, { callerRuns: true, slices: 9 });
    expect([e.concurrency, started.threads]).toEqual([9, 8]);
    await e.close();
    started.threads = 0;
    const one = new ThreadExecutor(16, { slices: 1 });
    expect([one.concurrency, started.threads]).toEqual([1, 1]);
    await one.close();
  });
});
