/** The short recording of the default guest that the scheduler's tests use, and kernel symbols from its System.map. */
import { join } from 'node:path';
import { ROOT } from '@prnr/scheduler/testing';
import { readSystemMap } from '../symbol-file.js';

export { shortRecording } from '@prnr/scheduler/testing';

let symbols: Map<string, bigint> | undefined;

/** A kernel symbol's (virtual) address, from the default guest's System.map. */
export function kernelSymbol(name: string): bigint {
  symbols ??= new Map(readSystemMap(join(ROOT, 'guest/images/System.map.zst')).map((s) => [s.name, s.address]));
  const a = symbols.get(name);
  if (a === undefined) throw new Error(`no symbol ${name} in the default guest's System.map`);
  return a;
}

/** The kernel is linked at 0xffffffff80000000 and loaded at 0x80200000. */
export function kernelPhys(name: string): number {
  return Number(kernelSymbol(name) - 0xffffffff80000000n + 0x80200000n);
}
