/**
 * One TCP connection as the guest sees it: this end plays the remote peer
 * (a host socket stands behind it). A small state machine after RFC 9293,
 * reduced to what a lossless virtual link needs:
 *
 * - in-order receive only: a segment that does not start at (or overlap) the
 *   next expected byte is dropped and answered with a duplicate ACK;
 * - go-back-N retransmission: on a timeout (`tick`) or three duplicate ACKs,
 *   sending restarts from the oldest unacknowledged byte;
 * - no window scaling, SACK or timestamps (the SYN carries only MSS), so the
 *   guest's window is at most 64 KiB.
 *
 * It owns no socket and no timer: the caller feeds it guest segments
 * (`input`), host events (`hostConnected`, `write`, `end`, `abort`) and the
 * clock (`tick`), and it answers through `TcpConnectionHooks`. That keeps it
 * testable with hand-built segments.
 */
import { ByteQueue } from './byte-queue.js';
import { seqAdd, seqDiff, TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, type TcpSegment } from './wire/tcp-segment.js';

export type TcpState =
  /** Guest sent SYN; waiting for the host socket to connect. */
  | 'connecting'
  /** SYN-ACK sent to the guest; waiting for its ACK. */
  | 'syn-received'
  /** SYN sent to the guest (a host port forward); waiting for its SYN-ACK. */
  | 'syn-sent'
  | 'established'
  | 'closed';

export interface TcpConnectionHooks {
  /** Send a segment to the guest. Ports, ack and window are filled in by the connection. */
  emit(segment: TcpSegment): void;
  /** Bytes the guest sent, in order, for the host socket. */
  data(bytes: Uint8Array): void;
  /** The guest will send no more (FIN). */
  guestEnded(): void;
  /** The guest accepted a connection this end opened (port forward). */
  established(): void;
  /** The guest reset the connection, or refused it. */
  reset(): void;
  /** Nothing more will happen: forget the connection. */
  closed(): void;
  /** Bytes this end can take now (the window advertised to the guest). */
  receiveWindow(): number;
}

export interface TcpConnectionOptions {
  /** The guest's port and this end's port (the remote port as the guest sees it). */
  guestPort: number;
  localPort: number;
  /** Initial send sequence number. */
  iss: number;
  hooks: TcpConnectionHooks;
  /** Milliseconds without progress before unacknowledged data is sent again. Default 1000. */
  rtoMs?: number;
}

/** The MSS this end announces and the most it sends per segment (Ethernet MTU 1500 - 40). */
export const TCP_MSS = 1460;
const MAX_WINDOW = 0xffff;
const MAX_RETRIES = 8;

export class TcpConnection {
  state: TcpState;
  private readonly hooks: TcpConnectionHooks;
  private readonly guestPort: number;
  private readonly localPort: number;
  private readonly rtoMs: number;
  private readonly iss: number;
  /** Oldest unacknowledged sequence number, and the next to send. */
  private sndUna: number;
  private sndNxt: number;
  /**
   * The highest sequence number sent so far. Go-back-N moves sndNxt back; an
   * ACK up to sndMax is still for data (or a FIN) the guest may have, e.g. when
   * a window that shrank meanwhile cut the retransmission short.
   */
  private sndMax: number;
  /** Bytes from sndUna on (sent but unacknowledged, then unsent). SYN and FIN are not in it. */
  private readonly sndBuf = new ByteQueue();
  private sndWnd = 0;
  private mss = 536; // RFC 9293's default until the guest's SYN says otherwise
  private rcvNxt = 0;
  /** The host ended: FIN follows the buffered data. */
  private hostEnded = false;
  /** The FIN's sequence number, once it was sent (it stays there through retransmissions). */
  private finSeq: number | null = null;
  private guestFinReceived = false;
  private dupAcks = 0;
  private lastProgressMs = 0;
  private retries = 0;
  private rto: number;
  /** The window advertised last, to know when a window update is worth sending. */
  private advertised = MAX_WINDOW;

  private constructor(o: TcpConnectionOptions, state: TcpState) {
    this.hooks = o.hooks;
    this.guestPort = o.guestPort;
    this.localPort = o.localPort;
    this.rtoMs = o.rtoMs ?? 1000;
    this.rto = this.rtoMs;
    this.iss = o.iss >>> 0;
    this.sndUna = this.iss;
    this.sndNxt = this.iss;
    this.sndMax = this.iss;
    this.state = state;
  }

  /** The guest's SYN opened this connection; call `hostConnected` or `hostRefused` when the host socket knows. */
  static fromGuestSyn(o: TcpConnectionOptions, syn: TcpSegment): TcpConnection {
    const c = new TcpConnection(o, 'connecting');
    c.rcvNxt = seqAdd(syn.seq, 1);
    c.sndWnd = syn.window;
    if (syn.mss) c.mss = Math.min(syn.mss, TCP_MSS);
    return c;
  }

  /** This end opens a connection to the guest (a host port forward): sends SYN. */
  static toGuest(o: TcpConnectionOptions, nowMs: number): TcpConnection {
    const c = new TcpConnection(o, 'syn-sent');
    c.lastProgressMs = nowMs;
    c.sendSyn();
    return c;
  }

  /** Bytes accepted from the host and not yet acknowledged by the guest. */
  get buffered(): number {
    return this.sndBuf.length;
  }

  hostConnected(nowMs: number): void {
    if (this.state !== 'connecting') return;
    this.state = 'syn-received';
    this.lastProgressMs = nowMs;
    this.sendSyn();
  }

  /** The host refused the connection: RST to the guest (RFC 9293 §3.10.7.1: ack the SYN). */
  hostRefused(): void {
    if (this.state !== 'connecting') return;
    this.emit(TCP_RST | TCP_ACK, 0, new Uint8Array(0));
    this.close();
  }

  /** Bytes from the host for the guest. */
  write(bytes: Uint8Array): void {
    if (this.state === 'closed' || this.hostEnded) return;
    this.sndBuf.push(bytes);
    this.flush();
  }

  /** The host finished sending: FIN after the buffered bytes. */
  end(): void {
    if (this.state === 'closed' || this.hostEnded) return;
    this.hostEnded = true;
    this.flush();
  }

  /** The host side broke (reset, error): RST to the guest, forget everything. */
  abort(): void {
    if (this.state === 'closed') return;
    if (this.state !== 'connecting') this.emit(TCP_RST | TCP_ACK, this.sndNxt, new Uint8Array(0));
    else this.emit(TCP_RST | TCP_ACK, 0, new Uint8Array(0));
    this.close();
  }

  /** The host took bytes off this end's hands: tell the guest if the window opened a lot. */
  windowUpdate(): void {
    if (this.state !== 'established') return;
    const w = Math.min(MAX_WINDOW, Math.max(0, this.hooks.receiveWindow()));
    if (w - this.advertised >= Math.min(MAX_WINDOW / 4, 2 * this.mss)) this.sendAck();
  }

  /** Timer: retransmit when nothing moved for a while (go-back-N), give up after MAX_RETRIES. */
  tick(nowMs: number): void {
    if (this.state === 'closed' || this.state === 'connecting') return;
    const outstanding = this.sndNxt !== this.sndUna;
    if (!outstanding) {
      this.lastProgressMs = nowMs;
      return;
    }
    if (nowMs - this.lastProgressMs < this.rto) return;
    if (++this.retries > MAX_RETRIES) {
      this.abort();
      this.hooks.reset();
      return;
    }
    this.rto = Math.min(this.rto * 2, 30_000);
    this.lastProgressMs = nowMs;
    this.goBack();
  }

  /** A segment from the guest for this connection. */
  input(seg: TcpSegment, nowMs: number): void {
    if (this.state === 'closed') return;
    if (seg.flags & TCP_RST) {
      // Accept a reset that is in the window (or, in syn-sent, that acknowledges our SYN): RFC 9293 §3.10.7.
      const ok = this.state === 'syn-sent' ? (seg.flags & TCP_ACK) !== 0 && seg.ack === this.sndNxt : seqDiff(seg.seq, this.rcvNxt) >= 0 && seqDiff(seg.seq, this.rcvNxt) <= MAX_WINDOW;
      if (ok) {
        this.close();
        this.hooks.reset();
      }
      return;
    }
    switch (this.state) {
      case 'connecting':
        return; // a retransmitted SYN while the host connects: the SYN-ACK will answer it
      case 'syn-sent':
        if ((seg.flags & (TCP_SYN | TCP_ACK)) !== (TCP_SYN | TCP_ACK) || seg.ack !== seqAdd(this.iss, 1)) {
          if (seg.flags & TCP_ACK) this.emit(TCP_RST, seg.ack, new Uint8Array(0));
          return;
        }
        this.rcvNxt = seqAdd(seg.seq, 1);
        if (seg.mss) this.mss = Math.min(seg.mss, TCP_MSS);
        this.sndUna = seg.ack;
        this.sndWnd = seg.window;
        this.progress(nowMs);
        this.state = 'established';
        this.sendAck();
        this.hooks.established();
        this.flush();
        return;
      case 'syn-received':
        if (seg.flags & TCP_SYN) {
          // The guest did not see our SYN-ACK: send it again.
          if (seg.seq === seqAdd(this.rcvNxt, -1)) this.goBack();
          return;
        }
        if (!(seg.flags & TCP_ACK) || seg.ack !== seqAdd(this.iss, 1)) return;
        this.state = 'established';
        this.sndUna = seg.ack;
        this.progress(nowMs);
        break;
      default:
        if (seg.flags & TCP_SYN) {
          this.sendAck(); // a stray SYN in a synchronized state: challenge ACK
          return;
        }
    }
    if (!(seg.flags & TCP_ACK)) return;
    this.handleAck(seg, nowMs);
    if (this.isClosed()) return;
    this.handleData(seg);
    if (!this.isClosed()) this.flush();
  }

  /** A method, not a field test, so TypeScript does not narrow `state` across the calls that change it. */
  private isClosed(): boolean {
    return this.state === 'closed';
  }

  private handleAck(seg: TcpSegment, nowMs: number): void {
    const acked = seqDiff(seg.ack, this.sndUna);
    const inFlight = seqDiff(this.sndNxt, this.sndUna);
    const everSent = seqDiff(this.sndMax, this.sndUna);
    if (acked > 0 && acked <= everSent) {
      // Our FIN takes the sequence number after the last byte; bytes are acked, the FIN is not in sndBuf.
      this.sndBuf.drop(Math.min(acked, this.sndBuf.length));
      this.sndUna = seg.ack;
      if (acked > inFlight) this.sndNxt = seg.ack; // acknowledges what a retransmission had not resent yet
      this.progress(nowMs);
      this.dupAcks = 0;
    } else if (acked === 0 && inFlight > 0 && seg.payload.length === 0 && seg.window === this.sndWnd && !(seg.flags & TCP_FIN)) {
      if (++this.dupAcks === 3) this.goBack();
    }
    if (acked >= 0 && acked <= everSent) this.sndWnd = seg.window;
    if (this.finAcked() && this.guestFinReceived) this.close();
  }

  /** The FIN was sent and every sequence number up to it is acknowledged. */
  private finAcked(): boolean {
    return this.finSeq !== null && seqDiff(this.sndUna, this.finSeq) > 0;
  }

  private handleData(seg: TcpSegment): void {
    let fin = (seg.flags & TCP_FIN) !== 0;
    const len = seg.payload.length + (fin ? 1 : 0);
    if (len === 0) return;
    const offset = seqDiff(this.rcvNxt, seg.seq);
    if (this.guestFinReceived || offset < 0 || offset >= len) {
      this.sendAck(); // a duplicate or out-of-order segment: say what we expect
      return;
    }
    let fresh = seg.payload.subarray(Math.min(offset, seg.payload.length));
    // Only what fits the window goes on (RFC 9293 §3.10.7.4): a guest that ignores the window must not
    // make the host buffer more. The window's right edge never moves left (what is taken here fills the
    // host socket's buffer by as much), so the window now is at least the one advertised.
    const window = Math.min(MAX_WINDOW, Math.max(0, Math.floor(this.hooks.receiveWindow())));
    if (fresh.length > window) {
      fresh = fresh.subarray(0, window);
      fin = false; // the FIN comes after bytes that were not taken
    }
    if (fresh.length > 0) {
      this.rcvNxt = seqAdd(this.rcvNxt, fresh.length);
      this.hooks.data(fresh);
    }
    if (fin) {
      this.rcvNxt = seqAdd(this.rcvNxt, 1);
      this.guestFinReceived = true;
      this.hooks.guestEnded();
    }
    this.sendAck();
    if (this.finAcked() && this.guestFinReceived) this.close();
  }

  /** Sends what the guest's window allows, then the FIN once everything is out. */
  private flush(): void {
    if (this.state !== 'established') return;
    for (;;) {
      // Bytes in flight: the FIN, when sent, follows every byte, so min() leaves it out.
      const sent = Math.min(seqDiff(this.sndNxt, this.sndUna), this.sndBuf.length);
      const unsent = this.sndBuf.length - sent;
      const room = this.sndWnd - sent;
      if (unsent > 0 && room > 0) {
        const n = Math.min(this.mss, unsent, room);
        const payload = this.sndBuf.read(sent, n);
        const last = n === unsent;
        this.emit(TCP_ACK | (last ? TCP_PSH : 0), this.sndNxt, payload);
        this.advance(n);
        continue;
      }
      // The FIN, unless sndNxt is already past it.
      if (unsent === 0 && this.hostEnded && (this.finSeq === null || seqDiff(this.sndNxt, this.finSeq) <= 0)) {
        this.emit(TCP_FIN | TCP_ACK, this.sndNxt, new Uint8Array(0));
        this.finSeq = this.sndNxt;
        this.advance(1);
      }
      return;
    }
  }

  /** Restart sending from the oldest unacknowledged byte (or resend the SYN). */
  private goBack(): void {
    this.dupAcks = 0;
    if (this.state === 'syn-sent' || this.state === 'syn-received') {
      this.sendSyn();
      return;
    }
    this.sndNxt = this.sndUna;
    this.flush();
  }

  private advance(n: number): void {
    this.sndNxt = seqAdd(this.sndNxt, n);
    if (seqDiff(this.sndNxt, this.sndMax) > 0) this.sndMax = this.sndNxt;
  }

  private sendSyn(): void {
    const flags = this.state === 'syn-received' ? TCP_SYN | TCP_ACK : TCP_SYN;
    this.emit(flags, this.iss, new Uint8Array(0), TCP_MSS);
    this.sndNxt = seqAdd(this.iss, 1);
    this.sndMax = this.sndNxt;
  }

  private sendAck(): void {
    this.emit(TCP_ACK, this.sndNxt, new Uint8Array(0));
  }

  private progress(nowMs: number): void {
    this.lastProgressMs = nowMs;
    this.retries = 0;
    this.rto = this.rtoMs;
  }

  private emit(flags: number, seq: number, payload: Uint8Array, mss?: number): void {
    const window = flags & TCP_RST ? 0 : Math.min(MAX_WINDOW, Math.max(0, Math.floor(this.hooks.receiveWindow())));
    if (!(flags & TCP_RST)) this.advertised = window;
    const withAck = (flags & TCP_ACK) !== 0;
    this.hooks.emit({ srcPort: this.localPort, dstPort: this.guestPort, seq, ack: withAck ? this.rcvNxt : 0, flags, window, mss, payload });
  }

  private close(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.hooks.closed();
  }
}
