import { describe, expect, it } from 'vitest';
import { Ram } from './ram.js';
import { peekVirtual, translatePeek } from './peek.js';

const BASE = 0x8000_0000;

/** A tiny Sv39 address space built by hand: root at BASE, one 4 KiB mapping through two levels, one 2 MiB superpage. */
function space() {
  const ram = new Ram(BASE, 16 << 20);
  const pte = (ppnAddr: number, flags: number) => BigInt(ppnAddr / 4096) << 10n | BigInt(flags);
  const put = (at: number, v: bigint) => ram.view.setBigUint64(at - BASE, v, true);
  const root = BASE, l1 = BASE + 0x1000, l0 = BASE + 0x2000;
  // vaddr 0x4000_0000 (vpn2 = 1) -> l1; vpn1 = 0 -> l0; vpn0 = 5 -> page at BASE + 0x10000, R only.
  put(root + 1 * 8, pte(l1, 1));
  put(l1 + 0 * 8, pte(l0, 1));
  put(l0 + 5 * 8, pte(BASE + 0x10000, 0x1 | 0x2 | 0x40)); // V R A
  put(l0 + 6 * 8, pte(BASE + 0x11000, 0x1 | 0x4)); // V W (reserved: W without R)
  // Kernel-style high address 0xffff_ffc0_0020_0000 (vpn2 = 0x100, vpn1 = 1): a 2 MiB superpage at BASE + 0x200000.
  put(root + 0x100 * 8, pte(l1 + 0x1000, 1));
  put(l1 + 0x1000 + 1 * 8, pte(BASE + 0x200000, 0x1 | 0x2 | 0x8));
  const satp = (8n << 60n) | BigInt(root / 4096);
  return { ram, satp };
}

describe('peekVirtual', () => {
  it('walks Sv39 tables, including superpages, without touching A/D bits', () => {
    const { ram, satp } = space();
    ram.u8.set([1, 2, 3, 4], 0x10000 + 0x10);
    const before = ram.u8.slice();
    expect(translatePeek(ram, satp, 0x4000_5010n)).toBe(BASE + 0x10010);
    expect(Array.from(peekVirtual(ram, satp, 0x4000_5010n, 4)!)).toEqual([1, 2, 3, 4]);
    expect(translatePeek(ram, satp, 0xffff_ffc0_0023_4567n)).toBe(BASE + 0x200000 + 0x34567);
    expect(Buffer.compare(ram.u8, before)).toBe(0); // nothing written: no A/D updates
  });
  it('returns null for unmapped, reserved, non-canonical addresses and page-crossing into a hole', () => {
    const { ram, satp } = space();
    expect(translatePeek(ram, satp, 0x4000_7000n)).toBeNull(); // vpn0 = 7: invalid PTE
    expect(translatePeek(ram, satp, 0x4000_6000n)).toBeNull(); // W without R
    expect(translatePeek(ram, satp, 0x0000_0080_0000_0000n)).toBeNull(); // bit 39 set, 63..40 not: non-canonical
    expect(peekVirtual(ram, satp, 0x4000_5ffen, 4)).toBeNull(); // the next page is unmapped
  });
  it('bare mode: virtual is physical', () => {
    const ram = new Ram(BASE, 1 << 20);
    ram.u8[5] = 9;
    expect(peekVirtual(ram, 0n, BigInt(BASE + 5), 1)![0]).toBe(9);
    expect(peekVirtual(ram, 0n, 0x1000n, 1)).toBeNull();
  });
});
