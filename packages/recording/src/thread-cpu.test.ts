import { describe, expect, it } from 'vitest';
import { threadCpuNs } from './thread-cpu.js';

describe('threadCpuNs', () => {
  it('counts time on a CPU, not time blocked (Linux); null elsewhere', () => {
    if (process.platform !== 'linux') {
      expect(threadCpuNs()).toBeNull();
      return;
    }
    const c0 = threadCpuNs()!;
    const w0 = process.hrtime.bigint();
    // Blocked for 200 ms: the thread is off the CPU the whole time.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    const c1 = threadCpuNs()!;
    const w1 = process.hrtime.bigint();
    expect(typeof c0).toBe('bigint');
    expect(w1 - w0).toBeGreaterThanOrEqual(190_000_000n);
    expect(c1 - c0).toBeLessThan((w1 - w0) / 2n);
    // Busy: CPU time moves forward. (The reads after the first come through the file opened then:
    // each gives the figures as they are now, not as they were at the open.)
    let x = 0;
    for (let i = 0; i < 5_000_000; i++) x = (x * 31 + i) | 0;
    expect(x).not.toBe(0.5);
    expect(threadCpuNs()!).toBeGreaterThan(c1);
  });
});
