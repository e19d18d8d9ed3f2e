import { describe, expect, it } from 'vitest';
import { checksum } from './checksum.js';
import { buildIpv4, parseIp, parseIpv4, IP_PROTO_UDP } from './ipv4.js';
import { MalformedPacket } from './malformed.js';
import { buildTcp, parseTcp, TCP_ACK, TCP_SYN } from './tcp-segment.js';
import { buildUdp, parseUdp } from './udp.js';

const a = parseIp('10.0.2.15')!;
const b = parseIp('10.0.2.2')!;

describe('wire codecs', () => {
  it('computes the RFC 1071 §3 example checksum', () => {
    // RFC 1071's worked example: the words 0001 f203 f4f5 f6f7 sum to ddf2, so the checksum is ~ddf2.
    expect(checksum(Uint8Array.of(0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7))).toBe(~0xddf2 & 0xffff);
  });

  it('checks a real IPv4 header from a capture', () => {
    // An IPv4 header (Wikipedia's "IPv4 header checksum" example), checksum b861 included: it sums to zero.
    const h = Uint8Array.from([0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7]);
    expect(checksum(h)).toBe(0);
    const pkt = new Uint8Array(0x73);
    pkt.set(h);
    const ip = parseIpv4(pkt);
    expect(ip.protocol).toBe(IP_PROTO_UDP);
    expect(ip.payload.length).toBe(0x73 - 20);
  });

  it('round-trips IPv4, UDP and TCP with their checksums', () => {
    const udp = buildUdp(a, b, { srcPort: 1234, dstPort: 53, payload: Uint8Array.of(1, 2, 3) });
    const ip = parseIpv4(buildIpv4(a, b, IP_PROTO_UDP, udp));
    expect([ip.src, ip.dst]).toEqual([a, b]);
    const d = parseUdp(ip.payload, ip.src, ip.dst);
    expect([d.srcPort, d.dstPort, [...d.payload]]).toEqual([1234, 53, [1, 2, 3]]);
    const tcp = parseTcp(buildTcp(a, b, { srcPort: 40000, dstPort: 80, seq: 0xfffffff0, ack: 7, flags: TCP_SYN | TCP_ACK, window: 1000, mss: 1460, payload: Uint8Array.of(9) }), a, b);
    expect(tcp).toMatchObject({ srcPort: 40000, dstPort: 80, seq: 0xfffffff0, ack: 7, flags: TCP_SYN | TCP_ACK, window: 1000, mss: 1460 });
  });

  it('rejects a corrupted checksum, a short header and a lying length', () => {
    const tcp = buildTcp(a, b, { srcPort: 1, dstPort: 2, seq: 3, ack: 0, flags: TCP_SYN, window: 0, payload: new Uint8Array(0) });
    tcp[4]! ^= 1;
    expect(() => parseTcp(tcp, a, b)).toThrow(MalformedPacket);
    expect(() => parseIpv4(new Uint8Array(10))).toThrow(MalformedPacket);
    const ip = buildIpv4(a, b, IP_PROTO_UDP, new Uint8Array(8));
    expect(() => parseIpv4(ip.subarray(0, 25))).toThrow(/do not fit/);
  });
});
