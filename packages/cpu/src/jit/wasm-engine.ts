/**
 * The 'wasm' engine: hot blocks compiled to WebAssembly (wasm-compiler.ts) in
 * batches, one module per batch, and a dispatcher that runs block after block
 * without coming back to JavaScript.
 *
 * Pieces, all sharing the RAM's WebAssembly memory:
 * - two funcref tables: the slow paths (at SLOW_PATHS indices; block modules
 *   import this one), and the blocks, one slot each (only the hub imports it:
 *   V8 updates every importing instance on each change to a table, so block
 *   modules must not);
 * - a lookup table in memory mirroring BlockCache.lookup (same index): for each
 *   slot, the block's RAM offset, table slot, length and virtual pc;
 * - a hub module: the slow paths as WebAssembly functions calling the hart's
 *   JavaScript ones (they raise AREA_ATTN when the hart asks to stop), the page
 *   walk and TLB refill that the load and store slow paths and the dispatcher
 *   try on a TLB miss before leaving to JavaScript (wasm-walk.ts), and
 *   `dispatch(budget)`, which finds the block for pc through the exec TLB and
 *   the lookup table, runs it, and goes on until pc has no block, the next
 *   block might not fit in the budget, or AREA_ATTN is set;
 * - per block module, its exit table (wasm-compiler.ts): exits into the same
 *   page that are not chained inside the module. The engine points each slot
 *   at the block installed at the exit's target, at the same place of the
 *   physical page where the exiting block is installed (`ExitGroup`), and
 *   back at the hub's `leave` (return to the dispatcher) when that block goes.
 *   A module's blocks of one virtual page are bound to the first physical page
 *   they are installed at; installed at another while still live, their slots
 *   stay on `leave` for good (the chains inside the module would mix pages).
 *   Exits into another page (`FarSlot`) have slots too, each with a guard: the
 *   engine points the slot at a block installed for the target pc, and sets the
 *   guard to that block's RAM offset; the exit takes the slot only where the
 *   exec TLB maps the target pc to that offset (so never in another address
 *   space, or after the page was remapped), else it leaves to the dispatcher.
 *
 * V8 compiles a module with its baseline compiler (Liftoff) in tens of
 * microseconds plus a few per function; importing JavaScript functions into
 * each module would cost several times that (import wrappers), hence the
 * slow-path table.
 *
 * Compiled batches go into a code cache (code-cache.ts) shared by the engines
 * of a thread and kept across machines; a location is looked for there after
 * CODE_CACHE_PROBE_AT jumps, and a cached block whose bytes (and its chained
 * blocks' bytes) are what RAM holds is installed from an instance of its
 * module (one per module per engine) instead of being translated.
 */
import { AREA_ATTN, AREA_PC, AREA_TLB_CURRENT, AREA_X, SET_R_OFF, SET_W_OFF, SET_X_KEY, SET_X_OFF } from '../hart-memory.js';
import { TLB_MASK } from '../tlb.js';
import type { Ram } from '../ram.js';
import { wasmApi } from '../wasm/api.js';
import type { WasmTable } from '../wasm/api.js';
import { FunctionBody, ModuleBuilder, Op, T } from '../wasm/module-builder.js';
import { BlockCache, LOOKUP_MASK } from './block-cache.js';
import type { Block } from './block-cache.js';
import type { CachedModule, CodeCache, LayoutCode } from './code-cache.js';
import { BLOCK_PARAMS, blockModule, chainBatch, compileWasmBlock, guardName, moduleExits, pushTlbHit, pushTlbOffset, SLOW_PATH_COUNT, SLOW_PATHS } from './wasm-compiler.js';
import type { ChainStub, ExitSlot, WasmLayout } from './wasm-compiler.js';
import type { WasmInstance } from '../wasm/api.js';
import type { WalkLayout } from './wasm-walk.js';
import type { ModuleCompiler } from './background-compiler.js';
import { refillBody, REFILL_PARAMS } from './wasm-walk.js';

/**
 * Jumps to a location before it is translated (default). Chosen by measurement
 * on the Linux boot (BENCHMARKS.md §1b): 8 to 512 gave the same boot time
 * within noise; lower thresholds translate more code that runs only a few
 * times, higher ones interpret more.
 */
export const WASM_HOT_THRESHOLD = 32;

/**
 * Jumps to a location before the engine looks for it in its code cache (when the translation
 * threshold is higher). A cached block costs a lookup and a table slot, so it pays off early;
 * a miss costs a Map lookup and leaves the location to the usual threshold.
 */
export const CODE_CACHE_PROBE_AT = 2;

/** What the generated code calls: the hart's slow paths, with step positions counted from the dispatcher's entry. */
export interface WasmSlowPaths {
  load(vlo: number, vhi: number, f3: number, rd: number, plo: number, phi: number, steps: number): boolean;
  store(vlo: number, vhi: number, size: number, lo: number, hi: number, plo: number, phi: number, steps: number): boolean;
  slow(insn: number, plo: number, phi: number, steps: number): boolean;
  codeWritten(page: number): void;
  system(insn: number, plo: number, phi: number, nlo: number, nhi: number, steps: number): boolean;
}

/**
 * Blocks compiled per module. A module costs tens of microseconds on top of its
 * functions, so hot blocks wait (interpreted) until this many are ready, or
 * until one of them has been asked for PENDING_MISSES times.
 */
const BATCH = 32;
const PENDING_MISSES = 64;
/**
 * Batches queued at most for the background compiler; a batch beyond compiles here at once. On a
 * loaded machine the worker thread can fall behind (a Linux boot measured batches waiting 0.1-0.4
 * s, their blocks interpreted meanwhile): then compiling here is the faster way to run them.
 */
const MAX_QUEUED = 4;

interface Pending {
  off: number; plo: number; phi: number; n: number;
  body: FunctionBody;
  stubs: ChainStub[];
  /** The guest code it was made from: checked again when the batch is compiled. */
  source: Uint16Array;
}

// Lookup entry: off | 1 (i32) @0, slot | n << 24 (i32) @4, pc (i64) @8. pc = 1 (odd) marks an entry
// emptied. A new table is left all zero, which no lookup matches (off | 1 is never 0), so it is not
// written at start: 4 MiB of fresh memory, ~1,000 page faults per engine on the VMs measured.
const ENTRY_BYTES = 16;
const EMPTY_PC_LO = 1;

/** An instance of a block module, with its exit table. */
interface BlockInstance {
  readonly instance: WasmInstance;
  readonly exits: WasmTable;
  /** Per block (function index): the exit group of its virtual page, or null when that page's blocks have no exit slots. */
  readonly groups: readonly (ExitGroup | null)[];
  /** Per block (function index): its exits into other pages. */
  readonly far: readonly (readonly FarSlot[])[];
}

/** The exit-table slot of an exit into another page, in one instance (wasm-compiler.ts, farExitCode). */
interface FarSlot {
  readonly exits: WasmTable;
  readonly slot: number;
  /** The target pc. */
  readonly lo: number;
  readonly hi: number;
  /** The instance's global the exit compares the target's RAM offset with (-1: never equal). */
  readonly guard: { value: number };
  /** Installed blocks that exit through it: while there are any, it is listed in `farWants`. */
  users: number;
  /** RAM offset of the block it points at (its guard's value); -1: it is on `leave`. */
  target: number;
}

/** The blocks of one instance in one virtual page, and the exit slots they use. */
interface ExitGroup {
  readonly exits: WasmTable;
  readonly slots: { readonly slot: number; readonly lo: number; readonly hi: number }[];
  /** RAM page number its blocks are installed at (their exits' targets lie there); -1: none yet. */
  page: number;
  /** Its slots are listed in `wants` (from its page's first install to the page's invalidation). */
  registered: boolean;
  /** Installed at a second page while live: its slots stay on `leave`. */
  multi: boolean;
}

/** An exit slot waiting for the block at RAM offset `off` with virtual pc (lo, hi). */
interface Want {
  readonly exits: WasmTable;
  readonly slot: number;
  readonly lo: number;
  readonly hi: number;
  readonly off: number;
}

export class WasmEngine {
  /** Blocks by location; a block's `fn` is its table slot. */
  readonly cache: BlockCache<number>;
  /** Blocks this engine translated and compiled, and blocks it installed from the code cache. */
  translated = 0;
  fromCache = 0;
  /** Run translated blocks from pc (in the hart's area) for at most `budget` steps; returns the steps taken. */
  readonly dispatch: (budget: number) => number;
  /** The WebAssembly page walk and TLB refill (wasm-walk.ts), exported for its differential test. */
  readonly refill: (vlo: number, vhi: number, access: number) => number;
  private readonly blockTable: WasmTable;
  /** The block table's functions by slot (what exit tables are pointed at). */
  private readonly fns: unknown[] = [];
  private readonly freeSlots: number[] = [];
  /** The hub's function an exit slot holds when no block is there: back to the dispatcher. */
  private readonly leave: unknown;
  /** Exit slots by their target's RAM offset, and the registered exit groups by RAM page. */
  private readonly wants = new Map<number, Want[]>();
  private readonly groupsByPage = new Map<number, ExitGroup[]>();
  /** Far slots in use by the low half of their target pc, and the bound ones by their target's RAM offset. */
  private readonly farWants = new Map<number, FarSlot[]>();
  private readonly farBound = new Map<number, FarSlot[]>();
  /** Per block-table slot: the far slots of the block installed there. */
  private readonly farOf: (readonly FarSlot[] | undefined)[] = [];
  /** The memory as words and doubles: the exec TLB, read where a far slot is first used. */
  private readonly memI32: Int32Array;
  private readonly memF64: Float64Array;
  private readonly area: number;
  private readonly slowTable: WasmTable;
  private readonly memory: unknown;
  private readonly statsI32: Int32Array;
  private readonly lookupI32: Int32Array;
  private readonly layout: WasmLayout;
  private readonly u16: Uint16Array;
  /** Translated blocks waiting for their batch, by RAM offset. */
  private readonly pending = new Map<number, Pending>();
  private pendingMisses = 0;
  /** Where batches compile off this thread (null: on it, in `flush`). */
  private readonly compiler: ModuleCompiler | null;
  /** Blocks whose batch is compiling there, by RAM offset. */
  private readonly compiling = new Map<number, Pending>();
  /** Bumped by `clear`: a batch started before is not installed (it still goes into the code cache). */
  private generation = 0;
  /** This layout's part of the code cache (null: no cache). */
  private readonly codeCache: LayoutCode | null;
  /** Instances of cached modules made here: each module is instantiated at most once per engine. */
  private readonly instances = new WeakMap<CachedModule, BlockInstance>();
  /** Per lookup index: the code cache was asked already, translation waits for the full threshold. */
  private readonly asked = new Uint8Array(LOOKUP_MASK + 1);

  /**
   * @param threshold jumps to a location before it is translated
   * @param codeCache where compiled modules are kept for other machines, and looked for first
   *   (after CODE_CACHE_PROBE_AT jumps); null: none
   * @param pageMaps the hart's watched-page maps (views into the RAM's memory), which the
   *   WebAssembly page walk reads
   * @param compiler where batches compile while the machine runs on (background-compiler.ts);
   *   null: on this thread, when the batch is full
   */
  constructor(ram: Ram, area: number, slow: WasmSlowPaths, threshold: number, codeCache: CodeCache | null, pageMaps: { watched: Uint8Array; readWatched: Uint8Array }, compiler: ModuleCompiler | null = null) {
    this.compiler = compiler;
    const memoryPages = ram.buffer.byteLength / 65536;
    const lookupAt = ram.allocScratch((LOOKUP_MASK + 1) * ENTRY_BYTES);
    const statsAt = ram.allocScratch(8);
    this.statsI32 = new Int32Array(ram.buffer, statsAt, 2);
    this.lookupI32 = new Int32Array(ram.buffer, lookupAt, (LOOKUP_MASK + 1) * (ENTRY_BYTES >>> 2));
    this.memI32 = new Int32Array(ram.buffer);
    this.memF64 = new Float64Array(ram.buffer);
    this.area = area;
    const slowTable = new wasmApi.Table({ initial: SLOW_PATH_COUNT, element: 'anyfunc' });
    this.slowTable = slowTable;
    this.memory = ram.memory;
    this.blockTable = new wasmApi.Table({ initial: 1024, element: 'anyfunc' });
    for (let i = this.blockTable.length - 1; i >= 0; i--) this.freeSlots.push(i);
    if (pageMaps.watched.buffer !== ram.buffer || pageMaps.readWatched.buffer !== ram.buffer) throw new Error('WasmEngine: the watched-page maps must lie in the RAM\'s memory');
    const walk: WalkLayout = {
      area, ramBase: ram.base, ramSize: ram.size, dirtyOffset: ram.dirtyOffset, codeOffset: ram.codeOffset,
      watchedOffset: pageMaps.watched.byteOffset, readWatchedOffset: pageMaps.readWatched.byteOffset,
    };
    const hub = new wasmApi.Instance(new wasmApi.Module(hubModule(memoryPages, area, lookupAt, walk, statsAt)), {
      env: {
        memory: ram.memory,
        table: this.blockTable,
        load: slow.load,
        store: slow.store,
        slow: slow.slow,
        codeWritten: (page: number) => { slow.codeWritten(page); return 1; },
        system: slow.system,
      },
    });
    for (const name of Object.keys(SLOW_PATHS) as (keyof typeof SLOW_PATHS)[]) slowTable.set(SLOW_PATHS[name].index, hub.exports[name]);
    this.dispatch = hub.exports.dispatch as (budget: number) => number;
    this.refill = hub.exports.refill as (vlo: number, vhi: number, access: number) => number;
    this.leave = hub.exports.leave;

    this.layout = { memoryPages, area, dirtyOffset: ram.dirtyOffset, codeOffset: ram.codeOffset };
    this.u16 = ram.u16;
    this.codeCache = codeCache?.bucket(this.layout) ?? null;
    // Counts start at threshold - probeAt: `request` is called after probeAt jumps, asks the
    // cache, and on a miss sets the count back so that translation still waits for `threshold`.
    const probeAt = this.codeCache === null ? threshold : Math.min(threshold, CODE_CACHE_PROBE_AT);
    this.cache = new BlockCache<number>(ram.code, threshold, {
      installed: (b, li) => this.install(b, li),
      removed: (b, li) => this.remove(b, li),
      pageDropped: (page) => this.pageDropped(page),
    }, threshold - probeAt);
  }

  /** Blocks entered by the dispatcher (not by chains) since this engine was made: each is one trip through it. */
  get dispatcherTrips(): number {
    return this.statsI32[0] >>> 0; // HOT counter, i32 (wraps after 2^32)
  }

  /**
   * pc (RAM offset `off`, virtual plo/phi) is warm and has no block: install the code cache's
   * block for it, or, once it is hot (`threshold` jumps), translate it. Returns true when a
   * block for it is now installed (from the cache, or its batch was compiled), false when it
   * waits or has nothing translatable.
   */
  request(off: number, plo: number, phi: number): boolean {
    if (this.compiling.size !== 0 && this.compiling.has(off)) return false;
    const p = this.pending.get(off);
    if (p !== undefined) {
      if (++this.pendingMisses < PENDING_MISSES) return false;
    } else {
      if (this.codeCache !== null) {
        if (this.installCached(off, plo, phi)) return true;
        const li = (off >>> 1) & LOOKUP_MASK;
        const early = this.cache.hotStart;
        if (early > 0 && this.asked[li] === 0) {
          // Asked early and missed: wait for the rest of the threshold (asking again then).
          this.asked[li] = 1;
          this.cache.hot[li] = this.cache.threshold - early;
          return false;
        }
      }
      const c = compileWasmBlock(this.u16, off, plo, phi, this.layout);
      if (c.body === null) {
        this.cache.insert(off, plo, phi, 0, null);
        return false;
      }
      const source = this.u16.slice(off >>> 1, (off + c.bytes) >>> 1);
      this.pending.set(off, { off, plo, phi, n: c.n, body: c.body, stubs: c.stubs, source });
      if (this.pending.size < BATCH) return false;
    }
    this.flush();
    const b = this.cache.lookup[(off >>> 1) & LOOKUP_MASK];
    return b !== undefined && b.off === off && b.plo === plo && b.phi === phi && b.fn !== null;
  }

  /**
   * Compile the waiting blocks whose guest code is unchanged in one module and install them: now,
   * or, with a background compiler, once the module is ready (`poll`).
   */
  flush(): void {
    const ready: Pending[] = [];
    for (const p of this.pending.values()) if (holds(this.u16, p.off, p.source)) ready.push(p);
    this.pending.clear();
    this.pendingMisses = 0;
    if (ready.length === 0) return;
    const { chains, exits } = chainBatch(ready);
    const bytes = blockModule(this.layout, ready.map((p) => p.body), exits);
    if (this.compiler === null || this.compiler.inFlight >= MAX_QUEUED) {
      this.compiled(bytes, new wasmApi.Module(bytes), ready, chains, exits, ready.map(() => true));
      return;
    }
    for (const p of ready) this.compiling.set(p.off, p);
    const generation = this.generation;
    this.compiler.compile(bytes, this.layout.memoryPages, (module) => {
      for (const p of ready) if (this.compiling.get(p.off) === p) this.compiling.delete(p.off);
      this.compiled(bytes, module, ready, chains, exits, generation === this.generation ? this.stillHeld(ready, chains) : ready.map(() => false));
    });
  }

  /** Batches compiling off this thread. */
  get inFlight(): number {
    return this.compiling.size;
  }

  /**
   * Install the batches the background compiler has finished (of every engine it serves);
   * returns true when any was. Cheap when none has: the dispatch loop calls it whenever pc
   * has no block while batches are in flight.
   */
  poll(): boolean {
    const before = this.translated;
    this.compiler?.poll();
    return this.translated !== before;
  }

  /**
   * Per block of a batch compiled in the background: RAM still holds the code it was made from,
   * its own and that of every block it chains into (transitively). The module was built from
   * that code; pages are flagged in Ram.code only for installed blocks, so a write while it
   * compiled is seen here, not by invalidation.
   */
  private stillHeld(ready: readonly Pending[], chains: readonly number[][]): boolean[] {
    const ok = ready.map((p) => holds(this.u16, p.off, p.source));
    for (let changed = true; changed;) {
      changed = false;
      ready.forEach((_, i) => {
        if (ok[i] && chains[i].some((j) => !ok[j])) { ok[i] = false; changed = true; }
      });
    }
    return ok;
  }

  /** A batch's module is compiled: keep it in the code cache and install the blocks `install` says. */
  private compiled(bytes: Uint8Array, module: object, ready: readonly Pending[], chains: number[][], exits: readonly ExitSlot[], install: readonly boolean[]): void {
    const m = this.codeCache?.add(bytes, module, ready.map((p, i) => ({ plo: p.plo, phi: p.phi, n: p.n, source: p.source, chains: chains[i] }))) ?? null;
    if (!install.includes(true)) return;
    const bi = this.instantiate(module, ready, exits);
    if (m !== null) this.instances.set(m, bi);
    ready.forEach((p, i) => {
      if (!install[i]) return;
      this.translated++;
      this.installFn(p.off, p.plo, p.phi, p.n, bi, i);
    });
  }

  /** An instance of a block module (blocks: each function's virtual pc) with an exit table of its own, every slot on `leave`. */
  private instantiate(module: object, blocks: readonly { plo: number; phi: number }[], exits: readonly ExitSlot[]): BlockInstance {
    const table = new wasmApi.Table({ initial: Math.max(1, exits.length), element: 'anyfunc' }, this.leave);
    const instance = new wasmApi.Instance(module, { env: { memory: this.memory, table: this.slowTable, exits: table } });
    const byPage = new Map<string, ExitGroup>();
    const key = (i: number) => `${blocks[i].phi}:${blocks[i].plo >>> 12}`;
    const far = blocks.map((): FarSlot[] => []);
    let guards = 0;
    exits.forEach((e, slot) => {
      if (e.far) {
        const guard = instance.exports[guardName(guards++)] as { value: number };
        far[e.block].push({ exits: table, slot, lo: e.lo, hi: e.hi, guard, users: 0, target: -1 });
        return;
      }
      let g = byPage.get(key(e.block));
      if (g === undefined) { g = { exits: table, slots: [], page: -1, registered: false, multi: false }; byPage.set(key(e.block), g); }
      g.slots.push({ slot, lo: e.lo, hi: e.hi });
    });
    return { instance, exits: table, groups: blocks.map((_, i) => byPage.get(key(i)) ?? null), far };
  }

  /**
   * Install the code cache's block for this location, if it has one made from the bytes RAM
   * holds here (and at the blocks it chains into). Returns true when installed.
   */
  private installCached(off: number, plo: number, phi: number): boolean {
    const b = this.codeCache!.find(this.u16, off, plo, phi);
    if (b === null) return false;
    let bi = this.instances.get(b.module);
    if (bi === undefined) {
      const module = this.codeCache!.compiled(b.module);
      if (module === null) return false;
      try {
        bi = this.instantiate(module, b.module.blocks, moduleExits(module));
      } catch {
        return false; // cannot happen for a module of this layout and translator; translate rather than fail
      }
      this.instances.set(b.module, bi);
    }
    if (typeof bi.instance.exports[String(b.index)] !== 'function') return false;
    this.fromCache++;
    this.installFn(off, plo, phi, b.n, bi, b.index);
    return true;
  }

  /** Install function `index` of `bi` as the block at `off`, and bind its exit group to that page. */
  private installFn(off: number, plo: number, phi: number, n: number, bi: BlockInstance, index: number): void {
    const fn = bi.instance.exports[String(index)];
    const slot = this.freeSlots.pop() ?? this.growBlockTable();
    this.blockTable.set(slot, fn);
    this.fns[slot] = fn;
    this.cache.insert(off, plo, phi, n, slot);
    const far = bi.far[index];
    if (far.length !== 0) {
      this.farOf[slot] = far;
      for (const s of far) if (s.users++ === 0) this.wantFar(s);
    }
    const g = bi.groups[index];
    if (g === null || g.multi) return;
    const page = off >>> 12;
    if (!g.registered) {
      // First install, or its page was invalidated since (nothing of the group was reachable then).
      g.page = page;
      this.register(g);
    } else if (g.page !== page) {
      this.unregister(g);
      g.multi = true;
    }
  }

  /** List the group's slots as waiting for their targets in its page, and point them at the blocks there now. */
  private register(g: ExitGroup): void {
    const lookup = this.cache.lookup;
    for (const s of g.slots) {
      const off = g.page * 4096 + (s.lo & 0xfff);
      let list = this.wants.get(off);
      if (list === undefined) { list = []; this.wants.set(off, list); }
      list.push({ exits: g.exits, slot: s.slot, lo: s.lo, hi: s.hi, off });
      const b = lookup[(off >>> 1) & LOOKUP_MASK];
      if (b !== undefined && b.off === off && b.plo === s.lo && b.phi === s.hi && b.fn !== null) g.exits.set(s.slot, this.fns[b.fn]);
    }
    g.registered = true;
    let list = this.groupsByPage.get(g.page);
    if (list === undefined) { list = []; this.groupsByPage.set(g.page, list); }
    list.push(g);
  }

  /** Unlist the group's slots and put them back on `leave` (the caller unlists the group from groupsByPage). */
  private unregister(g: ExitGroup): void {
    for (const s of g.slots) {
      const off = g.page * 4096 + (s.lo & 0xfff);
      const list = this.wants.get(off);
      if (list !== undefined) {
        const i = list.findIndex((w) => w.exits === g.exits && w.slot === s.slot);
        if (i >= 0) list.splice(i, 1);
        if (list.length === 0) this.wants.delete(off);
      }
      g.exits.set(s.slot, this.leave);
    }
    g.registered = false;
    const list = this.groupsByPage.get(g.page);
    if (list !== undefined) {
      const i = list.indexOf(g);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) this.groupsByPage.delete(g.page);
    }
  }

  /** List far slot `s` as waiting for blocks at its target pc, and point it at the one the exec TLB leads to now, if any. */
  private wantFar(s: FarSlot): void {
    let list = this.farWants.get(s.lo);
    if (list === undefined) { list = []; this.farWants.set(s.lo, list); }
    list.push(s);
    const off = this.mappedOff(s.lo, s.hi);
    if (off < 0) return;
    const b = this.cache.lookup[(off >>> 1) & LOOKUP_MASK];
    if (b !== undefined && b.off === off && b.plo === s.lo && b.phi === s.hi && b.fn !== null) this.bindFar(s, b);
  }

  private unwantFar(s: FarSlot): void {
    const list = this.farWants.get(s.lo);
    if (list !== undefined) {
      list.splice(list.indexOf(s), 1);
      if (list.length === 0) this.farWants.delete(s.lo);
    }
    this.unbindFar(s);
  }

  /** Point far slot `s` at installed block `b` (the latest block installed for its pc wins). */
  private bindFar(s: FarSlot, b: Block<number>): void {
    if (s.target === b.off) return; // b is the block there: a block's removal unbinds its slots
    this.unbindFar(s);
    s.exits.set(s.slot, this.fns[b.fn!]);
    s.guard.value = b.off;
    s.target = b.off;
    let list = this.farBound.get(b.off);
    if (list === undefined) { list = []; this.farBound.set(b.off, list); }
    list.push(s);
  }

  private unbindFar(s: FarSlot): void {
    if (s.target < 0) return;
    const list = this.farBound.get(s.target)!;
    list.splice(list.indexOf(s), 1);
    if (list.length === 0) this.farBound.delete(s.target);
    s.guard.value = -1;
    s.exits.set(s.slot, this.leave);
    s.target = -1;
  }

  /** The RAM offset the exec TLB of the current privilege level maps virtual pc (lo, hi) to; -1: not mapped there. */
  private mappedOff(lo: number, hi: number): number {
    const set = this.memI32[(this.area + AREA_TLB_CURRENT) >>> 2];
    const idx = (lo >>> 12) & TLB_MASK;
    if (this.memF64[(set + SET_X_KEY + 8 * idx) >>> 3] !== hi * 1048576 + (lo >>> 12)) return -1;
    return this.memI32[(set + SET_X_OFF + 4 * idx) >>> 2] + (lo & 0xfff);
  }

  /** A page was written (or everything dropped, page -1): its groups' blocks are unreachable; unlist them. */
  private pageDropped(page: number): void {
    const groups = page === -1 ? [...this.groupsByPage.values()].flat() : [...(this.groupsByPage.get(page) ?? [])];
    for (const g of groups) this.unregister(g);
  }

  /** Drop every block, installed, waiting or compiling. */
  clear(): void {
    this.pending.clear();
    this.pendingMisses = 0;
    this.compiling.clear();
    this.generation++;
    this.cache.clear();
    this.asked.fill(0);
  }

  /** Double the block table (growing by one slot at a time costs a copy each); returns a free slot. */
  private growBlockTable(): number {
    const old = this.blockTable.length;
    this.blockTable.grow(old);
    for (let i = 2 * old - 1; i > old; i--) this.freeSlots.push(i);
    return old;
  }

  private install(b: Block<number>, li: number): void {
    this.asked[li] = 0; // its count starts again (BlockCache.insert)
    const e = li * (ENTRY_BYTES >>> 2);
    if (b.fn === null) { this.lookupI32[e + 2] = EMPTY_PC_LO; return; }
    this.lookupI32[e] = b.off | 1;
    this.lookupI32[e + 1] = b.fn | (b.n << 24);
    this.lookupI32[e + 2] = b.plo;
    this.lookupI32[e + 3] = b.phi;
    const wants = this.wants.get(b.off);
    if (wants !== undefined) for (const w of wants) if (w.lo === b.plo && w.hi === b.phi) w.exits.set(w.slot, this.fns[b.fn]);
    const far = this.farWants.get(b.plo);
    if (far !== undefined) for (const s of far) if (s.hi === b.phi) this.bindFar(s, b);
  }

  private remove(b: Block<number>, li: number): void {
    this.lookupI32[li * (ENTRY_BYTES >>> 2) + 2] = EMPTY_PC_LO;
    if (b.fn !== null) {
      const wants = this.wants.get(b.off);
      if (wants !== undefined) for (const w of wants) if (w.lo === b.plo && w.hi === b.phi) w.exits.set(w.slot, this.leave);
      const bound = this.farBound.get(b.off);
      if (bound !== undefined) for (const s of [...bound]) this.unbindFar(s);
      const far = this.farOf[b.fn];
      if (far !== undefined) {
        this.farOf[b.fn] = undefined;
        for (const s of far) if (--s.users === 0) this.unwantFar(s);
      }
      this.blockTable.set(b.fn, null); // lets the block's module be collected
      this.fns[b.fn] = undefined;
      this.freeSlots.push(b.fn);
    }
  }
}

/** The hub: slow-path functions for the slow-path table (calling the hart's JavaScript ones) and the dispatcher (over the block table). */
function hubModule(memoryPages: number, area: number, lookupAt: number, walk: WalkLayout, statsAt: number): Uint8Array {
  const m = new ModuleBuilder(memoryPages);
  m.importTable('table', 1);
  const i32s = (n: number) => new Array<T>(n).fill(T.i32);
  const names = Object.keys(SLOW_PATHS) as (keyof typeof SLOW_PATHS)[];
  for (const n of names) m.typeIndex(i32s(SLOW_PATHS[n].params), [T.i32]); // same type indices as block modules
  const blockType = m.typeIndex(BLOCK_PARAMS, [T.i32]);
  for (const n of names) m.importFunction(`${n}`, i32s(SLOW_PATHS[n].params), [T.i32]);
  const refill = m.addFunction('refill', REFILL_PARAMS, [T.i32], refillBody(walk));
  for (const n of names) {
    // [load, store: an aligned access whose page the WebAssembly walk puts in the TLB is done
    // here;] else r = hart's slow path(...); if (r) attn = 1; return r
    const params = i32s(SLOW_PATHS[n].params);
    const f = new FunctionBody(params);
    const r = f.local(T.i32);
    if (n === 'load') loadAfterRefill(f, area, refill);
    if (n === 'store') storeAfterRefill(f, area, walk, refill, r);
    for (let i = 0; i < params.length; i++) f.get(i);
    f.call(SLOW_PATHS[n].index).tee(r);
    f.open(Op.if).i32(0).i32(1).mem(Op.i32_store, area + AREA_ATTN, 2).op(Op.end);
    f.get(r);
    m.addFunction(n, params, [T.i32], f);
  }

  const f = new FunctionBody([T.i32]);
  const budget = 0;
  const steps = f.local(T.i32), set = f.local(T.i32), idx = f.local(T.i32), off = f.local(T.i32), e = f.local(T.i32), w = f.local(T.i32);
  const pc = f.local(T.i64), p = f.local(T.i64);
  const leaveIf = () => f.open(Op.if).get(steps).op(Op.return).op(Op.end);
  f.open(Op.loop);
  f.i32(0).mem(Op.i64_load, area + AREA_PC, 3).set(pc);
  f.i32(0).mem(Op.i32_load, area + AREA_TLB_CURRENT, 2).set(set);
  // Exec TLB: the page of pc must be there, or be filled by the WebAssembly walk (else the
  // interpreter walks). Only when a step is left in the budget: the interpreter would fetch
  // from pc before stopping, so the walk's A bit update happens at the same position.
  const tlb = { addr: pc, vpn: p, idx, set };
  pushTlbHit(f, tlb, SET_X_KEY);
  f.op(Op.i32_eqz).open(Op.if);
  f.get(budget).get(steps).op(Op.i32_le_s);
  leaveIf();
  f.get(pc).op(Op.i32_wrap_i64).get(pc).i64(32, 0).op(Op.i64_shr_u).op(Op.i32_wrap_i64).i32(2).call(refill).op(Op.i32_eqz);
  leaveIf();
  f.op(Op.end);
  pushTlbOffset(f, tlb, SET_X_OFF);
  f.set(off);
  // Lookup entry for that RAM offset: same offset and same virtual pc, or no block.
  f.get(off).i32(1).op(Op.i32_shr_u).i32(LOOKUP_MASK).op(Op.i32_and).i32(4).op(Op.i32_shl).set(e);
  f.get(e).mem(Op.i64_load, lookupAt + 8, 3).get(pc).op(Op.i64_ne);
  leaveIf();
  f.get(e).mem(Op.i32_load, lookupAt, 2).get(off).i32(1).op(Op.i32_or).op(Op.i32_ne);
  leaveIf();
  f.get(e).mem(Op.i32_load, lookupAt + 4, 2).set(w);
  // A whole pass must fit in the budget.
  f.get(steps).get(w).i32(24).op(Op.i32_shr_u).op(Op.i32_add).get(budget).op(Op.i32_gt_s);
  leaveIf();
  f.i32(0).i32(0).mem(Op.i32_load, statsAt, 2).i32(1).op(Op.i32_add).mem(Op.i32_store, statsAt, 2);
  f.get(budget).get(steps).get(w).i32(0xffffff).op(Op.i32_and).callIndirect(blockType).set(steps);
  f.i32(0).mem(Op.i32_load, area + AREA_ATTN, 2);
  leaveIf();
  f.br(Op.br, 0);
  f.op(Op.end).op(Op.unreachable);
  m.addFunction('dispatch', [T.i32], [T.i32], f);
  // leave(budget, done) -> done: what an exit-table slot holds where no block is (the exit stored pc).
  m.addFunction('leave', BLOCK_PARAMS, [T.i32], new FunctionBody(BLOCK_PARAMS).get(1));
  return m.encode();
}

/** The RAM offset of (vlo), from the entry of the current TLB set's array at `offOff` (after a hit or refill). */
function pushRamOffset(f: FunctionBody, area: number, offOff: number): void {
  f.get(0).i32(12).op(Op.i32_shr_u).i32(TLB_MASK).op(Op.i32_and).i32(2).op(Op.i32_shl);
  f.i32(0).mem(Op.i32_load, area + AREA_TLB_CURRENT, 2).op(Op.i32_add).mem(Op.i32_load, offOff, 2);
  f.get(0).i32(0xfff).op(Op.i32_and).op(Op.i32_add);
}

/**
 * The load slow path's first try (vlo, vhi, f3, rd, ...): when the access is aligned and the
 * WebAssembly walk fills the read TLB for it, load from RAM into x[rd] as translated code does
 * on a hit, and return 0. (Misaligned accesses and everything refill declines go on to the hart.)
 */
function loadAfterRefill(f: FunctionBody, area: number, refill: number): void {
  const ops = [Op.i64_load8_s, Op.i64_load16_s, Op.i64_load32_s, Op.i64_load, Op.i64_load8_u, Op.i64_load16_u, Op.i64_load32_u];
  // aligned: (vlo & (size - 1)) == 0, size = 1 << (f3 & 3)
  f.get(0).i32(1).get(2).i32(3).op(Op.i32_and).op(Op.i32_shl).i32(1).op(Op.i32_sub).op(Op.i32_and).op(Op.i32_eqz);
  f.open(Op.if);
  f.get(0).get(1).i32(0).call(refill);
  f.open(Op.if);
  for (let f3 = 0; f3 < ops.length; f3++) {
    // if (f3 == k) { if (rd) x[rd] = load_k(off) }: rd != 0 is checked after the load's address
    // is known, as the hart reads before it writes rd.
    f.get(2).i32(f3).op(Op.i32_eq).open(Op.if);
    f.get(3).open(Op.if);
    f.get(3).i32(3).op(Op.i32_shl);
    pushRamOffset(f, area, SET_R_OFF);
    f.mem(ops[f3], 0, 0).mem(Op.i64_store, area + AREA_X, 3);
    f.op(Op.end);
    f.i32(0).op(Op.return);
    f.op(Op.end);
  }
  f.op(Op.end);
  f.op(Op.end);
}

/**
 * The store slow path's first try (vlo, vhi, size, lo, hi, ...): as loadAfterRefill, through the
 * write TLB; the page is marked dirty, and a page holding translated code has it dropped by the
 * hart (codeWritten), after which the block leaves (returns 1, as the hart's store would).
 */
function storeAfterRefill(f: FunctionBody, area: number, walk: WalkLayout, refill: number, r: number): void {
  const ops: Record<number, Op> = { 1: Op.i64_store8, 2: Op.i64_store16, 4: Op.i64_store32, 8: Op.i64_store };
  const o = r; // the RAM offset, in the wrapper's local until the JavaScript call needs it
  f.get(0).get(2).i32(1).op(Op.i32_sub).op(Op.i32_and).op(Op.i32_eqz);
  f.open(Op.if);
  f.get(0).get(1).i32(1).call(refill);
  f.open(Op.if);
  pushRamOffset(f, area, SET_W_OFF);
  f.set(o);
  for (const size of [1, 2, 4, 8]) {
    f.get(2).i32(size).op(Op.i32_eq).open(Op.if);
    f.get(o).get(4).op(Op.i64_extend_i32_u).i64(32, 0).op(Op.i64_shl).get(3).op(Op.i64_extend_i32_u).op(Op.i64_or).mem(ops[size], 0, 0);
    f.op(Op.end);
  }
  f.get(o).i32(12).op(Op.i32_shr_u).i32(1).mem(Op.i32_store8, walk.dirtyOffset, 0);
  f.get(o).i32(12).op(Op.i32_shr_u).mem(Op.i32_load8_u, walk.codeOffset, 0);
  f.open(Op.if);
  f.get(o).i32(12).op(Op.i32_shr_u).call(SLOW_PATHS.codeWritten.index).op(Op.drop);
  f.i32(0).i32(1).mem(Op.i32_store, area + AREA_ATTN, 2).i32(1).op(Op.return);
  f.op(Op.end);
  f.i32(0).op(Op.return);
  f.op(Op.end);
  f.op(Op.end);
}

/** RAM (`u16`, halfwords) holds `src` at byte offset `off`. */
function holds(u16: Uint16Array, off: number, src: Uint16Array): boolean {
  const at = off >>> 1;
  for (let i = 0; i < src.length; i++) if (u16[at + i] !== src[i]) return false;
  return true;
}
