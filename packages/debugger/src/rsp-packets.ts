/**
 * GDB remote serial protocol framing (GDB manual, "Remote Protocol" >
 * "Overview"): `$payload#cs` with cs the sum of the payload bytes mod 256 in
 * two hex digits, `+`/`-` acknowledgements (until QStartNoAckMode), a lone
 * 0x03 byte for an interrupt, and `}` escapes (byte XOR 0x20) for `#`, `$`,
 * `}` and `*` in binary data.
 */

/** What arrives from the debugger, in order. */
export type Incoming =
  | { kind: 'packet'; payload: Buffer }
  /** A packet whose checksum did not match: ask for it again with `-`. */
  | { kind: 'bad-packet' }
  /** A packet longer than the reader takes (its bytes were dropped). */
  | { kind: 'too-long' }
  | { kind: 'ack' }
  | { kind: 'nack' }
  | { kind: 'interrupt' };

const DOLLAR = 0x24, HASH = 0x23, ESCAPE = 0x7d, STAR = 0x2a;

/**
 * Longest packet body taken, escapes included: the PacketSize the stub announces (GDB never sends
 * more; it counts escaped bytes against it).
 */
export const MAX_PACKET_BODY = 0x4000;

/**
 * Splits the byte stream from the debugger into packets, acks and interrupts; keeps a partial packet
 * until the rest arrives. A packet body longer than `maxBody` is reported as too long and its bytes
 * are dropped as they come, so a peer that never sends `#` cannot make the stub hold unbounded data.
 */
export class PacketReader {
  private pending: Buffer = Buffer.alloc(0);
  /** Inside an over-long packet: bytes are dropped up to its `#`. */
  private discarding = false;
  /** Checksum digits of a dropped packet still to come. */
  private discardChecksum = 0;

  constructor(private readonly maxBody = MAX_PACKET_BODY) {}

  push(chunk: Buffer): Incoming[] {
    const out: Incoming[] = [];
    const b = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    let i = 0;
    while (i < b.length) {
      if (this.discardChecksum > 0) {
        const n = Math.min(this.discardChecksum, b.length - i);
        this.discardChecksum -= n;
        i += n;
        continue;
      }
      if (this.discarding) {
        const end = b.indexOf(HASH, i);
        if (end < 0) { i = b.length; break; }
        this.discarding = false;
        this.discardChecksum = 2;
        i = end + 1;
        continue;
      }
      const c = b[i];
      if (c === 0x2b) { out.push({ kind: 'ack' }); i++; continue; }
      if (c === 0x2d) { out.push({ kind: 'nack' }); i++; continue; }
      if (c === 0x03) { out.push({ kind: 'interrupt' }); i++; continue; }
      if (c !== DOLLAR) { i++; continue; } // noise between packets
      const end = b.indexOf(HASH, i + 1);
      const bodyLength = (end < 0 ? b.length : end) - (i + 1);
      if (bodyLength > this.maxBody) {
        out.push({ kind: 'too-long' });
        if (end < 0) { this.discarding = true; i = b.length; } else { this.discardChecksum = 2; i = end + 1; }
        continue;
      }
      if (end < 0 || end + 2 >= b.length) break; // the rest has not arrived
      const raw = b.subarray(i + 1, end);
      const digits = b.subarray(end + 1, end + 3).toString('latin1');
      const ok = /^[0-9a-fA-F]{2}$/.test(digits) && checksum(raw) === Number.parseInt(digits, 16);
      out.push(ok ? { kind: 'packet', payload: unescape(raw) } : { kind: 'bad-packet' });
      i = end + 3;
    }
    this.pending = Buffer.from(b.subarray(i));
    return out;
  }
}

export function checksum(bytes: Uint8Array): number {
  let s = 0;
  for (const x of bytes) s = (s + x) & 0xff;
  return s;
}

/** A packet on the wire: `$`, the payload with binary-unsafe bytes escaped, `#`, checksum. */
export function framePacket(payload: string | Buffer): Buffer {
  const body = escape(typeof payload === 'string' ? Buffer.from(payload, 'latin1') : payload);
  return Buffer.concat([Buffer.from('$'), body, Buffer.from(`#${checksum(body).toString(16).padStart(2, '0')}`, 'latin1')]);
}

function escape(b: Buffer): Buffer {
  let n = 0;
  for (const x of b) if (x === DOLLAR || x === HASH || x === ESCAPE || x === STAR) n++;
  if (n === 0) return b;
  const out = Buffer.alloc(b.length + n);
  let j = 0;
  for (const x of b) {
    if (x === DOLLAR || x === HASH || x === ESCAPE || x === STAR) { out[j++] = ESCAPE; out[j++] = x ^ 0x20; } else out[j++] = x;
  }
  return out;
}

function unescape(b: Buffer): Buffer {
  if (!b.includes(ESCAPE)) return Buffer.from(b);
  const out: number[] = [];
  for (let i = 0; i < b.length; i++) out.push(b[i] === ESCAPE && i + 1 < b.length ? b[++i] ^ 0x20 : b[i]);
  return Buffer.from(out);
}

/** A 64-bit value as the protocol sends a register: target byte order (little-endian), two hex digits a byte. */
export function hexLe(v: bigint, bytes: number): string {
  let s = '';
  for (let i = 0; i < bytes; i++) s += Number((v >> BigInt(8 * i)) & 0xffn).toString(16).padStart(2, '0');
  return s;
}

export function toHex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

export function fromHex(s: string): Buffer {
  return Buffer.from(s, 'hex');
}
