import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { prefaultedBuffer } from './pool-prefault.js';

/** Minor page faults of this thread so far (Linux: field 10 of /proc/thread-self/stat). */
const minorFaults = () => Number(readFileSync('/proc/thread-self/stat', 'utf8').split(') ')[1].split(' ')[7]);

describe('prefaultedBuffer', () => {
  it('gives a zeroed buffer whose pages this thread then writes without faulting them in (Linux)', async () => {
    const bytes = 4 << 20;
    const b = await prefaultedBuffer(bytes);
    if (process.platform !== 'linux') {
      expect(b === null || b.length === bytes).toBe(true);
      return;
    }
    expect(b).not.toBeNull();
    expect(b!.length).toBe(bytes);
    expect(b!.every((x) => x === 0)).toBe(true);
    const before = minorFaults();
    for (let i = 0; i < bytes; i += 4096) b![i] = 1;
    // A fresh buffer of 1,024 pages (4 MiB: mapped fresh by the allocator) faults each once when first written; this one's are in already.
    expect(minorFaults() - before).toBeLessThan(bytes / 4096 / 4);
  });
});
