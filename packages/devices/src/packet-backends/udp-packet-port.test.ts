import { afterEach, describe, expect, it } from 'vitest';
import { UdpPacketPort } from './udp-packet-port.js';

const open: UdpPacketPort[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((p) => p.close()));
});

/** Waits (host side only) until `cond` holds. */
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
}

describe('UdpPacketPort', () => {
  it('exchanges frames between two ports; receive() is non-blocking', async () => {
    const a = await UdpPacketPort.open({ peer: { address: '127.0.0.1', port: 9 } });
    open.push(a);
    const b = await UdpPacketPort.open({ peer: a.local });
    open.push(b);
    const a2 = await UdpPacketPort.open({ peer: b.local });
    open.push(a2);
    expect(b.receive()).toBeNull();
    a2.send(Uint8Array.of(1, 2, 3));
    a2.send(Uint8Array.of(4));
    await until(() => b.queued === 2);
    expect(Array.from(b.receive() ?? [])).toEqual([1, 2, 3]);
    expect(Array.from(b.receive() ?? [])).toEqual([4]);
    expect(b.receive()).toBeNull();
  });

  it('drops the oldest frames beyond maxQueued', async () => {
    const rx = await UdpPacketPort.open({ peer: { address: '127.0.0.1', port: 9 }, maxQueued: 2 });
    open.push(rx);
    const tx = await UdpPacketPort.open({ peer: rx.local });
    open.push(tx);
    for (const n of [1, 2, 3]) tx.send(Uint8Array.of(n));
    await until(() => rx.dropped === 1);
    expect(rx.dropped).toBe(1);
    expect(Array.from(rx.receive() ?? [])).toEqual([2]);
  });
});
