/**
 * sfence.vma with an address against the plain rule it implements: every entry whose page is the
 * named one, or whose superpage holds it, is dropped; nothing else is. flushTlbPage looks only at
 * the direct-mapped index for 4 KiB entries and scans the flags a word at a time for superpage
 * pieces; the reference below scans every entry.
 */
import { describe, expect, it } from 'vitest';
import { TLB_SIZE } from './tlb.js';
import { testHart } from './testing/machine.js';

/** The rule, entry by entry (what flushTlbPage did before it looked at the direct index only). */
function referenceDrop(keys: Float64Array, flags: Uint8Array, vpn: number): void {
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    if (k === vpn || k === vpn + 0.5) { keys[i] = NaN; continue; }
    const level = flags[i] & 3;
    if (level !== 0 && k === k) {
      const span = level === 1 ? 512 : 262144;
      if (Math.floor(k / span) === Math.floor(vpn / span)) keys[i] = NaN;
    }
  }
}

describe('flushTlbPage', () => {
  it('drops exactly what the entry-by-entry rule drops, on seeded random TLBs (sign-extended addresses, superpages, watched pages)', () => {
    const { hart } = testHart([0x13]);
    let seed = 20261206;
    const rand = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n);
    // Pages near a few places, so that flushes hit entries: user space, the kernel's (negative keys), a superpage's edge.
    const around = [0x10, 0x3ffff, 0x40000, -0x40000 * 4 + 3, -1, -512, 0x7ffffff];
    const page = () => around[rand(around.length)] + rand(1100) - 550;
    let dropped = 0;
    for (let round = 0; round < 300; round++) {
      for (const t of hart.tlbSets) {
        for (let i = 0; i < 3 * TLB_SIZE; i++) {
          const r = rand(10);
          // Every entry sits at the direct-mapped index of its 4 KiB page (a superpage's pieces too,
          // so they spread over the whole array).
          let k = r === 0 ? NaN : page();
          k = k - (((k % TLB_SIZE) + TLB_SIZE) % TLB_SIZE) + (i % TLB_SIZE);
          t.keys[i] = r === 1 ? k + 0.5 : k;
          t.flags[i] = (r < 5 ? 0 : rand(3)) | (rand(2) << 2);
        }
      }
      const vpn = page();
      const want = hart.tlbSets.map((t) => {
        const keys = t.keys.slice();
        referenceDrop(keys, t.flags, vpn);
        return keys;
      });
      const before = hart.tlbSets.map((t) => t.keys.slice());
      const vlo = (vpn * 4096) | 0, vhi = Math.floor(vpn / 1048576);
      hart.flushTlbPage(vlo, vhi);
      hart.tlbSets.forEach((t, s) => {
        expect(Array.from(t.keys)).toEqual(Array.from(want[s]));
        for (let i = 0; i < t.keys.length; i++) if (before[s][i] === before[s][i] && t.keys[i] !== t.keys[i]) dropped++;
      });
    }
    expect(dropped).toBeGreaterThan(300); // the rounds did drop entries (a test that drops nothing checks little)
  });
});
