/**
 * Reading guest memory as the guest's page tables map it, without side
 * effects: no A/D bit updates, no TLB fills, no faults. For analyses, seek and
 * debuggers, never for execution.
 */
import type { Ram } from './ram.js';
import type { Hart } from './hart-public.js';
import { internals } from './hart-public.js';
import { CSR } from './csr-numbers.js';
import { readCsr } from './csr.js';

const SV39 = 8n;

/**
 * The physical address `vaddr` maps to for a read under `satp` (bare or Sv39;
 * other modes: null), or null if unmapped or unreadable. User pages read
 * whatever SUM says: this is an observer, not the hart.
 */
export function translatePeek(ram: Ram, satp: bigint, vaddr: bigint): number | null {
  const mode = satp >> 60n;
  if (mode === 0n) return vaddr < BigInt(Number.MAX_SAFE_INTEGER) ? Number(vaddr) : null;
  if (mode !== SV39) return null;
  // Bits 63..39 must all equal bit 38.
  const top = BigInt.asIntN(64, vaddr) >> 38n;
  if (top !== 0n && top !== -1n) return null;
  let table = Number(satp & 0xfffffffffffn) * 4096;
  for (let level = 2; level >= 0; level--) {
    const vpn = Number((vaddr >> BigInt(12 + 9 * level)) & 0x1ffn);
    const at = table + vpn * 8;
    if (!ram.contains(at, 8)) return null;
    const off = at - ram.base;
    const lo = ram.view.getUint32(off, true);
    const hi = ram.view.getUint32(off + 4, true);
    if ((lo & 1) === 0 || (lo & 6) === 4) return null; // not valid, or W without R
    if (hi >>> 22 !== 0) return null; // reserved bits 63..54 (no Svpbmt/Svnapot), as the hart
    const ppn = hi * 2 ** 22 + (lo >>> 10); // bits 53..10
    if ((lo & 0xa) === 0) {
      if ((lo & 0xd0) !== 0) return null; // D, A, U must be clear in a non-leaf PTE
      table = ppn * 4096;
      continue;
    }
    if ((lo & 2) === 0) return null; // execute-only: not readable
    // A leaf; for a superpage the low PPN fields come from the virtual address.
    const span = 2 ** (12 + 9 * level);
    if (ppn % (span / 4096) !== 0) return null; // misaligned superpage
    return ppn * 4096 + Number(vaddr % BigInt(span));
  }
  return null;
}

/** `len` bytes at `vaddr` (may cross pages), or null if any byte is unmapped or outside RAM. */
export function peekVirtual(ram: Ram, satp: bigint, vaddr: bigint, len: number): Uint8Array | null {
  const out = new Uint8Array(len);
  let done = 0;
  while (done < len) {
    const v = BigInt.asUintN(64, vaddr + BigInt(done));
    const p = translatePeek(ram, satp, v);
    if (p === null) return null;
    const n = Math.min(len - done, 4096 - (p % 4096));
    if (!ram.contains(p, n)) return null;
    out.set(ram.u8.subarray(p - ram.base, p - ram.base + n), done);
    done += n;
  }
  return out;
}

/**
 * A CSR as a debugger shows it: no privilege check, no trap, no side effect.
 * Null for a CSR number the hart does not have.
 */
export function peekCsr(pub: Hart, csr: number): bigint | null {
  const hart = internals(pub);
  switch (csr) {
    case CSR.fflags: return BigInt(hart.fflags);
    case CSR.frm: return BigInt(hart.frm);
    case CSR.fcsr: return BigInt((hart.frm << 5) | hart.fflags);
    case CSR.cycle: case CSR.mcycle: return BigInt.asUintN(64, BigInt(hart.icount) + hart.mcycleBase);
    case CSR.instret: case CSR.minstret: return BigInt.asUintN(64, BigInt(hart.icount) + hart.minstretBase);
    case CSR.time: return hart.readTime(hart.icount);
    case CSR.satp: return hart.satp;
  }
  // The rest read without a check that could trap (csr.ts).
  return PEEKABLE.has(csr) ? readCsr(hart, csr) : null;
}

const PEEKABLE = new Set<number>([
  CSR.sstatus, CSR.sie, CSR.stvec, CSR.scounteren, CSR.senvcfg, CSR.sscratch, CSR.sepc, CSR.scause, CSR.stval, CSR.sip,
  CSR.mstatus, CSR.misa, CSR.medeleg, CSR.mideleg, CSR.mie, CSR.mtvec, CSR.mcounteren, CSR.menvcfg, CSR.mcountinhibit,
  CSR.mscratch, CSR.mepc, CSR.mcause, CSR.mtval, CSR.mip, CSR.mhartid, CSR.mvendorid, CSR.marchid, CSR.mimpid,
]);
