/**
 * A small reader of BTF, the kernel's compact type information (the .BTF
 * section of a vmlinux built with CONFIG_DEBUG_INFO_BTF, or
 * /sys/kernel/btf/vmlinux): the header, the type section and the string
 * section, enough to find a struct's members and their bit offsets. Format:
 * the kernel's Documentation/bpf/btf.rst.
 */

import { DebugInfoError } from './debug-info-error.js';
import { ElfFile, isElf } from './elf.js';

export const BTF_MAGIC = 0xeb9f;

export const BTF_KIND = {
  INT: 1, PTR: 2, ARRAY: 3, STRUCT: 4, UNION: 5, ENUM: 6, FWD: 7, TYPEDEF: 8, VOLATILE: 9, CONST: 10, RESTRICT: 11,
  FUNC: 12, FUNC_PROTO: 13, VAR: 14, DATASEC: 15, FLOAT: 16, DECL_TAG: 17, TYPE_TAG: 18, ENUM64: 19,
} as const;

export interface BtfMember {
  name: string;
  type: number;
  /** Offset from the start of the struct, in bits. */
  bitOffset: number;
  /** Bitfield width in bits (0: not a bitfield). */
  bitSize: number;
}

export interface BtfType {
  id: number;
  kind: number;
  name: string;
  /** STRUCT, UNION, ENUM, INT, FLOAT, DATASEC: size in bytes. */
  size: number;
  /** PTR, TYPEDEF, CONST, VOLATILE, RESTRICT, FUNC, VAR, TYPE_TAG, DECL_TAG: the type referred to. */
  type: number;
  /** STRUCT, UNION. */
  members: BtfMember[];
  /** ARRAY. */
  array?: { type: number; nelems: number };
}

export class BtfError extends DebugInfoError {}

/** Parsed BTF: types by id (id 0 is void). */
export class Btf {
  private constructor(readonly types: readonly (BtfType | null)[]) {}

  static parse(bytes: Uint8Array): Btf {
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (bytes.length < 24) throw new BtfError('not BTF: shorter than its header');
    if (v.getUint16(0, true) !== BTF_MAGIC) throw new BtfError(`not BTF: magic 0x${v.getUint16(0, true).toString(16)} (expected 0xeb9f, little-endian)`);
    const version = v.getUint8(2);
    if (version !== 1) throw new BtfError(`unsupported BTF version ${version}`);
    const hdrLen = v.getUint32(4, true);
    const typeOff = v.getUint32(8, true), typeLen = v.getUint32(12, true);
    const strOff = v.getUint32(16, true), strLen = v.getUint32(20, true);
    const tStart = hdrLen + typeOff, sStart = hdrLen + strOff;
    if (tStart + typeLen > bytes.length || sStart + strLen > bytes.length) throw new BtfError('truncated BTF: its sections run past the end of the data');
    const str = (off: number): string => {
      if (off >= strLen) throw new BtfError(`BTF string offset ${off} outside the string section`);
      let end = sStart + off;
      while (end < sStart + strLen && bytes[end] !== 0) end++;
      return new TextDecoder().decode(bytes.subarray(sStart + off, end));
    };
    const types: (BtfType | null)[] = [null];
    let p = tStart;
    const end = tStart + typeLen;
    const u32 = (): number => {
      if (p + 4 > end) throw new BtfError('truncated BTF type section');
      const x = v.getUint32(p, true);
      p += 4;
      return x;
    };
    while (p < end) {
      const nameOff = u32(), info = u32(), sizeOrType = u32();
      const vlen = info & 0xffff, kind = (info >>> 24) & 0x1f, kindFlag = info >>> 31;
      const t: BtfType = { id: types.length, kind, name: str(nameOff), size: sizeOrType, type: sizeOrType, members: [] };
      switch (kind) {
        case BTF_KIND.INT: case BTF_KIND.VAR: case BTF_KIND.DECL_TAG: u32(); break;
        case BTF_KIND.ARRAY: { const type = u32(); u32(); t.array = { type, nelems: u32() }; break; }
        case BTF_KIND.STRUCT: case BTF_KIND.UNION:
          for (let i = 0; i < vlen; i++) {
            const name = str(u32()), type = u32(), off = u32();
            t.members.push(kindFlag ? { name, type, bitOffset: off & 0xffffff, bitSize: off >>> 24 } : { name, type, bitOffset: off, bitSize: 0 });
          }
          break;
        case BTF_KIND.ENUM: case BTF_KIND.FUNC_PROTO: p += 8 * vlen; break;
        case BTF_KIND.DATASEC: case BTF_KIND.ENUM64: p += 12 * vlen; break;
        case BTF_KIND.PTR: case BTF_KIND.FWD: case BTF_KIND.TYPEDEF: case BTF_KIND.VOLATILE: case BTF_KIND.CONST:
        case BTF_KIND.RESTRICT: case BTF_KIND.FUNC: case BTF_KIND.FLOAT: case BTF_KIND.TYPE_TAG: break;
        default: throw new BtfError(`unknown BTF kind ${kind} (type ${t.id})`);
      }
      if (p > end) throw new BtfError('truncated BTF type section');
      types.push(t);
    }
    return new Btf(types);
  }

  get(id: number): BtfType | null {
    return this.types[id] ?? null;
  }

  /** The struct (or union) named `name` that has members (not a forward declaration). */
  struct(name: string): BtfType | null {
    return this.types.find((t) => t !== null && (t.kind === BTF_KIND.STRUCT || t.kind === BTF_KIND.UNION) && t.name === name && (t.members.length > 0 || t.size > 0)) ?? null;
  }

  /** The type behind typedefs and qualifiers. */
  resolve(id: number): BtfType | null {
    let t = this.get(id);
    const through: number[] = [BTF_KIND.TYPEDEF, BTF_KIND.CONST, BTF_KIND.VOLATILE, BTF_KIND.RESTRICT, BTF_KIND.TYPE_TAG];
    for (let n = 0; t !== null && through.includes(t.kind) && n < 64; n++) t = this.get(t.type);
    return t;
  }

  /** Size in bytes of a type (arrays: element size times count), or null. */
  sizeOf(id: number): number | null {
    const t = this.resolve(id);
    if (t === null) return null;
    if (t.kind === BTF_KIND.PTR) return 8;
    if (t.kind === BTF_KIND.ARRAY) {
      const e = this.sizeOf(t.array!.type);
      return e === null ? null : e * t.array!.nelems;
    }
    return t.kind === BTF_KIND.STRUCT || t.kind === BTF_KIND.UNION || t.kind === BTF_KIND.INT || t.kind === BTF_KIND.ENUM || t.kind === BTF_KIND.FLOAT ? t.size : null;
  }

  /**
   * A member of a struct by name, looking inside anonymous structs and
   * unions too: its byte offset from the start of the struct and its type.
   */
  member(struct: BtfType, name: string): { offset: number; bitOffset: number; bitSize: number; type: number } | null {
    for (const m of struct.members) {
      if (m.name === name) return { offset: m.bitOffset / 8, bitOffset: m.bitOffset, bitSize: m.bitSize, type: m.type };
      if (m.name === '') {
        const inner = this.resolve(m.type);
        if (inner !== null && (inner.kind === BTF_KIND.STRUCT || inner.kind === BTF_KIND.UNION)) {
          const f = this.member(inner, name);
          if (f !== null) return { ...f, offset: (m.bitOffset + f.bitOffset) / 8, bitOffset: m.bitOffset + f.bitOffset };
        }
      }
    }
    return null;
  }
}

/** The .BTF section of a little-endian ELF64 file (a vmlinux), or null if it has none. */
export function btfSectionOfElf(elf: Uint8Array): Uint8Array | null {
  return isElf(elf) ? new ElfFile(elf).contents('.BTF') : null;
}
