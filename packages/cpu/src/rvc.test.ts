import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { expandCompressed, expandRvc } from './rvc.js';

// Pairs made by GNU as (test-vectors/gen-rvc-pairs.sh): the same assembly encoded with RVC on and off.
const pairs = readFileSync(new URL('../test-vectors/rvc-pairs.txt', import.meta.url), 'utf8')
  .trim().split('\n').map((l) => {
    const [c, full, ...asm] = l.split(' ');
    return { c: parseInt(c, 16), full: parseInt(full, 16), asm: asm.join(' ') };
  });

describe('RVC expansion', () => {
  it('has the pairs file', () => expect(pairs.length).toBeGreaterThan(50));
  for (const p of pairs) {
    it(`${p.asm}`, () => {
      expect((expandCompressed(p.c) >>> 0).toString(16)).toBe(p.full.toString(16));
      expect(expandRvc(p.c) >>> 0).toBe(p.full);
    });
  }
  it('reserved encodings expand to 0 (illegal)', () => {
    expect(expandCompressed(0x0000)).toBe(0); // all zeros: defined illegal
    expect(expandCompressed(0x0004)).toBe(0); // C.ADDI4SPN with nzuimm = 0
    expect(expandCompressed(0x6101)).toBe(0); // C.ADDI16SP with nzimm = 0
    expect(expandCompressed(0x2001)).toBe(0); // C.ADDIW with rd = 0
    expect(expandCompressed(0x8002)).toBe(0); // C.JR with rs1 = 0
    expect(expandCompressed(0x4002)).toBe(0); // C.LWSP with rd = 0
    expect(expandCompressed(0x9c41)).toBe(0); // reserved in the C.SUBW/C.ADDW group
  });
  it('remembers every pattern as first expanded, illegal ones included', () => {
    const wrong: string[] = [];
    for (let pass = 0; pass < 2; pass++) {
      for (let c = 0; c < 0x10000; c++) {
        if ((c & 3) === 3) continue;
        if (expandRvc(c) !== expandCompressed(c)) wrong.push(`pass ${pass}: ${c.toString(16)}`);
      }
    }
    expect(wrong.slice(0, 10)).toEqual([]);
    expect(expandRvc(0x0000)).toBe(0); // met above: remembered as illegal, not as "not expanded yet"
  });
});
