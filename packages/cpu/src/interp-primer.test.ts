/**
 * The feedback primer (interp-primer.ts) must run its whole program on both
 * engines without a trap (a trap would leave most of it unrun, and prime
 * nothing), get it translated on the wasm engine, and end in the same state
 * on both.
 */
import { describe, expect, it } from 'vitest';
import { runPrimer } from './interp-primer.js';

describe('the hart feedback primer', () => {
  it('runs to its step limit on both engines without a trap, translated on wasm, in the same state', () => {
    const interp = runPrimer('interp');
    const wasm = runPrimer('wasm');
    for (const h of [interp, wasm]) {
      expect(h.icount).toBe(8_000);
      expect(h.mcause).toBe(0n); // no trap was taken
      expect(h.priv).toBe(3);
      expect(Number(h.pc) - 0x80000000).toBeLessThan(0x8000); // still in the program
    }
    expect(wasm.engineStats.translated).toBeGreaterThan(10);
    expect(wasm.state()).toEqual(interp.state());
  });
});
