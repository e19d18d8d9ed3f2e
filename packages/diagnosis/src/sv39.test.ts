import { describe, expect, it } from 'vitest';
import { BusFault, Hart, MSTATUS, PRIV_S } from '@prnr/cpu';
import type { Bus } from '@prnr/cpu';
import { GuestMemory } from './sv39.js';
import { PageTables, PTE_A, PTE_D, PTE_R, PTE_U, PTE_V, PTE_W, PTE_X, RAM_BASE, newRam, putBytes, putString, putU64 } from './test-support.js';

const PPN0 = RAM_BASE / 4096;
const page = (n: number): number => RAM_BASE + n * 4096;

/** 4 MiB of RAM: tables from page 1, data pages above; a 2 MiB superpage can map the upper 2 MiB. */
function setup() {
  const ram = newRam(1024);
  const pt = new PageTables(ram, PPN0 + 1);
  let satp = pt.satp;
  const mem = new GuestMemory(ram, () => satp);
  return { ram, pt, mem, setSatp: (v: bigint) => { satp = v; } };
}

describe('GuestMemory: Sv39 walks without side effects', () => {
  it('reads through a 4 KiB mapping, and across pages that are not contiguous in physical memory', () => {
    const { ram, pt, mem } = setup();
    pt.map(0x10000n, page(20), PTE_R | PTE_U | PTE_A);
    pt.map(0x11000n, page(40), PTE_R | PTE_U | PTE_A);
    putBytes(ram, page(20) + 4090, [1, 2, 3, 4, 5, 6]);
    putBytes(ram, page(40), [7, 8, 9]);
    expect([...mem.readVirt(0x10ffan, 4)!]).toEqual([1, 2, 3, 4]);
    expect([...mem.readVirt(0x10ffcn, 7)!]).toEqual([3, 4, 5, 6, 7, 8, 9]);
    expect(mem.translate(0x11002n)).toBe(page(40) + 2);
    putU64(ram, page(20) + 8, 0x1122334455667788n);
    expect(mem.readU64(0x10008n)).toBe(0x1122334455667788n);
    expect(mem.readU32(0x10008n)).toBe(0x55667788);
  });

  it('returns null when any byte is unmapped', () => {
    const { pt, mem } = setup();
    pt.map(0x10000n, page(20));
    expect(mem.readVirt(0x10ff0n, 16)).not.toBeNull();
    expect(mem.readVirt(0x10ff0n, 17)).toBeNull(); // runs into 0x11000
    expect(mem.readVirt(0x20000n, 1)).toBeNull();
    expect(mem.readU64(0x10ffcn)).toBeNull();
  });

  it('follows 2 MiB and 1 GiB superpages, including upper-half (kernel) addresses', () => {
    const { ram, pt, mem } = setup();
    pt.map(0x4020_0000n, RAM_BASE + 0x20_0000, PTE_R | PTE_W | PTE_A | PTE_D, 1);
    // Linux's Sv39 linear map: PAGE_OFFSET 0xffffffd800000000 -> RAM, with 1 GiB leaves.
    pt.map(0xffff_ffd8_0000_0000n, RAM_BASE, PTE_R | PTE_W | PTE_A | PTE_D, 2);
    putString(ram, RAM_BASE + 0x20_0000 + 0x12345, 'superpage');
    expect(mem.readCString(0x4020_0000n + 0x12345n)!.text).toBe('superpage');
    expect(mem.translate(0x4020_0000n + 0x12345n)).toBe(RAM_BASE + 0x21_2345);
    expect(mem.readCString(0xffff_ffd8_0000_0000n + 0x21_2345n)!.text).toBe('superpage');
    expect(mem.translate(0xffff_ffd8_0000_0000n + 0x3f_ffffn)).toBe(RAM_BASE + 0x3f_ffff);
    // Beyond RAM inside the gigapage: mapped, but nothing to read.
    expect(mem.readVirt(0xffff_ffd8_0000_0000n + 0x40_0000n, 1)).toBeNull();
  });

  it('refuses what the hart would fault on: misaligned superpages, W without R, execute-only, invalid, non-canonical', () => {
    const { pt, mem } = setup();
    pt.map(0x4000_0000n, RAM_BASE + 0x1000, PTE_R, 1); // 2 MiB leaf with a 4 KiB-aligned ppn
    expect(mem.readVirt(0x4000_0000n, 1)).toBeNull();
    pt.map(0x30000n, page(30), PTE_W);
    expect(mem.readVirt(0x30000n, 1)).toBeNull();
    pt.map(0x31000n, page(31), PTE_X);
    expect(mem.readVirt(0x31000n, 1)).toBeNull();
    const at = pt.map(0x32000n, page(32), PTE_R);
    expect(mem.readVirt(0x32000n, 1)).not.toBeNull();
    pt.writePte(at, pt.readPte(at) & ~PTE_V);
    expect(mem.readVirt(0x32000n, 1)).toBeNull();
    // Bits 63..39 must equal bit 38.
    pt.map(0x40_0000_0000n - 0x1000n, page(33), PTE_R); // the last page of the lower half
    expect(mem.readVirt(0x3f_ffff_f000n, 1)).not.toBeNull();
    expect(mem.readVirt(0x1_0000_3f_ffff_f000n, 1)).toBeNull();
    expect(mem.readVirt(0x40_0000_0000n, 1)).toBeNull();
  });

  it('changes nothing: no A/D updates, no dirty pages', () => {
    const { ram, pt, mem } = setup();
    const leaf = pt.map(0x10000n, page(20), PTE_R | PTE_W); // A and D clear: the hart would set them
    const before = pt.readPte(leaf);
    const snapshot = ram.u8.slice();
    ram.clearDirty();
    expect(mem.readVirt(0x10000n, 64)).not.toBeNull();
    expect(mem.readCString(0x10000n)).not.toBeNull();
    expect(pt.readPte(leaf)).toBe(before);
    expect(ram.dirty.every((d) => d === 0)).toBe(true);
    expect(Buffer.compare(ram.u8, snapshot)).toBe(0);
  });

  it('bare mode (satp 0): virtual = physical, RAM only', () => {
    const { ram, mem, setSatp } = setup();
    setSatp(0n);
    putString(ram, page(50), 'bare');
    expect(mem.readCString(BigInt(page(50)))!.text).toBe('bare');
    expect(mem.readVirt(0x1000_0000n, 1)).toBeNull(); // MMIO (the UART on virt): never read
    expect(mem.readVirt(BigInt(RAM_BASE + 1024 * 4096 - 2), 4)).toBeNull(); // runs off the end of RAM
    setSatp(9n << 60n); // Sv48: not implemented by the hart
    expect(mem.readVirt(BigInt(page(50)), 1)).toBeNull();
  });

  it('reads C strings across a page boundary, up to a limit', () => {
    const { ram, pt, mem } = setup();
    pt.map(0x10000n, page(20));
    pt.map(0x11000n, page(41));
    putBytes(ram, page(20) + 4093, [...'abc'].map((c) => c.charCodeAt(0)));
    putString(ram, page(41), 'def\xe9');
    const s = mem.readCString(0x10ffdn)!;
    expect(s.text).toBe('abcdef\xe9');
    expect(s.truncated).toBe(false);
    expect(s.bytes.length).toBe(7);
    expect(mem.readCString(0x10ffdn, 4)).toMatchObject({ text: 'abcd', truncated: true });
    pt.map(0x12000n, page(42));
    ram.u8.fill(0x41, page(42) - RAM_BASE, page(42) - RAM_BASE + 4096);
    expect(mem.readCString(0x12000n, 5000)).toBeNull(); // no NUL before the unmapped page 0x13000
    expect(mem.readCString(0x12000n, 4096)).toMatchObject({ truncated: true });
  });
});

describe('GuestMemory agrees with the hart', () => {
  it("translates like the hart's own Sv39 walk (S-mode with SUM) on every mapping kind", () => {
    const { pt, mem, ram } = setup();
    pt.map(0x10000n, page(20), PTE_R | PTE_U | PTE_A);
    pt.map(0x11000n, page(40), PTE_R | PTE_W | PTE_A | PTE_D);
    pt.map(0x12000n, page(41), PTE_W); // invalid: W without R
    pt.map(0x13000n, page(42), PTE_X); // execute-only
    pt.map(0x4020_0000n, RAM_BASE + 0x20_0000, PTE_R | PTE_A, 1);
    pt.map(0x4060_0000n, RAM_BASE + 0x1000, PTE_R | PTE_A, 1); // misaligned superpage
    pt.map(0xffff_ffd8_0000_0000n, RAM_BASE, PTE_R | PTE_W | PTE_A | PTE_D, 2);
    const bus: Bus = { ram, load: (p) => { throw new BusFault(p, false); }, store: (p) => { throw new BusFault(p, true); } };
    const hart = new Hart(bus);
    // S-mode with SUM under these page tables, set the way a tool sets hart state: through restore().
    const s = hart.state();
    s.priv = PRIV_S;
    s.csr.mstatus |= MSTATUS.SUM;
    s.csr.satp = pt.satp;
    hart.restore(s);
    const hartTranslate = (va: bigint): number | null => {
      try {
        return hart.translate(Number(BigInt.asIntN(32, va)), Number(BigInt.asIntN(32, va >> 32n)), 0);
      } catch {
        return null;
      }
    };
    const probes = [
      0x10000n, 0x10fffn, 0x11abcn, 0x12000n, 0x13000n, 0x14000n, 0x4020_0000n, 0x4030_1234n, 0x403f_ffffn, 0x4040_0000n,
      0x4060_0000n, 0xffff_ffd8_0000_0000n, 0xffff_ffd8_0012_3456n, 0xffff_ffd8_3fff_fff8n, 0x0000_0080_0000_0000n, 0x3f_ffff_f000n,
    ];
    for (const va of probes) {
      const want = hartTranslate(va);
      // The hart may name a physical address outside RAM (it would then take an access fault); GuestMemory only reads RAM.
      expect([va.toString(16), mem.translate(va)]).toEqual([va.toString(16), want !== null && ram.contains(want) ? want : null]);
    }
  });
});
