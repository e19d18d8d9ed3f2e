import { describe, expect, it } from 'vitest';
import { Clint } from '../clint.js';
import type { Device } from '../device.js';
import { GoldfishRtc } from '../goldfish-rtc.js';
import { Plic } from '../plic.js';
import { SifiveTest } from '../sifive-test.js';
import { FakeIrq, FakeMemory } from '../test-support/fakes.js';
import { dtc, dtcDecode, qemu, qemuVirtDtb } from '../test-support/host-tools.js';
import { Uart16550a } from '../uart-16550a.js';
import { VIRT_DRAM_BASE, virtioSlotBase, virtioSlotIrq, VIRT_VIRTIO_COUNT } from '../virt/virt-board.js';
import { VirtioMmioTransport } from '../virtio/virtio-mmio-transport.js';
import { VirtioRng } from '../virtio/virtio-rng.js';
import { fdtCells, fdtStrings, parseFdt, type ParsedFdtNode } from './fdt-reader.js';
import { buildVirtFdt } from './virt-fdt.js';

const MEM = 256 * 1024 * 1024;

function virtDevices(): Device[] {
  const plic = new Plic({ meip: new FakeIrq(), seip: new FakeIrq() });
  const memory = new FakeMemory(VIRT_DRAM_BASE, 4096);
  const devices: Device[] = [
    new SifiveTest({ power: { request: () => {} } }),
    new GoldfishRtc({ irq: plic.source(11), clock: { now: () => 0n } }),
    new Uart16550a({ irq: plic.source(10) }),
  ];
  for (let slot = VIRT_VIRTIO_COUNT - 1; slot >= 0; slot--) {
    const model = slot === 0 ? new VirtioRng({ entropy: { fill: () => {} } }) : undefined;
    devices.push(new VirtioMmioTransport({ base: virtioSlotBase(slot), irq: plic.source(virtioSlotIrq(slot)), memory, model }));
  }
  devices.push(plic, new Clint({ clock: { mtime: () => 0n }, msip: new FakeIrq(), mtip: new FakeIrq() }));
  return devices;
}

function build(): Uint8Array {
  return buildVirtFdt({
    devices: virtDevices(),
    memory: { base: VIRT_DRAM_BASE, size: MEM },
    bootargs: 'console=ttyS0 earlycon',
    initrd: { start: 0x8800_0000, end: 0x8810_0000 },
  });
}

/** Every node by absolute path. */
function index(root: ParsedFdtNode): Map<string, ParsedFdtNode> {
  const out = new Map<string, ParsedFdtNode>();
  const walk = (n: ParsedFdtNode, path: string) => {
    out.set(path || '/', n);
    for (const c of n.children) walk(c, `${path}/${c.name}`);
  };
  walk(root, '');
  return out;
}

/** Path of the node holding `phandle`. */
function byPhandle(nodes: Map<string, ParsedFdtNode>, phandle: number): string | undefined {
  for (const [path, n] of nodes) if (fdtCells(n.props.get('phandle'))[0] === phandle) return path;
  return undefined;
}

/** A node's wiring with phandles replaced by the paths they point to, for comparing two trees. */
function wiring(nodes: Map<string, ParsedFdtNode>, path: string) {
  const n = nodes.get(path);
  if (!n) return undefined;
  const cells = (p: string) => fdtCells(n.props.get(p));
  const ext = cells('interrupts-extended');
  const extResolved: Array<string | number> = [];
  for (let i = 0; i < ext.length; i += 2) extResolved.push(byPhandle(nodes, ext[i]) ?? '?', ext[i + 1]);
  const parent = cells('interrupt-parent')[0];
  const regmap = cells('regmap')[0];
  return {
    compatible: fdtStrings(n.props.get('compatible')),
    reg: cells('reg'),
    interrupts: cells('interrupts'),
    interruptParent: parent === undefined ? undefined : byPhandle(nodes, parent),
    interruptsExtended: extResolved,
    regmap: regmap === undefined ? undefined : byPhandle(nodes, regmap),
    value: cells('value'),
    offset: cells('offset'),
    ndev: cells('riscv,ndev'),
    interruptCells: cells('#interrupt-cells'),
    addressCells: cells('#address-cells'),
    interruptController: n.props.has('interrupt-controller'),
  };
}

describe('buildVirtFdt', () => {
  it('describes cpu, memory, chosen and soc like the virt board', () => {
    const nodes = index(parseFdt(build()).root);
    const cpu = nodes.get('/cpus/cpu@0');
    expect(fdtStrings(cpu?.props.get('riscv,isa'))).toEqual(['rv64imafdc']);
    expect(fdtStrings(cpu?.props.get('mmu-type'))).toEqual(['riscv,sv39']);
    expect(fdtCells(nodes.get('/cpus')?.props.get('timebase-frequency'))).toEqual([10_000_000]);
    const intc = nodes.get('/cpus/cpu@0/interrupt-controller');
    expect(fdtStrings(intc?.props.get('compatible'))).toEqual(['riscv,cpu-intc']);
    expect(byPhandle(nodes, fdtCells(nodes.get('/cpus/cpu-map/cluster0/core0')?.props.get('cpu'))[0])).toBe('/cpus/cpu@0');
    expect(fdtCells(nodes.get('/memory@80000000')?.props.get('reg'))).toEqual([0, 0x8000_0000, 0, MEM]);
    const chosen = nodes.get('/chosen');
    expect(fdtStrings(chosen?.props.get('bootargs'))).toEqual(['console=ttyS0 earlycon']);
    expect(fdtStrings(chosen?.props.get('stdout-path'))).toEqual(['/soc/serial@10000000']);
    expect(fdtCells(chosen?.props.get('linux,initrd-start'))).toEqual([0, 0x8800_0000]);
    expect(fdtCells(chosen?.props.get('linux,initrd-end'))).toEqual([0, 0x8810_0000]);
    expect(wiring(nodes, '/soc/clint@2000000')?.interruptsExtended).toEqual(['/cpus/cpu@0/interrupt-controller', 3, '/cpus/cpu@0/interrupt-controller', 7]);
    expect(wiring(nodes, '/soc/plic@c000000')?.interruptsExtended).toEqual(['/cpus/cpu@0/interrupt-controller', 11, '/cpus/cpu@0/interrupt-controller', 9]);
    expect(wiring(nodes, '/soc/serial@10000000')).toMatchObject({ interrupts: [10], interruptParent: '/soc/plic@c000000' });
    expect(wiring(nodes, '/soc/virtio_mmio@10008000')).toMatchObject({ interrupts: [8], reg: [0, 0x1000_8000, 0, 0x1000] });
    expect(wiring(nodes, '/poweroff')).toMatchObject({ regmap: '/soc/test@100000', value: [0x5555] });
  });

  it('is the same blob every time', () => {
    expect(Buffer.compare(build(), build())).toBe(0);
  });

  it.skipIf(dtc.skip)(`decodes with dtc (${dtc.status})`, () => {
    const { dts, status, stderr } = dtcDecode(build());
    expect(status, stderr).toBe(0);
    expect(stderr).not.toMatch(/ERROR/);
    expect(dts).toMatch(/plic@c000000 \{[^}]*riscv,ndev = <0x60>;/s);
    expect(dts).toMatch(/serial@10000000 \{[^}]*compatible = "ns16550a";/s);
    expect(dts).toContain('compatible = "sifive,clint0\\0riscv,clint0";');
    expect(dts).toContain('stdout-path = "/soc/serial@10000000";');
  });

  it.skipIf(qemu.skip)(`wires every device the way QEMU's own virt tree does (${qemu.status})`, () => {
    const ours = index(parseFdt(build()).root);
    const qemu = index(parseFdt(qemuVirtDtb(MEM / (1024 * 1024))).root);
    const skipOwn = new Set(['/', '/chosen', '/cpus', '/cpus/cpu@0', '/cpus/cpu-map', '/cpus/cpu-map/cluster0', '/cpus/cpu-map/cluster0/core0']);
    for (const path of ours.keys()) {
      expect(qemu.has(path), `QEMU's tree has ${path}`).toBe(true);
      if (skipOwn.has(path)) continue;
      expect(wiring(ours, path), path).toEqual(wiring(qemu, path));
    }
    // Properties of the cpu nodes: same names (values of riscv,isa and mmu-type differ on purpose).
    for (const path of ['/cpus', '/cpus/cpu@0', '/cpus/cpu@0/interrupt-controller']) {
      expect([...(ours.get(path)?.props.keys() ?? [])].sort(), path).toEqual([...(qemu.get(path)?.props.keys() ?? [])].sort());
    }
    expect(fdtCells(ours.get('/cpus')?.props.get('timebase-frequency'))).toEqual(fdtCells(qemu.get('/cpus')?.props.get('timebase-frequency')));
    expect(fdtStrings(ours.get('/chosen')?.props.get('stdout-path'))).toEqual(fdtStrings(qemu.get('/chosen')?.props.get('stdout-path')));
    for (const path of ['/memory@80000000']) expect(wiring(ours, path)).toEqual(wiring(qemu, path));
    // Every QEMU soc device we model is present.
    const modelled = [...qemu.keys()].filter((p) => /^\/soc\/(clint|plic|serial|rtc|test|virtio_mmio)@/.test(p));
    for (const p of modelled) expect(ours.has(p), `we describe ${p}`).toBe(true);
  });
});
