/**
 * Decoding one LZ4 block (the format lz4-napi's compressSync writes after
 * its 4-byte length prefix; spec: lz4's doc/lz4_Block_format.md) into a
 * buffer the caller gives. lz4-napi only decodes into a buffer of its own:
 * for a page that is a native call, a fresh allocation (a page fault on a
 * VM) and a finalizer for the garbage collector, per page. A cold restore
 * decodes ~3,000 pages into one reused buffer instead; large objects (a disk
 * image) still go through lz4-napi.
 *
 * Hot loop, written for speed: bounds are checked once per sequence, not
 * per byte. Malformed input throws Lz4BlockError and never writes outside
 * out[0..out.length); what it decodes is only trusted after the caller's
 * hash check.
 */

export class Lz4BlockError extends Error {
  override readonly name = 'Lz4BlockError';
}

/** Literal and match runs shorter than this are copied a byte at a time (cheaper than a subarray and a memmove call). */
const SHORT_COPY = 32;

/**
 * Decodes the block src[start..end) into `out` from offset 0; returns the
 * bytes written (at most out.length). Throws Lz4BlockError if the block is
 * malformed or decodes to more than out.length bytes.
 */
export function lz4DecodeBlock(src: Uint8Array, start: number, end: number, out: Uint8Array): number {
  const limit = out.length;
  let s = start;
  let o = 0;
  for (;;) {
    if (s >= end) throw new Lz4BlockError(`block cut short at byte ${s - start}`);
    const token = src[s++];
    let lit = token >>> 4;
    if (lit === 15) {
      let b;
      do {
        if (s >= end) throw new Lz4BlockError(`literal length cut short at byte ${s - start}`);
        b = src[s++];
        lit += b;
      } while (b === 255);
    }
    if (s + lit > end) throw new Lz4BlockError(`literals at byte ${s - start} run past the block`);
    if (o + lit > limit) throw new Lz4BlockError(`decodes to more than ${limit} bytes`);
    if (lit < SHORT_COPY) for (let i = 0; i < lit; i++) out[o + i] = src[s + i];
    else out.set(src.subarray(s, s + lit), o);
    s += lit;
    o += lit;
    if (s === end) return o; // the last sequence has literals only
    if (s + 2 > end) throw new Lz4BlockError(`match offset cut short at byte ${s - start}`);
    const offset = src[s] | (src[s + 1] << 8);
    s += 2;
    if (offset === 0 || offset > o) throw new Lz4BlockError(`match offset ${offset} at output byte ${o} points before the start`);
    let len = token & 15;
    if (len === 15) {
      let b;
      do {
        if (s >= end) throw new Lz4BlockError(`match length cut short at byte ${s - start}`);
        b = src[s++];
        len += b;
      } while (b === 255);
    }
    len += 4;
    if (o + len > limit) throw new Lz4BlockError(`decodes to more than ${limit} bytes`);
    let m = o - offset;
    if (offset === 1) {
      out.fill(out[m], o, o + len); // a run of one byte (zeros, mostly)
      o += len;
    } else if (offset >= len && len >= SHORT_COPY) {
      out.copyWithin(o, m, m + len);
      o += len;
    } else {
      // Overlapping (offset < len) repeats the last `offset` bytes: byte order matters.
      const e = o + len;
      while (o < e) out[o++] = out[m++];
    }
  }
}
