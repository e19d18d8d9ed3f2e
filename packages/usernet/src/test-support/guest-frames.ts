/** Frames as the guest's kernel would send them, and readers for what the network answers: for the unit tests. */
import { buildArp, parseArp, ARP_REQUEST, type ArpPacket } from '../wire/arp.js';
import { BROADCAST_MAC, buildEthernet, ETHERTYPE_ARP, ETHERTYPE_IPV4, parseEthernet } from '../wire/ethernet.js';
import { buildIcmp, parseIcmp, ICMP_ECHO_REQUEST, type IcmpMessage } from '../wire/icmp.js';
import { buildIpv4, ipBytes, parseIp, parseIpv4, IP_PROTO_ICMP, IP_PROTO_TCP, IP_PROTO_UDP, type Ipv4Packet } from '../wire/ipv4.js';
import { buildTcp, parseTcp, type TcpSegment } from '../wire/tcp-segment.js';
import { buildUdp, parseUdp, type UdpDatagram } from '../wire/udp.js';

export const GUEST_MAC = Uint8Array.of(0x52, 0x54, 0x00, 0x12, 0x34, 0x56);
export const ROUTER_MAC = Uint8Array.of(0x52, 0x55, 0x0a, 0x00, 0x02, 0x02);
export const guestIp = parseIp('10.0.2.15')!;
export const gatewayIp = parseIp('10.0.2.2')!;
export const dnsIp = parseIp('10.0.2.3')!;

export function arpRequest(target: number, sender = guestIp): Uint8Array {
  return buildEthernet(BROADCAST_MAC, GUEST_MAC, ETHERTYPE_ARP, buildArp({ op: ARP_REQUEST, senderMac: GUEST_MAC, senderIp: ipBytes(sender), targetMac: new Uint8Array(6), targetIp: ipBytes(target) }));
}

export function ipFrame(src: number, dst: number, protocol: number, payload: Uint8Array): Uint8Array {
  return buildEthernet(ROUTER_MAC, GUEST_MAC, ETHERTYPE_IPV4, buildIpv4(src, dst, protocol, payload));
}

export function udpFrame(src: number, dst: number, d: UdpDatagram): Uint8Array {
  return ipFrame(src, dst, IP_PROTO_UDP, buildUdp(src, dst, d));
}

export function tcpFrame(dst: number, s: TcpSegment, src = guestIp): Uint8Array {
  return ipFrame(src, dst, IP_PROTO_TCP, buildTcp(src, dst, s));
}

export function pingFrame(dst: number, id: number, seq: number, payload: Uint8Array): Uint8Array {
  return ipFrame(guestIp, dst, IP_PROTO_ICMP, buildIcmp({ type: ICMP_ECHO_REQUEST, code: 0, rest: Uint8Array.of(id >> 8, id & 0xff, seq >> 8, seq & 0xff), payload }));
}

export interface Received {
  dstMac: Uint8Array;
  arp?: ArpPacket;
  ip?: Ipv4Packet;
  udp?: UdpDatagram;
  tcp?: TcpSegment;
  icmp?: IcmpMessage;
}

/** Parses a frame for the guest, checking every checksum on the way (the parsers throw on a bad one). */
export function readFrame(frame: Uint8Array): Received {
  const eth = parseEthernet(frame);
  if (eth.ethertype === ETHERTYPE_ARP) return { dstMac: eth.dst, arp: parseArp(eth.payload) };
  const ip = parseIpv4(eth.payload);
  const r: Received = { dstMac: eth.dst, ip };
  if (ip.protocol === IP_PROTO_UDP) r.udp = parseUdp(ip.payload, ip.src, ip.dst);
  if (ip.protocol === IP_PROTO_TCP) r.tcp = parseTcp(ip.payload, ip.src, ip.dst);
  if (ip.protocol === IP_PROTO_ICMP) r.icmp = parseIcmp(ip.payload);
  return r;
}

export function seg(p: Partial<TcpSegment> & { srcPort: number; dstPort: number; seq: number; flags: number }): TcpSegment {
  return { ack: 0, window: 65535, payload: new Uint8Array(0), ...p };
}
