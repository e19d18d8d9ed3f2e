/**
 * Test helpers (not exported from the package): Sv39 page tables built by
 * hand in a small Ram, and a fake hart and ReplayView that drive an analysis
 * through its hooks.
 */
import { Ram } from '@prnr/cpu';
import type { Hart } from '@prnr/cpu';
import type { ReplaySliceInfo, ReplayView, TrapEvent, XretEvent } from '@prnr/scheduler';

export const RAM_BASE = 0x8000_0000;
export const PTE_V = 1n, PTE_R = 2n, PTE_W = 4n, PTE_X = 8n, PTE_U = 16n, PTE_A = 64n, PTE_D = 128n;

/** Builds Sv39 page tables in `ram`, allocating table pages from `nextTable` upwards. */
export class PageTables {
  readonly root: number;
  private next: number;

  constructor(readonly ram: Ram, firstTablePage: number) {
    this.root = firstTablePage;
    this.next = firstTablePage + 1;
    ram.u8.fill(0, (this.root - RAM_BASE / 4096) * 4096, (this.root - RAM_BASE / 4096 + 1) * 4096);
  }

  /** satp for these tables (mode Sv39, ASID 0). */
  get satp(): bigint {
    return (8n << 60n) | BigInt(this.root);
  }

  private pteAddr(tablePpn: number, index: number): number {
    return tablePpn * 4096 + index * 8;
  }

  readPte(paddr: number): bigint {
    return this.ram.view.getBigUint64(paddr - this.ram.base, true);
  }

  writePte(paddr: number, v: bigint): void {
    this.ram.view.setBigUint64(paddr - this.ram.base, v, true);
  }

  /** Maps `vaddr` to `paddr` with a leaf at `level` (0: 4 KiB, 1: 2 MiB, 2: 1 GiB); returns the leaf PTE's address. */
  map(vaddr: bigint, paddr: number, flags = PTE_R | PTE_W | PTE_A | PTE_D, level = 0): number {
    let table = this.root;
    for (let l = 2; l > level; l--) {
      const idx = Number((vaddr >> BigInt(12 + 9 * l)) & 0x1ffn);
      const at = this.pteAddr(table, idx);
      let pte = this.readPte(at);
      if ((pte & PTE_V) === 0n) {
        const page = this.next++;
        this.ram.u8.fill(0, page * 4096 - this.ram.base, page * 4096 - this.ram.base + 4096);
        pte = (BigInt(page) << 10n) | PTE_V;
        this.writePte(at, pte);
      }
      table = Number(pte >> 10n);
    }
    const idx = Number((vaddr >> BigInt(12 + 9 * level)) & 0x1ffn);
    const at = this.pteAddr(table, idx);
    this.writePte(at, (BigInt(Math.floor(paddr / 4096)) << 10n) | flags | PTE_V);
    return at;
  }
}

/** The hart fields the tracer reads, settable by a test. */
export class FakeHart {
  priv = 0;
  pc = 0n;
  sscratch = 0n;
  satp = 0n;
  sepc = 0n;
  mepc = 0n;
  icount = 0;
  readonly x: bigint[] = new Array<bigint>(32).fill(0n);
  getX(i: number): bigint {
    return i === 0 ? 0n : BigInt.asUintN(64, this.x[i]);
  }
  setX(i: number, v: bigint): void {
    this.x[i] = BigInt.asUintN(64, v);
  }
}

/** A ReplayView over a FakeHart and a Ram, with the hooks fired by the test. */
export class FakeView implements ReplayView {
  readonly hart: Hart;
  mtimeNow = 0n;
  private readonly traps: ((e: TrapEvent) => void)[] = [];
  private readonly xrets: ((e: XretEvent) => void)[] = [];

  constructor(readonly fake: FakeHart, readonly ram: Ram, readonly slice: ReplaySliceInfo) {
    this.hart = fake as unknown as Hart;
  }

  mtime(): bigint {
    return this.mtimeNow;
  }
  onTrap(fn: (e: TrapEvent) => void): void {
    this.traps.push(fn);
  }
  onXret(fn: (e: XretEvent) => void): void {
    this.xrets.push(fn);
  }
  onConsole(): void {}
  watchStores(): void {
    throw new Error('not used');
  }

  fireTrap(e: TrapEvent): void {
    for (const f of this.traps) f(e);
  }
  fireXret(e: XretEvent): void {
    for (const f of this.xrets) f(e);
  }
}

export function sliceInfo(index: number, startIcount = index * 1000, endIcount = startIcount + 1000): ReplaySliceInfo {
  return { index, startIcount, endIcount, startMtime: startIcount };
}

export function newRam(pages: number): Ram {
  return new Ram(RAM_BASE, pages * 4096);
}

/** Writes a NUL-terminated string at a physical address. */
export function putString(ram: Ram, paddr: number, s: string): void {
  ram.write(paddr, Uint8Array.from([...s].map((c) => c.charCodeAt(0)).concat([0])));
}

export function putBytes(ram: Ram, paddr: number, bytes: ArrayLike<number>): void {
  ram.write(paddr, Uint8Array.from(bytes));
}

export function putU64(ram: Ram, paddr: number, v: bigint): void {
  ram.view.setBigUint64(paddr - ram.base, BigInt.asUintN(64, v), true);
}

export function putU32(ram: Ram, paddr: number, v: number): void {
  ram.view.setUint32(paddr - ram.base, v >>> 0, true);
}
