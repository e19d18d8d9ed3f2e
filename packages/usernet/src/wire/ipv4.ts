/** IPv4 headers (RFC 791). Addresses are unsigned 32-bit numbers inside the stack. */
import { checksum } from './checksum.js';
import { MalformedPacket } from './malformed.js';

export const IP_PROTO_ICMP = 1;
export const IP_PROTO_TCP = 6;
export const IP_PROTO_UDP = 17;
export const IPV4_HEADER_SIZE = 20;

export interface Ipv4Packet {
  src: number;
  dst: number;
  protocol: number;
  ttl: number;
  /** The header, options included. */
  header: Uint8Array;
  payload: Uint8Array;
}

/** Parses and checks a header; fragments are refused (nothing the guest sends this stack needs them). */
export function parseIpv4(b: Uint8Array): Ipv4Packet {
  if (b.length < IPV4_HEADER_SIZE) throw new MalformedPacket(`IPv4 packet of ${b.length} bytes is shorter than its header`);
  if (b[0]! >> 4 !== 4) throw new MalformedPacket(`IP version ${b[0]! >> 4}, not 4`);
  const ihl = (b[0]! & 0x0f) * 4;
  const total = (b[2]! << 8) | b[3]!;
  if (ihl < IPV4_HEADER_SIZE || total < ihl || total > b.length) throw new MalformedPacket(`IPv4 header length ${ihl} / total length ${total} do not fit ${b.length} bytes`);
  const header = b.subarray(0, ihl);
  if (checksum(header) !== 0) throw new MalformedPacket('IPv4 header checksum is wrong');
  const fragment = ((b[6]! << 8) | b[7]!) & 0x3fff; // MF flag and offset
  if (fragment !== 0) throw new MalformedPacket('IPv4 fragments are not supported');
  return { src: readIp(b, 12), dst: readIp(b, 16), protocol: b[9]!, ttl: b[8]!, header, payload: b.subarray(ihl, total) };
}

let nextId = 1;

export function buildIpv4(src: number, dst: number, protocol: number, payload: Uint8Array, ttl = 64): Uint8Array {
  const b = new Uint8Array(IPV4_HEADER_SIZE + payload.length);
  const total = b.length;
  b[0] = 0x45;
  b[2] = total >> 8;
  b[3] = total & 0xff;
  const id = nextId++ & 0xffff;
  b[4] = id >> 8;
  b[5] = id & 0xff;
  b[6] = 0x40; // DF: this stack never fragments
  b[8] = ttl;
  b[9] = protocol;
  writeIp(b, 12, src);
  writeIp(b, 16, dst);
  const sum = checksum(b.subarray(0, IPV4_HEADER_SIZE));
  b[10] = sum >> 8;
  b[11] = sum & 0xff;
  b.set(payload, IPV4_HEADER_SIZE);
  return b;
}

export function readIp(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

export function writeIp(b: Uint8Array, at: number, ip: number): void {
  b[at] = ip >>> 24;
  b[at + 1] = (ip >>> 16) & 0xff;
  b[at + 2] = (ip >>> 8) & 0xff;
  b[at + 3] = ip & 0xff;
}

export function ipBytes(ip: number): Uint8Array {
  const b = new Uint8Array(4);
  writeIp(b, 0, ip);
  return b;
}

export function ipToString(ip: number): string {
  return `${ip >>> 24}.${(ip >>> 16) & 0xff}.${(ip >>> 8) & 0xff}.${ip & 0xff}`;
}

/** "10.0.2.15" -> number; null when it is not a dotted quad. */
export function parseIp(s: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return null;
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}
