/** Ethernet II frames (no FCS, no VLAN tags: virtio-net hands over neither). */
import { MalformedPacket } from './malformed.js';

export const ETH_HEADER_SIZE = 14;
export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const BROADCAST_MAC = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff);

export interface EthernetFrame {
  dst: Uint8Array;
  src: Uint8Array;
  ethertype: number;
  payload: Uint8Array;
}

export function parseEthernet(frame: Uint8Array): EthernetFrame {
  if (frame.length < ETH_HEADER_SIZE) throw new MalformedPacket(`ethernet frame of ${frame.length} bytes is shorter than its header`);
  return {
    dst: frame.subarray(0, 6),
    src: frame.subarray(6, 12),
    ethertype: (frame[12]! << 8) | frame[13]!,
    payload: frame.subarray(ETH_HEADER_SIZE),
  };
}

export function buildEthernet(dst: Uint8Array, src: Uint8Array, ethertype: number, payload: Uint8Array): Uint8Array {
  const f = new Uint8Array(ETH_HEADER_SIZE + payload.length);
  f.set(dst, 0);
  f.set(src, 6);
  f[12] = ethertype >> 8;
  f[13] = ethertype & 0xff;
  f.set(payload, ETH_HEADER_SIZE);
  return f;
}

export function formatMac(mac: Uint8Array): string {
  return Array.from(mac, (b) => b.toString(16).padStart(2, '0')).join(':');
}
