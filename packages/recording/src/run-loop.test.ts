import { describe, expect, it } from 'vitest';
import { hostYields } from './run-loop.js';

describe('hostYields', () => {
  it('lets the event loop run (a callback queued before it runs first), at most once per interval', async () => {
    const every = hostYields(0);
    let ran = false;
    setImmediate(() => { ran = true; });
    const turn = every();
    expect(turn).toBeInstanceOf(Promise);
    await turn;
    expect(ran).toBe(true); // a microtask alone would resume before the immediate

    const seldom = hostYields(3_600_000); // an hour: not due within this test
    expect(seldom()).toBeUndefined();
    expect(seldom()).toBeUndefined();
  });
});
