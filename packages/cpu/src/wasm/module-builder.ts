/**
 * A minimal WebAssembly binary writer: enough to build the modules the 'wasm'
 * engine generates (one imported memory, imported functions and tables,
 * exported functions with i32/i64/f64 locals, exported mutable i32 globals). Written from the WebAssembly core
 * specification 2.0, section 5 (binary format).
 */

export const enum T {
  i32 = 0x7f,
  i64 = 0x7e,
  f32 = 0x7d,
  f64 = 0x7c,
}

/** Opcodes used by the generator (WebAssembly core spec 2.0, 5.4). */
export const enum Op {
  unreachable = 0x00, block = 0x02, loop = 0x03, if = 0x04, else = 0x05, end = 0x0b, br = 0x0c, br_if = 0x0d, return = 0x0f, call = 0x10, call_indirect = 0x11, return_call = 0x12, return_call_indirect = 0x13,
  drop = 0x1a, select = 0x1b,
  local_get = 0x20, local_set = 0x21, local_tee = 0x22, global_get = 0x23,
  i32_load = 0x28, i64_load = 0x29, f64_load = 0x2b,
  i32_load8_u = 0x2d,
  i64_load8_s = 0x30, i64_load8_u = 0x31, i64_load16_s = 0x32, i64_load16_u = 0x33, i64_load32_s = 0x34, i64_load32_u = 0x35,
  i32_store = 0x36, i64_store = 0x37, i32_store8 = 0x3a,
  i64_store8 = 0x3c, i64_store16 = 0x3d, i64_store32 = 0x3e,
  i32_const = 0x41, i64_const = 0x42,
  i32_eqz = 0x45, i32_eq = 0x46, i32_ne = 0x47, i32_gt_s = 0x4a, i32_le_s = 0x4c, i32_le_u = 0x4d,
  i64_eqz = 0x50, i64_eq = 0x51, i64_ne = 0x52, i64_lt_s = 0x53, i64_lt_u = 0x54, i64_gt_u = 0x56, i64_ge_s = 0x59, i64_ge_u = 0x5a,
  f64_eq = 0x61,
  i32_add = 0x6a, i32_sub = 0x6b, i32_mul = 0x6c, i32_div_s = 0x6d, i32_div_u = 0x6e, i32_rem_s = 0x6f, i32_rem_u = 0x70,
  i32_and = 0x71, i32_or = 0x72, i32_xor = 0x73, i32_shl = 0x74, i32_shr_s = 0x75, i32_shr_u = 0x76,
  i64_add = 0x7c, i64_sub = 0x7d, i64_mul = 0x7e, i64_div_s = 0x7f, i64_div_u = 0x80, i64_rem_s = 0x81, i64_rem_u = 0x82,
  i64_and = 0x83, i64_or = 0x84, i64_xor = 0x85, i64_shl = 0x86, i64_shr_s = 0x87, i64_shr_u = 0x88,
  i32_wrap_i64 = 0xa7, i64_extend_i32_s = 0xac, i64_extend_i32_u = 0xad, f64_convert_i64_s = 0xb9,
  // Floating point (the F and D extensions in translated code, jit/fp-compiler.ts).
  f32_load = 0x2a, f32_store = 0x38, f64_store = 0x39, f32_const = 0x43, f64_const = 0x44,
  i32_ge_u = 0x4f, i64_clz = 0x79, i64_ctz = 0x7a,
  f32_eq = 0x5b, f32_ne = 0x5c, f32_lt = 0x5d, f32_gt = 0x5e, f32_le = 0x5f, f32_ge = 0x60,
  f64_ne = 0x62, f64_lt = 0x63, f64_gt = 0x64, f64_le = 0x65, f64_ge = 0x66,
  f32_abs = 0x8b, f32_neg = 0x8c, f32_sqrt = 0x91, f32_add = 0x92, f32_sub = 0x93, f32_mul = 0x94, f32_div = 0x95, f32_min = 0x96, f32_max = 0x97,
  f64_abs = 0x99, f64_neg = 0x9a, f64_ceil = 0x9b, f64_floor = 0x9c, f64_trunc = 0x9d, f64_nearest = 0x9e, f64_sqrt = 0x9f,
  f64_add = 0xa0, f64_sub = 0xa1, f64_mul = 0xa2, f64_div = 0xa3, f64_min = 0xa4, f64_max = 0xa5,
  i32_trunc_f64_s = 0xaa, i32_trunc_f64_u = 0xab, i64_trunc_f64_s = 0xb0, i64_trunc_f64_u = 0xb1,
  f32_convert_i32_s = 0xb2, f32_convert_i32_u = 0xb3, f32_convert_i64_s = 0xb4, f32_convert_i64_u = 0xb5, f32_demote_f64 = 0xb6,
  f64_convert_i32_s = 0xb7, f64_convert_i32_u = 0xb8, f64_convert_i64_u = 0xba, f64_promote_f32 = 0xbb,
}

/** Block type "no result" for block/loop/if. */
export const VOID = 0x40;

// Scratch for float constants, written little-endian as the binary format wants on any host.
const CONST_BUF = new ArrayBuffer(8);
const CONST_VIEW = new DataView(CONST_BUF);
const CONST_U8 = new Uint8Array(CONST_BUF);

/** A growable byte buffer with the LEB128 encodings of the binary format. */
export class Bytes {
  buf: Uint8Array;
  len = 0;

  constructor(capacity = 256) {
    this.buf = new Uint8Array(capacity);
  }

  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const b = new Uint8Array(size);
    b.set(this.buf.subarray(0, this.len));
    this.buf = b;
  }
  byte(b: number): void {
    if (this.len === this.buf.length) this.room(1);
    this.buf[this.len++] = b;
  }
  bytes2(a: number, b: number): void {
    if (this.len + 2 > this.buf.length) this.room(2);
    this.buf[this.len++] = a;
    this.buf[this.len++] = b;
  }
  uleb(n: number): void {
    do {
      let b = n % 128;
      n = Math.floor(n / 128);
      if (n !== 0) b |= 0x80;
      this.byte(b);
    } while (n !== 0);
  }
  sleb32(n: number): void {
    n |= 0;
    for (;;) {
      const b = n & 0x7f;
      n >>= 7;
      if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) { this.byte(b); return; }
      this.byte(b | 0x80);
    }
  }
  /** Signed LEB128 of the 64-bit value with int32 halves lo, hi (exact in doubles below 2^53 in magnitude, BigInt beyond). */
  sleb64(lo: number, hi: number): void {
    if (hi >= -0x200000 && hi < 0x200000) {
      let v = hi * 4294967296 + (lo >>> 0);
      for (;;) {
        const b = ((v % 128) + 128) % 128;
        v = (v - b) / 128;
        if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) { this.byte(b); return; }
        this.byte(b | 0x80);
      }
    }
    let v = (BigInt(hi) << 32n) | BigInt(lo >>> 0);
    for (;;) {
      const b = Number(v & 0x7fn);
      v >>= 7n;
      if ((v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0)) { this.byte(b); return; }
      this.byte(b | 0x80);
    }
  }
  name(s: string): void {
    this.uleb(s.length);
    for (let i = 0; i < s.length; i++) this.byte(s.charCodeAt(i));
  }
  append(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
  /** `b` preceded by its length (sections, function bodies). */
  sized(b: Bytes): void {
    this.uleb(b.len);
    this.append(b.buf.subarray(0, b.len));
  }
}

/** The body of one function: locals, then code appended with the helpers below. HOT (translation): writes bytes directly. */
export class FunctionBody {
  readonly code = new Bytes(2048);
  private readonly locals: T[] = [];
  /** Code spliced in at `at` (a position in `code`) when the body is encoded; see `hole`. */
  private readonly holes: { at: number; bytes: Uint8Array }[] = [];

  /** @param params the function's parameter types (locals 0..params.length-1) */
  constructor(private readonly params: readonly T[]) {}

  /** Declare a local; returns its index. */
  local(type: T): number {
    this.locals.push(type);
    return this.params.length + this.locals.length - 1;
  }

  op(o: Op): this { this.code.byte(o); return this; }
  get(l: number): this { return this.withIndex(Op.local_get, l); }
  globalGet(g: number): this { return this.withIndex(Op.global_get, g); }
  set(l: number): this { return this.withIndex(Op.local_set, l); }
  tee(l: number): this { return this.withIndex(Op.local_tee, l); }
  private withIndex(o: Op, i: number): this {
    if (i < 128) this.code.bytes2(o, i);
    else { this.code.byte(o); this.code.uleb(i); }
    return this;
  }
  i32(v: number): this { this.code.byte(Op.i32_const); this.code.sleb32(v); return this; }
  /** `i32.const v` in a fixed 5 bytes, to be patched later with patchI32 (0 <= v < 2^28); returns where. */
  i32Fixed(v: number): number {
    this.code.byte(Op.i32_const);
    return this.fixed5(v);
  }
  /** `return_call fn`, the index in a fixed 5 bytes (patch with patchI32); returns where. */
  returnCallFixed(fn: number): number {
    this.code.byte(Op.return_call);
    return this.fixed5(fn);
  }
  /** `return_call fn`. */
  returnCall(fn: number): this { this.code.byte(Op.return_call); this.code.uleb(fn); return this; }
  /** A LEB128 number in 5 bytes (padded; the same bytes read as signed or unsigned for 0 <= v < 2^28). */
  private fixed5(v: number): number {
    const at = this.code.len;
    this.code.bytes2(0x80, 0x80);
    this.code.bytes2(0x80, 0x80);
    this.code.byte(0);
    this.patchI32(at, v);
    return at;
  }
  patchI32(at: number, v: number): void {
    const b = this.code.buf;
    b[at] = (v & 0x7f) | 0x80; b[at + 1] = ((v >>> 7) & 0x7f) | 0x80; b[at + 2] = ((v >>> 14) & 0x7f) | 0x80; b[at + 3] = ((v >>> 21) & 0x7f) | 0x80;
  }
  /** i64 constant from its int32 halves. */
  i64(lo: number, hi: number): this {
    this.code.byte(Op.i64_const);
    if (hi === lo >> 31) this.code.sleb32(lo);
    else this.code.sleb64(lo, hi);
    return this;
  }
  /** `f64.const v` (little-endian IEEE bits). */
  f64(v: number): this {
    this.code.byte(Op.f64_const);
    CONST_VIEW.setFloat64(0, v, true);
    for (let i = 0; i < 8; i++) this.code.byte(CONST_U8[i]);
    return this;
  }
  /** `f32.const v` (v must be a binary32 value). */
  f32(v: number): this {
    this.code.byte(Op.f32_const);
    CONST_VIEW.setFloat32(0, v, true);
    for (let i = 0; i < 4; i++) this.code.byte(CONST_U8[i]);
    return this;
  }
  /** A load or store with a constant offset; alignment hint log2(`align`). */
  mem(o: Op, offset: number, alignLog2 = 0): this { this.code.bytes2(o, alignLog2); this.code.uleb(offset); return this; }
  /** block / loop / if with no result. */
  open(o: Op.block | Op.loop | Op.if): this { this.code.bytes2(o, VOID); return this; }
  br(o: Op.br | Op.br_if, depth: number): this { return this.withIndex(o, depth); }
  call(fn: number): this { this.code.byte(Op.call); this.code.uleb(fn); return this; }
  /** return_call_indirect through `table` with function type `type` (the index in the table is on the stack). */
  returnCallIndirect(type: number, table: number): this { this.withIndex(Op.return_call_indirect, type); this.code.uleb(table); return this; }
  /** call_indirect through `table` (default 0) with function type `type` (the index in the table is on the stack). */
  callIndirect(type: number, table = 0): this { this.withIndex(Op.call_indirect, type); this.code.uleb(table); return this; }

  /**
   * Leave a place here for code decided later (`fill`), `initial` until then. Unlike patchI32's
   * fixed-size placeholders, the code filled in may have any length: only what is chosen is encoded.
   * Returns the hole's id.
   */
  hole(initial: Uint8Array): number {
    this.holes.push({ at: this.code.len, bytes: initial });
    return this.holes.length - 1;
  }
  /** Put `bytes` (whole instructions, for the same locals) in hole `id`. */
  fill(id: number, bytes: Uint8Array): void {
    this.holes[id].bytes = bytes;
  }
  /** The code with the holes filled, as encoded. */
  private codeLength(): number {
    let n = this.code.len;
    for (const h of this.holes) n += h.bytes.length;
    return n;
  }

  /** At least the bytes encodeInto appends. */
  encodedSizeBound(): number {
    return this.codeLength() + 2 * this.locals.length + 16;
  }

  /** Append the encoded body (size, local declarations in runs of one type, code, end) to `out`. */
  encodeInto(out: Bytes): void {
    const head = new Bytes(2 * this.locals.length + 8);
    let groups = 0;
    for (let i = 0; i < this.locals.length; i++) if (i === 0 || this.locals[i] !== this.locals[i - 1]) groups++;
    head.uleb(groups);
    for (let i = 0; i < this.locals.length;) {
      let j = i;
      while (j < this.locals.length && this.locals[j] === this.locals[i]) j++;
      head.uleb(j - i); head.byte(this.locals[i]);
      i = j;
    }
    out.uleb(head.len + this.codeLength() + 1);
    out.append(head.buf.subarray(0, head.len));
    let from = 0;
    for (const h of this.holes) {
      out.append(this.code.buf.subarray(from, h.at));
      out.append(h.bytes);
      from = h.at;
    }
    out.append(this.code.buf.subarray(from, this.code.len));
    out.byte(Op.end);
  }
}

interface FuncType { params: readonly T[]; results: readonly T[] }

/** A module that imports memory `env.memory` and functions from `env`, and exports its own functions. */
export class ModuleBuilder {
  private readonly types: FuncType[] = [];
  private readonly imports: { name: string; type: number }[] = [];
  private readonly funcs: { name: string; type: number; body: FunctionBody }[] = [];
  /** Imported funcref tables `env.<name>`, in table-index order. */
  private readonly tables: { name: string; size: number }[] = [];
  private readonly customs: { name: string; bytes: Uint8Array }[] = [];
  /** Mutable i32 globals of the module's own, exported: (name, initial value). */
  private readonly globals: { name: string; init: number }[] = [];

  constructor(private readonly memoryPages: number) {}

  /** Import a funcref table `env.<name>` of at least `size` entries; returns its table index (in import order, from 0). */
  importTable(name: string, size: number): number {
    this.tables.push({ name, size });
    return this.tables.length - 1;
  }

  /** Add a custom section (written after the code; WebAssembly.Module.customSections reads it back). */
  customSection(name: string, bytes: Uint8Array): void {
    this.customs.push({ name, bytes });
  }

  /** The index of a function type, for call_indirect. */
  typeIndex(params: readonly T[], results: readonly T[]): number {
    const i = this.types.findIndex((t) => t.params.join() === params.join() && t.results.join() === results.join());
    if (i >= 0) return i;
    this.types.push({ params, results });
    return this.types.length - 1;
  }

  /** Import function `env.<name>`; returns its function index. All imports come before any function. */
  importFunction(importName: string, params: readonly T[], results: readonly T[]): number {
    if (this.funcs.length > 0) throw new Error('imports must be declared before functions');
    this.imports.push({ name: importName, type: this.typeIndex(params, results) });
    return this.imports.length - 1;
  }

  /** Add an exported function; returns its function index. */
  addFunction(exportName: string, params: readonly T[], results: readonly T[], body: FunctionBody): number {
    this.funcs.push({ name: exportName, type: this.typeIndex(params, results), body });
    return this.imports.length + this.funcs.length - 1;
  }

  /** Add an exported mutable i32 global (each instance has its own); returns its global index. */
  addGlobal(exportName: string, init: number): number {
    this.globals.push({ name: exportName, init });
    return this.globals.length - 1;
  }

  encode(): Uint8Array {
    // Sized up front from the function bodies (the code section is nearly all of a block
    // module): growing by doubling from a small buffer cost a tenth of module building.
    let size = 1024;
    for (const f of this.funcs) size += f.body.encodedSizeBound() + f.name.length + 16;
    size += 24 * this.globals.length;
    for (const c of this.customs) size += c.name.length + c.bytes.length + 16;
    const out = new Bytes(size);
    out.append(MAGIC_VERSION);
    const sec = new Bytes(size);
    const section = (id: number) => { out.byte(id); out.sized(sec); sec.len = 0; };
    sec.uleb(this.types.length);
    for (const t of this.types) {
      sec.byte(0x60);
      sec.uleb(t.params.length); for (const p of t.params) sec.byte(p);
      sec.uleb(t.results.length); for (const r of t.results) sec.byte(r);
    }
    section(1);
    sec.uleb(this.imports.length + 1 + this.tables.length);
    sec.name('env'); sec.name('memory'); sec.bytes2(0x02, 0x01); sec.uleb(this.memoryPages); sec.uleb(this.memoryPages);
    for (const t of this.tables) { sec.name('env'); sec.name(t.name); sec.bytes2(0x01, 0x70); sec.byte(0x00); sec.uleb(t.size); }
    for (const im of this.imports) { sec.name('env'); sec.name(im.name); sec.byte(0x00); sec.uleb(im.type); }
    section(2);
    sec.uleb(this.funcs.length);
    for (const f of this.funcs) sec.uleb(f.type);
    section(3);
    if (this.globals.length > 0) {
      sec.uleb(this.globals.length);
      for (const g of this.globals) { sec.bytes2(T.i32, 0x01); sec.byte(Op.i32_const); sec.sleb32(g.init); sec.byte(Op.end); }
      section(6);
    }
    sec.uleb(this.funcs.length + this.globals.length);
    this.funcs.forEach((f, i) => { sec.name(f.name); sec.byte(0x00); sec.uleb(this.imports.length + i); });
    this.globals.forEach((g, i) => { sec.name(g.name); sec.byte(0x03); sec.uleb(i); });
    section(7);
    sec.uleb(this.funcs.length);
    for (const f of this.funcs) f.body.encodeInto(sec);
    section(10);
    for (const c of this.customs) { sec.name(c.name); sec.append(c.bytes); section(0); }
    return out.buf.slice(0, out.len);
  }
}

const MAGIC_VERSION = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
