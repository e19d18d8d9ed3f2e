import { describe, expect, it } from 'vitest';
import { FdtWriter } from './fdt/fdt-writer.js';
import { fdtCells, fdtFind, fdtStrings, parseFdt } from './fdt/fdt-reader.js';
import type { PowerRequest } from './ports.js';
import { SifiveTest } from './sifive-test.js';

function setup() {
  const requests: PowerRequest[] = [];
  const dev = new SifiveTest({ power: { request: (r) => requests.push(r) } });
  return { dev, requests };
}

describe('SifiveTest', () => {
  it('reports pass, fail with code, and reset; ignores other values', () => {
    const { dev, requests } = setup();
    dev.write(0, 4, 0x5555);
    dev.write(0, 4, (42 << 16) | 0x3333);
    dev.write(0, 4, 0x7777);
    dev.write(0, 4, 0x1234);
    dev.write(4, 4, 0x5555);
    expect(requests).toEqual([{ action: 'poweroff' }, { action: 'fail', code: 42 }, { action: 'reset' }]);
  });

  it('accepts the 16-bit stores OpenSBI 1.1 uses (writew), not byte stores', () => {
    const { dev, requests } = setup();
    dev.write(0, 1, 0x55);
    dev.write(0, 2, 0x5555);
    expect(requests).toEqual([{ action: 'poweroff' }]);
  });

  it('reads as 0 (syscon drivers read-modify-write it)', () => {
    const { dev } = setup();
    expect(dev.read(0, 4)).toBe(0);
    expect(dev.read(0, 8)).toBe(0n);
  });

  it('describes itself as syscon with poweroff and reboot nodes pointing at it', () => {
    const { dev } = setup();
    const w = new FdtWriter();
    dev.fdt(w);
    const root = parseFdt(w.finish()).root;
    const test = fdtFind(root, '/soc/test@100000');
    expect(fdtStrings(test?.props.get('compatible'))).toEqual(['sifive,test1', 'sifive,test0', 'syscon']);
    const phandle = fdtCells(test?.props.get('phandle'))[0];
    for (const [path, value, compat] of [
      ['/poweroff', 0x5555, 'syscon-poweroff'],
      ['/reboot', 0x7777, 'syscon-reboot'],
    ] as const) {
      const n = fdtFind(root, path);
      expect(fdtCells(n?.props.get('regmap'))).toEqual([phandle]);
      expect(fdtCells(n?.props.get('value'))).toEqual([value]);
      expect(fdtCells(n?.props.get('offset'))).toEqual([0]);
      expect(fdtStrings(n?.props.get('compatible'))).toEqual([compat]);
    }
  });

  it('round-trips its (empty) state', () => {
    const { dev } = setup();
    const saved = dev.save();
    const other = setup().dev;
    other.restore(structuredClone(saved));
    expect(other.save()).toEqual(saved);
  });
});
