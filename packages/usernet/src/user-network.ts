/**
 * User-mode networking: a virtual LAN behind the guest's virtio-net, in the
 * host process, with QEMU's `-netdev user` addresses:
 *
 *   10.0.2.15  the guest (by DHCP)     10.0.2.2  gateway = the host (127.0.0.1)
 *   10.0.2.3   DNS (the host's resolver)
 *
 * It is a PacketPort: the guest's frames arrive in `send()` and are handled
 * at once (ARP, DHCP, ICMP echo, TCP and UDP NAT to host sockets); frames for
 * the guest wait in a queue until the device pulls them with `receive()`.
 * Under `prnr record` the recorder wraps this port and logs each frame
 * `receive()` returns with its instruction count, so a replay serves the
 * frames from the log and never needs this class or a socket.
 *
 * Host sockets and timers live on the Node event loop; this class never
 * throws into the machine: a frame it cannot parse is counted and dropped.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { randomInt } from 'node:crypto';
import type { PacketPort } from '@prnr/devices';
import { answerDnsQuery, hostResolver, type HostResolver } from './dns-proxy.js';
import { dhcpReply, parseDhcp, DHCP_CLIENT_PORT, DHCP_SERVER_PORT, type DhcpConfig } from './dhcp-server.js';
import type { HostForward } from './net-option.js';
import { TcpConnection, type TcpConnectionHooks } from './tcp-connection.js';
import { buildArp, parseArp, ARP_REPLY, ARP_REQUEST } from './wire/arp.js';
import { BROADCAST_MAC, buildEthernet, ETHERTYPE_ARP, ETHERTYPE_IPV4, parseEthernet } from './wire/ethernet.js';
import { buildIcmp, parseIcmp, ICMP_DEST_UNREACHABLE, ICMP_ECHO_REPLY, ICMP_ECHO_REQUEST, ICMP_PORT_UNREACHABLE } from './wire/icmp.js';
import { buildIpv4, ipToString, parseIp, parseIpv4, readIp, IP_PROTO_ICMP, IP_PROTO_TCP, IP_PROTO_UDP, type Ipv4Packet } from './wire/ipv4.js';
import { MalformedPacket } from './wire/malformed.js';
import { buildTcp, parseTcp, seqAdd, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, type TcpSegment } from './wire/tcp-segment.js';
import { buildUdp, parseUdp } from './wire/udp.js';

export const NET_PREFIX = parseIp('10.0.2.0')!;
export const NETMASK = parseIp('255.255.255.0')!;
export const GUEST_IP = parseIp('10.0.2.15')!;
export const GATEWAY_IP = parseIp('10.0.2.2')!;
export const DNS_IP = parseIp('10.0.2.3')!;
/** QEMU slirp's MAC for its virtual hosts. */
export const GATEWAY_MAC = Uint8Array.of(0x52, 0x55, 0x0a, 0x00, 0x02, 0x02);
const DEFAULT_GUEST_MAC = Uint8Array.of(0x52, 0x54, 0x00, 0x12, 0x34, 0x56);
const LIMITED_BROADCAST = 0xffffffff;

/** Stop reading a host socket while this many bytes wait for the guest; read again below the low mark. */
const HOST_READ_HIGH = 256 * 1024;
const HOST_READ_LOW = 64 * 1024;
/** The most bytes the guest may have in flight toward a host socket. */
const GUEST_WINDOW = 0xffff;
const UDP_IDLE_MS = 60_000;
/** Datagrams kept for a UDP flow whose host socket is still opening; beyond, they are dropped (UDP may lose them). */
const UDP_PENDING_MAX = 64;
/**
 * Datagrams handed to a flow's host socket and not yet sent; beyond, they are dropped. A machine
 * that runs without yielding to the event loop would otherwise queue sends in libuv without bound
 * when the host socket is slower than the guest.
 */
const UDP_SENDING_MAX = 256;
/** DNS queries resolved at once (one question each): lookups hold the libuv threads that the recorder's file writes need too. */
const DNS_LOOKUPS_MAX = 64;
const TICK_MS = 200;

export interface UserNetworkOptions {
  hostForwards?: readonly HostForward[];
  /** Name lookups for the guest's DNS queries. Default: the host's resolver (node:dns). */
  resolver?: HostResolver;
  /** Frames kept for the guest at most; beyond, the oldest is dropped (TCP retransmits). Default 4096. */
  maxQueued?: number;
  /** TCP retransmission timeout toward the guest, in host milliseconds. Default 1000. */
  rtoMs?: number;
  /** TCP connections (guest's and port forwards') open at once; beyond, a guest SYN gets RST and a host connection is closed. Default 1024. */
  maxConnections?: number;
  /** UDP flows (host sockets) open at once; beyond, datagrams of new flows are dropped. Default 256. */
  maxUdpFlows?: number;
}

export interface UserNetworkStats {
  framesFromGuest: number;
  framesToGuest: number;
  /** Guest frames that did not parse (dropped). */
  malformed: number;
  /** Guest frames for nothing this network serves (dropped). */
  ignored: number;
  /** Frames for the guest dropped because the queue was full. */
  dropped: number;
  /** Guest UDP datagrams dropped because their host socket had too many waiting (opening, or sends in flight). */
  udpDropped: number;
  tcpConnections: number;
  tcpRefused: number;
  udpFlows: number;
  /** Connections and UDP flows refused because maxConnections / maxUdpFlows were open, and DNS queries dropped while too many lookups ran. */
  overLimit: number;
  /** Errors inside the stack (a bug, or a host call that threw): counted, never thrown into the machine. */
  internalErrors: number;
}

export interface ActiveForward {
  hostAddress: string;
  hostPort: number;
  guestAddress: string;
  guestPort: number;
}

interface TcpEntry {
  conn: TcpConnection;
  socket: Socket | null;
  paused: boolean;
  hostEnded: boolean;
}

interface UdpFlow {
  socket: UdpSocket;
  ready: boolean;
  pending: Uint8Array[];
  /** Sends handed to the socket whose callback has not come yet. */
  sending: number;
  lastUsedMs: number;
  guestPort: number;
  remote: number;
  remotePort: number;
  /** The last datagram's IP header and first 8 payload bytes, quoted by an ICMP error. */
  lastQuote: Uint8Array;
}

export class UserNetwork implements PacketPort {
  readonly stats: UserNetworkStats = { framesFromGuest: 0, framesToGuest: 0, malformed: 0, ignored: 0, dropped: 0, udpDropped: 0, tcpConnections: 0, tcpRefused: 0, udpFlows: 0, overLimit: 0, internalErrors: 0 };
  private readonly queue: Uint8Array[] = [];
  private readonly maxQueued: number;
  private readonly resolver: HostResolver;
  private readonly rtoMs: number;
  private readonly maxConnections: number;
  private readonly maxUdpFlows: number;
  /** DNS queries being resolved now. */
  private dnsLookups = 0;
  private readonly hostForwards: readonly HostForward[];
  private readonly servers: { server: Server; forward: HostForward }[] = [];
  private readonly tcp = new Map<string, TcpEntry>();
  private readonly udp = new Map<string, UdpFlow>();
  private readonly dhcp: DhcpConfig = { guest: GUEST_IP, gateway: GATEWAY_IP, dns: DNS_IP, netmask: NETMASK, leaseSeconds: 86400 };
  private guestMac: Uint8Array = DEFAULT_GUEST_MAC;
  private nextForwardPort = 40000;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(o: UserNetworkOptions = {}) {
    this.maxQueued = o.maxQueued ?? 4096;
    this.resolver = o.resolver ?? hostResolver;
    this.rtoMs = o.rtoMs ?? 1000;
    this.maxConnections = o.maxConnections ?? 1024;
    this.maxUdpFlows = o.maxUdpFlows ?? 256;
    this.hostForwards = o.hostForwards ?? [];
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
  }

  /** Opens the host ports of the forwards. Rejects (with the port in the message) when one cannot be bound. */
  async start(): Promise<void> {
    for (const forward of this.hostForwards) {
      const server = createServer({ allowHalfOpen: true }, (socket) => this.acceptForward(forward, socket));
      await new Promise<void>((resolve, reject) => {
        server.once('error', (e) => reject(new Error(`cannot listen on ${forward.hostAddress}:${forward.hostPort} for hostfwd: ${(e as Error).message}`)));
        server.listen(forward.hostPort, forward.hostAddress, () => resolve());
      });
      server.on('error', () => this.stats.internalErrors++);
      this.servers.push({ server, forward });
    }
  }

  /** The forwards listening now, with the host ports actually bound. */
  get forwards(): ActiveForward[] {
    return this.servers.map(({ server, forward }) => {
      const a = server.address();
      const hostPort = a && typeof a === 'object' ? a.port : forward.hostPort;
      return { hostAddress: forward.hostAddress, hostPort, guestAddress: ipToString(forward.guestAddress ?? GUEST_IP), guestPort: forward.guestPort };
    });
  }

  /** Frames waiting for the guest. */
  get queued(): number {
    return this.queue.length;
  }

  // ---- PacketPort -------------------------------------------------------------------------

  send(frame: Uint8Array): void {
    if (this.closed) return;
    this.stats.framesFromGuest++;
    try {
      this.handleFrame(frame.slice());
    } catch (e) {
      if (e instanceof MalformedPacket) this.stats.malformed++;
      else this.stats.internalErrors++;
    }
  }

  receive(): Uint8Array | null {
    return this.queue.shift() ?? null;
  }

  /** Closes every socket, server and timer. Frames still queued are dropped. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    for (const e of this.tcp.values()) e.socket?.destroy();
    this.tcp.clear();
    for (const f of this.udp.values()) f.socket.close();
    this.udp.clear();
    await Promise.all(this.servers.map(({ server }) => new Promise<void>((resolve) => server.close(() => resolve()))));
    this.queue.length = 0;
  }

  // ---- Dispatch ---------------------------------------------------------------------------

  private handleFrame(frame: Uint8Array): void {
    const eth = parseEthernet(frame);
    if (eth.src[0]! & 1) throw new MalformedPacket('source MAC is a multicast address');
    if (eth.ethertype === ETHERTYPE_ARP) return this.handleArp(eth.src, eth.payload);
    if (eth.ethertype !== ETHERTYPE_IPV4) {
      this.stats.ignored++; // IPv6 and others: this network is IPv4 only
      return;
    }
    const ip = parseIpv4(eth.payload);
    this.guestMac = eth.src.slice(); // only from a frame that parses: a broken one must not redirect the answers
    if (ip.protocol === IP_PROTO_UDP) return this.handleUdp(ip);
    if (ip.protocol === IP_PROTO_TCP) return this.handleTcp(ip);
    if (ip.protocol === IP_PROTO_ICMP) return this.handleIcmp(ip);
    this.stats.ignored++;
  }

  private handleArp(srcMac: Uint8Array, payload: Uint8Array): void {
    const arp = parseArp(payload);
    if (arp.op !== ARP_REQUEST) return;
    const target = readIp(arp.targetIp, 0);
    if (!this.isVirtualHost(target)) {
      this.stats.ignored++;
      return;
    }
    this.guestMac = srcMac.slice();
    const reply = buildArp({ op: ARP_REPLY, senderMac: GATEWAY_MAC, senderIp: arp.targetIp, targetMac: arp.senderMac, targetIp: arp.senderIp });
    this.enqueue(buildEthernet(srcMac, GATEWAY_MAC, ETHERTYPE_ARP, reply));
  }

  private handleIcmp(ip: Ipv4Packet): void {
    const m = parseIcmp(ip.payload);
    if (m.type !== ICMP_ECHO_REQUEST || !this.isVirtualHost(ip.dst)) {
      this.stats.ignored++; // echo beyond the virtual hosts would need raw sockets: unanswered, as a firewall would
      return;
    }
    this.toGuest(ip.dst, ip.src, IP_PROTO_ICMP, buildIcmp({ type: ICMP_ECHO_REPLY, code: 0, rest: m.rest, payload: m.payload }));
  }

  // ---- UDP: DHCP, DNS, NAT -------------------------------------------------------------------

  private handleUdp(ip: Ipv4Packet): void {
    const d = parseUdp(ip.payload, ip.src, ip.dst);
    if (d.dstPort === DHCP_SERVER_PORT && (ip.dst === LIMITED_BROADCAST || ip.dst === GATEWAY_IP)) {
      const reply = dhcpReply(parseDhcp(d.payload), this.dhcp);
      if (reply) this.toGuest(GATEWAY_IP, LIMITED_BROADCAST, IP_PROTO_UDP, buildUdp(GATEWAY_IP, LIMITED_BROADCAST, { srcPort: DHCP_SERVER_PORT, dstPort: DHCP_CLIENT_PORT, payload: reply }), BROADCAST_MAC);
      return;
    }
    if (ip.dst === DNS_IP && d.dstPort === 53) {
      if (this.dnsLookups >= DNS_LOOKUPS_MAX) {
        this.stats.overLimit++; // the guest's resolver asks again
        return;
      }
      const { srcPort } = d;
      const src = ip.src;
      this.dnsLookups++;
      void (async () => {
        try {
          const answer = await answerDnsQuery(d.payload, this.resolver);
          if (answer && !this.closed) this.toGuest(DNS_IP, src, IP_PROTO_UDP, buildUdp(DNS_IP, src, { srcPort: 53, dstPort: srcPort, payload: answer }));
        } catch {
          this.stats.internalErrors++; // never an unhandled rejection: that would end the host process
        } finally {
          this.dnsLookups--;
        }
      })();
      return;
    }
    const host = this.hostAddressFor(ip.dst);
    if (host === null || d.dstPort === 0) {
      this.stats.ignored++; // port 0 cannot be sent to from a host socket
      return;
    }
    const key = `${d.srcPort}|${ip.dst}|${d.dstPort}`;
    let flow = this.udp.get(key);
    if (!flow) {
      if (this.udp.size >= this.maxUdpFlows) {
        this.stats.overLimit++;
        return;
      }
      flow = this.openUdpFlow(key, d.srcPort, ip.dst, d.dstPort, host);
    }
    flow.lastUsedMs = performance.now();
    flow.lastQuote = concat(ip.header, ip.payload.subarray(0, 8));
    if (flow.ready) this.sendUdp(flow, d.payload);
    else if (flow.pending.length < UDP_PENDING_MAX) flow.pending.push(d.payload.slice());
    else this.stats.udpDropped++;
  }

  private sendUdp(flow: UdpFlow, payload: Uint8Array): void {
    if (flow.sending >= UDP_SENDING_MAX) {
      this.stats.udpDropped++;
      return;
    }
    flow.sending++;
    flow.socket.send(payload, () => { flow.sending--; });
  }

  private openUdpFlow(key: string, guestPort: number, remote: number, remotePort: number, host: string): UdpFlow {
    const socket = createSocket('udp4');
    const flow: UdpFlow = { socket, ready: false, pending: [], sending: 0, lastUsedMs: performance.now(), guestPort, remote, remotePort, lastQuote: new Uint8Array(0) };
    this.udp.set(key, flow);
    this.stats.udpFlows++;
    socket.on('message', (msg) => {
      if (this.closed) return;
      flow.lastUsedMs = performance.now();
      // Too big for one Ethernet frame: this stack does not fragment, so the datagram is lost, as on a narrow link.
      if (msg.length > 1500 - 28) return;
      this.toGuest(remote, GUEST_IP, IP_PROTO_UDP, buildUdp(remote, GUEST_IP, { srcPort: remotePort, dstPort: guestPort, payload: new Uint8Array(msg) }));
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ECONNREFUSED' && !this.closed) {
        // The host answered "port unreachable": tell the guest the same (RFC 792).
        this.toGuest(remote, GUEST_IP, IP_PROTO_ICMP, buildIcmp({ type: ICMP_DEST_UNREACHABLE, code: ICMP_PORT_UNREACHABLE, rest: new Uint8Array(4), payload: flow.lastQuote }));
        return;
      }
      socket.close();
      this.udp.delete(key);
    });
    socket.connect(remotePort, host, () => {
      flow.ready = true;
      for (const p of flow.pending) this.sendUdp(flow, p);
      flow.pending = [];
    });
    return flow;
  }

  // ---- TCP NAT --------------------------------------------------------------------------------

  private handleTcp(ip: Ipv4Packet): void {
    const seg = parseTcp(ip.payload, ip.src, ip.dst);
    const key = `${seg.srcPort}|${ip.dst}|${seg.dstPort}`;
    const entry = this.tcp.get(key);
    const now = performance.now();
    if (entry) {
      entry.conn.input(seg, now);
      if (entry.paused && entry.conn.buffered < HOST_READ_LOW && entry.socket) {
        entry.paused = false;
        entry.socket.resume();
      }
      return;
    }
    if ((seg.flags & (TCP_SYN | TCP_ACK | TCP_RST)) !== TCP_SYN) {
      this.resetUnknown(ip, seg);
      return;
    }
    const host = this.hostAddressFor(ip.dst);
    if (host === null) {
      this.resetUnknown(ip, seg);
      return;
    }
    if (this.tcp.size >= this.maxConnections) {
      this.stats.overLimit++;
      this.resetUnknown(ip, seg);
      return;
    }
    this.stats.tcpConnections++;
    const e: TcpEntry = { conn: undefined as unknown as TcpConnection, socket: null, paused: false, hostEnded: false };
    e.conn = TcpConnection.fromGuestSyn({ guestPort: seg.srcPort, localPort: seg.dstPort, iss: randomInt(2 ** 32), rtoMs: this.rtoMs, hooks: this.hooks(key, e, ip.dst, ip.src) }, seg);
    this.tcp.set(key, e);
    const socket = connect({ host, port: seg.dstPort, allowHalfOpen: true });
    this.attachSocket(e, socket);
    socket.once('connect', () => e.conn.hostConnected(performance.now()));
  }

  /** A host connection to a forwarded port: open a connection to the guest. */
  private acceptForward(forward: HostForward, socket: Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    if (this.tcp.size >= this.maxConnections) {
      this.stats.overLimit++;
      socket.destroy();
      return;
    }
    const guest = forward.guestAddress ?? GUEST_IP;
    let localPort = this.nextForwardPort;
    while (this.tcp.has(`${forward.guestPort}|${GATEWAY_IP}|${localPort}`)) localPort = localPort >= 65535 ? 40000 : localPort + 1;
    this.nextForwardPort = localPort >= 65535 ? 40000 : localPort + 1;
    const key = `${forward.guestPort}|${GATEWAY_IP}|${localPort}`;
    this.stats.tcpConnections++;
    const e: TcpEntry = { conn: undefined as unknown as TcpConnection, socket: null, paused: false, hostEnded: false };
    this.tcp.set(key, e);
    e.conn = TcpConnection.toGuest({ guestPort: forward.guestPort, localPort, iss: randomInt(2 ** 32), rtoMs: this.rtoMs, hooks: this.hooks(key, e, GATEWAY_IP, guest) }, performance.now());
    this.attachSocket(e, socket);
  }

  private hooks(key: string, e: TcpEntry, local: number, guest: number): TcpConnectionHooks {
    return {
      emit: (seg: TcpSegment) => this.toGuest(local, guest, IP_PROTO_TCP, buildTcp(local, guest, seg)),
      data: (bytes: Uint8Array) => e.socket?.write(bytes),
      guestEnded: () => e.socket?.end(),
      established: () => {},
      reset: () => e.socket?.destroy(),
      closed: () => {
        if (this.tcp.get(key) === e) this.tcp.delete(key);
      },
      receiveWindow: () => GUEST_WINDOW - (e.socket?.writableLength ?? 0),
    };
  }

  private attachSocket(e: TcpEntry, socket: Socket): void {
    e.socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => {
      e.conn.write(new Uint8Array(d.buffer, d.byteOffset, d.length));
      if (!e.paused && e.conn.buffered > HOST_READ_HIGH) {
        e.paused = true;
        socket.pause();
      }
    });
    socket.on('drain', () => e.conn.windowUpdate());
    socket.on('end', () => {
      e.hostEnded = true;
      e.conn.end();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (e.conn.state === 'connecting') {
        if (err.code === 'ECONNREFUSED') this.stats.tcpRefused++;
        e.conn.hostRefused();
      } else e.conn.abort();
    });
    socket.on('close', () => {
      // Closed without a clean end from the host (destroyed, reset): the guest gets a RST.
      if (!e.hostEnded && e.conn.state !== 'closed') e.conn.abort();
    });
  }

  /** RFC 9293 §3.10.7.1: a segment for no connection gets a RST (unless it is one). */
  private resetUnknown(ip: Ipv4Packet, seg: TcpSegment): void {
    if (seg.flags & TCP_RST) return;
    const len = seg.payload.length + (seg.flags & TCP_SYN ? 1 : 0) + (seg.flags & TCP_FIN ? 1 : 0);
    const rst: TcpSegment =
      seg.flags & TCP_ACK
        ? { srcPort: seg.dstPort, dstPort: seg.srcPort, seq: seg.ack, ack: 0, flags: TCP_RST, window: 0, payload: new Uint8Array(0) }
        : { srcPort: seg.dstPort, dstPort: seg.srcPort, seq: 0, ack: seqAdd(seg.seq, len), flags: TCP_RST | TCP_ACK, window: 0, payload: new Uint8Array(0) };
    this.toGuest(ip.dst, ip.src, IP_PROTO_TCP, buildTcp(ip.dst, ip.src, rst));
  }

  // ---- Helpers --------------------------------------------------------------------------------

  private tick(): void {
    const now = performance.now();
    for (const e of [...this.tcp.values()]) {
      try {
        e.conn.tick(now);
      } catch {
        this.stats.internalErrors++;
      }
    }
    for (const [key, f] of this.udp) {
      if (now - f.lastUsedMs > UDP_IDLE_MS) {
        f.socket.close();
        this.udp.delete(key);
      }
    }
  }

  /** The gateway and DNS addresses answer ARP and ping. */
  private isVirtualHost(ip: number): boolean {
    return ip === GATEWAY_IP || ip === DNS_IP;
  }

  /** Where a guest destination is on the host: the gateway is the host's loopback; other virtual addresses go nowhere. */
  private hostAddressFor(dst: number): string | null {
    if (dst === GATEWAY_IP) return '127.0.0.1';
    if (((dst & NETMASK) >>> 0) === NET_PREFIX) return null;
    if (dst === LIMITED_BROADCAST || dst >>> 28 === 0xe || dst >>> 24 === 0 || dst >>> 24 === 127) return null;
    return ipToString(dst);
  }

  private toGuest(src: number, dst: number, protocol: number, payload: Uint8Array, dstMac: Uint8Array = this.guestMac): void {
    this.enqueue(buildEthernet(dstMac, GATEWAY_MAC, ETHERTYPE_IPV4, buildIpv4(src, dst, protocol, payload)));
  }

  private enqueue(frame: Uint8Array): void {
    if (this.closed) return;
    if (this.queue.length >= this.maxQueued) {
      this.queue.shift();
      this.stats.dropped++;
    }
    this.queue.push(frame);
    this.stats.framesToGuest++;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
