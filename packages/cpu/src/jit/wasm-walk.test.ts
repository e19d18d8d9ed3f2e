/**
 * The WebAssembly page walk and TLB refill (wasm-walk.ts) against the hart's JavaScript walk
 * (hart-mmu.ts translate), the reference, on seeded random Sv39 page tables: valid and invalid
 * PTEs, W without R, reserved bits, pointers with A/D/U set, misaligned superpages, A/D clear,
 * U pages under S with and without SUM, MXR, PTEs and pages outside RAM, watched pages,
 * non-canonical addresses. From the same machine state, each runs alone:
 * - where the wasm walk fills the TLB (returns 1), the JavaScript walk succeeds, and RAM, the
 *   dirty map and the whole TLB set are byte-identical after both;
 * - where it declines (returns 0), it changed nothing at all, and the JavaScript walk either
 *   faults or fills no TLB entry (MMIO, watched page): so no plain case is left to JavaScript.
 */
import { describe, expect, it } from 'vitest';
import { Hart } from '../hart.js';
import { PRIV_S, PRIV_U } from '../csr-numbers.js';
import { ACCESS_EXEC, ACCESS_READ, ACCESS_WRITE, flushTlb, privSwitched, publishWalk, translate } from '../hart-mmu.js';
import { AREA_TLB_SETS, SET_BYTES } from '../hart-memory.js';
import { Ram } from '../ram.js';
import { TRAP } from '../hart-traps.js';

const BASE = 0x8000_0000;
const SIZE = 2 << 20;
const PAGES = SIZE >>> 12;
const SUM = 1 << 18, MXR = 1 << 19;

/** xorshift32: a seeded generator, so a failure names its trial. */
function rng(seed: number) {
  let s = seed >>> 0 || 1;
  const next = () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s; };
  return { int: (n: number) => next() % n, chance: (p: number) => next() / 4294967296 < p, bits: () => next() | 0 };
}

function machine() {
  const ram = new Ram(BASE, SIZE);
  const hart = new Hart({ ram, load: () => 0, store: () => {} }, { engine: 'wasm', codeCache: null });
  return { ram, hart, refill: hart.wasmEngine!.refill };
}

type Outcome = { ok: boolean; cause: number; tval: bigint; ram: Uint8Array; dirty: Uint8Array; tlb: Uint8Array };

describe('the WebAssembly page walk', () => {
  it('matches the JavaScript walk on seeded random page tables (results, A/D updates, dirty pages, TLB contents)', () => {
    const { ram, hart, refill } = machine();
    const tlbView = (): Uint8Array => new Uint8Array(ram.buffer, hart.area + AREA_TLB_SETS, 4 * SET_BYTES);
    const counts = { filled: 0, declined: 0, pageFault: 0, accessFault: 0, noFill: 0, superpages: 0, adWrites: 0 };
    const TRIALS = 4000;
    for (let trial = 0; trial < TRIALS; trial++) {
      const r = rng(0x9e3779b9 ^ (trial * 2654435761));
      ram.u8.fill(0);
      // Three table pages and a path through them for a random virtual address.
      const tablePage = () => r.int(PAGES - 64);
      const root = tablePage(), l1 = tablePage(), l0 = tablePage();
      const vpn = [r.int(512), r.int(512), r.int(512)];
      const canonical = r.chance(0.95);
      const top = vpn[2] >= 256 ? -1 : 0; // bits 63..39 copy bit 38
      const vhiRaw = ((vpn[2] >>> 2) & 0x7f) | (top === -1 ? ~0x7f : 0);
      const vhi = canonical ? vhiRaw : vhiRaw ^ (1 << (7 + r.int(25)));
      const vlo = (((vpn[2] & 3) << 30) | (vpn[1] << 21) | (vpn[0] << 12) | r.int(4096)) | 0;
      const pteAt = (table: number, i: number) => table * 4096 + i * 8;
      const put = (at: number, lo: number, hi: number) => { ram.i32[at >>> 2] = lo; ram.i32[(at >>> 2) + 1] = hi; };
      const ppnOf = (paddr: number) => paddr / 4096;
      const pte = (ppn: number, flags: number, reserved = false) => {
        const lo = ((ppn % 4194304) << 10) | flags;
        const hi = Math.floor(ppn / 4194304) | (reserved ? 1 << (22 + r.int(10)) : 0);
        return [lo | 0, hi | 0] as const;
      };
      const pointer = (next: number) => {
        const k = r.int(20);
        if (k === 0) return pte(ppnOf(BASE + next * 4096), 0); // V clear
        if (k === 1) return pte(ppnOf(BASE + next * 4096), 1 | [0x10, 0x40, 0x80][r.int(3)]); // U/A/D on a pointer
        if (k === 2) return pte(0x1000 + r.int(100), 1); // next table outside RAM
        if (k === 3) return pte(ppnOf(BASE + next * 4096), 1, true); // reserved bits
        return pte(ppnOf(BASE + next * 4096), 1);
      };
      const leaf = (level: number) => {
        let flags = 1 | (r.bits() & 0xde); // V, then R W X U G A D at random
        if (r.chance(0.5)) flags |= 2; // mostly readable
        if (r.chance(0.03)) flags &= ~1;
        let ppn: number;
        if (r.chance(0.05)) ppn = 0x10000 + r.int(16); // MMIO
        else {
          const span = level === 0 ? 1 : level === 1 ? 512 : 262144;
          ppn = ppnOf(BASE) + (level === 2 ? 0 : r.int(PAGES / span) * span);
          if (level > 0 && r.chance(0.2)) ppn += 1 + r.int(span - 1); // misaligned superpage
        }
        return pte(ppn, flags, r.chance(0.02));
      };
      // Where the leaf is: level 0 mostly, superpages sometimes.
      const leafLevel = r.chance(0.7) ? 0 : r.chance(0.6) ? 1 : 2;
      if (leafLevel > 0) counts.superpages++;
      const entries: [number, readonly [number, number]][] = [];
      entries.push([pteAt(root, vpn[2]), leafLevel === 2 ? leaf(2) : pointer(l1)]);
      if (leafLevel < 2) entries.push([pteAt(l1, vpn[1]), leafLevel === 1 ? leaf(1) : pointer(l0)]);
      if (leafLevel < 1) entries.push([pteAt(l0, vpn[0]), r.chance(0.03) ? pointer(l0) : leaf(0)]);
      for (const [at, [lo, hi]] of entries) put(at, lo, hi);

      // Hart state: S or U, SUM, MXR, satp (its root occasionally outside RAM).
      hart.priv = r.chance(0.5) ? PRIV_S : PRIV_U;
      hart.mstatus = (r.chance(0.5) ? SUM : 0) | (r.chance(0.5) ? MXR : 0);
      const rootPpn = r.chance(0.02) ? 0x2000 : ppnOf(BASE + root * 4096);
      hart.satp = (8n << 60n) | BigInt(rootPpn);
      hart.fetchWatch = null;
      hart.watched.fill(0); hart.readWatched.fill(0);
      if (r.chance(0.1)) { hart.watched.fill(1); }
      if (r.chance(0.1)) { hart.readWatched.fill(1); }
      const access = [ACCESS_READ, ACCESS_WRITE, ACCESS_EXEC][r.int(3)];

      const before = { ram: ram.u8.slice(0, SIZE), dirty: ram.dirty.slice() };
      const reset = () => {
        ram.u8.set(before.ram); ram.dirty.set(before.dirty);
        tlbView().fill(0);
        flushTlb(hart);
        privSwitched(hart);
      };
      const snapshot = (ok: boolean): Outcome => ({ ok, cause: hart.trapCause, tval: hart.trapTval, ram: ram.u8.slice(0, SIZE), dirty: ram.dirty.slice(), tlb: tlbView().slice() });

      reset();
      const tlbBefore = tlbView().slice();
      publishWalk(hart);
      const filled = refill(vlo, vhi, access);
      const wasm = snapshot(filled === 1);

      reset();
      hart.trapCause = -1;
      let jsOk = true;
      try {
        translate(hart, vlo, vhi, access);
      } catch (e) {
        if (e !== TRAP) throw e;
        jsOk = false;
      }
      const js = snapshot(jsOk);

      const where = `trial ${trial}: priv ${hart.priv} mstatus ${hart.mstatus.toString(16)} access ${access} va ${vhi.toString(16)}:${(vlo >>> 0).toString(16)} leaf level ${leafLevel}`;
      if (filled === 1) {
        counts.filled++;
        expect(js.ok, where).toBe(true);
        expect(Buffer.compare(wasm.ram, js.ram), where).toBe(0);
        expect(Buffer.compare(wasm.dirty, js.dirty), where).toBe(0);
        expect(Buffer.compare(wasm.tlb, js.tlb), where).toBe(0);
        if (Buffer.compare(js.ram, before.ram) !== 0) counts.adWrites++;
      } else {
        counts.declined++;
        expect(filled, where).toBe(0);
        expect(Buffer.compare(wasm.ram, before.ram), where).toBe(0);
        expect(Buffer.compare(wasm.dirty, before.dirty), where).toBe(0);
        expect(Buffer.compare(wasm.tlb, tlbBefore), where).toBe(0);
        if (!js.ok) {
          if (js.cause === 12 || js.cause === 13 || js.cause === 15) counts.pageFault++;
          else if (js.cause === 1 || js.cause === 5 || js.cause === 7) counts.accessFault++;
          else throw new Error(`${where}: unexpected trap cause ${js.cause}`);
        } else {
          // Translated but not cached by JavaScript either (MMIO page, watched page).
          expect(Buffer.compare(js.tlb, tlbBefore), where).toBe(0);
          counts.noFill++;
        }
      }
    }
    if (process.env.PRNR_WALK_COUNTS) console.log(counts);
    // Every kind of outcome was met many times (the generator is not degenerate).
    expect(counts.filled).toBeGreaterThan(TRIALS / 10);
    expect(counts.adWrites).toBeGreaterThan(TRIALS / 20);
    expect(counts.pageFault).toBeGreaterThan(TRIALS / 10);
    expect(counts.accessFault).toBeGreaterThan(10);
    expect(counts.noFill).toBeGreaterThan(10);
    expect(counts.superpages).toBeGreaterThan(TRIALS / 10);
  });

  it('leaves M mode, bare mode, fetch watches and A/D updates on code pages to JavaScript', () => {
    const { ram, hart, refill } = machine();
    // root -> leaf 4 KiB page at BASE + 0x10000, V R W X, A/D clear; va 0.
    const root = 0x1000, l1 = 0x2000, l0 = 0x3000;
    const put = (off: number, paddr: number, flags: number) => { ram.i32[off >>> 2] = ((paddr / 4096) << 10) | flags; ram.i32[(off >>> 2) + 1] = 0; };
    put(root, BASE + l1, 1); put(l1, BASE + l0, 1); put(l0, BASE + 0x10000, 0xf);
    hart.satp = (8n << 60n) | BigInt((BASE + root) / 4096);
    flushTlb(hart);
    hart.priv = PRIV_S; privSwitched(hart);
    hart.satp = 0n; publishWalk(hart);
    expect(refill(0, 0, ACCESS_READ)).toBe(0); // bare
    hart.satp = (8n << 60n) | BigInt((BASE + root) / 4096); publishWalk(hart);
    hart.fetchWatch = new Set([12345]); publishWalk(hart);
    expect(refill(0, 0, ACCESS_EXEC)).toBe(0);
    hart.fetchWatch = null; publishWalk(hart);
    ram.code[l0 >>> 12] = 1; // the leaf PTE's page holds translated code: its A bit is JavaScript's to set
    expect(refill(0, 0, ACCESS_READ)).toBe(0);
    expect(ram.i32[l0 >>> 2] & 0x40).toBe(0);
    ram.code[l0 >>> 12] = 0;
    expect(refill(0, 0, ACCESS_READ)).toBe(1);
    expect(ram.i32[l0 >>> 2] & 0xc0).toBe(0x40);
    expect(refill(0, 0, ACCESS_WRITE)).toBe(1);
    expect(ram.i32[l0 >>> 2] & 0xc0).toBe(0xc0);
    hart.priv = 3; privSwitched(hart); publishWalk(hart);
    expect(refill(0, 0, ACCESS_READ)).toBe(0); // M mode
  });
});
