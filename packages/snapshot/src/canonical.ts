/**
 * A deterministic binary encoding of plain data: one value has exactly one
 * encoding, so equal values hash equally. Used for the snapshot's meta
 * (hart state with bigints, device states with Uint8Arrays) and root record.
 *
 * Encoding (version 1; tags are one byte, varint = unsigned LEB128):
 *
 *   0x00 undefined
 *   0x01 null
 *   0x02 false            0x03 true
 *   0x04 number           float64 LE; every NaN as 0x7ff8000000000000; -0 kept
 *   0x05 bigint >= 0      varint n, n magnitude bytes LE, minimal (0 is n = 0)
 *   0x06 bigint < 0       varint n, n bytes of -value LE, minimal
 *   0x07 string           varint byte length, UTF-8
 *   0x08 Uint8Array       varint length, the bytes
 *   0x09 array            varint count, the items (holes as undefined)
 *   0x0a object           varint count, then per key in ascending order
 *                         (JavaScript string order): varint length, UTF-8 key, value
 *
 * Numbers and bigints are different types: 1 and 1n encode differently.
 * Anything else (Map, Set, Date, class instances, other typed arrays,
 * functions, symbols, cycles) is refused with the path to it.
 */

const T_UNDEFINED = 0x00;
const T_NULL = 0x01;
const T_FALSE = 0x02;
const T_TRUE = 0x03;
const T_NUMBER = 0x04;
const T_BIGINT_POS = 0x05;
const T_BIGINT_NEG = 0x06;
const T_STRING = 0x07;
const T_BYTES = 0x08;
const T_ARRAY = 0x09;
const T_OBJECT = 0x0a;

const MAX_DEPTH = 256;

/** Bytes that are not a canonical encoding. */
export class CanonicalDecodeError extends Error {
  override readonly name = 'CanonicalDecodeError';
}

const utf8 = new TextEncoder();
const utf8d = new TextDecoder('utf-8', { fatal: true });

/**
 * Object keys as UTF-8, kept: a machine's meta has the same few hundred keys
 * in every snapshot, and encoding each anew allocated in the pause. Bounded,
 * for data with keys of its own.
 */
const keyBytes = new Map<string, Uint8Array>();
const MAX_KEPT_KEYS = 4096;

function utf8Key(k: string): Uint8Array {
  let b = keyBytes.get(k);
  if (b === undefined) {
    b = utf8.encode(k);
    if (keyBytes.size < MAX_KEPT_KEYS) keyBytes.set(k, b);
  }
  return b;
}

/**
 * The encoder's working buffer, kept between calls (encoding is synchronous, so one per thread
 * will do): a machine's meta is ~5 KB, and growing a fresh buffer to that by doubling cost five
 * allocations and copies in every snapshot pause.
 */
let scratch = new Uint8Array(8192);
/** A buffer grown past this (an unusually large value) is not kept. */
const MAX_KEPT_SCRATCH = 1 << 20;

class Out {
  buf = scratch;
  dv = new DataView(this.buf.buffer);
  n = 0;

  room(k: number): void {
    if (this.n + k <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.n + k) cap *= 2;
    const b = new Uint8Array(cap);
    b.set(this.buf.subarray(0, this.n));
    this.buf = b;
    this.dv = new DataView(b.buffer);
  }
  byte(v: number): void {
    this.room(1);
    this.buf[this.n++] = v;
  }
  varint(v: number): void {
    this.room(10);
    while (v >= 0x80) {
      this.buf[this.n++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.n++] = v;
  }
  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.n);
    this.n += b.length;
  }
  /** Varint UTF-8 length, then the UTF-8; ASCII written directly (no TextEncoder allocation). */
  string(v: string): void {
    const n = v.length;
    let i = 0;
    while (i < n && v.charCodeAt(i) < 0x80) i++;
    if (i < n) {
      const b = utf8.encode(v);
      this.varint(b.length);
      this.bytes(b);
      return;
    }
    this.varint(n);
    this.room(n);
    for (let k = 0; k < n; k++) this.buf[this.n++] = v.charCodeAt(k);
  }
}

function describe(v: unknown): string {
  if (typeof v !== 'object' || v === null) return typeof v;
  return (v as object).constructor?.name ?? 'object without prototype';
}

/**
 * Encodes plain data canonically. Throws TypeError naming the path of anything that is not plain data.
 *
 * Written for speed (a snapshot's pause encodes the machine's meta): the path
 * to a value is kept as a stack of keys and made into a string only for an
 * error, and a bigint of up to 64 bits is split with one DataView write.
 */
export function encodeCanonical(value: unknown): Uint8Array {
  const out = new Out();
  const active = new Set<object>();
  /** Keys (strings) and indices (numbers) from the top value down to the one being encoded. */
  const trail: Array<string | number> = [];
  const pathOf = (): string => 'value' + trail.map((k) => (typeof k === 'number' ? `[${k}]` : `.${k}`)).join('');
  const u64 = new DataView(new ArrayBuffer(8));

  const enc = (v: unknown, depth: number): void => {
    switch (typeof v) {
      case 'undefined':
        out.byte(T_UNDEFINED);
        return;
      case 'boolean':
        out.byte(v ? T_TRUE : T_FALSE);
        return;
      case 'number':
        out.byte(T_NUMBER);
        out.room(8);
        if (Number.isNaN(v)) {
          out.dv.setUint32(out.n, 0, true);
          out.dv.setUint32(out.n + 4, 0x7ff80000, true);
        } else out.dv.setFloat64(out.n, v, true);
        out.n += 8;
        return;
      case 'bigint': {
        const neg = v < 0n;
        const m = neg ? -v : v;
        out.byte(neg ? T_BIGINT_NEG : T_BIGINT_POS);
        if (m <= 0xffff_ffff_ffff_ffffn) {
          // Magnitude bytes, little-endian, without the high zero bytes.
          u64.setBigUint64(0, m, true);
          const lo = u64.getUint32(0, true);
          const hi = u64.getUint32(4, true);
          const n = hi !== 0 ? 8 - (Math.clz32(hi) >>> 3) : lo !== 0 ? 4 - (Math.clz32(lo) >>> 3) : 0;
          out.varint(n);
          out.room(n);
          for (let i = 0; i < n; i++) out.buf[out.n++] = u64.getUint8(i);
          return;
        }
        const mag: number[] = [];
        for (let r = m; r > 0n; r >>= 8n) mag.push(Number(r & 0xffn));
        out.varint(mag.length);
        out.bytes(Uint8Array.from(mag));
        return;
      }
      case 'string': {
        out.byte(T_STRING);
        out.string(v);
        return;
      }
      case 'object':
        break;
      default:
        throw new TypeError(`canonical encoding: ${pathOf()} is a ${typeof v}, not plain data`);
    }
    if (v === null) {
      out.byte(T_NULL);
      return;
    }
    if (depth > MAX_DEPTH) throw new TypeError(`canonical encoding: ${pathOf()} is nested deeper than ${MAX_DEPTH}`);
    if (v instanceof Uint8Array) {
      out.byte(T_BYTES);
      out.varint(v.length);
      out.bytes(v);
      return;
    }
    if (active.has(v)) throw new TypeError(`canonical encoding: ${pathOf()} is a cycle`);
    if (Array.isArray(v)) {
      active.add(v);
      out.byte(T_ARRAY);
      out.varint(v.length);
      for (let i = 0; i < v.length; i++) {
        trail.push(i);
        enc(v[i], depth + 1);
        trail.pop();
      }
      active.delete(v);
      return;
    }
    const proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) {
      const kind = ArrayBuffer.isView(v) ? `${describe(v)} (only Uint8Array is allowed)` : describe(v);
      throw new TypeError(`canonical encoding: ${pathOf()} is a ${kind}, not plain data`);
    }
    active.add(v);
    const keys = Object.keys(v).sort();
    out.byte(T_OBJECT);
    out.varint(keys.length);
    for (const k of keys) {
      const kb = utf8Key(k);
      out.varint(kb.length);
      out.bytes(kb);
      trail.push(k);
      enc((v as Record<string, unknown>)[k], depth + 1);
      trail.pop();
    }
    active.delete(v);
  };

  enc(value, 0);
  if (out.buf.length <= MAX_KEPT_SCRATCH) scratch = out.buf; // the grown one, if it grew
  return out.buf.slice(0, out.n);
}

/** Decodes one canonical value; the bytes must hold exactly that value. */
export function decodeCanonical(bytes: Uint8Array): unknown {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let p = 0;
  const fail = (what: string): never => {
    throw new CanonicalDecodeError(`canonical decoding: ${what} at byte ${p}`);
  };
  const need = (k: number) => {
    if (p + k > bytes.length) fail(`truncated (need ${k} bytes, ${bytes.length - p} left)`);
  };
  const varint = (): number => {
    let v = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      need(1);
      const b = bytes[p++];
      v += (b & 0x7f) * scale;
      if (!(b & 0x80)) {
        if (b === 0 && i > 0) fail('non-minimal varint');
        if (v > Number.MAX_SAFE_INTEGER) fail('varint too large');
        return v;
      }
      scale *= 0x80;
    }
    return fail('varint too long');
  };
  const str = (): string => {
    const n = varint();
    need(n);
    let s: string;
    try {
      s = utf8d.decode(bytes.subarray(p, p + n));
    } catch {
      return fail('invalid UTF-8');
    }
    p += n;
    return s;
  };

  const dec = (depth: number): unknown => {
    if (depth > MAX_DEPTH) fail(`nesting deeper than ${MAX_DEPTH}`);
    need(1);
    const tag = bytes[p++];
    switch (tag) {
      case T_UNDEFINED:
        return undefined;
      case T_NULL:
        return null;
      case T_FALSE:
        return false;
      case T_TRUE:
        return true;
      case T_NUMBER: {
        need(8);
        const v = dv.getFloat64(p, true);
        if (Number.isNaN(v) && (dv.getUint32(p, true) !== 0 || dv.getUint32(p + 4, true) !== 0x7ff80000)) fail('non-canonical NaN');
        p += 8;
        return v;
      }
      case T_BIGINT_POS:
      case T_BIGINT_NEG: {
        const n = varint();
        need(n);
        if (n > 0 && bytes[p + n - 1] === 0) fail('non-minimal bigint');
        if (n === 0 && tag === T_BIGINT_NEG) fail('negative zero bigint');
        let m = 0n;
        for (let i = n - 1; i >= 0; i--) m = (m << 8n) | BigInt(bytes[p + i]);
        p += n;
        return tag === T_BIGINT_NEG ? -m : m;
      }
      case T_STRING:
        return str();
      case T_BYTES: {
        const n = varint();
        need(n);
        const b = bytes.slice(p, p + n);
        p += n;
        return b;
      }
      case T_ARRAY: {
        const n = varint();
        if (n > bytes.length - p) fail(`array of ${n} items cannot fit`);
        const a: unknown[] = new Array(n);
        for (let i = 0; i < n; i++) a[i] = dec(depth + 1);
        return a;
      }
      case T_OBJECT: {
        const n = varint();
        if (n > bytes.length - p) fail(`object of ${n} keys cannot fit`);
        const o: Record<string, unknown> = {};
        let prev: string | undefined;
        for (let i = 0; i < n; i++) {
          const k = str();
          if (prev !== undefined && !(prev < k)) fail(`key ${JSON.stringify(k)} out of order`);
          prev = k;
          const v = dec(depth + 1);
          if (k === '__proto__') Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
          else o[k] = v;
        }
        return o;
      }
      default:
        return fail(`unknown tag 0x${tag.toString(16)}`);
    }
  };

  const v = dec(0);
  if (p !== bytes.length) fail(`${bytes.length - p} trailing bytes`);
  return v;
}
