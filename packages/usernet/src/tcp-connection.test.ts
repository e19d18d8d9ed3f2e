import { describe, expect, it } from 'vitest';
import { TcpConnection, TCP_MSS, type TcpConnectionHooks } from './tcp-connection.js';
import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, type TcpSegment } from './wire/tcp-segment.js';
import { seededRandom } from './test-support/seeded-random.js';

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

describe('TcpConnection sequence numbers', () => {
  it('carries data both ways across the 2^32 wrap of either sequence space', () => {
    const h = harness();
    const c = TcpConnection.fromGuestSyn({ guestPort: GUEST_PORT, localPort: PORT, iss: 0xffffff00, hooks: h.hooks }, guest({ seq: 0xffffffc0, flags: TCP_SYN, mss: 1460 }));
    c.hostConnected(0);
    expect(h.take()).toMatchObject([{ seq: 0xffffff00, ack: 0xffffffc1 }]);
    c.input(guest({ seq: 0xffffffc1, ack: 0xffffff01, flags: TCP_ACK }), 0);
    c.write(new Uint8Array(3000).fill(5));
    const segs = h.take();
    expect(segs.map((x) => x.seq)).toEqual([0xffffff01, (0xffffff01 + 1460) >>> 0, (0xffffff01 + 2920) >>> 0]);
    c.input(guest({ seq: 0xffffffc1, ack: (0xffffff01 + 3000) >>> 0, flags: TCP_ACK, payload: new Uint8Array(100).fill(9) }), 0);
    expect(c.buffered).toBe(0);
    expect(h.received).toHaveLength(100);
    expect(h.take()).toMatchObject([{ flags: TCP_ACK, ack: (0xffffffc1 + 100) >>> 0 }]);
    // An old segment from before the wrap is a duplicate: acknowledged again, not passed on.
    c.input(guest({ seq: 0xffffffc1, ack: (0xffffff01 + 3000) >>> 0, flags: TCP_ACK, payload: new Uint8Array(10) }), 0);
    expect(h.received).toHaveLength(100);
    expect(h.take()).toMatchObject([{ ack: 0x25 }]);
  });
});

describe('TcpConnection against a misbehaving guest', () => {
  it('keeps guest data within the window it advertised (a guest that ignores it cannot make the host buffer more)', () => {
    const { h, c } = established(100);
    c.input(guest({ seq: 1001, ack: 5001, flags: TCP_ACK | TCP_PSH, payload: new Uint8Array(1000).fill(7) }), 0);
    expect(h.received).toHaveLength(100);
    expect(h.take()).toMatchObject([{ flags: TCP_ACK, ack: 1101 }]);
    // A FIN after bytes beyond the window is beyond it too: not taken.
    c.input(guest({ seq: 1101, ack: 5001, flags: TCP_ACK | TCP_FIN, payload: new Uint8Array(500) }), 0);
    expect(h.received).toHaveLength(200);
    expect(h.events).not.toContain('guest-fin');
  });

  it('accepts nothing but a bare FIN while its window is closed', () => {
    const { h, c } = established(0);
    c.input(guest({ seq: 1001, ack: 5001, flags: TCP_ACK, payload: Uint8Array.of(1) }), 0);
    expect(h.received).toEqual([]);
    expect(h.take()).toMatchObject([{ flags: TCP_ACK, ack: 1001, window: 0 }]);
    c.input(guest({ seq: 1001, ack: 5001, flags: TCP_ACK | TCP_FIN }), 0);
    expect(h.events).toContain('guest-fin');
  });

  it('takes an ACK for data sent before a retransmission that a shrunken window cut short (RFC 9293 §3.8.6.2.2)', () => {
    const { h, c } = established();
    c.input(guest({ seq: 1001, ack: 5001, flags: TCP_ACK, window: 3000 }), 0);
    c.write(new Uint8Array(3000).fill(1));
    c.end();
    expect(h.take().map((s) => [s.seq, s.payload.length, s.flags & TCP_FIN])).toEqual([[5001, 1460, 0], [6461, 1460, 0], [7921, 80, 0], [8001, 0, TCP_FIN]]);
    c.input(guest({ seq: 1001, ack: 5001, flags: TCP_ACK, window: 1000 }), 0); // the guest shrinks its window
    c.tick(1000); // retransmission: only 1000 bytes fit now
    expect(h.take().map((s) => s.payload.length)).toEqual([1000]);
    // The guest had everything, FIN included, before the retransmission: it acknowledges all of it.
    c.input(guest({ seq: 1001, ack: 8002, flags: TCP_ACK, window: 3000 }), 1100);
    expect(c.buffered).toBe(0);
    c.tick(5000);
    expect(h.take()).toEqual([]); // nothing left to send again
    c.input(guest({ seq: 1001, ack: 8002, flags: TCP_ACK | TCP_FIN }), 5000);
    expect(c.state).toBe('closed');
    expect(h.events).toEqual(['guest-fin', 'closed']);
  });

  it('survives seeded random segments: never throws, never passes on more than it acknowledged', () => {
    const rnd = seededRandom(0x2545f491);
    const flagsOf = [TCP_ACK, TCP_ACK | TCP_PSH, TCP_ACK | TCP_FIN, TCP_SYN, TCP_RST, TCP_SYN | TCP_ACK, 0, TCP_ACK | TCP_RST];
    for (let run = 0; run < 200; run++) {
      const { h, c } = established(rnd(2) ? 65535 : rnd(3000));
      let emitted = 0;
      const emit = h.hooks.emit;
      h.hooks.emit = (seg) => {
        if (++emitted > 100_000) throw new Error('runaway emission');
        emit(seg);
      };
      for (let i = 0; i < 200 && c.state !== 'closed'; i++) {
        const action = rnd(10);
        if (action === 0) c.write(new Uint8Array(rnd(5000)));
        else if (action === 1) c.end();
        else if (action === 2) c.tick(i * 500);
        else {
          const near = (base: number) => (base + rnd(8000) - 4000) >>> 0;
          c.input(guest({ seq: near(1001 + h.received.length), ack: near(5001), flags: flagsOf[rnd(flagsOf.length)]!, window: rnd(65536), mss: rnd(2) ? rnd(3000) : undefined, payload: new Uint8Array(rnd(2000)) }), i * 500);
        }
      }
      // Whatever the guest sent, the last ACK the connection emitted covers every byte it passed on.
      const acks = h.out.filter((o) => o.flags & TCP_ACK && !(o.flags & TCP_RST));
      if (acks.length > 0 && h.received.length > 0) expect(((acks.at(-1)!.ack - 1001) >>> 0) - h.received.length).toBeGreaterThanOrEqual(0);
    }
  });
});
