/**
 * A symbol file for GDB made from a kernel's System.map, for guests whose
 * vmlinux is not at hand (the default guest commits only System.map): a
 * RISC-V ELF64 executable holding no code, one section without contents that
 * spans the kernel's addresses, and a symbol table (ELF spec: "Sections",
 * "Symbol Table"). GDB reads code and data from the target, and names,
 * function bounds and variables' addresses from here, so `break
 * do_sys_openat2` and `watch jiffies_64` work.
 */
import type { MapSymbol } from '@prnr/diagnosis';

// The System.map reader lives in @prnr/diagnosis (its init_task anchor needs it too); re-exported here for the debugger's users.
export { parseSystemMap, readSystemMap } from '@prnr/diagnosis';
export type { MapSymbol } from '@prnr/diagnosis';

const EM_RISCV = 243, ET_EXEC = 2;
const SHT_NOBITS = 8, SHT_SYMTAB = 2, SHT_STRTAB = 3;
const SHF_WRITE = 1, SHF_ALLOC = 2, SHF_EXECINSTR = 4;
const STB_LOCAL = 0, STB_GLOBAL = 1, STT_OBJECT = 1, STT_FUNC = 2;
/** e_flags: RVC, double-float ABI. */
const EF_RISCV = 0x1 | 0x4;

/** The ELF symbol file for these symbols. */
export function symbolFile(symbols: readonly MapSymbol[]): Uint8Array {
  const syms = [...symbols].filter((s) => s.address >= 0x8000000000000000n).sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  if (syms.length === 0) throw new Error('no kernel symbols to write');
  // Two sections without contents: code (functions) and data (variables), each spanning its symbols.
  const isText = (s: MapSymbol) => 'TtWw'.includes(s.type);
  const span = (list: MapSymbol[]) => list.length === 0
    ? { lo: 0n, hi: 0n }
    : { lo: list[0].address & ~0xfffn, hi: (list.at(-1)!.address + 0x1000n) & ~0xfffn };
  const text = span(syms.filter(isText));
  const data = span(syms.filter((s) => !isText(s)));
  // Strings: names, then section names.
  const strtab: number[] = [0];
  const addString = (table: number[], s: string) => {
    const at = table.length;
    for (const c of Buffer.from(s, 'latin1')) table.push(c);
    table.push(0);
    return at;
  };
  const shstrtab: number[] = [0];
  const names = { text: addString(shstrtab, '.text'), data: addString(shstrtab, '.data'), symtab: addString(shstrtab, '.symtab'), strtab: addString(shstrtab, '.strtab'), shstrtab: addString(shstrtab, '.shstrtab') };
  // Locals must come before globals in .symtab (sh_info: index of the first global).
  const ordered = [...syms.filter((s) => isLocal(s.type)), ...syms.filter((s) => !isLocal(s.type))];
  const next = new Map<MapSymbol, bigint>();
  syms.forEach((s, i) => next.set(s, i + 1 < syms.length ? syms[i + 1].address : s.address));
  const symtab = Buffer.alloc(24 * (ordered.length + 1));
  ordered.forEach((s, i) => {
    const o = 24 * (i + 1);
    symtab.writeUInt32LE(addString(strtab, s.name), o);
    symtab[o + 4] = ((isLocal(s.type) ? STB_LOCAL : STB_GLOBAL) << 4) | (isText(s) ? STT_FUNC : STT_OBJECT);
    symtab.writeUInt16LE(isText(s) ? 1 : 2, o + 6); // .text or .data
    symtab.writeBigUInt64LE(s.address, o + 8);
    const size = next.get(s)! - s.address;
    symtab.writeBigUInt64LE(size > 0n && size < 0x1000000n ? size : 0n, o + 16);
  });
  const firstGlobal = 1 + ordered.filter((s) => isLocal(s.type)).length;
  const parts = [Buffer.alloc(64), symtab, Buffer.from(strtab), Buffer.from(shstrtab)];
  const symtabOff = 64;
  const strtabOff = symtabOff + symtab.length;
  const shstrOff = strtabOff + strtab.length;
  const shOff = (shstrOff + shstrtab.length + 7) & ~7;
  parts.push(Buffer.alloc(shOff - (shstrOff + shstrtab.length)));
  const sh = Buffer.alloc(64 * 6);
  const section = (i: number, f: { name: number; type: number; flags?: number; addr?: bigint; offset: number; size: bigint | number; link?: number; info?: number; align: number; entsize?: number }) => {
    const o = 64 * i;
    sh.writeUInt32LE(f.name, o);
    sh.writeUInt32LE(f.type, o + 4);
    sh.writeBigUInt64LE(BigInt(f.flags ?? 0), o + 8);
    sh.writeBigUInt64LE(f.addr ?? 0n, o + 16);
    sh.writeBigUInt64LE(BigInt(f.offset), o + 24);
    sh.writeBigUInt64LE(BigInt(f.size), o + 32);
    sh.writeUInt32LE(f.link ?? 0, o + 40);
    sh.writeUInt32LE(f.info ?? 0, o + 44);
    sh.writeBigUInt64LE(BigInt(f.align), o + 48);
    sh.writeBigUInt64LE(BigInt(f.entsize ?? 0), o + 56);
  };
  section(1, { name: names.text, type: SHT_NOBITS, flags: SHF_ALLOC | SHF_EXECINSTR, addr: text.lo, offset: symtabOff, size: text.hi - text.lo, align: 4096 });
  section(2, { name: names.data, type: SHT_NOBITS, flags: SHF_ALLOC | SHF_WRITE, addr: data.lo, offset: symtabOff, size: data.hi - data.lo, align: 4096 });
  section(3, { name: names.symtab, type: SHT_SYMTAB, offset: symtabOff, size: symtab.length, link: 4, info: firstGlobal, align: 8, entsize: 24 });
  section(4, { name: names.strtab, type: SHT_STRTAB, offset: strtabOff, size: strtab.length, align: 1 });
  section(5, { name: names.shstrtab, type: SHT_STRTAB, offset: shstrOff, size: shstrtab.length, align: 1 });
  parts.push(sh);
  const h = parts[0];
  h.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0], 0); // ELF, 64-bit, little-endian, version 1, System V ABI
  h.writeUInt16LE(ET_EXEC, 16);
  h.writeUInt16LE(EM_RISCV, 18);
  h.writeUInt32LE(1, 20);
  h.writeBigUInt64LE(syms.find((s) => s.name === '_start')?.address ?? text.lo, 24); // e_entry
  h.writeBigUInt64LE(0n, 32); // no program headers
  h.writeBigUInt64LE(BigInt(shOff), 40);
  h.writeUInt32LE(EF_RISCV, 48);
  h.writeUInt16LE(64, 52); // e_ehsize
  h.writeUInt16LE(56, 54); // e_phentsize
  h.writeUInt16LE(0, 56);
  h.writeUInt16LE(64, 58); // e_shentsize
  h.writeUInt16LE(6, 60);
  h.writeUInt16LE(5, 62); // e_shstrndx
  return Buffer.concat(parts);
}

function isLocal(type: string): boolean {
  return type === type.toLowerCase();
}
