/**
 * Every store to a physical address range, with where it happened. Heavy:
 * watched pages take the hart's slow store path, so it gets a replay pass of
 * its own and never slows the light analyses.
 */
import type { AnalysisKind } from '../analysis.js';

export interface MemoryWatchOptions {
  /** Physical address (number or "0x..." string) and length in bytes. */
  paddr: number | string;
  length: number;
  /** Keep at most this many stores in detail (all are counted). Default 10000. */
  limit?: number;
}

export interface WatchedStore {
  icount: number;
  pc: string;
  paddr: string;
  size: number;
}

export interface MemoryWatchResult {
  range: { paddr: string; length: number };
  count: number;
  stores: WatchedStore[];
}

export const memoryWatch: AnalysisKind<MemoryWatchResult, MemoryWatchOptions> = {
  name: 'watch',
  weight: 'heavy',
  description: 'stores to a physical address range (options: paddr, length)',
  create(o) {
    const paddr = typeof o.paddr === 'string' ? Number.parseInt(o.paddr, 16) : o.paddr;
    if (!Number.isSafeInteger(paddr) || !(o.length > 0)) throw new RangeError(`watch: needs a physical address and a positive length, got ${String(o.paddr)} and ${o.length}`);
    const limit = o.limit ?? 10_000;
    const r: MemoryWatchResult = { range: { paddr: `0x${paddr.toString(16)}`, length: o.length }, count: 0, stores: [] };
    return {
      name: 'watch',
      attach(view) {
        view.watchStores(paddr, o.length, (a, size) => {
          r.count++;
          if (r.stores.length < limit) r.stores.push({ icount: view.hart.icount, pc: `0x${view.hart.pc.toString(16)}`, paddr: `0x${a.toString(16)}`, size });
        });
      },
      finish: () => r,
    };
  },
  merge(parts) {
    return { range: parts[0]?.range ?? { paddr: '0x0', length: 0 }, count: parts.reduce((a, p) => a + p.count, 0), stores: parts.flatMap((p) => p.stores) };
  },
};
