/**
 * Numeric options, checked when commander parses them: a bad value is one
 * line ("--x needs a whole number of at least 1, got "abc"") before anything
 * starts, never NaN carried into a run.
 */
import { UsageError } from './usage-error.js';

/**
 * A parser for a whole-number option from `min` to `max` (with no `max`: to
 * Number.MAX_SAFE_INTEGER, the largest counted exactly). Anything Number()
 * reads exactly is taken (`5e8`, as a count of instructions is often written;
 * `0x1000`); `12abc`, `1.5` and the empty string are not. `why`: a few words
 * on the bound, said with it.
 */
export function wholeNumberOption(flag: string, min: number, max?: number, unit?: string, why?: string): (v: string) => number {
  const range = (top?: number) => (top !== undefined ? ` from ${min} to ${top}` : min > 0 ? ` of at least ${min}` : '');
  const what = (top?: number) => `a whole number${unit ? ` of ${unit}` : ''}${range(top)}${why ? ` (${why})` : ''}`;
  return (v) => {
    const n = Number(v.trim());
    // A whole number too large to count exactly (1e20): out of range, and the range is said.
    if (max === undefined && v.trim() !== '' && n > Number.MAX_SAFE_INTEGER) throw new UsageError(`${flag} needs ${what(Number.MAX_SAFE_INTEGER)}, got "${v}"`);
    if (v.trim() === '' || !Number.isSafeInteger(n) || n < min || (max !== undefined && n > max)) throw new UsageError(`${flag} needs ${what(max)}, got "${v}"`);
    return n;
  };
}

/** A parser for an option that is a number of `unit`, `min` or more, fractions allowed (`0.5`); the empty string is not one. */
export function numberOption(flag: string, min: number, unit: string): (v: string) => number {
  return (v) => {
    const n = Number(v.trim());
    if (v.trim() === '' || !Number.isFinite(n) || n < min) throw new UsageError(`${flag} needs a number of ${unit}, ${min} or more, got "${v}"`);
    return n;
  };
}
