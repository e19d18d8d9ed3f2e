/**
 * ELF64 little-endian RISC-V loader (System V gABI; RISC-V ELF psABI).
 * Parses program headers (PT_LOAD) and the symbol table; rejects anything else
 * with an error that says what is wrong.
 */
export interface ElfSegment {
  paddr: number;
  vaddr: bigint;
  /** File bytes to copy; the rest up to memsz is zero. */
  data: Uint8Array;
  memsz: number;
}

export interface ElfImage {
  entry: bigint;
  segments: ElfSegment[];
  /** Symbol name -> value (address). */
  symbols: Map<string, bigint>;
}

export class ElfError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ElfError';
  }
}

const EM_RISCV = 243;
const PT_LOAD = 1;
const SHT_SYMTAB = 2;

export function parseElf(bytes: Uint8Array): ElfImage {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const need = (off: number, len: number, what: string) => {
    if (off + len > bytes.length) throw new ElfError(`truncated ELF: ${what} at offset ${off} needs ${len} bytes but the file has ${bytes.length}`);
  };
  need(0, 64, 'ELF header');
  if (v.getUint32(0) !== 0x7f454c46) throw new ElfError('not an ELF file (bad magic)');
  if (bytes[4] !== 2) throw new ElfError(`not a 64-bit ELF (EI_CLASS=${bytes[4]})`);
  if (bytes[5] !== 1) throw new ElfError('not a little-endian ELF');
  const machine = v.getUint16(18, true);
  if (machine !== EM_RISCV) throw new ElfError(`wrong architecture: e_machine=${machine}, expected ${EM_RISCV} (RISC-V)`);
  const entry = v.getBigUint64(24, true);
  const phoff = Number(v.getBigUint64(32, true));
  const shoff = Number(v.getBigUint64(40, true));
  const phentsize = v.getUint16(54, true), phnum = v.getUint16(56, true);
  const shentsize = v.getUint16(58, true), shnum = v.getUint16(60, true);

  const segments: ElfSegment[] = [];
  for (let i = 0; i < phnum; i++) {
    const o = phoff + i * phentsize;
    need(o, 56, `program header ${i}`);
    if (v.getUint32(o, true) !== PT_LOAD) continue;
    const offset = Number(v.getBigUint64(o + 8, true));
    const vaddr = v.getBigUint64(o + 16, true);
    const paddr = Number(v.getBigUint64(o + 24, true));
    const filesz = Number(v.getBigUint64(o + 32, true));
    const memsz = Number(v.getBigUint64(o + 40, true));
    need(offset, filesz, `segment ${i} data`);
    segments.push({ paddr, vaddr, data: bytes.subarray(offset, offset + filesz), memsz });
  }

  const symbols = new Map<string, bigint>();
  if (shoff !== 0) {
    need(shoff, shnum * shentsize, 'section headers');
    for (let i = 0; i < shnum; i++) {
      const o = shoff + i * shentsize;
      if (v.getUint32(o + 4, true) !== SHT_SYMTAB) continue;
      const symOff = Number(v.getBigUint64(o + 24, true));
      const symSize = Number(v.getBigUint64(o + 32, true));
      const link = v.getUint32(o + 40, true);
      const entsize = Number(v.getBigUint64(o + 56, true)) || 24;
      const so = shoff + link * shentsize;
      const strOff = Number(v.getBigUint64(so + 24, true));
      const strSize = Number(v.getBigUint64(so + 32, true));
      need(symOff, symSize, 'symbol table');
      need(strOff, strSize, 'string table');
      const dec = new TextDecoder();
      for (let s = symOff; s + entsize <= symOff + symSize; s += entsize) {
        const nameOff = v.getUint32(s, true);
        if (nameOff === 0) continue;
        let end = strOff + nameOff;
        while (end < strOff + strSize && bytes[end] !== 0) end++;
        symbols.set(dec.decode(bytes.subarray(strOff + nameOff, end)), v.getBigUint64(s + 8, true));
      }
    }
  }
  return { entry, segments, symbols };
}
