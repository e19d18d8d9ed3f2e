/** UDP datagrams (RFC 768). */
import { foldChecksum, pseudoHeaderSum, sumWords } from './checksum.js';
import { ipBytes, IP_PROTO_UDP } from './ipv4.js';
import { MalformedPacket } from './malformed.js';

export const UDP_HEADER_SIZE = 8;

export interface UdpDatagram {
  srcPort: number;
  dstPort: number;
  payload: Uint8Array;
}

/** `src`/`dst`: the IPv4 addresses, for the checksum (0 in the datagram means "none", RFC 768). */
export function parseUdp(b: Uint8Array, src: number, dst: number): UdpDatagram {
  if (b.length < UDP_HEADER_SIZE) throw new MalformedPacket(`UDP datagram of ${b.length} bytes is shorter than its header`);
  const length = (b[4]! << 8) | b[5]!;
  if (length < UDP_HEADER_SIZE || length > b.length) throw new MalformedPacket(`UDP length ${length} does not fit ${b.length} bytes`);
  const d = b.subarray(0, length);
  if (((b[6]! << 8) | b[7]!) !== 0) {
    const sum = sumWords(d, pseudoHeaderSum(ipBytes(src), ipBytes(dst), IP_PROTO_UDP, length));
    if (foldChecksum(sum) !== 0) throw new MalformedPacket('UDP checksum is wrong');
  }
  return { srcPort: (b[0]! << 8) | b[1]!, dstPort: (b[2]! << 8) | b[3]!, payload: d.subarray(UDP_HEADER_SIZE) };
}

export function buildUdp(src: number, dst: number, d: UdpDatagram): Uint8Array {
  const b = new Uint8Array(UDP_HEADER_SIZE + d.payload.length);
  b[0] = d.srcPort >> 8;
  b[1] = d.srcPort & 0xff;
  b[2] = d.dstPort >> 8;
  b[3] = d.dstPort & 0xff;
  b[4] = b.length >> 8;
  b[5] = b.length & 0xff;
  b.set(d.payload, UDP_HEADER_SIZE);
  let sum = foldChecksum(sumWords(b, pseudoHeaderSum(ipBytes(src), ipBytes(dst), IP_PROTO_UDP, b.length)));
  if (sum === 0) sum = 0xffff; // 0 would mean "no checksum"
  b[6] = sum >> 8;
  b[7] = sum & 0xff;
  return b;
}
