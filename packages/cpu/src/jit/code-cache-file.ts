/**
 * The code cache file (CodeCache.serialize / CodeCache.load): reader and
 * writer, so they cannot drift. All numbers little-endian.
 *
 * Header (20 bytes):
 *   0  magic "PRNRCODE" (8 bytes)
 *   8  u32 format version (CODE_CACHE_VERSION; a reader takes only its own)
 *  12  u32 content length in bytes (detects truncation and trailing bytes)
 *  16  u32 CRC-32 (IEEE 802.3) of the content
 * Content:
 *   u32 translator fingerprint (translator-fingerprint.ts: the file holds code
 *       only this translator would have made)
 *   u32 module count, then per module:
 *     u32 memoryPages, area, dirtyOffset, codeOffset (the WasmLayout it was made for)
 *     u32 wasm length, the wasm module's bytes
 *     u32 block count, then per block (function i of the module is block i):
 *       i32 plo, i32 phi (virtual pc), u8 n (steps of one pass),
 *       u8 chain count, u16 source length in halfwords,
 *       the source halfwords (guest code the block was made from, from pc on),
 *       u16 per chain (function index of the module it tail-calls)
 */
import { crc32 as zlibCrc32 } from 'node:zlib';
import { MAX_BLOCK_INSNS } from './wasm-compiler.js';
import type { WasmLayout } from './wasm-compiler.js';

export const CODE_CACHE_MAGIC = 'PRNRCODE';
/** Bump on any change to this layout. */
export const CODE_CACHE_VERSION = 1;
const HEADER_BYTES = 20;

/** One block of a cached module, as stored and as posted between threads. */
export interface CodeCacheBlockData {
  /** Virtual pc the block was translated for (int32 halves). */
  readonly plo: number;
  readonly phi: number;
  /** Steps of one pass (1..MAX_BLOCK_INSNS). */
  readonly n: number;
  /** The guest code it was made from (halfwords from pc on; within pc's page). */
  readonly source: Uint16Array;
  /** Functions of the same module its exits tail-call (their bytes must match as well). */
  readonly chains: readonly number[];
}

/** One compiled batch: a WebAssembly module and its blocks (block i is the module's function i, export "i"). */
export interface CodeCacheModuleData {
  readonly layout: WasmLayout;
  /** The module's wasm bytes. */
  readonly bytes: Uint8Array;
  /** The compiled WebAssembly.Module when there is one (it can be posted to threads of the same process), else null. */
  readonly module: object | null;
  readonly blocks: readonly CodeCacheBlockData[];
}

/** A code cache's content as plain, structured-clonable data (CodeCache.snapshot / merge). */
export interface CodeCacheSnapshot {
  /** CODE_CACHE_VERSION of the writer. */
  readonly version: number;
  /** Translator fingerprint of the writer. */
  readonly translator: number;
  readonly modules: readonly CodeCacheModuleData[];
}

/** Bytes of a module's record before its wasm: the layout (4 x u32) and the wasm length (u32). */
const MODULE_HEAD_BYTES = 20;

/**
 * One module's record, as it lies in a code cache file: its layout, its wasm bytes, its blocks.
 * A cache keeps each module's record once made (CodeCache.serializeUsed), or views it in the file
 * the module came from (indexedModuleRecord), so that writing a file is copying records.
 */
export function moduleRecord(m: Pick<CodeCacheModuleData, 'layout' | 'bytes' | 'blocks'>): Uint8Array {
  let size = MODULE_HEAD_BYTES + m.bytes.length + 4;
  for (const b of m.blocks) size += 12 + 2 * b.source.length + 2 * b.chains.length;
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  v.setUint32(0, m.layout.memoryPages, true); v.setUint32(4, m.layout.area, true);
  v.setUint32(8, m.layout.dirtyOffset, true); v.setUint32(12, m.layout.codeOffset, true);
  v.setUint32(16, m.bytes.length, true);
  out.set(m.bytes, MODULE_HEAD_BYTES);
  let at = MODULE_HEAD_BYTES + m.bytes.length;
  v.setUint32(at, m.blocks.length, true);
  at += 4;
  // Inline byte stores, no helper closures: a recorder makes records at slices' ends, on the machine's
  // thread, in code V8 has rarely optimized yet (closures here cost ~50 ms a smoke recording).
  for (const b of m.blocks) {
    const source = b.source, chains = b.chains, len = source.length;
    v.setInt32(at, b.plo, true); v.setInt32(at + 4, b.phi, true);
    out[at + 8] = b.n; out[at + 9] = chains.length;
    out[at + 10] = len; out[at + 11] = len >>> 8;
    at += 12;
    for (let i = 0; i < len; i++, at += 2) { const h = source[i]; out[at] = h; out[at + 1] = h >>> 8; }
    for (let i = 0; i < chains.length; i++, at += 2) { const c = chains[i]; out[at] = c; out[at + 1] = c >>> 8; }
  }
  return out;
}

/** Where a record's wasm bytes lie in it (a cache then keeps only the record: its bytes view it). */
export function recordWasm(record: Uint8Array): Uint8Array {
  return record.subarray(MODULE_HEAD_BYTES, MODULE_HEAD_BYTES + new DataView(record.buffer, record.byteOffset).getUint32(16, true));
}

/** The bytes of a code cache file of these modules (compiled modules are not stored; their bytes are). */
export function writeCodeCacheFile(translator: number, modules: readonly CodeCacheModuleData[]): Uint8Array {
  return writeCodeCacheRecords(translator, modules.map(moduleRecord));
}

/**
 * A code cache file of these module records (moduleRecord, indexedModuleRecord). Written at the
 * start of `buffer(size)` when given (the result is a view of it), else into a new buffer: a
 * recorder reuses one buffer for its pieces, since fresh memory costs a page fault per 4 KiB
 * written (~12 us each on a VM) and the pieces add up to the whole cache.
 */
export function writeCodeCacheRecords(translator: number, records: readonly Uint8Array[], buffer?: (size: number) => Uint8Array): Uint8Array {
  let size = 8;
  for (const r of records) size += r.length;
  const out = buffer ? buffer(HEADER_BYTES + size).subarray(0, HEADER_BYTES + size) : new Uint8Array(HEADER_BYTES + size);
  const v = new DataView(out.buffer, out.byteOffset, out.byteLength);
  for (let i = 0; i < 8; i++) out[i] = CODE_CACHE_MAGIC.charCodeAt(i);
  v.setUint32(8, CODE_CACHE_VERSION, true);
  v.setUint32(12, size, true);
  v.setUint32(HEADER_BYTES, translator, true);
  v.setUint32(HEADER_BYTES + 4, records.length, true);
  let at = HEADER_BYTES + 8;
  for (const r of records) { out.set(r, at); at += r.length; }
  v.setUint32(16, crc32(out.subarray(HEADER_BYTES)), true);
  return out;
}

/**
 * Where everything in a code cache file lies, found without building any entry: CodeCache.load
 * keeps this and builds a module's entries (readCodeCacheModule) when one of its pcs is first
 * looked up. Per block, in file order (module k's blocks are firstBlock .. firstBlock + count - 1).
 */
export interface CodeCacheFileIndex {
  /** The file: modules' wasm bytes are views of it, not copies. */
  readonly bytes: Uint8Array;
  readonly modules: readonly CodeCacheIndexedModule[];
  readonly plo: Int32Array;
  readonly phi: Int32Array;
  readonly n: Uint8Array;
  readonly sourceLength: Uint16Array;
  readonly chainCount: Uint8Array;
  /** Offset in `bytes` of the block's source halfwords; its chains (u16 each) follow them. */
  readonly at: Uint32Array;
}

export interface CodeCacheIndexedModule {
  readonly layout: WasmLayout;
  /** The wasm bytes: bytes[wasmAt, wasmEnd). */
  readonly wasmAt: number;
  readonly wasmEnd: number;
  readonly firstBlock: number;
  readonly blockCount: number;
  /** What the module counts against a cache's maxBytes (as CachedModule counts it). */
  readonly size: number;
}

/** Bytes a cache counts per block beside its source and chains (CachedModule). */
export const BLOCK_OVERHEAD_BYTES = 32;

/**
 * Index a code cache file made by this translator: checks its header, length, CRC and
 * translator, steps through every record and checks each block description is one a cache
 * can use safely (blockFits; chains to blocks of its module in its page). Nothing is copied.
 * Returns the index, or a one-line reason why the file cannot be used. Never throws.
 * Written for speed (it runs before a replay lane's first slice): bytes read in place, one pass.
 */
export function indexCodeCacheFile(bytes: Uint8Array, translator: number): CodeCacheFileIndex | string {
  if (bytes.length < HEADER_BYTES) return `truncated (${bytes.length} bytes; the header alone is ${HEADER_BYTES})`;
  for (let i = 0; i < 8; i++) if (bytes[i] !== CODE_CACHE_MAGIC.charCodeAt(i)) return `not a prnr code cache (bad magic)`;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = v.getUint32(8, true);
  if (version !== CODE_CACHE_VERSION) return `format version ${version}, this reader takes only version ${CODE_CACHE_VERSION}`;
  const size = v.getUint32(12, true);
  if (HEADER_BYTES + size !== bytes.length) {
    return HEADER_BYTES + size > bytes.length
      ? `truncated (${bytes.length} bytes, the header says ${HEADER_BYTES + size})`
      : `${bytes.length - HEADER_BYTES - size} unexpected bytes after the content`;
  }
  const content = bytes.subarray(HEADER_BYTES);
  const sum = crc32(content);
  if (sum !== v.getUint32(16, true)) return `checksum mismatch (content CRC-32 ${hex(sum)}, header says ${hex(v.getUint32(16, true))})`;
  const b8 = bytes, end = bytes.length;
  const cut = `malformed (content ends inside a record)`;
  let at = HEADER_BYTES;
  if (at + 8 > end) return cut;
  const fp = v.getUint32(at, true);
  if (fp !== translator) return `made by another translator (fingerprint ${hex(fp)}, this one is ${hex(translator)})`;
  const count = v.getUint32(at + 4, true);
  at += 8;
  const modules: CodeCacheIndexedModule[] = [];
  let t = new BlockTable(1024);
  for (let k = 0; k < count; k++) {
    if (at + MODULE_HEAD_BYTES + 4 > end) return cut;
    const layout: WasmLayout = { memoryPages: v.getUint32(at, true), area: v.getUint32(at + 4, true), dirtyOffset: v.getUint32(at + 8, true), codeOffset: v.getUint32(at + 12, true) };
    const wasmAt = at + MODULE_HEAD_BYTES, wasmEnd = wasmAt + v.getUint32(at + 16, true);
    if (wasmEnd + 4 > end) return cut;
    const nb = v.getUint32(wasmEnd, true);
    at = wasmEnd + 4;
    const first = t.count;
    let size = wasmEnd - wasmAt;
    for (let i = 0; i < nb; i++) {
      if (at + 12 > end) return cut;
      if (t.count === t.plo.length) t = t.grown();
      const j = t.count++;
      const nc = b8[at + 9], len = b8[at + 10] | (b8[at + 11] << 8);
      t.plo[j] = v.getInt32(at, true);
      t.phi[j] = v.getInt32(at + 4, true);
      t.n[j] = b8[at + 8];
      t.chainCount[j] = nc;
      t.sourceLength[j] = len;
      t.at[j] = at + 12;
      at += 12 + 2 * len + 2 * nc;
      if (at > end) return cut;
      size += 2 * len + 2 * nc + BLOCK_OVERHEAD_BYTES;
    }
    if (!consistentModule(b8, t, first, nb)) return `module ${k} of ${count} is inconsistent (its layout or block descriptions)`;
    modules.push({ layout, wasmAt, wasmEnd, firstBlock: first, blockCount: nb, size });
  }
  if (at !== end) return `malformed (${end - at} bytes left after the last module)`;
  return {
    bytes, modules,
    plo: t.plo.subarray(0, t.count), phi: t.phi.subarray(0, t.count), n: t.n.subarray(0, t.count),
    sourceLength: t.sourceLength.subarray(0, t.count), chainCount: t.chainCount.subarray(0, t.count), at: t.at.subarray(0, t.count),
  };
}

/** The per-block columns of an index while it is read (the count is known only at the end). */
class BlockTable {
  count = 0;
  readonly plo: Int32Array; readonly phi: Int32Array; readonly n: Uint8Array;
  readonly sourceLength: Uint16Array; readonly chainCount: Uint8Array; readonly at: Uint32Array;
  constructor(capacity: number) {
    this.plo = new Int32Array(capacity); this.phi = new Int32Array(capacity); this.n = new Uint8Array(capacity);
    this.sourceLength = new Uint16Array(capacity); this.chainCount = new Uint8Array(capacity); this.at = new Uint32Array(capacity);
  }
  grown(): BlockTable {
    const t = new BlockTable(2 * this.plo.length);
    t.plo.set(this.plo); t.phi.set(this.phi); t.n.set(this.n);
    t.sourceLength.set(this.sourceLength); t.chainCount.set(this.chainCount); t.at.set(this.at);
    t.count = this.count;
    return t;
  }
}

/** A module's blocks (table rows first..first + nb - 1): at least one; each fits; each chains to a block of the module in its page. */
function consistentModule(b8: Uint8Array, t: BlockTable, first: number, nb: number): boolean {
  if (nb === 0) return false;
  for (let j = first; j < first + nb; j++) {
    if (!blockFits(t.plo[j], t.n[j], t.sourceLength[j])) return false;
    for (let i = 0, o = t.at[j] + 2 * t.sourceLength[j]; i < t.chainCount[j]; i++, o += 2) {
      const c = b8[o] | (b8[o + 1] << 8);
      if (c >= nb || !samePage(t.plo[j], t.phi[j], t.plo[first + c], t.phi[first + c])) return false;
    }
  }
  return true;
}

/** A block `find` can check safely: steps of one pass within 1..MAX_BLOCK_INSNS, a source of `length` halfwords from pc on, within pc's page. */
export const blockFits = (plo: number, n: number, length: number): boolean =>
  Number.isInteger(n) && n >= 1 && n <= MAX_BLOCK_INSNS && length > 0 && (plo & 0xfff) + 2 * length <= 0x1000;

/** A chained block lies in the same page as the block chaining into it. */
export const samePage = (plo: number, phi: number, tplo: number, tphi: number): boolean => tphi === phi && (tplo >>> 12) === (plo >>> 12);

/** Chain `i` of block `b` of an index (a function index of the block's module). */
export function indexedChain(ix: CodeCacheFileIndex, b: number, i: number): number {
  const o = ix.at[b] + 2 * ix.sourceLength[b] + 2 * i;
  return ix.bytes[o] | (ix.bytes[o + 1] << 8);
}

/** Module `k` of an index as data (none compiled): its wasm bytes a view of the file, each block's source and chains read out. */
export function readCodeCacheModule(ix: CodeCacheFileIndex, k: number): CodeCacheModuleData {
  const m = ix.modules[k];
  const b8 = ix.bytes;
  const blocks: CodeCacheBlockData[] = [];
  for (let b = m.firstBlock; b < m.firstBlock + m.blockCount; b++) {
    // Copied, not viewed: a source may lie at an odd offset, and the file is little-endian whatever the host.
    const source = new Uint16Array(ix.sourceLength[b]);
    for (let j = 0, o = ix.at[b]; j < source.length; j++, o += 2) source[j] = b8[o] | (b8[o + 1] << 8);
    const chains: number[] = [];
    for (let i = 0; i < ix.chainCount[b]; i++) chains.push(indexedChain(ix, b, i));
    blocks.push({ plo: ix.plo[b], phi: ix.phi[b], n: ix.n[b], source, chains });
  }
  return { layout: m.layout, bytes: b8.subarray(m.wasmAt, m.wasmEnd), module: null, blocks };
}

/** Module `k`'s record as it lies in an indexed file (moduleRecord's bytes): a view, nothing copied. */
export function indexedModuleRecord(ix: CodeCacheFileIndex, k: number): Uint8Array {
  const end = k + 1 < ix.modules.length ? ix.modules[k + 1].wasmAt - MODULE_HEAD_BYTES : ix.bytes.length;
  return ix.bytes.subarray(ix.modules[k].wasmAt - MODULE_HEAD_BYTES, end);
}

const hex = (n: number) => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

/** CRC-32 (IEEE 802.3), unsigned: zlib's, about 20x faster than a table loop in JavaScript over a whole cache. */
export function crc32(b: Uint8Array): number {
  return zlibCrc32(b);
}
