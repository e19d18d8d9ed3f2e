import { createHash, randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import * as dnsPacket from 'dns-packet';
import { afterEach, describe, expect, it } from 'vitest';
import { arpRequest, dnsIp, gatewayIp, guestIp, GUEST_MAC, pingFrame, readFrame, ROUTER_MAC, seg, tcpFrame, udpFrame } from './test-support/guest-frames.js';
import { seededRandom } from './test-support/seeded-random.js';
import { GuestTcp, until } from './test-support/guest-tcp.js';
import { parseNetOption } from './net-option.js';
import { UserNetwork } from './user-network.js';
import { ARP_REPLY } from './wire/arp.js';
import { ICMP_DEST_UNREACHABLE, ICMP_ECHO_REPLY, ICMP_PORT_UNREACHABLE } from './wire/icmp.js';
import { ipToString, parseIp, readIp } from './wire/ipv4.js';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from './wire/tcp-segment.js';

const nets: UserNetwork[] = [];
const servers: Server[] = [];
afterEach(async () => {
  for (const n of nets.splice(0)) await n.close();
  for (const s of servers.splice(0)) s.close();
});

function network(...args: ConstructorParameters<typeof UserNetwork>): UserNetwork {
  const n = new UserNetwork(...args);
  nets.push(n);
  return n;
}

function drain(net: UserNetwork) {
  const out = [];
  for (let f = net.receive(); f; f = net.receive()) out.push(readFrame(f));
  return out;
}

async function listen(onConnection: (s: Socket) => void): Promise<number> {
  const server = createServer({ allowHalfOpen: true }, onConnection);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return (server.address() as AddressInfo).port;
}

const md5 = (b: Uint8Array) => createHash('md5').update(b).digest('hex');

/** A DHCP client message as RFC 2131 §2 lays it out, written here byte by byte. */
function dhcpMessage(type: number, xid: number, extra: number[] = []): Uint8Array {
  const b = new Uint8Array(240 + 3 + extra.length + 1);
  b.set([1, 1, 6, 0]);
  new DataView(b.buffer).setUint32(4, xid);
  b[10] = 0x80; // broadcast flag
  b.set(GUEST_MAC, 28);
  b.set([0x63, 0x82, 0x53, 0x63], 236);
  b.set([53, 1, type, ...extra, 255], 240);
  return b;
}

function dhcpOptions(b: Uint8Array): Map<number, Uint8Array> {
  const m = new Map<number, Uint8Array>();
  for (let i = 240; i < b.length && b[i] !== 255; i += 2 + b[i + 1]!) m.set(b[i]!, b.subarray(i + 2, i + 2 + b[i + 1]!));
  return m;
}

describe('UserNetwork', () => {
  it('answers ARP for the gateway and the DNS address, and nothing else', () => {
    const net = network();
    net.send(arpRequest(gatewayIp));
    net.send(arpRequest(dnsIp));
    net.send(arpRequest(parseIp('10.0.2.99')!));
    const r = drain(net);
    expect(r).toHaveLength(2);
    for (const [i, ip] of [gatewayIp, dnsIp].entries()) {
      expect(r[i]!.arp).toMatchObject({ op: ARP_REPLY, senderMac: ROUTER_MAC, targetMac: GUEST_MAC });
      expect(readIp(r[i]!.arp!.senderIp, 0)).toBe(ip);
      expect([...r[i]!.dstMac]).toEqual([...GUEST_MAC]);
    }
  });

  it('leases 10.0.2.15 by DHCP, with router 10.0.2.2 and DNS 10.0.2.3', () => {
    const net = network();
    const src = 0, bcast = 0xffffffff;
    net.send(udpFrame(src, bcast, { srcPort: 68, dstPort: 67, payload: dhcpMessage(1, 0x1234) }));
    const [offer] = drain(net);
    expect(offer!.udp).toMatchObject({ srcPort: 67, dstPort: 68 });
    const o = offer!.udp!.payload;
    expect(o[0]).toBe(2);
    expect(new DataView(o.buffer, o.byteOffset).getUint32(4)).toBe(0x1234);
    expect(ipToString(readIp(o, 16))).toBe('10.0.2.15');
    const opts = dhcpOptions(o);
    expect([...opts.get(53)!]).toEqual([2]);
    expect(ipToString(readIp(opts.get(1)!, 0))).toBe('255.255.255.0');
    expect(ipToString(readIp(opts.get(3)!, 0))).toBe('10.0.2.2');
    expect(ipToString(readIp(opts.get(6)!, 0))).toBe('10.0.2.3');
    expect(ipToString(readIp(opts.get(54)!, 0))).toBe('10.0.2.2');
    net.send(udpFrame(src, bcast, { srcPort: 68, dstPort: 67, payload: dhcpMessage(3, 0x1235, [50, 4, 10, 0, 2, 15, 54, 4, 10, 0, 2, 2]) }));
    const [ack] = drain(net);
    expect([...dhcpOptions(ack!.udp!.payload).get(53)!]).toEqual([5]);
    net.send(udpFrame(src, bcast, { srcPort: 68, dstPort: 67, payload: dhcpMessage(3, 0x1236, [50, 4, 10, 0, 2, 99]) }));
    const [nak] = drain(net);
    expect([...dhcpOptions(nak!.udp!.payload).get(53)!]).toEqual([6]);
  });

  it('answers ping to the gateway with the same identifier, sequence and data', () => {
    const net = network();
    net.send(pingFrame(gatewayIp, 0x77, 3, Uint8Array.of(1, 2, 3, 4, 5)));
    const [r] = drain(net);
    expect(r!.ip).toMatchObject({ src: gatewayIp, dst: guestIp });
    expect(r!.icmp!.type).toBe(ICMP_ECHO_REPLY);
    expect([...r!.icmp!.rest, ...r!.icmp!.payload]).toEqual([0, 0x77, 0, 3, 1, 2, 3, 4, 5]);
  });

  it('resolves localhost through the host resolver, and says NXDOMAIN for a missing name', async () => {
    const net = network({ resolver: async (name, family) => (name === 'localhost' && family === 4 ? ['127.0.0.1'] : []) });
    const ask = (id: number, name: string) => dnsPacket.encode({ type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'A', name, class: 'IN' }] });
    net.send(udpFrame(guestIp, dnsIp, { srcPort: 3333, dstPort: 53, payload: ask(1, 'localhost') }));
    net.send(udpFrame(guestIp, dnsIp, { srcPort: 3334, dstPort: 53, payload: ask(2, 'nothing.invalid') }));
    const got: ReturnType<typeof readFrame>[] = [];
    await until(() => (got.push(...drain(net)), got.length === 2), 'two DNS answers');
    const byPort = new Map(got.map((r) => [r.udp!.dstPort, dnsPacket.decode(Buffer.from(r.udp!.payload))]));
    expect(byPort.get(3333)).toMatchObject({ id: 1, rcode: 'NOERROR', answers: [{ type: 'A', name: 'localhost', data: '127.0.0.1' }] });
    expect(byPort.get(3334)).toMatchObject({ id: 2, rcode: 'NXDOMAIN', answers: [] });
  });

  it('keeps a DNS answer within 512 bytes: the records that fit, and TC set (RFC 1035 §4.2.1)', async () => {
    const many = Array.from({ length: 60 }, (_, i) => `10.1.${i >> 8}.${i & 255}`);
    const net = network({ resolver: async (name) => (name === 'many.example' ? many : ['10.9.9.9']) });
    const ask = (id: number, name: string) => dnsPacket.encode({ type: 'query', id, questions: [{ type: 'A', name, class: 'IN' }] });
    net.send(udpFrame(guestIp, dnsIp, { srcPort: 3340, dstPort: 53, payload: ask(3, 'many.example') }));
    net.send(udpFrame(guestIp, dnsIp, { srcPort: 3341, dstPort: 53, payload: ask(4, 'one.example') }));
    const got: ReturnType<typeof readFrame>[] = [];
    await until(() => (got.push(...drain(net)), got.length === 2), 'two DNS answers');
    const byPort = new Map(got.map((r) => [r.udp!.dstPort, r.udp!.payload]));
    const big = byPort.get(3340)!;
    expect(big.length).toBeLessThanOrEqual(512);
    // The TC bit, read from the header itself (RFC 1035 §4.1.1: byte 2, bit 1).
    expect(big[2]! & 0x02).toBe(0x02);
    const d = dnsPacket.decode(Buffer.from(big));
    expect(d.answers!.length).toBeGreaterThan(5);
    expect(d.answers!.length).toBeLessThan(60);
    expect(d.answers!.map((a) => (a as { data: unknown }).data)).toEqual(many.slice(0, d.answers!.length));
    const small = byPort.get(3341)!;
    expect(small[2]! & 0x02).toBe(0);
    expect(dnsPacket.decode(Buffer.from(small)).answers).toMatchObject([{ data: '10.9.9.9' }]);
  });

  it('answers a query with several questions FORMERR, resolving none of them (RFC 9619)', async () => {
    const asked: string[] = [];
    const net = network({ resolver: async (name) => (asked.push(name), ['127.0.0.1']) });
    const q = dnsPacket.encode({ type: 'query', id: 5, questions: [{ type: 'A', name: 'a.example' }, { type: 'A', name: 'b.example' }] });
    net.send(udpFrame(guestIp, dnsIp, { srcPort: 3336, dstPort: 53, payload: q }));
    const got: ReturnType<typeof readFrame>[] = [];
    await until(() => (got.push(...drain(net)), got.length === 1), 'the DNS answer');
    expect(dnsPacket.decode(Buffer.from(got[0]!.udp!.payload))).toMatchObject({ id: 5, rcode: 'FORMERR', answers: [] });
    expect(asked).toEqual([]);
  });

  it('resolves localhost with the real host resolver', async () => {
    const net = network();
    net.send(udpFrame(guestIp, dnsIp, { srcPort: 3335, dstPort: 53, payload: dnsPacket.encode({ type: 'query', id: 9, questions: [{ type: 'A', name: 'localhost' }] }) }));
    const got: ReturnType<typeof readFrame>[] = [];
    await until(() => (got.push(...drain(net)), got.length === 1), 'the DNS answer');
    const answer = dnsPacket.decode(Buffer.from(got[0]!.udp!.payload));
    expect(answer.answers!.map((a) => ('data' in a ? a.data : null))).toContain('127.0.0.1');
  });

  it('carries 1 MiB each way between a guest TCP connection and a host socket, intact', async () => {
    const up = randomBytes(1 << 20);
    const down = randomBytes(1 << 20);
    let uploaded = Buffer.alloc(0);
    const uploadDone = new Promise<void>((resolve) => {
      void listen((s) => {
        const chunks: Buffer[] = [];
        s.on('data', (d) => chunks.push(d));
        s.on('end', () => {
          uploaded = Buffer.concat(chunks);
          s.end(down);
          resolve();
        });
      }).then((port) => portReady(port));
    });
    let portReady!: (p: number) => void;
    const port = await new Promise<number>((r) => (portReady = r));
    const net = network();
    const g = new GuestTcp(net, gatewayIp, port, 40001);
    await g.connect();
    await g.write(up, true);
    await uploadDone;
    expect(md5(uploaded)).toBe(md5(up));
    await until(() => (g.pump(), g.finReceived), 'the host data and FIN', 30_000);
    expect(md5(g.concat())).toBe(md5(down));
    await until(() => net.stats.tcpConnections === 1 && (net as unknown as { tcp: Map<string, unknown> }).tcp.size === 0, 'the connection to be forgotten');
  });

  it('answers a SYN to a host port nobody listens on with RST-ACK', async () => {
    const port = await listen(() => {});
    servers.pop()!.close(); // now nothing listens there
    await new Promise((r) => setTimeout(r, 20));
    const net = network();
    const g = new GuestTcp(net, gatewayIp, port, 40002);
    g.send(TCP_SYN);
    await until(() => (g.pump(), g.rstReceived !== null), 'the RST');
    expect(g.rstReceived).toMatchObject({ flags: TCP_RST | TCP_ACK, ack: 1_000_001 });
    expect(net.stats.tcpRefused).toBe(1);
  });

  it('resets the guest connection when the host peer disappears mid-transfer', async () => {
    const port = await listen((s) => {
      // After the guest's first bytes (so the connection is established on both sides), send, then reset
      // once the bytes are in the kernel (with writes still pending in Node, the peer may see a clean FIN).
      s.once('data', () => s.write(randomBytes(60_000), () => setTimeout(() => s.resetAndDestroy(), 20)));
    });
    const net = network();
    const g = new GuestTcp(net, gatewayIp, port, 40003);
    await g.connect();
    g.send(TCP_ACK, Uint8Array.of(1));
    await until(() => (g.pump(), g.rstReceived !== null), 'the RST');
    expect(g.finReceived).toBe(false);
    expect(g.receivedBytes).toBeGreaterThan(0);
    // The network goes on: a ping still gets its answer.
    net.send(pingFrame(gatewayIp, 1, 1, new Uint8Array(8)));
    expect(drain(net).some((r) => r.icmp?.type === ICMP_ECHO_REPLY)).toBe(true);
  });

  it('forwards a host port to the guest (hostfwd)', async () => {
    const net = network({ hostForwards: parseNetOption('user,hostfwd=tcp::0-:8080').hostForwards });
    await net.start();
    const [fwd] = net.forwards;
    expect(fwd).toMatchObject({ hostAddress: '127.0.0.1', guestAddress: '10.0.2.15', guestPort: 8080 });
    const host = connect({ port: fwd!.hostPort, host: '127.0.0.1', allowHalfOpen: true });
    const fromGuest: Buffer[] = [];
    host.on('data', (d) => fromGuest.push(d));
    const hostEnded = new Promise((r) => host.on('end', r));
    await new Promise((r) => host.on('connect', r));
    host.write('hello guest');
    let syn: ReturnType<typeof readFrame> | undefined;
    await until(() => (syn = drain(net).find((r) => r.tcp)) !== undefined, 'the SYN to the guest');
    expect(syn!.tcp).toMatchObject({ flags: TCP_SYN, dstPort: 8080 });
    expect(syn!.ip).toMatchObject({ src: gatewayIp, dst: guestIp });
    // Play the guest's listening socket.
    const g = new GuestTcp(net, gatewayIp, syn!.tcp!.srcPort, 8080);
    g.rcvNxt = (syn!.tcp!.seq + 1) >>> 0;
    g.send(TCP_SYN | TCP_ACK);
    await until(() => (g.pump(), g.receivedBytes === 11), 'the host bytes in the guest');
    expect(Buffer.from(g.concat()).toString()).toBe('hello guest');
    await g.write(new TextEncoder().encode('hello host'), true);
    await hostEnded;
    expect(Buffer.concat(fromGuest).toString()).toBe('hello host');
    host.end();
    await until(() => (g.pump(), g.finReceived), 'the FIN from the host');
    expect(g.segments.some((s) => s.flags & TCP_FIN)).toBe(true);
  });

  it('relays UDP to a host socket and back, as from the gateway', async () => {
    const echo = createSocket('udp4');
    echo.on('message', (m, r) => echo.send(Buffer.concat([Buffer.from('echo:'), m]), r.port, r.address));
    await new Promise<void>((r) => echo.bind(0, '127.0.0.1', () => r()));
    const port = echo.address().port;
    try {
      const net = network();
      net.send(udpFrame(guestIp, gatewayIp, { srcPort: 5000, dstPort: port, payload: new TextEncoder().encode('ping') }));
      const got: ReturnType<typeof readFrame>[] = [];
      await until(() => (got.push(...drain(net)), got.length > 0), 'the UDP reply');
      expect(got[0]!.ip).toMatchObject({ src: gatewayIp, dst: guestIp });
      expect(got[0]!.udp).toMatchObject({ srcPort: port, dstPort: 5000 });
      expect(Buffer.from(got[0]!.udp!.payload).toString()).toBe('echo:ping');
    } finally {
      echo.close();
    }
  });

  it('tells the guest "port unreachable" when the host refuses a UDP datagram', async () => {
    const probe = createSocket('udp4');
    await new Promise<void>((r) => probe.bind(0, '127.0.0.1', () => r()));
    const port = probe.address().port;
    probe.close(); // nothing listens there now
    const net = network();
    const send = () => net.send(udpFrame(guestIp, gatewayIp, { srcPort: 5001, dstPort: port, payload: Uint8Array.of(1) }));
    send();
    const got: ReturnType<typeof readFrame>[] = [];
    // The refusal shows on the host socket only after a datagram was sent: send again until it arrives.
    await until(() => (send(), got.push(...drain(net)), got.some((r) => r.icmp)), 'the ICMP error');
    const icmp = got.find((r) => r.icmp)!.icmp!;
    expect([icmp.type, icmp.code]).toEqual([ICMP_DEST_UNREACHABLE, ICMP_PORT_UNREACHABLE]);
    // It quotes the guest's datagram: its IP header (to the gateway) and UDP ports.
    expect(readIp(icmp.payload, 16)).toBe(gatewayIp);
    expect((icmp.payload[20]! << 8) | icmp.payload[21]!).toBe(5001);
  });

  it('answers a stray segment for no connection with RST', () => {
    const net = network();
    const g = new GuestTcp(net, gatewayIp, 9, 40004);
    g.send(TCP_ACK, Uint8Array.of(1));
    g.pump();
    expect(g.rstReceived).toMatchObject({ flags: TCP_RST, seq: 0 });
  });
});

describe('UserNetwork limits', () => {
  const tcpCount = (net: UserNetwork) => (net as unknown as { tcp: Map<string, unknown> }).tcp.size;
  const udpFlows = (net: UserNetwork) => (net as unknown as { udp: Map<string, { pending: unknown[]; sending: number }> }).udp;

  it('drops UDP to port 0 (the host cannot send there) without an internal error or a flow left behind', () => {
    const net = network();
    for (let i = 0; i < 3; i++) net.send(udpFrame(guestIp, gatewayIp, { srcPort: 5002, dstPort: 0, payload: Uint8Array.of(1) }));
    expect(net.stats.internalErrors).toBe(0);
    expect(udpFlows(net).size).toBe(0);
    expect(net.stats.ignored).toBe(3);
  });

  it('refuses guest connections beyond maxConnections with RST-ACK, opening no host socket for them', async () => {
    const port = await listen(() => {});
    const net = network({ maxConnections: 3 });
    const guests = Array.from({ length: 5 }, (_, i) => new GuestTcp(net, gatewayIp, port, 41000 + i));
    for (const g of guests) g.send(TCP_SYN);
    expect(tcpCount(net)).toBe(3);
    expect(net.stats.overLimit).toBe(2);
    const frames = drain(net);
    expect(frames.filter((r) => r.tcp?.flags === (TCP_RST | TCP_ACK)).map((r) => r.tcp!.dstPort)).toEqual([41003, 41004]);
  });

  it('refuses host connections to a forward beyond maxConnections', async () => {
    const net = network({ maxConnections: 1, hostForwards: parseNetOption('user,hostfwd=tcp::0-:8080').hostForwards });
    await net.start();
    const port = net.forwards[0]!.hostPort;
    const a = connect({ port, host: '127.0.0.1' });
    await until(() => tcpCount(net) === 1, 'the first forward');
    const b = connect({ port, host: '127.0.0.1' });
    let closed = false;
    b.on('close', () => (closed = true));
    b.on('error', () => {});
    await until(() => closed, 'the second connection to be closed');
    expect(tcpCount(net)).toBe(1);
    expect(net.stats.overLimit).toBe(1);
    a.destroy();
  });

  it('opens at most maxUdpFlows host UDP sockets, and holds a bounded number of datagrams while one opens', () => {
    const net = network({ maxUdpFlows: 2 });
    for (let p = 1; p <= 4; p++) net.send(udpFrame(guestIp, gatewayIp, { srcPort: 6000 + p, dstPort: 9, payload: Uint8Array.of(p) }));
    expect(udpFlows(net).size).toBe(2);
    expect(net.stats.overLimit).toBe(2);
    // The machine may run a long time without yielding to the event loop: datagrams wait, but not without bound.
    for (let i = 0; i < 1000; i++) net.send(udpFrame(guestIp, gatewayIp, { srcPort: 6001, dstPort: 9, payload: new Uint8Array(100) }));
    expect([...udpFlows(net).values()][0]!.pending.length).toBeLessThanOrEqual(64);
  });

  it('drops datagrams beyond 256 sends in flight on one flow, and sends again once they are done', async () => {
    const sink = createSocket('udp4');
    let received = 0;
    sink.on('message', () => received++);
    await new Promise<void>((r) => sink.bind(0, '127.0.0.1', () => r()));
    const port = sink.address().port;
    try {
      const net = network();
      const send = (n: number) => { for (let i = 0; i < n; i++) net.send(udpFrame(guestIp, gatewayIp, { srcPort: 7000, dstPort: port, payload: new Uint8Array(16) })); };
      send(1);
      await until(() => received === 1, 'the first datagram');
      // The machine sends 1000 without yielding: send callbacks come only on a later event-loop turn.
      send(1000);
      expect(net.stats.udpDropped).toBe(1000 - 256);
      const flow = [...udpFlows(net).values()][0]!;
      expect(flow.sending).toBe(256);
      await until(() => flow.sending === 0, 'the sends to complete');
      send(1);
      expect(net.stats.udpDropped).toBe(1000 - 256);
      await until(() => received > 1, 'datagrams after the burst');
    } finally {
      sink.close();
    }
  });

  it('resolves a bounded number of DNS questions at once', async () => {
    const asked: string[] = [];
    const net = network({ resolver: (name) => (asked.push(name), new Promise<string[]>(() => {})) }); // a resolver that never answers
    for (let i = 0; i < 500; i++) {
      const q = dnsPacket.encode({ type: 'query', id: i, questions: [{ type: 'A', name: `n${i}.example` }] });
      net.send(udpFrame(guestIp, dnsIp, { srcPort: 20000 + i, dstPort: 53, payload: q }));
    }
    // Questions in one query are many lookups too.
    const many = dnsPacket.encode({ type: 'query', id: 1, questions: Array.from({ length: 50 }, (_, i) => ({ type: 'A' as const, name: `m${i}.example` })) });
    net.send(udpFrame(guestIp, dnsIp, { srcPort: 3000, dstPort: 53, payload: many }));
    await new Promise((r) => setTimeout(r, 20));
    expect(asked.length).toBeLessThanOrEqual(64);
    expect(net.stats.internalErrors).toBe(0);
  });
});

describe('UserNetwork fuzz', () => {
  it('survives malformed frames: drops them, counts them, keeps serving', () => {
    const net = network();
    const rnd = seededRandom(0x9e3779b9);
    const valid = [
      arpRequest(gatewayIp),
      pingFrame(gatewayIp, 1, 2, new Uint8Array(16)),
      udpFrame(0, 0xffffffff, { srcPort: 68, dstPort: 67, payload: dhcpMessage(1, 7) }),
      udpFrame(guestIp, dnsIp, { srcPort: 1, dstPort: 53, payload: new Uint8Array(12) }),
      new GuestTcpFrame().ack(),
    ];
    let frames = 0;
    for (let i = 0; i < 10_000; i++) {
      let f: Uint8Array;
      const kind = rnd(4);
      if (kind === 0) f = randomFrom(rnd, rnd(100));
      else {
        f = valid[rnd(valid.length)]!.slice();
        if (kind === 1) for (let k = 1 + rnd(4); k > 0; k--) f[rnd(f.length)] = rnd(256); // flip bytes
        else if (kind === 2) f = f.subarray(0, rnd(f.length)); // truncate
        else f = Uint8Array.from([...f, ...randomFrom(rnd, rnd(40))]); // trailing junk
      }
      expect(() => net.send(f)).not.toThrow();
      frames++;
      while (net.receive());
    }
    expect(net.stats.malformed).toBeGreaterThan(5_000);
    expect(net.stats.internalErrors).toBe(0);
    expect(net.stats.framesFromGuest).toBe(frames);
    net.send(pingFrame(gatewayIp, 1, 1, new Uint8Array(4)));
    expect(drain(net).at(-1)!.icmp!.type).toBe(ICMP_ECHO_REPLY);
  });
});

describe('UserNetwork and a broken frame', () => {
  it('keeps answering the guest MAC after an IPv4 frame that does not parse came from another', async () => {
    let answer!: (a: string[]) => void;
    const net = network({ resolver: () => new Promise<string[]>((r) => (answer = r)) });
    net.send(udpFrame(guestIp, dnsIp, { srcPort: 3337, dstPort: 53, payload: dnsPacket.encode({ type: 'query', id: 1, questions: [{ type: 'A', name: 'localhost' }] }) }));
    await until(() => answer !== undefined, 'the lookup');
    const bad = pingFrame(gatewayIp, 1, 2, new Uint8Array(4));
    bad.set([0x02, 0, 0, 0, 0, 1], 6); // another source MAC...
    bad[14 + 10] ^= 0xff; // ...and a broken IPv4 header checksum
    net.send(bad);
    expect(net.stats.malformed).toBe(1);
    answer(['127.0.0.1']); // the answer comes after the broken frame
    const got: ReturnType<typeof readFrame>[] = [];
    await until(() => (got.push(...drain(net)), got.length === 1), 'the DNS answer');
    expect([...got[0]!.dstMac]).toEqual([...GUEST_MAC]);
  });
});

describe('UserNetwork fuzz on a live connection', () => {
  it('takes seeded random, well-formed segments on a connection to a host socket without an internal error', async () => {
    const received: Buffer[] = [];
    const port = await listen((sock) => {
      sock.on('data', (d) => {
        received.push(d);
        sock.write(d); // echo, so the host side sends too
      });
      sock.on('error', () => {});
    });
    const net = network();
    const live = () => (net as unknown as { tcp: Map<string, unknown> }).tcp.size > 0;
    let localPort = 42000;
    let g = new GuestTcp(net, gatewayIp, port, localPort);
    await g.connect();
    let connections = 1;
    const rnd = seededRandom(0x6b43a9b5);
    const flags = [TCP_ACK, TCP_ACK, TCP_ACK | TCP_FIN, TCP_SYN, TCP_ACK | TCP_SYN, TCP_RST, 0];
    for (let i = 0; i < 2000; i++) {
      if (!live()) {
        // The fuzz reset or closed it: a new connection, so the data path keeps being exercised.
        while (net.receive());
        g = new GuestTcp(net, gatewayIp, port, ++localPort);
        await g.connect();
        connections++;
      }
      const near = (base: number) => (base + rnd(140_000) - 70_000) >>> 0;
      net.send(tcpFrame(gatewayIp, seg({ srcPort: localPort, dstPort: port, seq: rnd(2) ? g.sndNxt : near(g.sndNxt), ack: rnd(2) ? g.rcvNxt : near(g.rcvNxt), flags: flags[rnd(flags.length)]!, window: rnd(65536), payload: new Uint8Array(rnd(1500)) })));
      while (net.receive());
      if (i % 100 === 0) await new Promise((r) => setImmediate(r)); // let the host socket move
    }
    expect(net.stats.internalErrors).toBe(0);
    expect(net.stats.malformed).toBe(0);
    expect(connections).toBeGreaterThan(1);
    expect(received.reduce((n, b) => n + b.length, 0)).toBeGreaterThan(0);
    net.send(pingFrame(gatewayIp, 1, 1, new Uint8Array(4)));
    expect(drain(net).some((r) => r.icmp?.type === ICMP_ECHO_REPLY)).toBe(true);
  });
});

function randomFrom(rnd: (n: number) => number, n: number): Uint8Array {
  return Uint8Array.from({ length: n }, () => rnd(256));
}

/** A data segment for no connection (answered with RST, no host socket), for the fuzz's seed frames. */
class GuestTcpFrame {
  ack(): Uint8Array {
    const frames: Uint8Array[] = [];
    const fake = { send: (f: Uint8Array) => frames.push(f.slice()), receive: () => null } as unknown as UserNetwork;
    new GuestTcp(fake, gatewayIp, 1, 40005).send(TCP_ACK, Uint8Array.of(1, 2, 3));
    return frames[0]!;
  }
}
