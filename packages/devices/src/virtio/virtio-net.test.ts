import { describe, expect, it } from 'vitest';
import { FakeIrq, FakeMemory } from '../test-support/fakes.js';
import { Arena, driverOk, negotiate, VirtqDriver } from '../test-support/virtq-driver.js';
import { VirtioMmioTransport, VIRTIO_MMIO_CONFIG } from './virtio-mmio-transport.js';
import { parseMac, VirtioNet, VIRTIO_NET_HDR_SIZE } from './virtio-net.js';

const RAM = 0x8000_0000;

function setup() {
  const mem = new FakeMemory(RAM, 1 << 20);
  const irq = new FakeIrq(3);
  const sent: Uint8Array[] = [];
  const inbox: Uint8Array[] = [];
  let receiveCalls = 0;
  const packets = {
    send: (f: Uint8Array) => sent.push(f.slice()),
    receive: () => (receiveCalls++, inbox.shift() ?? null),
  };
  const dev = new VirtioMmioTransport({ irq, memory: mem, model: new VirtioNet({ packets, mac: '02:00:00:aa:bb:cc' }) });
  const arena = new Arena(mem, RAM);
  negotiate(dev);
  const rx = new VirtqDriver(mem, dev, 0, 8, arena);
  const tx = new VirtqDriver(mem, dev, 1, 8, arena);
  rx.setup();
  tx.setup();
  driverOk(dev);
  return { mem, irq, dev, rx, tx, sent, inbox, calls: () => receiveCalls };
}

describe('VirtioNet', () => {
  it('exposes the MAC address and link-up status in config space', () => {
    const { dev } = setup();
    const mac = [0, 1, 2, 3, 4, 5].map((i) => dev.read(VIRTIO_MMIO_CONFIG + i, 1));
    expect(mac).toEqual([0x02, 0, 0, 0xaa, 0xbb, 0xcc]);
    expect(dev.read(VIRTIO_MMIO_CONFIG + 6, 2)).toBe(1);
  });

  it('transmits frames without their virtio header', () => {
    const { tx, sent, irq } = setup();
    const hdr = new Uint8Array(VIRTIO_NET_HDR_SIZE);
    const frame = Uint8Array.from({ length: 60 }, (_, i) => i);
    const c = tx.add([{ data: hdr }, { data: frame }]);
    tx.notify();
    expect(sent).toEqual([frame]);
    expect(tx.takeUsed()).toEqual([{ id: c.head, len: 0 }]);
    expect(irq.level).toBe(true);
  });

  it('asks the port for frames only when a receive buffer is available', () => {
    const { dev, rx, inbox, calls, mem, irq } = setup();
    inbox.push(Uint8Array.of(1, 2, 3, 4), Uint8Array.of(5, 6));
    dev.service();
    expect(calls()).toBe(0);
    const c = rx.add([{ len: 1526, write: true }]);
    rx.notify(); // buffers are used by the next service()
    dev.service();
    expect(calls()).toBe(1);
    expect(inbox).toHaveLength(1);
    expect(rx.takeUsed()).toEqual([{ id: c.head, len: VIRTIO_NET_HDR_SIZE + 4 }]);
    const got = mem.read(c.addrs[0], VIRTIO_NET_HDR_SIZE + 4);
    expect(got[10]).toBe(1); // num_buffers
    expect(Array.from(got.subarray(VIRTIO_NET_HDR_SIZE))).toEqual([1, 2, 3, 4]);
    expect(irq.level).toBe(true);
  });

  it('drops a frame larger than the receive buffer and returns the buffer empty', () => {
    const { dev, rx, inbox } = setup();
    inbox.push(new Uint8Array(100));
    const c = rx.add([{ len: 64, write: true }]);
    dev.service();
    expect(rx.takeUsed()).toEqual([{ id: c.head, len: 0 }]);
    expect(inbox).toHaveLength(0);
  });

  it('parses MAC addresses strictly', () => {
    expect(Array.from(parseMac('52:54:00:12:34:56'))).toEqual([0x52, 0x54, 0, 0x12, 0x34, 0x56]);
    expect(() => parseMac('52:54:00:12:34')).toThrow(RangeError);
  });

  it('round-trips transport state with both queues', () => {
    const a = setup();
    const saved = a.dev.save();
    const b = setup();
    b.dev.write(0x70, 4, 0); // reset b first: restore must bring everything back
    b.dev.restore(structuredClone(saved));
    expect(b.dev.save()).toEqual(saved);
    expect(saved.queues.map((q) => q.ready)).toEqual([true, true]);
  });
});
