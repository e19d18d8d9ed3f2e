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

/** The bytes of a code cache file (compiled modules are not stored; their bytes are). */
export function writeCodeCacheFile(translator: number, modules: readonly CodeCacheModuleData[]): Uint8Array {
  let size = 8;
  for (const m of modules) {
    size += 24 + m.bytes.length;
    for (const b of m.blocks) size += 12 + 2 * b.source.length + 2 * b.chains.length;
  }
  const out = new Uint8Array(HEADER_BYTES + size);
  const v = new DataView(out.buffer);
  for (let i = 0; i < 8; i++) out[i] = CODE_CACHE_MAGIC.charCodeAt(i);
  v.setUint32(8, CODE_CACHE_VERSION, true);
  v.setUint32(12, size, true);
  let at = HEADER_BYTES;
  const u32 = (n: number) => { v.setUint32(at, n, true); at += 4; };
  const u16 = (n: number) => { v.setUint16(at, n, true); at += 2; };
  u32(translator);
  u32(modules.length);
  for (const m of modules) {
    u32(m.layout.memoryPages); u32(m.layout.area); u32(m.layout.dirtyOffset); u32(m.layout.codeOffset);
    u32(m.bytes.length);
    out.set(m.bytes, at); at += m.bytes.length;
    u32(m.blocks.length);
    for (const b of m.blocks) {
      v.setInt32(at, b.plo, true); v.setInt32(at + 4, b.phi, true);
      out[at + 8] = b.n; out[at + 9] = b.chains.length;
      at += 10;
      u16(b.source.length);
      for (let i = 0; i < b.source.length; i++) u16(b.source[i]);
      for (const c of b.chains) u16(c);
    }
  }
  v.setUint32(16, crc32(out.subarray(HEADER_BYTES)), true);
  return out;
}

/**
 * Read a code cache file made by this translator. Returns its modules (none compiled), or a
 * one-line reason why the file cannot be used. Never throws.
 */
export function readCodeCacheFile(bytes: Uint8Array, translator: number): CodeCacheModuleData[] | string {
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
  const r = new Reader(v, HEADER_BYTES);
  try {
    const fp = r.u32();
    if (fp !== translator) return `made by another translator (fingerprint ${hex(fp)}, this one is ${hex(translator)})`;
    const modules: CodeCacheModuleData[] = [];
    for (let count = r.u32(), k = 0; k < count; k++) {
      const layout: WasmLayout = { memoryPages: r.u32(), area: r.u32(), dirtyOffset: r.u32(), codeOffset: r.u32() };
      const wasm = bytes.slice(r.skip(r.u32()), r.at);
      const blocks: CodeCacheBlockData[] = [];
      for (let nb = r.u32(), i = 0; i < nb; i++) {
        const plo = r.i32(), phi = r.i32(), n = r.u8(), nc = r.u8();
        const source = new Uint16Array(r.u16());
        for (let j = 0; j < source.length; j++) source[j] = r.u16();
        const chains: number[] = [];
        for (let j = 0; j < nc; j++) chains.push(r.u16());
        blocks.push({ plo, phi, n, source, chains });
      }
      modules.push({ layout, bytes: wasm, module: null, blocks });
    }
    if (r.at !== bytes.length) return `malformed (${bytes.length - r.at} bytes left after the last module)`;
    return modules;
  } catch (e) {
    if (e instanceof RangeError) return `malformed (content ends inside a record)`;
    throw e;
  }
}

/** Bounds-checked reads (DataView throws RangeError past the end). */
class Reader {
  constructor(private readonly v: DataView, public at: number) {}
  u8(): number { return this.v.getUint8(this.at++); }
  u16(): number { const n = this.v.getUint16(this.at, true); this.at += 2; return n; }
  u32(): number { const n = this.v.getUint32(this.at, true); this.at += 4; return n; }
  i32(): number { const n = this.v.getInt32(this.at, true); this.at += 4; return n; }
  /** Step over `n` bytes; returns where they start. */
  skip(n: number): number {
    const from = this.at;
    if (from + n > this.v.byteLength) throw new RangeError('past the end');
    this.at += n;
    return from;
  }
}

const hex = (n: number) => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

/** CRC-32 (IEEE 802.3), unsigned: zlib's, about 20x faster than a table loop in JavaScript over a whole cache. */
export function crc32(b: Uint8Array): number {
  return zlibCrc32(b);
}
