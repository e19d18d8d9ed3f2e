/** Remote serial protocol framing, against the GDB manual's rules (checksums, escapes, acks, interrupts). */
import { describe, expect, it } from 'vitest';
import { checksum, framePacket, hexLe, PacketReader } from './rsp-packets.js';

describe('framing', () => {
  it('frames a packet with its modulo-256 checksum in two lowercase hex digits', () => {
    // "OK": 0x4f + 0x4b = 0x9a (the manual's example of a reply).
    expect(framePacket('OK').toString('latin1')).toBe('$OK#9a');
    expect(framePacket('').toString('latin1')).toBe('$#00');
    expect(checksum(Buffer.from('qSupported'))).toBe(0x37);
  });

  it('escapes $ # } and * with } and XOR 0x20, and checksums the escaped bytes', () => {
    const f = framePacket(Buffer.from([0x24, 0x23, 0x7d, 0x2a, 0x41]));
    expect([...f.subarray(1, f.length - 3)]).toEqual([0x7d, 0x04, 0x7d, 0x03, 0x7d, 0x5d, 0x7d, 0x0a, 0x41]);
    const sum = [0x7d, 0x04, 0x7d, 0x03, 0x7d, 0x5d, 0x7d, 0x0a, 0x41].reduce((a, b) => (a + b) & 0xff, 0);
    expect(f.subarray(f.length - 2).toString('latin1')).toBe(sum.toString(16).padStart(2, '0'));
  });

  it('registers go out little-endian', () => {
    expect(hexLe(0x1122334455667788n, 8)).toBe('8877665544332211');
    expect(hexLe(0xffffffff80000000n, 8)).toBe('00000080ffffffff');
  });
});

describe('PacketReader', () => {
  it('splits acks, interrupts and packets, and keeps a packet cut across chunks', () => {
    const r = new PacketReader();
    expect(r.push(Buffer.from('+$qSupported:swbreak+#'))).toEqual([{ kind: 'ack' }]);
    const rest = r.push(Buffer.from(`${checksum(Buffer.from('qSupported:swbreak+')).toString(16).padStart(2, '0')}-\x03$g#67`));
    expect(rest).toEqual([
      { kind: 'packet', payload: Buffer.from('qSupported:swbreak+') },
      { kind: 'nack' },
      { kind: 'interrupt' },
      { kind: 'packet', payload: Buffer.from('g') },
    ]);
  });

  it('reports a packet with a wrong checksum, and unescapes binary data', () => {
    const r = new PacketReader();
    expect(r.push(Buffer.from('$g#00'))).toEqual([{ kind: 'bad-packet' }]);
    const escaped = framePacket(Buffer.from('X0,1:}#'));
    expect(r.push(escaped)).toEqual([{ kind: 'packet', payload: Buffer.from('X0,1:}#') }]);
  });

  it('takes only two hex digits as a checksum', () => {
    const r = new PacketReader();
    expect(r.push(Buffer.from('$#0z$g#67'))).toEqual([{ kind: 'bad-packet' }, { kind: 'packet', payload: Buffer.from('g') }]);
  });

  it('drops a packet longer than it takes, as it arrives, and reads the next one', () => {
    const r = new PacketReader(1000);
    const held = () => (r as unknown as { pending: Buffer }).pending.length;
    expect(r.push(Buffer.from('$'))).toEqual([]);
    const out = [];
    for (let k = 0; k < 100; k++) {
      out.push(...r.push(Buffer.alloc(10_000, 0x61)));
      expect(held()).toBeLessThanOrEqual(1000);
    }
    expect(out).toEqual([{ kind: 'too-long' }]);
    // Its end and checksum, cut across chunks, then a good packet.
    expect(r.push(Buffer.from('aa#'))).toEqual([]);
    expect(r.push(Buffer.from('1'))).toEqual([]);
    expect(r.push(Buffer.from('2+$g#67'))).toEqual([{ kind: 'ack' }, { kind: 'packet', payload: Buffer.from('g') }]);
    // An over-long packet that arrives whole.
    expect(r.push(Buffer.from(`$${'b'.repeat(2000)}#00$g#67`))).toEqual([{ kind: 'too-long' }, { kind: 'packet', payload: Buffer.from('g') }]);
  });

  it('takes by default a body of exactly the PacketSize the stub announces (0x4000), escapes counted, and no more', () => {
    const r = new PacketReader();
    const fits = framePacket('a'.repeat(0x4000));
    expect(r.push(fits)).toEqual([{ kind: 'packet', payload: Buffer.from('a'.repeat(0x4000)) }]);
    // 0x3fff bytes and one escaped byte: 0x4001 on the wire.
    expect(r.push(framePacket(`${'a'.repeat(0x3fff)}#`))).toEqual([{ kind: 'too-long' }]);
  });
});
