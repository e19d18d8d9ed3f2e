import { describe, expect, it } from 'vitest';
import { FakeMemory } from '../test-support/fakes.js';
import { Virtqueue, VirtqueueError, VIRTQ_DESC_F_INDIRECT, VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE } from './virtqueue.js';

const RAM = 0x8000_0000;
const DESC = RAM;
const AVAIL = RAM + 0x1000;
const USED = RAM + 0x2000;

function setup(num = 4) {
  const mem = new FakeMemory(RAM, 0x10000);
  const q = new Virtqueue(16, mem);
  q.num = num;
  q.desc = BigInt(DESC);
  q.driver = BigInt(AVAIL);
  q.device = BigInt(USED);
  q.enable();
  const dv = new DataView(mem.u8.buffer);
  const desc = (table: number, i: number, addr: number, len: number, flags: number, next = 0) => {
    const at = table - RAM + 16 * i;
    dv.setBigUint64(at, BigInt(addr), true);
    dv.setUint32(at + 8, len, true);
    dv.setUint16(at + 12, flags, true);
    dv.setUint16(at + 14, next, true);
  };
  let availIdx = 0;
  const publish = (head: number) => {
    dv.setUint16(AVAIL - RAM + 4 + 2 * (availIdx % num), head, true);
    availIdx = (availIdx + 1) & 0xffff;
    dv.setUint16(AVAIL - RAM + 2, availIdx, true);
  };
  const usedIdx = () => dv.getUint16(USED - RAM + 2, true);
  const usedEntry = (slot: number) => ({ id: dv.getUint32(USED - RAM + 4 + 8 * slot, true), len: dv.getUint32(USED - RAM + 8 + 8 * slot, true) });
  return { mem, q, desc, publish, usedIdx, usedEntry, dv };
}

describe('Virtqueue', () => {
  it('walks a chain into readable and writable buffers and returns it on the used ring', () => {
    const { q, desc, publish, usedIdx, usedEntry } = setup();
    desc(DESC, 2, RAM + 0x3000, 16, VIRTQ_DESC_F_NEXT, 0);
    desc(DESC, 0, RAM + 0x3100, 512, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 3);
    desc(DESC, 3, RAM + 0x3400, 1, VIRTQ_DESC_F_WRITE);
    publish(2);
    expect(q.hasAvailable()).toBe(true);
    const chain = q.pop();
    expect(chain).toEqual({
      head: 2,
      readable: [{ addr: RAM + 0x3000, len: 16 }],
      writable: [
        { addr: RAM + 0x3100, len: 512 },
        { addr: RAM + 0x3400, len: 1 },
      ],
      readableLength: 16,
      writableLength: 513,
    });
    expect(q.pop()).toBeNull();
    q.push(2, 513);
    expect(usedIdx()).toBe(1);
    expect(usedEntry(0)).toEqual({ id: 2, len: 513 });
  });

  it('gathers and scatters across buffer boundaries', () => {
    const { q, mem, desc, publish } = setup();
    mem.write(RAM + 0x3000, Uint8Array.of(1, 2, 3));
    mem.write(RAM + 0x3100, Uint8Array.of(4, 5));
    desc(DESC, 0, RAM + 0x3000, 3, VIRTQ_DESC_F_NEXT, 1);
    desc(DESC, 1, RAM + 0x3100, 2, VIRTQ_DESC_F_NEXT, 2);
    desc(DESC, 2, RAM + 0x3200, 2, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 3);
    desc(DESC, 3, RAM + 0x3300, 4, VIRTQ_DESC_F_WRITE);
    publish(0);
    const chain = q.pop()!;
    expect(Array.from(q.gather(chain))).toEqual([1, 2, 3, 4, 5]);
    expect(Array.from(q.gather(chain, 4))).toEqual([1, 2, 3, 4]);
    expect(q.scatter(chain, Uint8Array.of(9, 8, 7, 6, 5, 4, 3), 1)).toBe(5);
    expect(Array.from(mem.read(RAM + 0x3200, 2))).toEqual([0, 9]);
    expect(Array.from(mem.read(RAM + 0x3300, 4))).toEqual([8, 7, 6, 5]);
  });

  it('follows an indirect table only when negotiated', () => {
    const { q, desc, publish } = setup();
    const table = RAM + 0x5000;
    desc(table, 0, RAM + 0x3000, 16, VIRTQ_DESC_F_NEXT, 1);
    desc(table, 1, RAM + 0x3100, 1, VIRTQ_DESC_F_WRITE);
    desc(DESC, 0, table, 32, VIRTQ_DESC_F_INDIRECT);
    publish(0);
    publish(0);
    expect(() => q.pop()).toThrow(VirtqueueError);
    q.indirect = true;
    const chain = q.pop()!;
    expect(chain.head).toBe(0);
    expect(chain.readableLength).toBe(16);
    expect(chain.writable).toEqual([{ addr: RAM + 0x3100, len: 1 }]);
  });

  it('rejects loops, out-of-range indices, readable after writable, and an avail index too far ahead', () => {
    const loop = setup();
    loop.desc(DESC, 0, RAM + 0x3000, 1, VIRTQ_DESC_F_NEXT, 1);
    loop.desc(DESC, 1, RAM + 0x3000, 1, VIRTQ_DESC_F_NEXT, 0);
    loop.publish(0);
    expect(() => loop.q.pop()).toThrow(/loops/);

    const range = setup();
    range.desc(DESC, 0, RAM + 0x3000, 1, VIRTQ_DESC_F_NEXT, 9);
    range.publish(0);
    expect(() => range.q.pop()).toThrow(/out of range/);

    const order = setup();
    order.desc(DESC, 0, RAM + 0x3000, 1, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
    order.desc(DESC, 1, RAM + 0x3000, 1, 0);
    order.publish(0);
    expect(() => order.q.pop()).toThrow(/readable descriptor after/);

    const ahead = setup();
    ahead.dv.setUint16(AVAIL - RAM + 2, 5, true); // 5 > queue size 4
    expect(() => ahead.q.pop()).toThrow(/ahead/);
  });

  it('wraps ring slots modulo the queue size and indices modulo 2^16', () => {
    const { q, desc, publish, usedIdx, usedEntry } = setup(2);
    desc(DESC, 0, RAM + 0x3000, 1, VIRTQ_DESC_F_WRITE);
    desc(DESC, 1, RAM + 0x3000, 1, VIRTQ_DESC_F_WRITE);
    for (let i = 0; i < 5; i++) {
      publish(i % 2);
      const c = q.pop()!;
      expect(c.head).toBe(i % 2);
      q.push(c.head, i);
    }
    expect(usedIdx()).toBe(5);
    expect(usedEntry(0)).toEqual({ id: 0, len: 4 });
    expect(usedEntry(1)).toEqual({ id: 1, len: 3 });
  });

  it('enable() rejects a size that is not a power of two or exceeds the maximum', () => {
    const { q } = setup();
    q.ready = false;
    q.num = 3;
    expect(() => q.enable()).toThrow(VirtqueueError);
    q.num = 32;
    expect(() => q.enable()).toThrow(VirtqueueError);
  });

  it('round-trips its state', () => {
    const { q, mem, desc, publish } = setup();
    desc(DESC, 0, RAM + 0x3000, 1, VIRTQ_DESC_F_WRITE);
    publish(0);
    q.push(q.pop()!.head, 1);
    const s = q.save();
    const other = new Virtqueue(16, mem);
    other.restore(structuredClone(s));
    expect(other.save()).toEqual(s);
  });
});
