import { describe, expect, it } from 'vitest';
import { TcpConnection, TCP_MSS, type TcpConnectionHooks } from './tcp-connection.js';
import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, type TcpSegment } from './wire/tcp-segment.js';

const GUEST_PORT = 5555;
const PORT = 80;

function harness(window = 65535) {
  const out: TcpSegment[] = [];
  const events: string[] = [];
  const received: number[] = [];
  const hooks: TcpConnectionHooks = {
    emit: (s) => out.push(s),
    data: (b) => received.push(...b),
    guestEnded: () => events.push('guest-fin'),
    established: () => events.push('established'),
    reset: () => events.push('reset'),
    closed: () => events.push('closed'),
    receiveWindow: () => window,
  };
  return { out, events, received, hooks, take: () => out.splice(0) };
}

function guest(p: Partial<TcpSegment> & { seq: number; flags: number }): TcpSegment {
  return { srcPort: GUEST_PORT, dstPort: PORT, ack: 0, window: 65535, payload: new Uint8Array(0), ...p };
}

const syn = guest({ seq: 1000, flags: TCP_SYN, mss: 1460 });

function established(window = 65535) {
  const h = harness(window);
  const c = TcpConnection.fromGuestSyn({ guestPort: GUEST_PORT, localPort: PORT, iss: 5000, hooks: h.hooks }, syn);
  c.hostConnected(0);
  const [synAck] = h.take();
  c.input(guest({ seq: 1001, ack: 5001, flags: TCP_ACK }), 0);
  return { h, c, synAck: synAck! };
}

describe('TcpConnection', () => {
  it('answers a guest SYN with SYN-ACK (MSS option) once the host connects, then is established', () => {
    const { h, c, synAck } = established();
    expect(synAck).toMatchObject({ srcPort: PORT, dstPort: GUEST_PORT, seq: 5000, ack: 1001, flags: TCP_SYN | TCP_ACK, mss: TCP_MSS });
    expect(c.state).toBe('established');
    expect(h.out).toEqual([]);
  });

  it('sends nothing while the host connects, and RST-ACK acknowledging the SYN when the host refuses', () => {
    const h = harness();
    const c = TcpConnection.fromGuestSyn({ guestPort: GUEST_PORT, localPort: PORT, iss: 5000, hooks: h.hooks }, syn);
    c.input(syn, 0); // the guest retransmits its SYN
    expect(h.out).toEqual([]);
    c.hostRefused();
    expect(h.take()).toMatchObject([{ flags: TCP_RST | TCP_ACK, ack: 1001 }]);
    expect(c.state).toBe('closed');
    expect(h.events).toEqual(['closed']);
  });

  it('passes in-order guest data to the host and acknowledges it; drops out-of-order data with a duplicate ACK', () => {
    const { h, c } = established();
    c.input(guest({ seq: 1001, ack: 5001, flags: TCP_ACK | TCP_PSH, payload: Uint8Array.of(1, 2, 3) }), 0);
    expect(h.received).toEqual([1, 2, 3]);
    expect(h.take()).toMatchObject([{ flags: TCP_ACK, ack: 1004, seq: 5001 }]);
    c.input(guest({ seq: 1010, ack: 5001, flags: TCP_ACK, payload: Uint8Array.of(9) }), 0); // a gap
    expect(h.received).toEqual([1, 2, 3]);
    expect(h.take()).toMatchObject([{ flags: TCP_ACK, ack: 1004 }]);
    // A retransmission overlapping what was received: only the new bytes go on.
    c.input(guest({ seq: 1002, ack: 5001, flags: TCP_ACK, payload: Uint8Array.of(2, 3, 4, 5) }), 0);
    expect(h.received).toEqual([1, 2, 3, 4, 5]);
    expect(h.take()).toMatchObject([{ ack: 1006 }]);
  });

  it('segments host data by the MSS and the guest window, and sends more as the guest acknowledges', () => {
    const { h, c } = established();
    c.input(guest({ seq: 1001, ack: 5001, flags: TCP_ACK, window: 3000 }), 0); // the guest shrinks its window
    h.take();
    const data = Uint8Array.from({ length: 5000 }, (_, i) => i & 0xff);
    c.write(data);
    const first = h.take();
    expect(first.map((s) => s.payload.length)).toEqual([1460, 1460, 80]);
    expect(first.map((s) => s.seq)).toEqual([5001, 6461, 7921]);
    c.input(guest({ seq: 1001, ack: 8001, flags: TCP_ACK, window: 3000 }), 0);
    const second = h.take();
    expect(second.map((s) => s.payload.length)).toEqual([1460, 540]);
    expect(second.at(-1)!.flags & TCP_PSH).toBe(TCP_PSH);
    const all = [...first, ...second].flatMap((s) => [...s.payload]);
    expect(all).toEqual([...data]);
    expect(c.buffered).toBe(2000);
  });

  it('closes after both FINs are exchanged and acknowledged', () => {
    const { h, c } = established();
    c.write(Uint8Array.of(7));
    c.end();
    expect(h.take().map((s) => s.flags)).toEqual([TCP_ACK | TCP_PSH, TCP_FIN | TCP_ACK]);
    c.input(guest({ seq: 1001, ack: 5003, flags: TCP_ACK }), 0); // data and FIN acknowledged
    expect(c.state).toBe('established');
    c.input(guest({ seq: 1001, ack: 5003, flags: TCP_FIN | TCP_ACK }), 0);
    expect(h.events).toEqual(['guest-fin', 'closed']);
    expect(h.take()).toMatchObject([{ flags: TCP_ACK, ack: 1002, seq: 5003 }]);
  });

  it('retransmits from the oldest unacknowledged byte after the timeout, and on three duplicate ACKs', () => {
    const { h, c } = established();
    c.write(new Uint8Array(3000));
    expect(h.take().map((s) => s.seq)).toEqual([5001, 6461, 7921]);
    c.tick(500);
    expect(h.out).toEqual([]);
    c.tick(1000);
    expect(h.take().map((s) => s.seq)).toEqual([5001, 6461, 7921]);
    for (let i = 0; i < 3; i++) c.input(guest({ seq: 1001, ack: 6461, flags: TCP_ACK }), 1100);
    // The first ACK moved sndUna to 6461; then two duplicates are not yet three.
    expect(h.take().map((s) => s.seq)).toEqual([]);
    c.input(guest({ seq: 1001, ack: 6461, flags: TCP_ACK }), 1100);
    expect(h.take().map((s) => s.seq)).toEqual([6461, 7921]);
  });

  it('turns a host failure into a RST, and a guest RST into a reset of the host side', () => {
    const a = established();
    a.c.abort();
    expect(a.h.take()).toMatchObject([{ flags: TCP_RST | TCP_ACK, seq: 5001 }]);
    expect(a.c.state).toBe('closed');
    const b = established();
    b.c.input(guest({ seq: 999_999, flags: TCP_RST }), 0); // outside the window: ignored
    expect(b.c.state).toBe('established');
    b.c.input(guest({ seq: 1001, flags: TCP_RST }), 0);
    expect(b.h.events).toEqual(['closed', 'reset']);
  });

  it('opens a connection to the guest for a port forward and holds host data until the guest accepts', () => {
    const h = harness();
    const c = TcpConnection.toGuest({ guestPort: 8080, localPort: 40000, iss: 7, hooks: h.hooks }, 0);
    expect(h.take()).toMatchObject([{ flags: TCP_SYN, seq: 7, mss: TCP_MSS, srcPort: 40000, dstPort: 8080 }]);
    c.write(Uint8Array.of(1, 2));
    expect(h.out).toEqual([]);
    c.input({ srcPort: 8080, dstPort: 40000, seq: 300, ack: 8, flags: TCP_SYN | TCP_ACK, window: 1000, mss: 1000, payload: new Uint8Array(0) }, 0);
    expect(h.events).toEqual(['established']);
    const segs = h.take();
    expect(segs[0]).toMatchObject({ flags: TCP_ACK, ack: 301, seq: 8 });
    expect([...segs[1]!.payload]).toEqual([1, 2]);
    // A port the guest does not listen on: it answers RST-ACK, the host side is reset.
    const r = harness();
    const d = TcpConnection.toGuest({ guestPort: 8081, localPort: 40001, iss: 7, hooks: r.hooks }, 0);
    d.input({ srcPort: 8081, dstPort: 40001, seq: 0, ack: 8, flags: TCP_RST | TCP_ACK, window: 0, payload: new Uint8Array(0) }, 0);
    expect(r.events).toEqual(['closed', 'reset']);
  });

  it('advertises what the host can take and sends a window update when it opens', () => {
    let window = 100;
    const h = harness();
    h.hooks.receiveWindow = () => window;
    const c = TcpConnection.fromGuestSyn({ guestPort: GUEST_PORT, localPort: PORT, iss: 5000, hooks: h.hooks }, syn);
    c.hostConnected(0);
    c.input(guest({ seq: 1001, ack: 5001, flags: TCP_ACK, payload: new Uint8Array(100) }), 0);
    window = 0;
    c.input(guest({ seq: 1101, ack: 5001, flags: TCP_ACK }), 0);
    h.take();
    c.windowUpdate();
    expect(h.out).toEqual([]);
    window = 60000;
    c.windowUpdate();
    expect(h.take()).toMatchObject([{ flags: TCP_ACK, window: 60000 }]);
  });
});
