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
 *
 * A file (`load`) is checked whole at once (CRC, translator, every block
 * description) but only indexed: a module's entries are built, its wasm bytes
 * viewed in the file, when one of its pcs is first looked up (a replay lane
 * uses a sixth of a boot's modules in its first slices), or when the whole
 * cache is read (stats, snapshot, serialize). Each module gets its place in the
 * cache's order at load, so a pc's variants come out as if all were built then.
 */
import { wasmApi } from '../wasm/api.js';
import { BackgroundCompiler } from './background-compiler.js';
import type { ModuleCompiler } from './background-compiler.js';
import { BLOCK_OVERHEAD_BYTES, blockFits, CODE_CACHE_VERSION, indexCodeCacheFile, indexedModuleRecord, moduleRecord, readCodeCacheModule, recordWasm, samePage, writeCodeCacheRecords } from './code-cache-file.js';
import type { CodeCacheBlockData, CodeCacheFileIndex, CodeCacheModuleData, CodeCacheSnapshot } from './code-cache-file.js';
import { translatorFingerprint } from './translator-fingerprint.js';
import type { WasmLayout } from './wasm-compiler.js';

/** Default bound: about six times the code a Linux boot translates (10 MiB). */
export const CODE_CACHE_DEFAULT_MAX_BYTES = 64 << 20;
/** Pending module ids per key (LayoutCode.pendingKeys): plo * 2^21 + id stays an exact double. */
const PENDING_IDS = 1 << 21;
const NO_KEYS = new Float64Array(0);
/**
 * The nice value of precompile's own worker: its work is ahead of need, so it gives way to the
 * machine's thread and takes what the cores leave (as the CLI's helper threads do, at 10).
 */
const PRECOMPILE_NICE = 10;
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
  /** Modules of loaded files compiled on another thread (precompile) and taken before their first use. */
  precompiled: number;
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
  /** What it counts against maxBytes. */
  readonly size: number;
  /** When it was last added or found by a lookup (CodeCache's use clock; 0: built from a file, never found since). */
  used = 0;
  /**
   * Its record in a code cache file (code-cache-file.ts moduleRecord), once a writer wanted it or
   * when it came from a file (a view of the file): writing it again is a copy.
   */
  private record: Uint8Array | null;
  /** The module's wasm bytes (replaced once by the same bytes in its record: recordBytes). */
  bytes: Uint8Array;
  /** `seq`: its place among its cache's modules, newer higher (variants newest first). */
  constructor(readonly bucket: LayoutCode, bytes: Uint8Array, compiled: object | null, blocks: readonly CodeCacheBlockData[], readonly seq: number, record: Uint8Array | null = null) {
    this.compiled = compiled;
    this.bytes = bytes;
    this.record = record;
    let size = bytes.length;
    for (const b of blocks) size += 2 * b.source.length + 2 * b.chains.length + BLOCK_OVERHEAD_BYTES;
    this.size = size;
  }

  /** Its record, made once: then its bytes view the record's, so the cache holds them once. */
  recordBytes(): Uint8Array {
    if (this.record === null) {
      this.record = moduleRecord({ layout: this.bucket.layout, bytes: this.bytes, blocks: this.blocks });
      this.bytes = recordWasm(this.record);
    }
    return this.record;
  }
}

/** A module of a loaded file whose entries are not built yet. */
interface PendingModule {
  /** Its index in its cache's pending list (LayoutCode's pending keys name it so). */
  readonly id: number;
  readonly file: CodeCacheFileIndex;
  /** Its index in the file. */
  readonly k: number;
  readonly bucket: LayoutCode;
  /** Given at load (CachedModule.seq). */
  readonly seq: number;
  built: boolean;
  /** Once built: its module (null when its descriptions were inconsistent). */
  made?: CachedModule | null;
  /** Compiled by precompile before it was built. */
  compiled?: object;
}

/**
 * What one writer has written of a cache (CodeCache.cursor, serializeUsed): each module at most
 * once, and only modules added or found by a lookup after the cursor was made.
 */
export interface CodeCacheCursor {
  /** The cache's use clock when the writer last looked. */
  mark: number;
  readonly written: WeakSet<CachedModule>;
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
  /** Modules added so far, ever, pending ones included (never reset). */
  private seq = 0;
  /** Adds and lookup hits so far (CachedModule.used; never reset: cursors' marks stay valid). */
  private uses = 0;
  /** Modules of loaded files not built yet, in load order (some built meanwhile by lookups: `built`). */
  private pending: PendingModule[] = [];
  private pendingLeft = 0;
  /** Compiling loaded modules ahead (precompile) until all have come back; `close` stops a worker precompile started. */
  private precompiler: { readonly compiler: ModuleCompiler; readonly close: () => void } | null = null;
  /** @internal counters, updated by LayoutCode */
  readonly counts = { hits: 0, misses: 0, stale: 0, staleChains: 0, evicted: 0, compiled: 0, rejected: 0, precompiled: 0 };

  constructor(options: CodeCacheOptions = {}) {
    this.maxBytes = options.maxBytes ?? CODE_CACHE_DEFAULT_MAX_BYTES;
  }

  /** Builds what loaded files still hold pending first (the counts are of built entries). */
  get stats(): CodeCacheStats {
    this.buildAll();
    return { modules: this.lru.size, blocks: this.blockCount, bytes: this.bytes, ...this.counts };
  }

  /** Modules added so far, ever, loaded ones included: a run that added none has nothing new to save. Reading it builds nothing. */
  get modulesAdded(): number {
    return this.seq;
  }

  /** Modules of loaded files whose entries are not built yet (see the top of this file); reading it builds nothing. */
  get pendingModules(): number {
    return this.pendingLeft;
  }

  /** Drop everything (counters included). */
  clear(): void {
    this.stopPrecompile();
    this.dropPending();
    for (const b of this.buckets.values()) b.byPc.clear();
    for (const m of this.lru) for (const b of m.blocks) b.live = false;
    this.lru.clear();
    this.bytes = 0;
    this.blockCount = 0;
    for (const k of Object.keys(this.counts) as (keyof CodeCache['counts'])[]) this.counts[k] = 0;
  }

  /** Everything held, as structured-clonable data: post it to worker threads of this process and `merge` it there. */
  snapshot(): CodeCacheSnapshot {
    this.takePrecompiled();
    this.buildAll();
    return { version: CODE_CACHE_VERSION, translator: translatorFingerprint(), modules: [...this.lru].map(moduleData) };
  }

  /** Add what a snapshot holds (newer entries win over equal ones); returns the blocks added, 0 when the snapshot is ignored. */
  merge(snapshot: CodeCacheSnapshot, options: CodeCacheLoadOptions = {}): number {
    if (snapshot.version !== CODE_CACHE_VERSION || snapshot.translator !== translatorFingerprint()) {
      options.onWarning?.(`code cache snapshot ignored: made by another translator or format (version ${snapshot.version}, translator ${snapshot.translator})`);
      return 0;
    }
    return this.addAll(snapshot.modules, options, 'code cache snapshot');
  }

  /**
   * Everything held, as a file (code-cache-file.ts), least recently used first; with `maxBytes`,
   * only the most recently used modules that fit in it (sizes as maxBytes counts them). Compiled
   * code is not kept: `load` compiles each module on first use.
   */
  serialize(maxBytes = Infinity): Uint8Array {
    this.buildAll();
    const held = [...this.lru];
    let from = held.length;
    for (let room = maxBytes; from > 0 && held[from - 1].size <= room;) room -= held[--from].size;
    return writeCodeCacheRecords(translatorFingerprint(), held.slice(from).map((m) => m.recordBytes()));
  }

  /** A cursor for serializeUsed: from now on. */
  cursor(): CodeCacheCursor {
    return { mark: this.uses, written: new WeakSet() };
  }

  /**
   * The modules added or found by a lookup since `cursor` last looked that it has not had yet, as
   * a file like serialize()'s, or null when there are none. Appending such files one after
   * another writes what a run used, each module once (a recording's code-cache.bin): modules that
   * a loaded file brought and the run never looked up stay out, and are not built. Written into
   * `buffer(size)` when given (writeCodeCacheRecords).
   */
  serializeUsed(cursor: CodeCacheCursor, buffer?: (size: number) => Uint8Array): Uint8Array | null {
    const fresh: CachedModule[] = [];
    for (const m of this.lru) if (m.used > cursor.mark && !cursor.written.has(m)) fresh.push(m);
    cursor.mark = this.uses;
    if (fresh.length === 0) return null;
    for (const m of fresh) cursor.written.add(m);
    return writeCodeCacheRecords(translatorFingerprint(), fresh.map((m) => m.recordBytes()), buffer);
  }

  /**
   * Add what a serialized cache holds; returns the blocks added. A file that is corrupt,
   * truncated, of another format version or made by another translator, or that describes a
   * block inconsistently, is ignored, with one line to `onWarning`; nothing in it is used.
   * Never throws for a bad file. Checked whole now, built module by module when looked up
   * (see the top of this file); `bytes` is kept, not copied: the caller must not change it.
   */
  load(bytes: Uint8Array, options: CodeCacheLoadOptions = {}): number {
    const ix = indexCodeCacheFile(bytes, translatorFingerprint());
    if (typeof ix === 'string') {
      options.onWarning?.(`code cache file ignored: ${ix}`);
      return 0;
    }
    // Only the newest modules that fit in maxBytes (at least one): the rest would be evicted as they were built.
    let from = ix.modules.length, room = this.maxBytes;
    while (from > 0 && (from === ix.modules.length || ix.modules[from - 1].size <= room)) room -= ix.modules[--from].size;
    from = Math.max(from, ix.modules.length - PENDING_IDS); // ids must fit the keys
    this.counts.evicted += from;
    if (this.pending.length + ix.modules.length - from > PENDING_IDS) this.buildAll(); // frees every id
    const made: PendingModule[] = [];
    const blocksOf = new Map<LayoutCode, number>();
    for (let k = from; k < ix.modules.length; k++) {
      const p: PendingModule = { id: this.pending.length, file: ix, k, bucket: this.bucket(ix.modules[k].layout), seq: ++this.seq, built: false };
      this.pending.push(p);
      made.push(p);
      blocksOf.set(p.bucket, (blocksOf.get(p.bucket) ?? 0) + ix.modules[k].blockCount);
    }
    this.pendingLeft += made.length;
    // Each bucket's keys (plo, module): sorted by the bucket when first looked up.
    let blocks = 0;
    for (const [bucket, count] of blocksOf) {
      const keys = new Float64Array(count);
      let n = 0;
      for (const p of made) {
        if (p.bucket !== bucket) continue;
        const m = ix.modules[p.k];
        for (let b = m.firstBlock; b < m.firstBlock + m.blockCount; b++) keys[n++] = ix.plo[b] * PENDING_IDS + p.id;
      }
      bucket.pend(keys);
      blocks += count;
    }
    return blocks;
  }

  /** A new cache holding what a serialized cache holds (empty, after one warning, when the file is not usable). */
  static load(bytes: Uint8Array, options: CodeCacheLoadOptions & CodeCacheOptions = {}): CodeCache {
    const c = new CodeCache(options);
    c.load(bytes, options);
    return c;
  }

  /**
   * Compile the modules that loaded files hold and no lookup has built yet on another thread
   * (`compiler`; default: a worker of their own at nice 10, stopped once all are back), in file order, so
   * that the machine's thread does not validate and compile each at its first use: ~0.7 s of a
   * cold Linux boot with a whole boot's cache. Returns how many modules were sent. A module wanted
   * before it is back compiles here, as without this; one that does not compile is rejected at its
   * use, as ever. When a module arrives changes no machine's state (wasm-engine.ts checks guest
   * bytes at install, whatever compiled the code). Worth it where one machine runs with a loaded
   * cache and a core to spare (`prnr run`, `record`); a replay lane uses a fraction of a boot's
   * modules, and its cores are taken.
   */
  precompile(compiler?: ModuleCompiler): number {
    this.stopPrecompile();
    const todo = this.pending.filter((p) => !p.built);
    if (todo.length === 0) return 0;
    const own = compiler === undefined ? BackgroundCompiler.start(PRECOMPILE_NICE) : null;
    const c = compiler ?? own;
    if (c === null) return 0;
    c.compileAll(todo.map((p) => {
      const m = p.file.modules[p.k];
      return { bytes: p.file.bytes.subarray(m.wasmAt, m.wasmEnd), memoryPages: m.layout.memoryPages, done: (module: object) => this.precompiled(p, module) };
    }));
    this.precompiler = { compiler: c, close: () => own?.close() };
    return todo.length;
  }

  /** @internal Take the modules precompile has compiled so far (cheap when none is new). */
  takePrecompiled(): void {
    const p = this.precompiler;
    if (p === null) return;
    try {
      p.compiler.poll();
    } catch {
      // A module the worker could not compile: compiled (and rejected) here at its first use.
    }
    if (p.compiler.inFlight === 0) this.stopPrecompile();
  }

  /** A module precompile compiled: given to its entry, or kept for it until it is built. */
  private precompiled(p: PendingModule, module: object): void {
    if (p.made === undefined) p.compiled = module;
    else if (p.made !== null && p.made.compiled === null) p.made.compiled = module;
    else return;
    this.counts.precompiled++;
  }

  private stopPrecompile(): void {
    this.precompiler?.close();
    this.precompiler = null;
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

  /** @internal The pending module of an id (LayoutCode's keys). */
  pendingModule(id: number): PendingModule {
    return this.pending[id];
  }

  /** @internal Build a pending module's entries (LayoutCode.find, buildAll). */
  build(p: PendingModule): void {
    if (p.built) return;
    p.built = true;
    if (--this.pendingLeft === 0) this.dropPending();
    const d = readCodeCacheModule(p.file, p.k);
    p.made = p.bucket.add(d.bytes, p.compiled ?? null, d.blocks, p.seq, indexedModuleRecord(p.file, p.k));
    p.compiled = undefined;
  }

  /**
   * Build every pending module, oldest first. No lookup has wanted them, so they go to the least
   * recently used end: a cache saved after a run (serialize) keeps what the run used last.
   */
  private buildAll(): void {
    if (this.pendingLeft === 0) return;
    const used = [...this.lru];
    for (const p of this.pending) this.build(p);
    for (const m of used) if (this.lru.delete(m)) this.lru.add(m);
  }

  /** Forget what is pending (every module of it built, or the cache cleared). */
  private dropPending(): void {
    this.pending = [];
    this.pendingLeft = 0;
    for (const b of this.buckets.values()) b.clearPending();
  }

  /** @internal The place of a module added now. */
  nextSeq(): number {
    return ++this.seq;
  }

  /** @internal A block became findable. */
  blockListed(): void {
    this.blockCount++;
  }

  /** @internal A module was added (its blocks are listed): account for it, then keep within maxBytes. */
  added(m: CachedModule): void {
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
    m.used = ++this.uses;
  }

  /** @internal A module added now by a translation or a snapshot (not built from a file): it counts as used. */
  usedNow(m: CachedModule): void {
    m.used = ++this.uses;
  }
}

/** The blocks of one layout, by virtual pc (low half), newest variant first. */
export class LayoutCode {
  readonly byPc = new Map<number, CachedBlock[]>();
  /**
   * Blocks of loaded files whose modules may not be built yet, as plo * PENDING_IDS + the
   * module's pending id: sorted, so that a lookup finds a pc's modules by binary search
   * (numbers in typed arrays, not a map entry per block: cheap to make at load). `fresh`:
   * keys of files loaded since the last lookup, merged in then.
   */
  private pendingKeys = NO_KEYS;
  private fresh: Float64Array[] = [];
  constructor(readonly cache: CodeCache, readonly layout: WasmLayout) {}

  /** @internal Pending blocks of a loaded file (keys as `pendingKeys`). */
  pend(keys: Float64Array): void {
    this.fresh.push(keys);
  }

  /** @internal Nothing is pending any more. */
  clearPending(): void {
    this.pendingKeys = NO_KEYS;
    this.fresh = [];
  }

  /** Build the pending modules with a block for `plo`, oldest first. */
  private buildPending(plo: number): void {
    if (this.fresh.length !== 0) {
      const all = new Float64Array(this.fresh.reduce((n, k) => n + k.length, this.pendingKeys.length));
      all.set(this.pendingKeys);
      let n = this.pendingKeys.length;
      for (const k of this.fresh) { all.set(k, n); n += k.length; }
      this.pendingKeys = all.sort();
      this.fresh = [];
    }
    const keys = this.pendingKeys, lo = plo * PENDING_IDS, hi = lo + PENDING_IDS;
    let a = 0, b = keys.length;
    while (a < b) { const mid = (a + b) >>> 1; if (keys[mid] < lo) a = mid + 1; else b = mid; }
    if (a === keys.length || keys[a] >= hi) return;
    // Taken first: building the last one forgets every key and id.
    const found: PendingModule[] = [];
    for (; a < keys.length && keys[a] < hi; a++) found.push(this.cache.pendingModule(keys[a] - lo));
    for (const p of found) this.cache.build(p);
  }

  /**
   * The block for virtual pc (plo, phi) whose source is what RAM (`u16`, halfwords) holds at
   * byte offset `off`, and whose chained blocks' sources are there too; null if none.
   * Called when a location gets warm, not per block run.
   */
  find(u16: Uint16Array, off: number, plo: number, phi: number): CachedBlock | null {
    if (this.pendingKeys.length !== 0 || this.fresh.length !== 0) this.buildPending(plo);
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
    if (m.compiled === null) this.cache.takePrecompiled();
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
   * Add a module (block i is function i) and list its blocks, replacing older blocks for the same
   * pc made from the same bytes (sameCode); returns it, or null when its descriptions are inconsistent (then
   * nothing is added). The descriptions are checked so that `find` never reads outside pc's page.
   * `seq`: its place among the cache's modules when given one at load (a pending module), else it is the newest.
   */
  add(bytes: Uint8Array, compiled: object | null, blocks: readonly CodeCacheBlockData[], seq?: number, record?: Uint8Array): CachedModule | null {
    if (blocks.length === 0 || !blocks.every((b) => consistent(b, blocks))) return null;
    const m = new CachedModule(this, bytes, compiled, blocks, seq ?? this.cache.nextSeq(), record);
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
    // A pc's list is newest first, at most VARIANTS_PER_PC, one block per code: the same whatever
    // order modules are built in (a pending module built late goes behind newer ones).
    for (const b of made) {
      const list = this.byPc.get(b.plo) ?? [];
      const same = list.findIndex((o) => o.phi === b.phi && sameCode(o, b));
      if (same >= 0) {
        if (list[same].module.seq > m.seq) { b.live = false; continue; } // a newer one stands for it
        this.unlist(list, same);
      }
      let at = 0;
      while (at < list.length && list[at].module.seq > m.seq) at++;
      if (at >= VARIANTS_PER_PC) { b.live = false; continue; }
      list.splice(at, 0, b);
      if (list.length > VARIANTS_PER_PC) this.unlist(list, list.length - 1);
      // Set after unlisting: unlisting the only block of a pc removes its (now empty) list from the map.
      this.byPc.set(b.plo, list);
      m.live++;
      this.cache.blockListed();
    }
    if (m.live > 0) this.cache.added(m);
    if (seq === undefined) this.cache.usedNow(m);
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
  if (!(b.source instanceof Uint16Array) || !blockFits(b.plo, b.n, b.source.length)) return false;
  if (!Array.isArray(b.chains)) return false;
  for (const j of b.chains) {
    const t = Number.isInteger(j) ? all[j] : undefined;
    if (t === undefined || !samePage(b.plo, b.phi, t.plo, t.phi)) return false;
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

function moduleData(m: CachedModule): CodeCacheModuleData {
  // A module built from a file views the file's bytes: posted as is, the whole file would be cloned with it.
  const whole = m.bytes.byteOffset === 0 && m.bytes.byteLength === m.bytes.buffer.byteLength;
  return {
    layout: m.bucket.layout,
    bytes: whole ? m.bytes : new Uint8Array(m.bytes),
    module: m.compiled,
    blocks: m.blocks.map((b) => ({ plo: b.plo, phi: b.phi, n: b.n, source: b.source, chains: b.chains })),
  };
}

const layoutKey = (l: WasmLayout): string => `${l.memoryPages}:${l.area}:${l.dirtyOffset}:${l.codeOffset}`;
