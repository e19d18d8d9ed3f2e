/**
 * The sections of a little-endian ELF64 file, for the debug-info readers
 * (dwarf.ts): by name, decompressed (SHF_COMPRESSED, zlib or zstd, as a
 * kernel built with CONFIG_DEBUG_INFO_COMPRESSED has them) and, in a
 * relocatable object (`gcc -g -c`), with the RISC-V data relocations that
 * point the debug sections at each other applied (R_RISCV_32/64: S + A; the
 * ADD/SUB pairs that lengths of relaxable code use: V + S + A, V - S - A).
 * Layout: the System V gABI and the RISC-V ELF psABI.
 */
import { inflateSync } from 'node:zlib';
import { decompress as zstdDecompress } from 'fzstd';
import { DebugInfoError } from './debug-info-error.js';

export class ElfError extends DebugInfoError {}

const SHF_COMPRESSED = 0x800;
const SHT_RELA = 4, SHT_SYMTAB = 2;
const ET_REL = 1;
const EM_RISCV = 243;
const ELFCOMPRESS_ZLIB = 1, ELFCOMPRESS_ZSTD = 2;
const R_RISCV_32 = 1, R_RISCV_64 = 2, R_RISCV_ADD32 = 35, R_RISCV_ADD64 = 36, R_RISCV_SUB32 = 39, R_RISCV_SUB64 = 40;

export interface ElfSection {
  index: number;
  name: string;
  type: number;
  flags: number;
  offset: number;
  size: number;
  link: number;
  info: number;
  entsize: number;
}

/** True when `bytes` starts with the ELF magic. */
export function isElf(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
}

export class ElfFile {
  readonly sections: readonly ElfSection[];
  readonly relocatable: boolean;
  private readonly view: DataView;

  constructor(readonly bytes: Uint8Array) {
    if (!isElf(bytes)) throw new ElfError('not an ELF file');
    if (bytes.length < 64 || bytes[4] !== 2 || bytes[5] !== 1) throw new ElfError('only little-endian 64-bit ELF files are read');
    const v = (this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    this.relocatable = v.getUint16(0x10, true) === ET_REL;
    const shoff = Number(v.getBigUint64(0x28, true));
    const shentsize = v.getUint16(0x3a, true), shnum = v.getUint16(0x3c, true), shstrndx = v.getUint16(0x3e, true);
    if (shoff === 0 || shentsize < 64 || shoff + shnum * shentsize > bytes.length || shstrndx >= shnum) throw new ElfError('the ELF file has no readable section headers');
    const raw = Array.from({ length: shnum }, (_, i) => {
      const b = shoff + i * shentsize;
      return {
        index: i, nameOff: v.getUint32(b, true), type: v.getUint32(b + 4, true), flags: Number(v.getBigUint64(b + 8, true)),
        offset: Number(v.getBigUint64(b + 0x18, true)), size: Number(v.getBigUint64(b + 0x20, true)),
        link: v.getUint32(b + 0x28, true), info: v.getUint32(b + 0x2c, true), entsize: Number(v.getBigUint64(b + 0x38, true)),
      };
    });
    const names = raw[shstrndx];
    this.sections = raw.map(({ nameOff, ...s }) => ({ ...s, name: cString(bytes, names.offset + nameOff) }));
  }

  section(name: string): ElfSection | null {
    return this.sections.find((s) => s.name === name) ?? null;
  }

  /** A section's contents, decompressed, with relocations applied in a relocatable object; null if absent. */
  contents(name: string): Uint8Array | null {
    const s = this.section(name);
    if (s === null) return null;
    let data = this.stored(s);
    if (this.relocatable) {
      const rela = this.sections.find((r) => r.type === SHT_RELA && r.info === s.index);
      if (rela !== undefined) data = this.relocate(data, rela, s.name);
    }
    return data;
  }

  /** The bytes of a section as stored, decompressed when SHF_COMPRESSED. */
  private stored(s: ElfSection): Uint8Array {
    if (s.offset + s.size > this.bytes.length) throw new ElfError(`section ${s.name} runs past the end of the file`);
    const data = this.bytes.subarray(s.offset, s.offset + s.size);
    if ((s.flags & SHF_COMPRESSED) === 0) return data;
    // Elf64_Chdr: ch_type, ch_reserved, ch_size, ch_addralign.
    if (data.length < 24) throw new ElfError(`compressed section ${s.name} is shorter than its header`);
    const type = this.view.getUint32(s.offset, true);
    const body = data.subarray(24);
    if (type === ELFCOMPRESS_ZLIB) return new Uint8Array(inflateSync(body));
    if (type === ELFCOMPRESS_ZSTD) return zstdDecompress(body);
    throw new ElfError(`section ${s.name} is compressed with an unknown method (${type})`);
  }

  /** A copy of `data` with the RISC-V word relocations of `rela` applied: S + A. */
  private relocate(data: Uint8Array, rela: ElfSection, name: string): Uint8Array {
    const machine = this.view.getUint16(0x12, true);
    if (machine !== EM_RISCV) throw new ElfError(`relocatable object for machine ${machine}: only RISC-V objects are relocated (link it, or give the vmlinux)`);
    const symtab = this.sections[rela.link];
    if (symtab === undefined || symtab.type !== SHT_SYMTAB) throw new ElfError(`${rela.name} has no symbol table`);
    const syms = this.stored(symtab);
    const sv = new DataView(syms.buffer, syms.byteOffset, syms.byteLength);
    const out = new Uint8Array(data);
    const ov = new DataView(out.buffer);
    const rel = this.stored(rela);
    const rv = new DataView(rel.buffer, rel.byteOffset, rel.byteLength);
    for (let p = 0; p + 24 <= rel.length; p += 24) {
      const off = Number(rv.getBigUint64(p, true));
      const info = rv.getBigUint64(p + 8, true);
      const addend = rv.getBigInt64(p + 16, true);
      const type = Number(info & 0xffffffffn), sym = Number(info >> 32n);
      // Elf64_Sym: st_value at 8.
      if ((sym + 1) * 24 > syms.length) throw new ElfError(`${rela.name}: symbol ${sym} outside the symbol table`);
      const value = sv.getBigUint64(sym * 24 + 8, true) + BigInt(addend);
      const w4 = off + 4 <= out.length, w8 = off + 8 <= out.length;
      if (type === R_RISCV_32 && w4) ov.setUint32(off, Number(BigInt.asUintN(32, value)), true);
      else if (type === R_RISCV_64 && w8) ov.setBigUint64(off, BigInt.asUintN(64, value), true);
      else if (type === R_RISCV_ADD32 && w4) ov.setUint32(off, Number(BigInt.asUintN(32, BigInt(ov.getUint32(off, true)) + value)), true);
      else if (type === R_RISCV_SUB32 && w4) ov.setUint32(off, Number(BigInt.asUintN(32, BigInt(ov.getUint32(off, true)) - value)), true);
      else if (type === R_RISCV_ADD64 && w8) ov.setBigUint64(off, BigInt.asUintN(64, ov.getBigUint64(off, true) + value), true);
      else if (type === R_RISCV_SUB64 && w8) ov.setBigUint64(off, BigInt.asUintN(64, ov.getBigUint64(off, true) - value), true);
      else throw new ElfError(`${name}: relocation type ${type} at offset ${off} is not one this reader applies (R_RISCV_32/64, ADD32/64, SUB32/64)`);
    }
    return out;
  }
}

function cString(b: Uint8Array, at: number): string {
  let e = at;
  while (e < b.length && b[e] !== 0) e++;
  return new TextDecoder().decode(b.subarray(at, e));
}
