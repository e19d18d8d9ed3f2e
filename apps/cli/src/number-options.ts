/**
 * Numeric options, checked when commander parses them: a bad value is one
 * line ("--x needs a whole number of at least 1, got "abc"") before anything
 * starts, never NaN carried into a run.
 */
import { UsageError } from './usage-error.js';

/**
 * A parser for a whole-number option from `min` to `max`. Anything Number()
 * reads exactly is taken (`5e8`, as a count of instructions is often written;
 * `0x1000`); `12abc`, `1.5` and the empty string are not.
 */
export function wholeNumberOption(flag: string, min: number, max?: number, unit?: string): (v: string) => number {
  const range = max !== undefined ? ` from ${min} to ${max}` : min > 0 ? ` of at least ${min}` : '';
  const what = `a whole number${unit ? ` of ${unit}` : ''}${range}`;
  return (v) => {
    const n = Number(v.trim());
    if (v.trim() === '' || !Number.isSafeInteger(n) || n < min || (max !== undefined && n > max)) throw new UsageError(`${flag} needs ${what}, got "${v}"`);
    return n;
  };
}
