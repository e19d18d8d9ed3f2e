/** `--mem <MiB>` of `run` and `record`: checked when parsed, so that a bad value is one line before anything starts. */
import { MAX_RAM_MIB } from '@prnr/machine';
import { UsageError } from '../usage-error.js';

export const MEM_OPTION_HELP = `RAM size in MiB (1 to ${MAX_RAM_MIB})`;

export function parseMemMiB(v: string): number {
  const n = Number(v.trim());
  if (!/^\d+$/.test(v.trim()) || n < 1 || n > MAX_RAM_MIB) throw new UsageError(`--mem needs a whole number of MiB from 1 to ${MAX_RAM_MIB}, got "${v}"`);
  return n;
}
