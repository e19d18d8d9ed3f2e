/**
 * Translated code that outlives a machine: the WebAssembly modules the 'wasm'
 * engine compiles (32 blocks each), kept with what each block was made from,
 * so that the next machine (a replay slice, a worker, a later process) installs
 * them instead of translating and compiling again.
 *
 * What decides a block's code, hence its key (wasm-compiler.ts):
 * - the layout (WasmLayout: memory size, hart area, page maps), baked in as
 *   constants: one bucket per layout;
 * - its virtual pc (pc constants in the code);
 * - the guest bytes it was translated from (`source`);
 * - its chained exits: tail calls into other functions of the same module,
 *   made only within one page at matching relative positions, so those
 *   blocks' bytes at the same distance from pc must match too (transitively);
 * - the translator itself (translator-fingerprint.ts, checked for files).
 * Not baked in, so no part of the key: the RAM offset (code does not depend
 * on it; blocks are found through the exec TLB), privilege (the TLB set is read
 * at run time), satp and the MMU (through the TLB), mstatus.FS and CSR state
 * (floating point, CSRs and SYSTEM run through the hart's slow paths).
 *
 * An engine installs a cached block at (RAM offset, pc) only when the RAM holds
 * exactly its source there and the sources of every block it chains into at
 * their places; otherwise it translates as usual. Nothing stale ever runs.
 * Memory is bounded by `maxBytes` (wasm bytes plus sources), least recently
 * used modules first out.
 */
import { wasmApi } from '../wasm/api.js';
import { CODE_CACHE_VERSION, readCodeCacheFile, writeCodeCacheFile } from './code-cache-file.js';
import type { CodeCacheBlockData, CodeCacheModuleData, CodeCacheSnapshot } from './code-cache-file.js';
import { translatorFingerprint } from './translator-fingerprint.js';
import { MAX_BLOCK_INSNS } from './wasm-compiler.js';
import type { WasmLayout } from './wasm-compiler.js';

/** Default bound: about six times the code a Linux boot translates (10 MiB). */
export const CODE_CACHE_DEFAULT_MAX_BYTES = 64 << 20;
/** Variants kept per virtual pc (different code at the same address: user programs, patched code). */
const VARIANTS_PER_PC = 8;

export interface CodeCacheOptions {
  /** Bound on wasm bytes plus block sources held (default CODE_CACHE_DEFAULT_MAX_BYTES); least recently used modules go first. */
  maxBytes?: number;
}

export interface CodeCacheLoadOptions {
  /** Told, in one line, why a file or snapshot was ignored (default: nothing is said). */
  onWarning?: (message: string) => void;
}

/** Counters (hits, misses, stale: lookups by engines; the rest: content). */
export interface CodeCacheStats {
  /** Modules and blocks held, and their bytes (wasm + sources). */
  modules: number;
  blocks: number;
  bytes: number;
  /** Lookups that gave a block. */
  hits: number;
  /** Lookups for a pc with no block. */
  misses: number;
  /** Lookups where blocks for the pc exist but none has the bytes now in RAM. */
  stale: number;
  /** Lookups where a block's own bytes match but a block it chains into does not (so it was not used). */
  staleChains: number;
  /** Modules dropped for the memory bound. */
  evicted: number;
  /** Modules compiled here on first use (loaded from a file, or posted without a compiled module). */
  compiled: number;
  /** Modules dropped because they did not compile. */
  rejected: number;
}

/** One cached block (function `index` of its module). */
export interface CachedBlock extends CodeCacheBlockData {
  readonly module: CachedModule;
  readonly index: number;
  /** The blocks its exits reach through chains, transitively, itself excluded. */
  readonly reach: readonly CachedBlock[];
  /** Still findable (not replaced, not evicted). */
  live: boolean;
}

/** One module: its bytes, its compiled form once known, its blocks. */
export class CachedModule {
  compiled: object | null;
  readonly blocks: CachedBlock[] = [];
  /** Blocks still live; at 0 the module goes. */
  live = 0;
  /** When it was added to its cache (CodeCache.serializeSince). */
  seq = 0;
  /** What it counts against maxBytes. */
  readonly size: number;
  constructor(readonly bucket: LayoutCode, readonly bytes: Uint8Array, compiled: object | null, blocks: readonly CodeCacheBlockData[]) {
    this.compiled = compiled;
    let size = bytes.length;
    for (const b of blocks) size += 2 * b.source.length + 2 * b.chains.length + 32;
    this.size = size;
  }
}

export class CodeCache {
  /** The cache every hart on the 'wasm' engine uses unless given another (HartOptions.codeCache). One per thread. */
  static readonly shared: CodeCache = new CodeCache();

  readonly maxBytes: number;
  private readonly buckets = new Map<string, LayoutCode>();
  /** Modules, least recently used first (a Set keeps insertion order; a use moves a module to the end). */
  private readonly lru = new Set<CachedModule>();
  private bytes = 0;
  private blockCount = 0;
  /** Modules added so far, ever (never reset: marks from serializeSince stay valid). */
  private seq = 0;
  /** @internal counters, updated by LayoutCode */
  readonly counts = { hits: 0, misses: 0, stale: 0, staleChains: 0, evicted: 0, compiled: 0, rejected: 0 };

  constructor(options: CodeCacheOptions = {}) {
    this.maxBytes = options.maxBytes ?? CODE_CACHE_DEFAULT_MAX_BYTES;
  }

  get stats(): CodeCacheStats {
    return { modules: this.lru.size, blocks: this.blockCount, bytes: this.bytes, ...this.counts };
  }

  /** Drop everything (counters included). */
  clear(): void {
    for (const b of this.buckets.values()) b.byPc.clear();
    for (const m of this.lru) for (const b of m.blocks) b.live = false;
    this.lru.clear();
    this.bytes = 0;
    this.blockCount = 0;
    for (const k of Object.keys(this.counts) as (keyof CodeCache['counts'])[]) this.counts[k] = 0;
  }

  /** Everything held, as structured-clonable data: post it to worker threads of this process and `merge` it there. */
  snapshot(): CodeCacheSnapshot {
    return { version: CODE_CACHE_VERSION, translator: translatorFingerprint(), modules: [...this.lru].map((m) => moduleData(m, true)) };
  }

  /** Add what a snapshot holds (newer entries win over equal ones); returns the blocks added, 0 when the snapshot is ignored. */
  merge(snapshot: CodeCacheSnapshot, options: CodeCacheLoadOptions = {}): number {
    if (snapshot.version !== CODE_CACHE_VERSION || snapshot.translator !== translatorFingerprint()) {
      options.onWarning?.(`code cache snapshot ignored: made by another translator or format (version ${snapshot.version}, translator ${snapshot.translator})`);
      return 0;
    }
    return this.addAll(snapshot.modules, options, 'code cache snapshot');
  }

  /** Everything held, as a file (code-cache-file.ts). Compiled code is not kept: `load` compiles each module on first use. */
  serialize(): Uint8Array {
    return writeCodeCacheFile(translatorFingerprint(), [...this.lru].map((m) => moduleData(m, false)));
  }

  /**
   * The modules added since `mark` (0: all held), as a file like serialize()'s, or null when
   * there are none; and the mark to pass next time. Appending such files one after another
   * writes a cache as it grows, each module once (a recording's code-cache.bin).
   */
  serializeSince(mark: number): { bytes: Uint8Array | null; mark: number } {
    const fresh = [...this.lru].filter((m) => m.seq > mark);
    const bytes = fresh.length === 0 ? null : writeCodeCacheFile(translatorFingerprint(), fresh.map((m) => moduleData(m, false)));
    return { bytes, mark: this.seq };
  }

  /**
   * Add what a serialized cache holds; returns the blocks added. A file that is corrupt,
   * truncated, of another format version or made by another translator is ignored, with one
   * line to `onWarning`; nothing in it is used. Never throws for a bad file.
   */
  load(bytes: Uint8Array, options: CodeCacheLoadOptions = {}): number {
    const r = readCodeCacheFile(bytes, translatorFingerprint());
    if (typeof r === 'string') {
      options.onWarning?.(`code cache file ignored: ${r}`);
      return 0;
    }
    return this.addAll(r, options, 'code cache file');
  }

  /** A new cache holding what a serialized cache holds (empty, after one warning, when the file is not usable). */
  static load(bytes: Uint8Array, options: CodeCacheLoadOptions & CodeCacheOptions = {}): CodeCache {
    const c = new CodeCache(options);
    c.load(bytes, options);
    return c;
  }

  /** @internal The part of the cache for one layout (an engine keeps it). */
  bucket(layout: WasmLayout): LayoutCode {
    const key = layoutKey(layout);
    let b = this.buckets.get(key);
    if (b === undefined) { b = new LayoutCode(this, layout); this.buckets.set(key, b); }
    return b;
  }

  /** Add every module, or none (with a warning) when one of them is inconsistent: such data was not written by a CodeCache. */
  private addAll(modules: readonly CodeCacheModuleData[], options: CodeCacheLoadOptions, what: string): number {
    const bad = modules.findIndex((m) => !consistentModule(m));
    if (bad >= 0) {
      options.onWarning?.(`${what} ignored: module ${bad} of ${modules.length} is inconsistent (its layout or block descriptions)`);
      return 0;
    }
    let added = 0;
    for (const m of modules) added += this.bucket(m.layout).add(m.bytes, m.module, m.blocks)!.live;
    return added;
  }

  /** @internal A block became findable. */
  blockListed(): void {
    this.blockCount++;
  }

  /** @internal A module was added (its blocks are listed): account for it, then keep within maxBytes. */
  added(m: CachedModule): void {
    m.seq = ++this.seq;
    this.lru.add(m);
    this.bytes += m.size;
    for (const old of this.lru) {
      if (this.bytes <= this.maxBytes || old === m) break;
      old.bucket.drop(old);
      this.counts.evicted++;
    }
  }

  /** @internal A block stopped being findable. */
  blockDropped(m: CachedModule): void {
    this.blockCount--;
    if (--m.live === 0) this.forget(m);
  }

  /** @internal A module has no findable blocks left. */
  forget(m: CachedModule): void {
    if (this.lru.delete(m)) this.bytes -= m.size;
  }

  /** @internal A block of `m` was used: it becomes the most recently used module. */
  touch(m: CachedModule): void {
    this.lru.delete(m);
    this.lru.add(m);
  }
}

/** The blocks of one layout, by virtual pc (low half), newest variant first. */
export class LayoutCode {
  readonly byPc = new Map<number, CachedBlock[]>();
  constructor(readonly cache: CodeCache, readonly layout: WasmLayout) {}

  /**
   * The block for virtual pc (plo, phi) whose source is what RAM (`u16`, halfwords) holds at
   * byte offset `off`, and whose chained blocks' sources are there too; null if none.
   * Called when a location gets warm, not per block run.
   */
  find(u16: Uint16Array, off: number, plo: number, phi: number): CachedBlock | null {
    const c = this.cache.counts;
    const list = this.byPc.get(plo);
    let seen = false, chainsDiffer = false;
    if (list !== undefined) {
      for (const b of list) {
        if (b.phi !== phi) continue;
        seen = true;
        if (!holds(u16, off, b.source)) continue;
        // Chained blocks lie in pc's page (chainBatch), at the same distance from pc as when translated.
        if (!b.reach.every((t) => holds(u16, off + ((t.plo - plo) | 0), t.source))) { chainsDiffer = true; continue; }
        c.hits++;
        this.cache.touch(b.module);
        return b;
      }
    }
    if (chainsDiffer) c.staleChains++;
    else if (seen) c.stale++;
    else c.misses++;
    return null;
  }

  /** The compiled module of `m`, compiling it now if need be; null (and `m` dropped) when it does not compile. */
  compiled(m: CachedModule): object | null {
    if (m.compiled !== null) return m.compiled;
    try {
      m.compiled = new wasmApi.Module(m.bytes);
      this.cache.counts.compiled++;
      return m.compiled;
    } catch {
      this.cache.counts.rejected++;
      this.drop(m);
      return null;
    }
  }

  /**
   * Add a module (block i is function i) and list its blocks, replacing blocks for the same pc
   * made from the same bytes (sameCode); returns it, or null when its descriptions are inconsistent (then
   * nothing is added). The descriptions are checked so that `find` never reads outside pc's page.
   */
  add(bytes: Uint8Array, compiled: object | null, blocks: readonly CodeCacheBlockData[]): CachedModule | null {
    if (blocks.length === 0 || !blocks.every((b) => consistent(b, blocks))) return null;
    const m = new CachedModule(this, bytes, compiled, blocks);
    const made: CachedBlock[] = blocks.map((b, index) => ({ plo: b.plo, phi: b.phi, n: b.n, source: b.source, chains: b.chains, module: m, index, reach: [], live: true }));
    for (const b of made) {
      const reach = b.reach as CachedBlock[];
      const todo = [...b.chains];
      while (todo.length > 0) {
        const t = made[todo.pop()!];
        if (t === b || reach.includes(t)) continue;
        reach.push(t);
        todo.push(...t.chains);
      }
      m.blocks.push(b);
    }
    for (const b of made) {
      const list = this.byPc.get(b.plo) ?? [];
      const same = list.findIndex((o) => o.phi === b.phi && sameCode(o, b));
      if (same >= 0) this.unlist(list, same);
      else if (list.length >= VARIANTS_PER_PC) this.unlist(list, list.length - 1);
      list.unshift(b);
      // Set after unlisting: unlisting the only block of a pc removes its (now empty) list from the map.
      this.byPc.set(b.plo, list);
      m.live++;
      this.cache.blockListed();
    }
    this.cache.added(m);
    return m;
  }

  /** Drop a module: none of its blocks can be found any more (engines keep running what they installed). */
  drop(m: CachedModule): void {
    for (const b of m.blocks) {
      if (!b.live) continue;
      const list = this.byPc.get(b.plo)!;
      this.unlist(list, list.indexOf(b));
    }
    this.cache.forget(m);
  }

  private unlist(list: CachedBlock[], i: number): void {
    const b = list[i];
    list.splice(i, 1);
    if (list.length === 0) this.byPc.delete(b.plo);
    b.live = false;
    this.cache.blockDropped(b.module);
  }
}

function consistentModule(m: CodeCacheModuleData): boolean {
  const l = m.layout;
  const u32 = (n: unknown) => typeof n === 'number' && n >>> 0 === n;
  return typeof l === 'object' && l !== null && u32(l.memoryPages) && u32(l.area) && u32(l.dirtyOffset) && u32(l.codeOffset)
    && m.bytes instanceof Uint8Array && Array.isArray(m.blocks) && m.blocks.length > 0 && m.blocks.every((b) => consistent(b, m.blocks));
}

/** A block description that `find` can use safely: sane n, source within pc's page, chains to blocks of the same page. */
function consistent(b: CodeCacheBlockData, all: readonly CodeCacheBlockData[]): boolean {
  if ((b.plo | 0) !== b.plo || (b.phi | 0) !== b.phi) return false;
  if (!(Number.isInteger(b.n) && b.n >= 1 && b.n <= MAX_BLOCK_INSNS)) return false;
  if (!(b.source instanceof Uint16Array) || b.source.length === 0 || (b.plo & 0xfff) + 2 * b.source.length > 0x1000) return false;
  if (!Array.isArray(b.chains)) return false;
  for (const j of b.chains) {
    const t = Number.isInteger(j) ? all[j] : undefined;
    if (t === undefined || t.phi !== b.phi || (t.plo >>> 12) !== (b.plo >>> 12)) return false;
  }
  return true;
}

/** RAM holds `src` at byte offset `off`. */
function holds(u16: Uint16Array, off: number, src: Uint16Array): boolean {
  const at = off >>> 1;
  if (at + src.length > u16.length) return false;
  for (let i = 0; i < src.length; i++) if (u16[at + i] !== src[i]) return false;
  return true;
}

/** Same pc: made from the same bytes, its own and its chained blocks' (so either can stand for the other). */
function sameCode(a: CachedBlock, b: CachedBlock): boolean {
  return equal(a.source, b.source) && a.reach.length === b.reach.length
    && b.reach.every((t) => a.reach.some((u) => u.plo === t.plo && equal(u.source, t.source)));
}

function equal(a: Uint16Array, b: Uint16Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function moduleData(m: CachedModule, withCompiled: boolean): CodeCacheModuleData {
  return {
    layout: m.bucket.layout,
    bytes: m.bytes,
    module: withCompiled ? m.compiled : null,
    blocks: m.blocks.map((b) => ({ plo: b.plo, phi: b.phi, n: b.n, source: b.source, chains: b.chains })),
  };
}

const layoutKey = (l: WasmLayout): string => `${l.memoryPages}:${l.area}:${l.dirtyOffset}:${l.codeOffset}`;
