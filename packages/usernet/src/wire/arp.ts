/** ARP for IPv4 over Ethernet (RFC 826). */
import { MalformedPacket } from './malformed.js';

export const ARP_REQUEST = 1;
export const ARP_REPLY = 2;
const ARP_SIZE = 28;

export interface ArpPacket {
  op: number;
  senderMac: Uint8Array;
  senderIp: Uint8Array;
  targetMac: Uint8Array;
  targetIp: Uint8Array;
}

export function parseArp(b: Uint8Array): ArpPacket {
  if (b.length < ARP_SIZE) throw new MalformedPacket(`ARP packet of ${b.length} bytes, needs ${ARP_SIZE}`);
  const htype = (b[0]! << 8) | b[1]!;
  const ptype = (b[2]! << 8) | b[3]!;
  if (htype !== 1 || ptype !== 0x0800 || b[4] !== 6 || b[5] !== 4) throw new MalformedPacket('ARP packet is not IPv4 over Ethernet');
  return {
    op: (b[6]! << 8) | b[7]!,
    senderMac: b.subarray(8, 14),
    senderIp: b.subarray(14, 18),
    targetMac: b.subarray(18, 24),
    targetIp: b.subarray(24, 28),
  };
}

export function buildArp(p: ArpPacket): Uint8Array {
  const b = new Uint8Array(ARP_SIZE);
  b.set([0, 1, 0x08, 0x00, 6, 4, p.op >> 8, p.op & 0xff]);
  b.set(p.senderMac, 8);
  b.set(p.senderIp, 14);
  b.set(p.targetMac, 18);
  b.set(p.targetIp, 24);
  return b;
}
