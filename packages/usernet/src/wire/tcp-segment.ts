/** TCP segments (RFC 9293 §3.1): header, the MSS option, checksum. */
import { foldChecksum, pseudoHeaderSum, sumWords } from './checksum.js';
import { ipBytes, IP_PROTO_TCP } from './ipv4.js';
import { MalformedPacket } from './malformed.js';

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;
const TCP_HEADER_SIZE = 20;

export interface TcpSegment {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
  window: number;
  /** The MSS option, when present (SYN segments). */
  mss?: number;
  payload: Uint8Array;
}

export function parseTcp(b: Uint8Array, src: number, dst: number): TcpSegment {
  if (b.length < TCP_HEADER_SIZE) throw new MalformedPacket(`TCP segment of ${b.length} bytes is shorter than its header`);
  const off = (b[12]! >> 4) * 4;
  if (off < TCP_HEADER_SIZE || off > b.length) throw new MalformedPacket(`TCP data offset ${off} does not fit ${b.length} bytes`);
  if (foldChecksum(sumWords(b, pseudoHeaderSum(ipBytes(src), ipBytes(dst), IP_PROTO_TCP, b.length))) !== 0) throw new MalformedPacket('TCP checksum is wrong');
  const seg: TcpSegment = {
    srcPort: (b[0]! << 8) | b[1]!,
    dstPort: (b[2]! << 8) | b[3]!,
    seq: ((b[4]! << 24) | (b[5]! << 16) | (b[6]! << 8) | b[7]!) >>> 0,
    ack: ((b[8]! << 24) | (b[9]! << 16) | (b[10]! << 8) | b[11]!) >>> 0,
    flags: b[13]! & 0x3f,
    window: (b[14]! << 8) | b[15]!,
    payload: b.subarray(off),
  };
  // Options: only MSS matters here; a malformed list ends the scan (the segment itself is still fine).
  for (let i = TCP_HEADER_SIZE; i < off; ) {
    const kind = b[i]!;
    if (kind === 0) break;
    if (kind === 1) { i++; continue; }
    const len = i + 1 < off ? b[i + 1]! : 0;
    if (len < 2 || i + len > off) break;
    if (kind === 2 && len === 4) seg.mss = (b[i + 2]! << 8) | b[i + 3]!;
    i += len;
  }
  return seg;
}

export function buildTcp(src: number, dst: number, s: TcpSegment): Uint8Array {
  const opt = s.mss !== undefined ? 4 : 0;
  const b = new Uint8Array(TCP_HEADER_SIZE + opt + s.payload.length);
  b[0] = s.srcPort >> 8;
  b[1] = s.srcPort & 0xff;
  b[2] = s.dstPort >> 8;
  b[3] = s.dstPort & 0xff;
  const dv = new DataView(b.buffer);
  dv.setUint32(4, s.seq >>> 0);
  dv.setUint32(8, s.ack >>> 0);
  b[12] = ((TCP_HEADER_SIZE + opt) / 4) << 4;
  b[13] = s.flags;
  dv.setUint16(14, s.window);
  if (s.mss !== undefined) {
    b[20] = 2;
    b[21] = 4;
    dv.setUint16(22, s.mss);
  }
  b.set(s.payload, TCP_HEADER_SIZE + opt);
  const sum = foldChecksum(sumWords(b, pseudoHeaderSum(ipBytes(src), ipBytes(dst), IP_PROTO_TCP, b.length)));
  dv.setUint16(16, sum);
  return b;
}

/** Sequence-number arithmetic modulo 2^32 (RFC 9293 §3.4). */
export function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}
export function seqAdd(a: number, n: number): number {
  return (a + n) >>> 0;
}
