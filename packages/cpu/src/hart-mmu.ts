/**
 * The hart's MMU: Sv39 page walks with hardware A/D updates, and the software TLBs they fill
 * (one set per privilege level, see hart.ts) and what flushes them. Functions of the hart.
 */
import { CAUSE, MSTATUS, PRIV_M, PRIV_S, PRIV_U } from './csr-numbers.js';
import type { Hart } from './hart.js';
import { AREA_TLB_CURRENT, AREA_WALK, AREA_WALK_ROOT, WALK_FETCH, WALK_MXR, WALK_ON, WALK_SUM, WALK_USER, type TlbSet } from './hart-memory.js';
import { TLB_MASK, TLB_SIZE } from './tlb.js';
import { toBig, TWO32 } from './u64.js';

/**
 * Tell the WebAssembly page walk (jit/wasm-walk.ts) what translate would read besides RAM: whether
 * Sv39 translates the current level's accesses (S or U: MPRV does not apply), the level, SUM, MXR,
 * whether fetches may be refilled (no fetch watch), and the root page table. Called before the
 * dispatcher runs and after the slow paths that may change these.
 */
export function publishWalk(h: Hart): void {
  const a = h.areaI32;
  if (h.priv === PRIV_M || (h.satp >> 60n) !== 8n) { a[AREA_WALK >>> 2] = 0; return; }
  const s = h.mstatus;
  a[AREA_WALK >>> 2] = WALK_ON | (h.priv === PRIV_U ? WALK_USER : 0) | ((s & MSTATUS.SUM) !== 0 ? WALK_SUM : 0) |
    ((s & MSTATUS.MXR) !== 0 ? WALK_MXR : 0) | (h.fetchWatch === null ? WALK_FETCH : 0);
  const root = h.satpPpn * 4096;
  a[AREA_WALK_ROOT >>> 2] = root % TWO32; a[(AREA_WALK_ROOT >>> 2) + 1] = Math.floor(root / TWO32);
}

/** Kinds of access, for translate and the faults it raises. */
export const ACCESS_READ = 0, ACCESS_WRITE = 1, ACCESS_EXEC = 2;

/**
 * A trap or xRET changed the privilege level: switch to its TLB set (nothing cached depends on
 * the level it left), recheck interrupts. Under MPRV the effective level of M-mode loads and
 * stores depends on MPP, which traps and MRET change: then every set is flushed.
 */
export function privSwitched(h: Hart): void {
  if ((h.mstatus & MSTATUS.MPRV) !== 0) flushTlb(h);
  const t = h.tlbSets[h.priv & 3];
  h.tlbRKey = t.rKey; h.tlbROff = t.rOff;
  h.tlbWKey = t.wKey; h.tlbWOff = t.wOff;
  h.tlbXKey = t.xKey; h.tlbXOff = t.xOff;
  h.areaI32[AREA_TLB_CURRENT >>> 2] = t.at;
  h.attn = true;
}

/**
 * sfence.vma with an address: drop the entries that translate it (all levels and access kinds),
 * including every 4 KiB piece cached of a superpage that contains it.
 */
export function flushTlbPage(h: Hart, vlo: number, vhi: number): void {
  const vpn = vhi * 1048576 + (vlo >>> 12);
  const at = (vlo >>> 12) & TLB_MASK;
  // The first 4 KiB page of the 2 MiB and of the 1 GiB superpage that hold vpn (keys of
  // sign-extended addresses are negative: floor, not truncation).
  const mega = Math.floor(vpn / 512) * 512, giga = Math.floor(vpn / 262144) * 262144;
  for (const t of h.tlbSets) dropPage(t, vpn, at, mega, giga);
}

/** SUM was cleared: S-mode entries for user pages are no longer allowed. */
export function dropSupervisorUserPages(h: Hart): void {
  const t = h.tlbSets[PRIV_S];
  dropUser(t.rKey, t.rFlags);
  dropUser(t.wKey, t.wFlags);
  dropUser(t.xKey, t.xFlags);
}

/** Drop every cached translation (all privilege levels). */
export function flushTlb(h: Hart): void {
  for (const t of h.tlbSets) {
    t.keys.fill(NaN);
    t.flags.fill(0); // no superpage pieces left for flushTlbPage to scan
  }
  h.satpPpn = Number(h.satp & 0xfffffffffffn);
}

/**
 * Translate a virtual address for an access; returns the physical address.
 * Throws a page fault or access fault. Fills the TLB for RAM pages.
 */
export function translate(h: Hart, vlo: number, vhi: number, access: number): number {
  let priv = h.priv;
  if (access !== ACCESS_EXEC && (h.mstatus & MSTATUS.MPRV) !== 0 && priv === PRIV_M) {
    priv = (h.mstatus & MSTATUS.MPP) >>> MSTATUS.MPP_SHIFT;
  }
  let paddr: number;
  if (priv === PRIV_M || (h.satp >> 60n) !== 8n) {
    if (vhi < 0 || vhi >= 0x1000000) accessFault(h, vlo, vhi, access);
    paddr = vhi * TWO32 + (vlo >>> 0);
    h.walkFlags = 0;
  } else {
    paddr = walk(h, vlo, vhi, access, priv);
  }
  // Fill the TLB only when the page permissions do not depend on MPRV (priv equals the mode used).
  const ram = h.ram;
  const pageP = paddr - (paddr % 4096);
  if (priv === h.priv && pageP >= ram.base && pageP + 4096 <= ram.base + ram.size) {
    const idx = (vlo >>> 12) & TLB_MASK;
    const key = vhi * 1048576 + (vlo >>> 12);
    const off = pageP - ram.base;
    const set = h.tlbSets[priv & 3];
    if (access === ACCESS_READ) {
      if (h.readWatched[off >>> 12] === 0) { h.tlbRKey[idx] = key; h.tlbROff[idx] = off; set.rFlags[idx] = h.walkFlags; }
    } else if (access === ACCESS_EXEC) {
      // A watched page's entry is kept with a key no fetch matches (key + 0.5): every fetch from it
      // takes the slow path, while the TLB holds and drops exactly what it would hold unwatched.
      h.tlbXKey[idx] = h.fetchWatch !== null && h.fetchWatch.has(key) ? key + 0.5 : key;
      h.tlbXOff[idx] = off; set.xFlags[idx] = h.walkFlags;
    } else if (h.watched[off >>> 12] === 0) {
      // Only a write walk fills h TLB, and a write walk has set the D bit.
      h.tlbWKey[idx] = key; h.tlbWOff[idx] = off; set.wFlags[idx] = h.walkFlags;
    }
  }
  return paddr;
}

export function pageFault(h: Hart, vlo: number, vhi: number, access: number): never {
  h.exc(access === ACCESS_EXEC ? CAUSE.INSN_PAGE : access === ACCESS_READ ? CAUSE.LOAD_PAGE : CAUSE.STORE_PAGE, toBig(vlo, vhi));
}

export function accessFault(h: Hart, vlo: number, vhi: number, access: number): never {
  h.exc(access === ACCESS_EXEC ? CAUSE.INSN_ACCESS : access === ACCESS_READ ? CAUSE.LOAD_ACCESS : CAUSE.STORE_ACCESS, toBig(vlo, vhi));
}

/** Sv39 page walk (privileged spec 4.3.2), with hardware A/D updates. */
export function walk(h: Hart, vlo: number, vhi: number, access: number, priv: number): number {
  // Bits 63..39 must all equal bit 38.
  const top = vhi >> 6;
  if (top !== 0 && top !== -1) pageFault(h, vlo, vhi, access);
  const vpn = [(vlo >>> 12) & 0x1ff, ((vlo >>> 21) & 0x1ff), ((vlo >>> 30) | ((vhi & 0x7f) << 2)) & 0x1ff];
  const ram = h.ram;
  let a = h.satpPpn * 4096;
  for (let level = 2; level >= 0; level--) {
    const pteAddr = a + vpn[level] * 8;
    if (!ram.contains(pteAddr, 8)) accessFault(h, vlo, vhi, access);
    const w = (pteAddr - ram.base) >>> 2;
    let lo = ram.i32[w];
    const hi = ram.i32[w + 1];
    if ((lo & 1) === 0 || ((lo & 2) === 0 && (lo & 4) !== 0)) pageFault(h, vlo, vhi, access);
    if ((hi >>> 22) !== 0) pageFault(h, vlo, vhi, access); // reserved bits 63..54 (no Svpbmt/Svnapot)
    const ppn = (hi & 0x3fffff) * 4194304 + (lo >>> 10);
    if ((lo & 0xa) === 0) { // pointer to next level
      if ((lo & 0xd0) !== 0) pageFault(h, vlo, vhi, access); // D, A, U must be clear in non-leaf PTEs
      a = ppn * 4096;
      continue;
    }
    // Leaf: permission checks.
    const u = (lo & 0x10) !== 0;
    if (priv === PRIV_U) {
      if (!u) pageFault(h, vlo, vhi, access);
    } else if (u) {
      if (access === ACCESS_EXEC || (h.mstatus & MSTATUS.SUM) === 0) pageFault(h, vlo, vhi, access);
    }
    if (access === ACCESS_EXEC) {
      if ((lo & 8) === 0) pageFault(h, vlo, vhi, access);
    } else if (access === ACCESS_READ) {
      if ((lo & 2) === 0 && !((h.mstatus & MSTATUS.MXR) !== 0 && (lo & 8) !== 0)) pageFault(h, vlo, vhi, access);
    } else if ((lo & 4) === 0) {
      pageFault(h, vlo, vhi, access);
    }
    // Superpage alignment.
    if (level > 0 && (ppn % (1 << (9 * level))) !== 0) pageFault(h, vlo, vhi, access);
    // A/D updates.
    const want = 0x40 | (access === ACCESS_WRITE ? 0x80 : 0);
    if ((lo & want) !== want) {
      lo |= want;
      ram.i32[w] = lo;
      ram.markDirty(pteAddr - ram.base, 4);
    }
    // Physical address: ppn with the low levels taken from the virtual address.
    const pageOffsetMask = level === 0 ? 0xfff : level === 1 ? 0x1fffff : 0x3fffffff;
    h.walkFlags = level | (u ? TLB_USER : 0);
    const base = ppn * 4096;
    return base - (base % (pageOffsetMask + 1)) + ((vlo >>> 0) & pageOffsetMask);
  }
  return pageFault(h, vlo, vhi, access);
}

/** TLB entry flag: the page is a user page (U=1). The low 2 bits hold the leaf level (0: 4 KiB page). */
const TLB_USER = 4;

/**
 * Drop the entries of a set's three arrays that translate virtual page `vpn` (a key), directly or
 * as part of a superpage. Warm path (Linux flushes single pages often): a 4 KiB entry for vpn can
 * only sit at its direct-mapped index `at`, but the pieces of a superpage spread over every index,
 * so the flags are scanned a word (4 entries) at a time for a non-zero leaf level.
 */
function dropPage(t: TlbSet, vpn: number, at: number, mega: number, giga: number): void {
  const keys = t.keys, flags = t.flags, words = t.flagWords;
  for (let a = at; a < 3 * TLB_SIZE; a += TLB_SIZE) {
    const k = keys[a];
    if (k === vpn || k === vpn + 0.5) { keys[a] = NaN; flags[a] = 0; } // + 0.5: a watched exec page (see watchFetches)
  }
  for (let w = 0; w < words.length; w++) {
    if ((words[w] & 0x03030303) === 0) continue;
    for (let i = w << 2, end = i + 4; i < end; i++) {
      const level = flags[i] & 3;
      if (level === 0) continue;
      const base = level === 1 ? mega : giga;
      const k = keys[i]; // NaN (no entry) compares false
      if (k >= base && k < base + (level === 1 ? 512 : 262144)) { keys[i] = NaN; flags[i] = 0; }
    }
  }
}

/** Drop the entries of one TLB array made from user pages. */
function dropUser(keys: Float64Array, flags: Uint8Array): void {
  for (let i = 0; i < TLB_SIZE; i++) if ((flags[i] & TLB_USER) !== 0) keys[i] = NaN;
}
