import { describe, expect, it } from 'vitest';
import { numberOption, wholeNumberOption } from './number-options.js';
import { UsageError } from './usage-error.js';

describe('wholeNumberOption', () => {
  it('takes what Number() reads exactly as a whole number in range', () => {
    const icount = wholeNumberOption('--icount', 0, undefined, 'instructions');
    expect(icount('0')).toBe(0);
    expect(icount(' 42 ')).toBe(42);
    expect(icount('5e8')).toBe(500_000_000);
    expect(icount('0x1000')).toBe(4096);
  });
  it('refuses the rest in one line that names the option, the range and the value', () => {
    const port = wholeNumberOption('--port', 0, 65535);
    for (const bad of ['', ' ', 'abc', '12abc', '1.5', '-1', '65536', 'NaN', 'Infinity', '1e300']) {
      expect(() => port(bad), bad).toThrow(new UsageError(`--port needs a whole number from 0 to 65535, got "${bad}"`));
    }
    expect(() => wholeNumberOption('--parallel', 1)('0')).toThrow(new UsageError('--parallel needs a whole number of at least 1, got "0"'));
    expect(() => wholeNumberOption('--mem', 1, 2048, 'MiB')('4096')).toThrow(new UsageError('--mem needs a whole number of MiB from 1 to 2048, got "4096"'));
    expect(() => wholeNumberOption('--console-lines', 0)('-3')).toThrow(new UsageError('--console-lines needs a whole number, got "-3"'));
  });
  it('a whole number too large to count exactly is out of range, and the range is said (no max given: to 2^53 - 1)', () => {
    const icount = wholeNumberOption('--icount', 0, undefined, 'instructions');
    expect(icount(String(Number.MAX_SAFE_INTEGER))).toBe(Number.MAX_SAFE_INTEGER);
    for (const big of ['1e20', '9007199254740992', 'Infinity']) {
      expect(() => icount(big), big).toThrow(new UsageError(`--icount needs a whole number of instructions from 0 to 9007199254740991, got "${big}"`));
    }
  });
  it('says why a bound is what it is, where given', () => {
    expect(() => wholeNumberOption('--parallel', 1, 256, undefined, 'each lane is a thread')('1e9')).toThrow(new UsageError('--parallel needs a whole number from 1 to 256 (each lane is a thread), got "1e9"'));
  });
});

describe('numberOption', () => {
  it('takes a number of at least min, fractions too; refuses the empty string as every numeric option does', () => {
    const seconds = numberOption('--slice-seconds', 0, 'seconds');
    expect([seconds('0'), seconds('0.5'), seconds(' 2 ')]).toEqual([0, 0.5, 2]);
    for (const bad of ['', ' ', 'abc', '-1', 'NaN', 'Infinity', '1s']) {
      expect(() => seconds(bad), bad).toThrow(new UsageError(`--slice-seconds needs a number of seconds, 0 or more, got "${bad}"`));
    }
  });
});
