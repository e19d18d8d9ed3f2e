/**
 * System.map to a GDB symbol file. GDB itself reads the file in the CLI's
 * gdb-multiarch test (apps/cli/src/gdb-cli.test.ts); here, the parts a reader
 * checks first (ELF header, section table, symbol entries), read with
 * node:buffer by the ELF specification's offsets.
 */
import { describe, expect, it } from 'vitest';
import { parseSystemMap, symbolFile } from './symbol-file.js';

const MAP = `0000000000000200 A PECOFF_FILE_ALIGNMENT
ffffffff80000000 T _start
ffffffff80079990 t do_sys_openat2
ffffffff80079c00 T sys_openat
ffffffff803b2ca8 D jiffies_64
`;

describe('symbol files', () => {
  it('reads System.map lines, leaving absolute symbols out', () => {
    expect(parseSystemMap(MAP).map((s) => s.name)).toEqual(['_start', 'do_sys_openat2', 'sys_openat', 'jiffies_64']);
  });

  it('says which line of a System.map is not one', () => {
    expect(() => parseSystemMap('ffffffff80000000 T _start\nnot a map line\n', 'x.map')).toThrow('x.map:2: not a System.map line: "not a map line"');
  });

  it('writes an ELF64 RISC-V file: functions in .text, variables in .data, locals first', () => {
    const b = Buffer.from(symbolFile(parseSystemMap(MAP)));
    expect([...b.subarray(0, 6)]).toEqual([0x7f, 0x45, 0x4c, 0x46, 2, 1]);
    expect(b.readUInt16LE(18)).toBe(243); // EM_RISCV
    const shoff = Number(b.readBigUInt64LE(40));
    const section = (i: number) => ({ type: b.readUInt32LE(shoff + 64 * i + 4), addr: b.readBigUInt64LE(shoff + 64 * i + 16), offset: Number(b.readBigUInt64LE(shoff + 64 * i + 24)), size: Number(b.readBigUInt64LE(shoff + 64 * i + 32)), link: b.readUInt32LE(shoff + 64 * i + 40), info: b.readUInt32LE(shoff + 64 * i + 44) });
    const symtab = section(3);
    expect(symtab.type).toBe(2); // SHT_SYMTAB
    const strtab = section(symtab.link);
    const syms = [];
    for (let o = symtab.offset + 24; o < symtab.offset + symtab.size; o += 24) {
      const name = b.toString('latin1', strtab.offset + b.readUInt32LE(o), b.indexOf(0, strtab.offset + b.readUInt32LE(o)));
      syms.push({ name, info: b[o + 4], shndx: b.readUInt16LE(o + 6), value: b.readBigUInt64LE(o + 8), size: b.readBigUInt64LE(o + 16) });
    }
    expect(syms.map((s) => s.name)).toEqual(['do_sys_openat2', '_start', 'sys_openat', 'jiffies_64']);
    expect(symtab.info).toBe(2); // the first global
    expect(syms[0]).toEqual({ name: 'do_sys_openat2', info: 0x02, shndx: 1, value: 0xffffffff80079990n, size: 0x270n }); // local function, up to sys_openat
    expect(syms[3]).toMatchObject({ name: 'jiffies_64', info: 0x11, shndx: 2, value: 0xffffffff803b2ca8n }); // global object
    expect(section(1).addr).toBe(0xffffffff80000000n);
    expect(section(2).addr).toBe(0xffffffff803b2000n);
  });
});
