/** A minimal guest-side TCP endpoint over a UserNetwork, driven by hand-built segments: for the unit tests. */
import type { UserNetwork } from '../user-network.js';
import { seqAdd, seqDiff, TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, type TcpSegment } from '../wire/tcp-segment.js';
import { guestIp, readFrame, tcpFrame } from './guest-frames.js';

export async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

export class GuestTcp {
  rcvNxt = 0;
  sndNxt = 1_000_000;
  sndUna = 1_000_000;
  peerWindow = 0;
  readonly received: Uint8Array[] = [];
  receivedBytes = 0;
  finReceived = false;
  rstReceived: TcpSegment | null = null;
  /** Segments that arrived for this connection, in order. */
  readonly segments: TcpSegment[] = [];

  constructor(private readonly net: UserNetwork, readonly remote: number, readonly remotePort: number, readonly localPort: number) {}

  /** Reads every frame waiting; handles this connection's segments. */
  pump(): void {
    for (let f = this.net.receive(); f; f = this.net.receive()) {
      const r = readFrame(f);
      if (!r.tcp || r.ip!.src !== this.remote || r.tcp.srcPort !== this.remotePort || r.tcp.dstPort !== this.localPort) continue;
      this.onSegment(r.tcp);
    }
  }

  private onSegment(s: TcpSegment): void {
    this.segments.push(s);
    if (s.flags & TCP_RST) {
      this.rstReceived = s;
      return;
    }
    if (s.flags & TCP_SYN) {
      this.rcvNxt = seqAdd(s.seq, 1);
      this.peerWindow = s.window;
      if (s.flags & TCP_ACK) this.sndUna = s.ack;
      return;
    }
    if (s.flags & TCP_ACK && seqDiff(s.ack, this.sndUna) > 0) this.sndUna = s.ack;
    this.peerWindow = s.window;
    const len = s.payload.length + (s.flags & TCP_FIN ? 1 : 0);
    if (len === 0) return;
    if (s.seq === this.rcvNxt) {
      if (s.payload.length) {
        this.received.push(s.payload.slice());
        this.receivedBytes += s.payload.length;
      }
      this.rcvNxt = seqAdd(this.rcvNxt, len);
      if (s.flags & TCP_FIN) this.finReceived = true;
    }
    this.send(TCP_ACK);
  }

  send(flags: number, payload: Uint8Array = new Uint8Array(0)): void {
    this.net.send(tcpFrame(this.remote, { srcPort: this.localPort, dstPort: this.remotePort, seq: this.sndNxt, ack: flags & TCP_ACK ? this.rcvNxt : 0, flags, window: 65535, payload, mss: flags & TCP_SYN ? 1460 : undefined }, guestIp));
    this.sndNxt = seqAdd(this.sndNxt, payload.length + (flags & (TCP_SYN | TCP_FIN) ? 1 : 0));
  }

  async connect(): Promise<void> {
    this.send(TCP_SYN);
    await until(() => (this.pump(), this.segments.length > 0), 'the SYN-ACK');
    const s = this.segments[0]!;
    if (s.flags !== (TCP_SYN | TCP_ACK)) throw new Error(`expected SYN-ACK, got flags ${s.flags}`);
    this.send(TCP_ACK);
  }

  /** Sends `data` within the peer's window, waiting for ACKs, then FIN if asked. */
  async write(data: Uint8Array, fin: boolean): Promise<void> {
    let off = 0;
    while (off < data.length) {
      this.pump();
      const inFlight = seqDiff(this.sndNxt, this.sndUna);
      const room = this.peerWindow - inFlight;
      if (room <= 0) {
        await new Promise((r) => setTimeout(r, 1));
        continue;
      }
      const n = Math.min(1460, room, data.length - off);
      this.send(TCP_ACK | TCP_PSH, data.subarray(off, off + n));
      off += n;
    }
    if (fin) this.send(TCP_ACK | TCP_FIN);
    await until(() => (this.pump(), this.sndUna === this.sndNxt), 'every byte acknowledged');
  }

  concat(): Uint8Array {
    const out = new Uint8Array(this.receivedBytes);
    let at = 0;
    for (const c of this.received) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}
