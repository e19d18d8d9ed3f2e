import { describe, expect, it } from 'vitest';
import { dtc, dtcDecode } from '../test-support/host-tools.js';
import { fdtCells, fdtFind, fdtStrings, parseFdt } from './fdt-reader.js';
import { FDT_LAST_COMP_VERSION, FDT_MAGIC, FDT_VERSION, FdtError, FdtWriter } from './fdt-writer.js';

function sample(): FdtWriter {
  const w = new FdtWriter();
  w.root.u32('#address-cells', 2).u32('#size-cells', 2).string('compatible', 'test,board');
  const soc = w.node('/soc').empty('ranges');
  // Reference before definition: phandles are allocated by label on first use.
  soc.child('dev@1000').u32('interrupt-parent', w.phandle('ic')).reg([0x1000, 0x100]).strings('compatible', ['a,b', 'c']);
  soc.child('ic@2000').phandle('ic').empty('interrupt-controller').u64('big', 0x1_2345_6789n).bytes('odd', Uint8Array.of(1, 2, 3));
  w.reserve(0x8000_0000, 0x20_0000);
  return w;
}

describe('FdtWriter', () => {
  it('writes a v17 header with aligned blocks and exact sizes', () => {
    const blob = sample().finish();
    const dv = new DataView(blob.buffer);
    expect(dv.getUint32(0)).toBe(FDT_MAGIC);
    expect(dv.getUint32(4)).toBe(blob.length);
    const offStruct = dv.getUint32(8);
    const offStrings = dv.getUint32(12);
    const offRsv = dv.getUint32(16);
    expect(dv.getUint32(20)).toBe(FDT_VERSION);
    expect(dv.getUint32(24)).toBe(FDT_LAST_COMP_VERSION);
    expect(offRsv % 8).toBe(0);
    expect(offStruct % 4).toBe(0);
    expect(offStrings).toBe(offStruct + dv.getUint32(36));
    expect(offStrings + dv.getUint32(32)).toBe(blob.length);
    // Reservation block: one entry, then the (0, 0) terminator.
    expect(dv.getBigUint64(offRsv)).toBe(0x8000_0000n);
    expect(dv.getBigUint64(offRsv + 8)).toBe(0x20_0000n);
    expect(dv.getBigUint64(offRsv + 16)).toBe(0n);
    // Last structure token is FDT_END.
    expect(dv.getUint32(offStrings - 4)).toBe(9);
  });

  it('stores each property name once in the strings block', () => {
    const w = new FdtWriter();
    w.node('/a').string('compatible', 'x');
    w.node('/b').string('compatible', 'y');
    const blob = w.finish();
    const dv = new DataView(blob.buffer);
    const strings = new TextDecoder().decode(blob.subarray(dv.getUint32(12), dv.getUint32(12) + dv.getUint32(32)));
    expect(strings).toBe('compatible\0');
  });

  it('decodes back to the same tree', () => {
    const fdt = parseFdt(sample().finish());
    expect(fdt.reservations).toEqual([{ address: 0x8000_0000n, size: 0x20_0000n }]);
    const dev = fdtFind(fdt.root, '/soc/dev@1000');
    const ic = fdtFind(fdt.root, '/soc/ic@2000');
    expect(fdtStrings(dev?.props.get('compatible'))).toEqual(['a,b', 'c']);
    expect(fdtCells(dev?.props.get('reg'))).toEqual([0, 0x1000, 0, 0x100]);
    expect(fdtCells(dev?.props.get('interrupt-parent'))).toEqual(fdtCells(ic?.props.get('phandle')));
    expect(fdtCells(ic?.props.get('big'))).toEqual([1, 0x2345_6789]);
    expect(Array.from(ic?.props.get('odd') ?? [])).toEqual([1, 2, 3]);
    expect(ic?.props.get('interrupt-controller')?.length).toBe(0);
    expect(fdt.root.children.map((c) => c.name)).toEqual(['soc']);
  });

  it('appends extra space counted in totalsize', () => {
    const plain = sample().finish();
    const padded = sample().finish({ extraSpace: 4096 });
    expect(padded.length).toBe(plain.length + 4096);
    expect(new DataView(padded.buffer).getUint32(4)).toBe(padded.length);
    expect(parseFdt(padded).root.children).toHaveLength(1);
  });

  it('is deterministic', () => {
    expect(Buffer.compare(sample().finish(), sample().finish())).toBe(0);
  });

  it('rejects dangling and duplicate phandle labels and bad names', () => {
    const w = new FdtWriter();
    w.node('/x').u32('interrupt-parent', w.phandle('nowhere'));
    expect(() => w.finish()).toThrow(FdtError);
    const d = new FdtWriter();
    d.node('/a').phandle('p');
    expect(() => d.node('/b').phandle('p')).toThrow(FdtError);
    expect(() => d.root.child('a/b')).toThrow(FdtError);
    expect(() => d.root.cells('c', [-1])).toThrow(FdtError);
    expect(() => d.root.string('s', 'a\0b')).toThrow(FdtError);
  });

  it.skipIf(dtc.skip)(`is accepted by dtc (${dtc.status})`, () => {
    const { dts, status, stderr } = dtcDecode(sample().finish());
    expect(status, stderr).toBe(0);
    expect(dts).toContain('/memreserve/\t0x0000000080000000 0x0000000000200000;');
    expect(dts).toContain('compatible = "a,b\\0c";');
    expect(dts).toMatch(/interrupt-parent = <0x01>;/);
    expect(dts).toMatch(/big = <0x01 0x23456789>;/);
    expect(dts).toContain('interrupt-controller;');
  });
});
