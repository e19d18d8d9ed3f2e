/**
 * The hart's slow memory paths: loads, stores and instruction fetches that miss the TLB, cross
 * a page, reach MMIO or watched pages; and the debugger's fetch watch (breakpoints). The fast
 * paths are inline in the interpreter (hart-interp.ts) and in translated code. Functions of the hart.
 */
import { BusFault } from './bus.js';
import { CAUSE } from './csr-numbers.js';
import type { Hart } from './hart.js';
import { accessFault, ACCESS_EXEC, ACCESS_READ, ACCESS_WRITE, translate } from './hart-mmu.js';
import { TLB_MASK, tlbKey } from './tlb.js';
import { toBig, TWO32 } from './u64.js';

/** A LOAD's slow path: read the size funct3 `f3` names into rLo/rHi, sign- or zero-extended as it says. */
export function readLoad(h: Hart, vlo: number, vhi: number, f3: number): void {
  readMem(h, vlo, vhi, 1 << (f3 & 3));
  const lo = h.rLo;
  switch (f3) {
    case 0: h.rLo = (lo << 24) >> 24; h.rHi = h.rLo >> 31; break;
    case 1: h.rLo = (lo << 16) >> 16; h.rHi = h.rLo >> 31; break;
    case 2: h.rHi = lo >> 31; break;
    case 3: break;
    default: h.rHi = 0; break;
  }
}

/** Read `size` bytes at a virtual address into rLo/rHi (zero-extended). Handles misalignment and MMIO. */
export function readMem(h: Hart, vlo: number, vhi: number, size: number, access = ACCESS_READ): void {
  if ((vlo & 0xfff) + size > 4096) {
    // Crosses a page: translate each byte (both pages checked before any state changes).
    let lo = 0, hi = 0;
    for (let i = size - 1; i >= 0; i--) {
      const t = (vlo >>> 0) + i;
      const blo = t | 0, bhi = (vhi + (t >= TWO32 ? 1 : 0)) | 0;
      readPhys(h, translate(h, blo, bhi, access), 1, blo, bhi, access);
      if (i >= 4) hi |= h.rLo << ((i - 4) * 8); else lo |= h.rLo << (i * 8);
    }
    h.rLo = lo; h.rHi = hi;
    return;
  }
  readPhys(h, translate(h, vlo, vhi, access), size, vlo, vhi, access);
}

/** Read `size` bytes at a physical address (RAM or MMIO) into rLo/rHi, zero-extended; vlo/vhi name it for a fault. */
export function readPhys(h: Hart, paddr: number, size: number, vlo: number, vhi: number, access: number): void {
  const ram = h.ram;
  if (paddr >= ram.base && paddr + size <= ram.base + ram.size) {
    const off = paddr - ram.base;
    const u8 = ram.u8;
    let lo = 0, hi = 0;
    for (let i = 0; i < size; i++) {
      if (i < 4) lo |= u8[off + i] << (i * 8); else hi |= u8[off + i] << ((i - 4) * 8);
    }
    h.rLo = lo; h.rHi = hi;
    if (h.readWatched[off >>> 12] !== 0 && h.onWatchedLoad) h.onWatchedLoad(paddr, size);
    return;
  }
  let v: number | bigint;
  try {
    v = h.bus.load(paddr, size as 1 | 2 | 4 | 8);
  } catch (e) {
    if (e instanceof BusFault) accessFault(h, vlo, vhi, access);
    throw e;
  }
  if (typeof v === 'bigint') {
    h.rLo = Number(BigInt.asIntN(32, v));
    h.rHi = Number(BigInt.asIntN(32, v >> 32n));
  } else {
    h.rLo = v | 0;
    h.rHi = 0;
  }
}

/** Write `size` bytes (from lo/hi) at a virtual address. Handles misalignment, MMIO and watched pages. */
export function writeMem(h: Hart, vlo: number, vhi: number, size: number, lo: number, hi: number): void {
  if ((vlo & 0xfff) + size > 4096) {
    // Crosses a page: translate every byte first, so a fault on the second page writes nothing.
    const paddrs: number[] = [];
    for (let i = 0; i < size; i++) {
      const t = (vlo >>> 0) + i;
      paddrs.push(translate(h, t | 0, (vhi + (t >= TWO32 ? 1 : 0)) | 0, ACCESS_WRITE));
    }
    for (let i = 0; i < size; i++) {
      const b = i < 4 ? (lo >>> (i * 8)) & 0xff : (hi >>> ((i - 4) * 8)) & 0xff;
      const t = (vlo >>> 0) + i;
      writePhys(h, paddrs[i], 1, b, 0, t | 0, (vhi + (t >= TWO32 ? 1 : 0)) | 0);
    }
    return;
  }
  writePhys(h, translate(h, vlo, vhi, ACCESS_WRITE), size, lo, hi, vlo, vhi);
}

export function writePhys(h: Hart, paddr: number, size: number, lo: number, hi: number, vlo: number, vhi: number): void {
  const ram = h.ram;
  if (paddr >= ram.base && paddr + size <= ram.base + ram.size) {
    const off = paddr - ram.base;
    const u8 = ram.u8;
    for (let i = 0; i < size; i++) u8[off + i] = i < 4 ? lo >>> (i * 8) : hi >>> ((i - 4) * 8);
    ram.dirty[off >>> 12] = 1;
    if (ram.code[off >>> 12] !== 0) h.codeWritten(off >>> 12);
    if (h.watched[off >>> 12] !== 0 && h.onWatchedStore) h.onWatchedStore(paddr, size);
    return;
  }
  try {
    if (size === 8) h.bus.store(paddr, 8, BigInt.asUintN(64, toBig(lo, hi)));
    else h.bus.store(paddr, size as 1 | 2 | 4, size === 4 ? lo >>> 0 : lo & ((1 << (size * 8)) - 1));
  } catch (e) {
    if (e instanceof BusFault) accessFault(h, vlo, vhi, ACCESS_WRITE);
    throw e;
  }
}

/** An aligned 4- or 8-byte store at a RAM offset from the write TLB (dirty page, translated code dropped). */
export function ramStore(h: Hart, off: number, size: number, lo: number, hi: number): void {
  const ram = h.ram;
  ram.i32[off >>> 2] = lo;
  if (size === 8) ram.i32[(off >>> 2) + 1] = hi;
  ram.dirty[off >>> 12] = 1;
  if (ram.code[off >>> 12] !== 0) h.codeWritten(off >>> 12);
}

/**
 * Breakpoints for a debugger: fetches from the virtual pages of `pcs` take the slow path, where
 * `stop(pc, icount)` is asked before the instruction at each of `pcs` runs; true makes run()
 * return 'stop' there, before it. Null takes them off. Execution is exactly what it is unwatched
 * (the TLB holds the same entries, see translate); only translated code is bypassed on those pages.
 */
export function watchFetches(h: Hart, pcs: Iterable<bigint> | null, stop: ((pc: bigint, icount: number) => boolean) | null): void {
  const keys = new Set<number>();
  for (const pc of pcs ?? []) keys.add(tlbKey(Number(BigInt.asIntN(32, pc)), Number(BigInt.asIntN(32, pc >> 32n))));
  h.fetchWatch = keys.size > 0 && stop !== null ? keys : null;
  h.onWatchedFetch = h.fetchWatch === null ? null : stop;
  h.watchedPcs = h.fetchWatch === null ? null : new Set([...(pcs ?? [])].map((p) => BigInt.asUintN(64, p)));
  // Re-key every cached entry: the watched pages' entries must not match a fetch, the others must.
  for (const t of h.tlbSets) {
    for (let i = 0; i < t.xKey.length; i++) {
      const k = t.xKey[i];
      if (k !== k) continue;
      const real = Math.floor(k);
      t.xKey[i] = h.fetchWatch !== null && h.fetchWatch.has(real) ? real + 0.5 : real;
    }
  }
}

/** A fetch from a watched page: true to stop before the instruction at pc. */
export function watchedFetch(h: Hart, plo: number, phi: number, ic: number): boolean {
  if (!h.fetchWatch!.has(tlbKey(plo, phi))) return false;
  const pc = BigInt.asUintN(64, toBig(plo, phi));
  if (!h.watchedPcs!.has(pc) || !h.onWatchedFetch!(pc, ic)) return false;
  h.stopRequested = true;
  h.attn = true;
  return true;
}

/** The fetch slow path while pages are watched: an entry kept for a watched page is a hit (no walk), as it would be unwatched. */
export function fetchWatchedPage(h: Hart, plo: number, phi: number): number {
  const fidx = (plo >>> 12) & TLB_MASK;
  const po = plo & 0xfff;
  if (po < 0xffe && h.tlbXKey[fidx] === tlbKey(plo, phi) + 0.5) {
    const off = h.tlbXOff[fidx] + po;
    const ram = h.ram;
    return (off & 2) === 0 ? ram.i32[off >>> 2] : ram.u16[off >>> 1] | (ram.u16[(off >>> 1) + 1] << 16);
  }
  return fetchSlow(h, plo, phi);
}

/** Fetch the instruction at pc (slow path): returns the raw 16- or 32-bit encoding. */
export function fetchSlow(h: Hart, plo: number, phi: number): number {
  const p1 = translate(h, plo, phi, ACCESS_EXEC);
  const lowHalf = fetchHalf(h, p1, plo, phi);
  if ((lowHalf & 3) !== 3) return lowHalf;
  const t = (plo >>> 0) + 2;
  const nlo = t | 0, nhi = (phi + (t >= TWO32 ? 1 : 0)) | 0;
  const p2 = (plo & 0xfff) === 0xffe ? translate(h, nlo, nhi, ACCESS_EXEC) : p1 + 2;
  return (lowHalf | (fetchHalf(h, p2, nlo, nhi) << 16)) | 0;
}

export function fetchHalf(h: Hart, paddr: number, vlo: number, vhi: number): number {
  const ram = h.ram;
  if (paddr >= ram.base && paddr + 2 <= ram.base + ram.size) return ram.u16[(paddr - ram.base) >>> 1];
  h.exc(CAUSE.INSN_ACCESS, toBig(vlo, vhi));
}


