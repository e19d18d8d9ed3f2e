/**
 * Guest virtual memory, read through the guest's own page tables without side
 * effects: a debugger's walk. No A/D bit updates, no TLB fills, no faults; an
 * address that does not translate to readable RAM reads as null. Only RAM is
 * ever read (never MMIO: device reads can have side effects).
 *
 * RISC-V privileged spec 1.12, 4.3 (Sv32 walk) and 4.4 (Sv39). satp mode 0
 * (bare) maps virtual = physical; mode 8 is Sv39. User pages are readable
 * whatever SUM says (this is an observer, not the hart).
 */
import { translatePeek, type Ram } from '@prnr/cpu';

/** What decoders need from guest memory; GuestMemory is the real one, tests may fake it. */
export interface MemoryReader {
  /** `len` bytes at `vaddr`, or null if any byte is unmapped or unreadable. */
  readVirt(vaddr: bigint, len: number): Uint8Array | null;
  readU64(vaddr: bigint): bigint | null;
  readU32(vaddr: bigint): number | null;
  /** A NUL-terminated string of at most `max` bytes (without the NUL); `truncated` when no NUL came within `max`. */
  readCString(vaddr: bigint, max?: number): { text: string; bytes: Uint8Array; truncated: boolean } | null;
}

export const SATP_MODE_BARE = 0n;
export const SATP_MODE_SV39 = 8n;

const PAGE = 4096;
const MASK64 = (1n << 64n) - 1n;

export class GuestMemory implements MemoryReader {
  /** `satp`: the guest's current satp (read at each access: page tables change between calls). */
  constructor(private readonly ram: Ram, private readonly satp: () => bigint) {}

  /** The physical address of `vaddr` for a read, or null (unmapped, not readable, outside RAM). */
  translate(vaddr: bigint): number | null {
    const p = translatePeek(this.ram, this.satp(), vaddr & MASK64);
    return p !== null && this.ram.contains(p, 1) ? p : null;
  }

  readVirt(vaddr: bigint, len: number): Uint8Array | null {
    if (len < 0) return null;
    const out = new Uint8Array(len);
    let done = 0;
    while (done < len) {
      const va = (vaddr + BigInt(done)) & MASK64;
      const pa = this.translate(va);
      if (pa === null) return null;
      const inPage = PAGE - Number(va & BigInt(PAGE - 1));
      const n = Math.min(inPage, len - done);
      if (!this.ram.contains(pa, n)) return null;
      const off = pa - this.ram.base;
      out.set(this.ram.u8.subarray(off, off + n), done);
      done += n;
    }
    return out;
  }

  readU64(vaddr: bigint): bigint | null {
    const b = this.readVirt(vaddr, 8);
    return b === null ? null : new DataView(b.buffer).getBigUint64(0, true);
  }

  readU32(vaddr: bigint): number | null {
    const b = this.readVirt(vaddr, 4);
    return b === null ? null : new DataView(b.buffer).getUint32(0, true);
  }

  readCString(vaddr: bigint, max = 4096): { text: string; bytes: Uint8Array; truncated: boolean } | null {
    const bytes: number[] = [];
    let va = vaddr & MASK64;
    while (bytes.length < max) {
      const pa = this.translate(va);
      if (pa === null) return null;
      // Scan the rest of this page in one go.
      const inPage = PAGE - Number(va & BigInt(PAGE - 1));
      const n = Math.min(inPage, max - bytes.length);
      const off = pa - this.ram.base;
      const end = Math.min(off + n, this.ram.size);
      for (let i = off; i < end; i++) {
        const b = this.ram.u8[i];
        if (b === 0) return finish(bytes, false);
        bytes.push(b);
      }
      if (end < off + n) return null; // ran off the end of RAM
      va = (va + BigInt(n)) & MASK64;
    }
    return finish(bytes, true);
  }
}

function finish(bytes: number[], truncated: boolean): { text: string; bytes: Uint8Array; truncated: boolean } {
  const u8 = Uint8Array.from(bytes);
  return { text: latin1(u8), bytes: u8, truncated };
}

/** Bytes as a string of code points 0..255 (one char per byte; not UTF-8 decoding). */
export function latin1(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 4096) s += String.fromCharCode(...bytes.subarray(i, i + 4096));
  return s;
}
