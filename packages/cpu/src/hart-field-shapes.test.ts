/**
 * The hart's hot number fields keep one V8 representation for a whole run (see NOT_SMI in
 * hart.ts): a hart whose pc, icount and slow-path result left the small-integer range still has
 * the hidden class of a new one. Had a field widened, V8 would have given the first hart a new
 * hidden class, and every optimized function that had seen the old one would deoptimize.
 */
import { setFlagsFromString } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { testHart } from './testing/machine.js';

setFlagsFromString('--allow-natives-syntax');
// Compiled after the flag is set, so the V8 intrinsic parses.
const sameHiddenClass = new Function('a', 'b', 'return %HaveSameMap(a, b);') as (a: object, b: object) => boolean;

describe('hart field representations', () => {
  it('a hart past 2^30 steps in the kernel has the hidden class of a new hart', () => {
    const { hart: fresh } = testHart();
    const { hart } = testHart();
    expect(sameHiddenClass(hart, fresh)).toBe(true);
    hart.pc = 0xffffffff80201234n; // pcLo = 0x80201234 as int32: beyond ±2^30
    hart.icount = 2 ** 31 + 12345;
    hart.rLo = -(2 ** 31);
    hart.blockBase = 2 ** 40;
    expect(sameHiddenClass(hart, fresh)).toBe(true);
  });
});
