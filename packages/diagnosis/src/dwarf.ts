/**
 * A small reader of DWARF debug info (versions 2 to 5, 32- and 64-bit
 * DWARF), enough to lay out a struct: its size, and each member's offset, bit
 * field and type size, through anonymous structs and unions, typedefs,
 * qualifiers and arrays. Sections: .debug_info, .debug_abbrev, .debug_str,
 * .debug_line_str, .debug_str_offsets (elf.ts finds them). Format: the DWARF 5
 * standard, chapters 2, 5 and 7 (units, abbreviations, forms, member
 * locations), and DWARF 4 7.5 for the older unit header.
 *
 * A kernel's .debug_info is tens of MiB: one pass indexes the named struct
 * and union definitions (the first of each name) and the unit each starts in;
 * a struct's members and their types are then read on demand. The pass is a
 * hot loop (every attribute of every DIE is skipped), written for speed.
 */
import { DebugInfoError } from './debug-info-error.js';
import { ElfFile } from './elf.js';

export class DwarfError extends DebugInfoError {}

const TAG = { array: 0x01, member: 0x0d, pointer: 0x0f, structure: 0x13, subrange: 0x21, typedef: 0x16, union: 0x17, base: 0x24, const: 0x26, enumeration: 0x04, volatile: 0x35, restrict: 0x37, atomic: 0x47, immutable: 0x4b, packed: 0x2d } as const;
const AT = { name: 0x03, byteSize: 0x0b, bitOffset: 0x0c, bitSize: 0x0d, upperBound: 0x2f, count: 0x37, declaration: 0x3c, memberLocation: 0x38, type: 0x49, dataBitOffset: 0x6b, strOffsetsBase: 0x72 } as const;
const FORM = {
  addr: 0x01, block2: 0x03, block4: 0x04, data2: 0x05, data4: 0x06, data8: 0x07, string: 0x08, block: 0x09, block1: 0x0a, data1: 0x0b,
  flag: 0x0c, sdata: 0x0d, strp: 0x0e, udata: 0x0f, refAddr: 0x10, ref1: 0x11, ref2: 0x12, ref4: 0x13, ref8: 0x14, refUdata: 0x15,
  indirect: 0x16, secOffset: 0x17, exprloc: 0x18, flagPresent: 0x19, strx: 0x1a, addrx: 0x1b, refSup4: 0x1c, strpSup: 0x1d, data16: 0x1e,
  lineStrp: 0x1f, refSig8: 0x20, implicitConst: 0x21, loclistx: 0x22, rnglistx: 0x23, refSup8: 0x24, strx1: 0x25, strx2: 0x26, strx3: 0x27,
  strx4: 0x28, addrx1: 0x29, addrx2: 0x2a, addrx3: 0x2b, addrx4: 0x2c, gnuAddrIndex: 0x1f01, gnuStrIndex: 0x1f02, gnuRefAlt: 0x1f20, gnuStrpAlt: 0x1f21,
} as const;
const DW_OP_plus_uconst = 0x23;
const DW_UT = { compile: 1, type: 2, partial: 3, skeleton: 4, splitCompile: 5, splitType: 6 } as const;

interface Abbrev {
  tag: number;
  children: boolean;
  /** name, form pairs; implicit_const values in `consts` at the same index. */
  attrs: Uint32Array;
  forms: Uint32Array;
  consts: (bigint | null)[];
}

interface Unit {
  /** Offset of the unit header in .debug_info. */
  start: number;
  /** Offset just past the unit. */
  end: number;
  version: number;
  offsetSize: 4 | 8;
  addressSize: number;
  abbrevs: Map<number, Abbrev>;
  strOffsetsBase: number;
}

/** One attribute value: numbers (constants, references made absolute), strings, or blocks. */
type Value = { kind: 'num'; v: bigint } | { kind: 'ref'; v: number } | { kind: 'str'; v: string } | { kind: 'block'; v: Uint8Array } | { kind: 'flag'; v: boolean };

interface Die {
  offset: number;
  tag: number;
  attrs: Map<number, Value>;
  /** Offsets of the children (direct ones only). */
  children: number[];
}

export interface DwarfMember {
  name: string;
  /** The member's type DIE (an offset in .debug_info). */
  type: number;
  /** From the start of the struct, in bits. */
  bitOffset: number;
  /** Bit field width (0: not a bit field). */
  bitSize: number;
}

export interface DwarfStruct {
  name: string;
  size: number;
  members: DwarfMember[];
}

export class Dwarf {
  private readonly units: Unit[] = [];
  /** Named struct and union definitions: name → DIE offset (the first definition). */
  private readonly structs = new Map<string, number>();
  private readonly abbrevCache = new Map<number, Map<number, Abbrev>>();
  private readonly view: DataView;

  private constructor(
    private readonly info: Uint8Array,
    private readonly abbrev: Uint8Array,
    private readonly str: Uint8Array | null,
    private readonly lineStr: Uint8Array | null,
    private readonly strOffsets: Uint8Array | null,
  ) {
    this.view = new DataView(info.buffer, info.byteOffset, info.byteLength);
    this.index();
  }

  /** Reads the DWARF of an ELF file (a vmlinux, or an object file from `gcc -g -c`). */
  static fromElf(bytes: Uint8Array): Dwarf {
    const elf = new ElfFile(bytes);
    const info = elf.contents('.debug_info');
    const abbrev = elf.contents('.debug_abbrev');
    if (info === null || abbrev === null) {
      throw new DwarfError(elf.section('.gnu_debuglink') !== null ? 'the ELF file has no .debug_info, only a .gnu_debuglink to a separate debug file: give that file' : 'the ELF file has no DWARF (.debug_info, .debug_abbrev): build with -g (a kernel: CONFIG_DEBUG_INFO=y)');
    }
    return new Dwarf(info, abbrev, elf.contents('.debug_str'), elf.contents('.debug_line_str'), elf.contents('.debug_str_offsets'));
  }

  /** Number of units read. */
  get unitCount(): number {
    return this.units.length;
  }

  /** The struct (or union) named `name` that is defined (not only declared), or null. */
  struct(name: string): DwarfStruct | null {
    const off = this.structs.get(name);
    if (off === undefined) return null;
    const die = this.die(off);
    const size = die.attrs.get(AT.byteSize);
    return { name, size: size?.kind === 'num' ? Number(size.v) : 0, members: this.members(die) };
  }

  /** A member by name, looking inside anonymous structs and unions too: its byte offset and type. */
  member(struct: DwarfStruct, name: string): { offset: number; bitOffset: number; bitSize: number; type: number } | null {
    for (const m of struct.members) {
      if (m.name === name) return { offset: m.bitOffset / 8, bitOffset: m.bitOffset, bitSize: m.bitSize, type: m.type };
      if (m.name === '') {
        const inner = this.resolve(m.type);
        if (inner !== null && (inner.tag === TAG.structure || inner.tag === TAG.union)) {
          const f = this.member({ name: '', size: 0, members: this.members(inner) }, name);
          if (f !== null) return { ...f, offset: (m.bitOffset + f.bitOffset) / 8, bitOffset: m.bitOffset + f.bitOffset };
        }
      }
    }
    return null;
  }

  /** Size in bytes of the type at `offset` (arrays: element size times the counts), or null. */
  sizeOf(offset: number): number | null {
    const t = this.resolve(offset);
    if (t === null) return null;
    const size = t.attrs.get(AT.byteSize);
    if (size?.kind === 'num') return Number(size.v);
    if (t.tag === TAG.pointer) return this.unitOf(t.offset).addressSize;
    if (t.tag !== TAG.array) return null;
    const type = t.attrs.get(AT.type);
    let n = type?.kind === 'ref' ? this.sizeOf(type.v) : null;
    for (const c of t.children) {
      const sub = this.die(c);
      if (sub.tag !== TAG.subrange || n === null) continue;
      const count = sub.attrs.get(AT.count), upper = sub.attrs.get(AT.upperBound);
      if (count?.kind === 'num') n *= Number(count.v);
      else if (upper?.kind === 'num') n *= Number(upper.v) + 1; // C arrays: the lower bound is 0
      else n = null; // a flexible array
    }
    return n;
  }

  /** The type behind typedefs and qualifiers. */
  private resolve(offset: number): Die | null {
    let d = this.die(offset);
    const through: number[] = [TAG.typedef, TAG.const, TAG.volatile, TAG.restrict, TAG.atomic, TAG.immutable, TAG.packed];
    for (let n = 0; through.includes(d.tag) && n < 64; n++) {
      const t = d.attrs.get(AT.type);
      if (t?.kind !== 'ref') return null; // void
      d = this.die(t.v);
    }
    return d;
  }

  private members(die: Die): DwarfMember[] {
    const out: DwarfMember[] = [];
    for (const c of die.children) {
      const m = this.die(c);
      if (m.tag !== TAG.member) continue;
      const name = m.attrs.get(AT.name), type = m.attrs.get(AT.type);
      if (type?.kind !== 'ref') throw new DwarfError(`member at 0x${c.toString(16)} has no type${type?.kind === 'num' ? ' reference this reader follows (type units, DW_FORM_ref_sig8, are not read)' : ''}`);
      const bitSize = m.attrs.get(AT.bitSize);
      const bits = bitSize?.kind === 'num' ? Number(bitSize.v) : 0;
      out.push({ name: name?.kind === 'str' ? name.v : '', type: type.v, bitOffset: this.memberBitOffset(m, bits, type.v), bitSize: bits });
    }
    return out;
  }

  /** DW_AT_data_bit_offset (DWARF 4+), or DW_AT_data_member_location (a constant, or DW_OP_plus_uconst), with DWARF 2/3's DW_AT_bit_offset for bit fields. */
  private memberBitOffset(m: Die, bitSize: number, type: number): number {
    const dbo = m.attrs.get(AT.dataBitOffset);
    if (dbo?.kind === 'num') return Number(dbo.v);
    const loc = m.attrs.get(AT.memberLocation);
    let bytes = 0;
    if (loc?.kind === 'num') bytes = Number(loc.v);
    else if (loc?.kind === 'block') {
      if (loc.v[0] !== DW_OP_plus_uconst) throw new DwarfError(`member at 0x${m.offset.toString(16)}: a location expression other than DW_OP_plus_uconst`);
      bytes = Number(uleb(loc.v, 1).value);
    }
    const old = m.attrs.get(AT.bitOffset);
    if (old?.kind !== 'num' || bitSize === 0) return bytes * 8;
    // DW_AT_bit_offset counts from the most significant bit of the storage unit (DW_AT_byte_size, or the type's size); little-endian here.
    const unit = m.attrs.get(AT.byteSize);
    const storage = unit?.kind === 'num' ? Number(unit.v) : this.sizeOf(type) ?? 0;
    return bytes * 8 + storage * 8 - Number(old.v) - bitSize;
  }

  // ---------------------------------------------------------------- units and DIEs

  private unitOf(offset: number): Unit {
    let lo = 0, hi = this.units.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const u = this.units[mid];
      if (offset < u.start) hi = mid - 1;
      else if (offset >= u.end) lo = mid + 1;
      else return u;
    }
    throw new DwarfError(`DIE offset 0x${offset.toString(16)} is in no unit of .debug_info`);
  }

  /** Reads the unit headers, and indexes named struct and union definitions (the hot pass). */
  private index(): void {
    const info = this.info, v = this.view;
    let p = 0;
    while (p < info.length) {
      const start = p;
      if (p + 11 > info.length) throw new DwarfError(`truncated unit header at 0x${start.toString(16)} in .debug_info`);
      let length = v.getUint32(p, true);
      let offsetSize: 4 | 8 = 4;
      p += 4;
      if (length === 0xffffffff) {
        length = Number(v.getBigUint64(p, true));
        offsetSize = 8;
        p += 8;
      } else if (length >= 0xfffffff0) throw new DwarfError(`reserved unit length 0x${length.toString(16)} at 0x${start.toString(16)}`);
      const end = p + length;
      if (end > info.length) throw new DwarfError(`the unit at 0x${start.toString(16)} runs past the end of .debug_info`);
      const version = v.getUint16(p, true);
      p += 2;
      if (version < 2 || version > 5) throw new DwarfError(`unsupported DWARF version ${version} (unit at 0x${start.toString(16)})`);
      let abbrevOff: number, addressSize: number, unitType: number = DW_UT.compile;
      const off = (at: number) => (offsetSize === 8 ? Number(v.getBigUint64(at, true)) : v.getUint32(at, true));
      if (version === 5) {
        unitType = info[p];
        addressSize = info[p + 1];
        abbrevOff = off(p + 2);
        p += 2 + offsetSize;
        if (unitType === DW_UT.skeleton || unitType === DW_UT.splitCompile) p += 8;
        else if (unitType === DW_UT.type || unitType === DW_UT.splitType) p += 8 + offsetSize;
      } else {
        abbrevOff = off(p);
        addressSize = info[p + offsetSize];
        p += offsetSize + 1;
      }
      const unit: Unit = { start, end, version, offsetSize, addressSize, abbrevs: this.abbrevTable(abbrevOff), strOffsetsBase: offsetSize * 2 };
      this.units.push(unit);
      this.walkUnit(unit, p);
      p = end;
    }
  }

  /** Visits every DIE of a unit; records named struct/union definitions at the unit's top levels and below. */
  private walkUnit(unit: Unit, p: number): void {
    const info = this.info;
    let first = true;
    while (p < unit.end) {
      const dieOff = p;
      let code = 0, shift = 0, b: number;
      do { b = info[p++]; code |= (b & 0x7f) << shift; shift += 7; } while (b & 0x80);
      if (code === 0) continue; // end of a sibling chain
      const a = unit.abbrevs.get(code);
      if (a === undefined) throw new DwarfError(`DIE at 0x${dieOff.toString(16)} uses abbreviation ${code}, not in its table`);
      const named = a.tag === TAG.structure || a.tag === TAG.union;
      let name: string | null = null, declaration = false;
      for (let i = 0; i < a.attrs.length; i++) {
        const at = a.attrs[i], form = a.forms[i];
        if ((named && (at === AT.name || at === AT.declaration)) || (first && at === AT.strOffsetsBase)) {
          const val = this.value(unit, form, p, a.consts[i]);
          p = val.next;
          if (at === AT.name && val.value.kind === 'str') name = val.value.v;
          else if (at === AT.declaration && val.value.kind === 'flag') declaration = val.value.v;
          else if (at === AT.strOffsetsBase && val.value.kind === 'num') unit.strOffsetsBase = Number(val.value.v);
        } else p = this.skip(unit, form, p);
      }
      first = false;
      if (named && name !== null && !declaration && a.children && !this.structs.has(name)) this.structs.set(name, dieOff);
    }
  }

  private abbrevTable(offset: number): Map<number, Abbrev> {
    const cached = this.abbrevCache.get(offset);
    if (cached !== undefined) return cached;
    const t = new Map<number, Abbrev>();
    const b = this.abbrev;
    let p = offset;
    const u = () => { const r = uleb(b, p); p = r.next; return Number(r.value); };
    for (;;) {
      if (p >= b.length) throw new DwarfError(`abbreviation table at 0x${offset.toString(16)} runs past the end of .debug_abbrev`);
      const code = u();
      if (code === 0) break;
      const tag = u();
      const children = b[p++] === 1;
      const attrs: number[] = [], forms: number[] = [], consts: (bigint | null)[] = [];
      for (;;) {
        const at = u(), form = u();
        if (at === 0 && form === 0) break;
        let c: bigint | null = null;
        if (form === FORM.implicitConst) { const r = sleb(b, p); p = r.next; c = r.value; }
        attrs.push(at); forms.push(form); consts.push(c);
      }
      t.set(code, { tag, children, attrs: Uint32Array.from(attrs), forms: Uint32Array.from(forms), consts });
    }
    this.abbrevCache.set(offset, t);
    return t;
  }

  /** Where the attribute of `form` at `p` ends. */
  private skip(unit: Unit, form: number, p: number): number {
    const info = this.info;
    switch (form) {
      case FORM.flagPresent: case FORM.implicitConst: return p;
      case FORM.data1: case FORM.ref1: case FORM.flag: case FORM.strx1: case FORM.addrx1: return p + 1;
      case FORM.data2: case FORM.ref2: case FORM.strx2: case FORM.addrx2: return p + 2;
      case FORM.strx3: case FORM.addrx3: return p + 3;
      case FORM.data4: case FORM.ref4: case FORM.refSup4: case FORM.strx4: case FORM.addrx4: return p + 4;
      case FORM.data8: case FORM.ref8: case FORM.refSig8: case FORM.refSup8: return p + 8;
      case FORM.data16: return p + 16;
      case FORM.addr: return p + unit.addressSize;
      case FORM.strp: case FORM.lineStrp: case FORM.secOffset: case FORM.strpSup: case FORM.gnuRefAlt: case FORM.gnuStrpAlt: return p + unit.offsetSize;
      case FORM.refAddr: return p + (unit.version <= 2 ? unit.addressSize : unit.offsetSize);
      case FORM.sdata: case FORM.udata: case FORM.refUdata: case FORM.strx: case FORM.addrx: case FORM.loclistx: case FORM.rnglistx:
      case FORM.gnuAddrIndex: case FORM.gnuStrIndex:
        while (info[p++] & 0x80);
        return p;
      case FORM.string:
        while (info[p++] !== 0);
        return p;
      case FORM.block1: return p + 1 + info[p];
      case FORM.block2: return p + 2 + this.view.getUint16(p, true);
      case FORM.block4: return p + 4 + this.view.getUint32(p, true);
      case FORM.block: case FORM.exprloc: { const r = uleb(info, p); return r.next + Number(r.value); }
      case FORM.indirect: { const r = uleb(info, p); return this.skip(unit, Number(r.value), r.next); }
      default: throw new DwarfError(`unknown attribute form 0x${form.toString(16)} at 0x${p.toString(16)} in .debug_info`);
    }
  }

  /** Decodes the attribute of `form` at `p`. */
  private value(unit: Unit, form: number, p: number, implicit: bigint | null): { value: Value; next: number } {
    const v = this.view, info = this.info;
    const num = (x: bigint | number, next: number) => ({ value: { kind: 'num', v: BigInt(x) } as Value, next });
    const ref = (x: number, next: number) => ({ value: { kind: 'ref', v: x } as Value, next });
    const str = (s: string, next: number) => ({ value: { kind: 'str', v: s } as Value, next });
    const offAt = (at: number) => (unit.offsetSize === 8 ? Number(v.getBigUint64(at, true)) : v.getUint32(at, true));
    switch (form) {
      case FORM.data1: return num(info[p], p + 1);
      case FORM.data2: return num(v.getUint16(p, true), p + 2);
      case FORM.data4: return num(v.getUint32(p, true), p + 4);
      case FORM.data8: return num(v.getBigUint64(p, true), p + 8);
      case FORM.udata: { const r = uleb(info, p); return num(r.value, r.next); }
      case FORM.sdata: { const r = sleb(info, p); return num(r.value, r.next); }
      case FORM.implicitConst: return num(implicit ?? 0n, p);
      case FORM.flag: return { value: { kind: 'flag', v: info[p] !== 0 }, next: p + 1 };
      case FORM.flagPresent: return { value: { kind: 'flag', v: true }, next: p };
      case FORM.ref1: return ref(unit.start + info[p], p + 1);
      case FORM.ref2: return ref(unit.start + v.getUint16(p, true), p + 2);
      case FORM.ref4: return ref(unit.start + v.getUint32(p, true), p + 4);
      case FORM.ref8: return ref(unit.start + Number(v.getBigUint64(p, true)), p + 8);
      case FORM.refUdata: { const r = uleb(info, p); return ref(unit.start + Number(r.value), r.next); }
      case FORM.refAddr: return unit.version <= 2 && unit.addressSize === 8 ? ref(Number(v.getBigUint64(p, true)), p + 8) : ref(unit.version <= 2 ? v.getUint32(p, true) : offAt(p), p + (unit.version <= 2 ? unit.addressSize : unit.offsetSize));
      case FORM.string: { let e = p; while (info[e] !== 0) e++; return str(decode(info.subarray(p, e)), e + 1); }
      case FORM.strp: return str(this.stringAt(this.str, '.debug_str', offAt(p)), p + unit.offsetSize);
      case FORM.lineStrp: return str(this.stringAt(this.lineStr, '.debug_line_str', offAt(p)), p + unit.offsetSize);
      case FORM.strx: case FORM.gnuStrIndex: { const r = uleb(info, p); return str(this.strx(unit, Number(r.value)), r.next); }
      case FORM.strx1: return str(this.strx(unit, info[p]), p + 1);
      case FORM.strx2: return str(this.strx(unit, v.getUint16(p, true)), p + 2);
      case FORM.strx3: return str(this.strx(unit, info[p] | (info[p + 1] << 8) | (info[p + 2] << 16)), p + 3);
      case FORM.strx4: return str(this.strx(unit, v.getUint32(p, true)), p + 4);
      case FORM.secOffset: return num(offAt(p), p + unit.offsetSize);
      case FORM.exprloc: case FORM.block: { const r = uleb(info, p); const e = r.next + Number(r.value); return { value: { kind: 'block', v: info.subarray(r.next, e) }, next: e }; }
      case FORM.block1: return { value: { kind: 'block', v: info.subarray(p + 1, p + 1 + info[p]) }, next: p + 1 + info[p] };
      case FORM.block2: { const n = v.getUint16(p, true); return { value: { kind: 'block', v: info.subarray(p + 2, p + 2 + n) }, next: p + 2 + n }; }
      case FORM.block4: { const n = v.getUint32(p, true); return { value: { kind: 'block', v: info.subarray(p + 4, p + 4 + n) }, next: p + 4 + n }; }
      case FORM.indirect: { const r = uleb(info, p); return this.value(unit, Number(r.value), r.next, implicit); }
      case FORM.refSig8: return num(v.getBigUint64(p, true), p + 8); // a type unit's signature: not followed
      default: return num(0, this.skip(unit, form, p)); // addresses, supplementary-file forms: not needed here
    }
  }

  private stringAt(sec: Uint8Array | null, name: string, off: number): string {
    if (sec === null) throw new DwarfError(`a string in ${name}, but the file has no ${name}`);
    if (off >= sec.length) throw new DwarfError(`string offset 0x${off.toString(16)} outside ${name}`);
    let e = off;
    while (e < sec.length && sec[e] !== 0) e++;
    return decode(sec.subarray(off, e));
  }

  private strx(unit: Unit, index: number): string {
    const so = this.strOffsets;
    if (so === null) throw new DwarfError('a DW_FORM_strx string, but the file has no .debug_str_offsets');
    const at = unit.strOffsetsBase + index * unit.offsetSize;
    if (at + unit.offsetSize > so.length) throw new DwarfError(`string index ${index} outside .debug_str_offsets`);
    const sv = new DataView(so.buffer, so.byteOffset, so.byteLength);
    return this.stringAt(this.str, '.debug_str', unit.offsetSize === 8 ? Number(sv.getBigUint64(at, true)) : sv.getUint32(at, true));
  }

  /** The DIE at `offset`, with its attributes and the offsets of its direct children. */
  private die(offset: number): Die {
    const unit = this.unitOf(offset);
    let p = offset;
    const readDie = (at: number): { die: Die | null; next: number; hasChildren: boolean } => {
      const r = uleb(this.info, at);
      const code = Number(r.value);
      if (code === 0) return { die: null, next: r.next, hasChildren: false };
      const a = unit.abbrevs.get(code);
      if (a === undefined) throw new DwarfError(`DIE at 0x${at.toString(16)} uses abbreviation ${code}, not in its table`);
      let q = r.next;
      const attrs = new Map<number, Value>();
      for (let i = 0; i < a.attrs.length; i++) {
        const val = this.value(unit, a.forms[i], q, a.consts[i]);
        attrs.set(a.attrs[i], val.value);
        q = val.next;
      }
      return { die: { offset: at, tag: a.tag, attrs, children: [] }, next: q, hasChildren: a.children };
    };
    const top = readDie(p);
    if (top.die === null) throw new DwarfError(`no DIE at 0x${offset.toString(16)}`);
    if (!top.hasChildren) return top.die;
    // Direct children: walk the subtree, keeping depth.
    p = top.next;
    let depth = 1;
    while (depth > 0 && p < unit.end) {
      const at = p;
      const c = readDie(p);
      p = c.next;
      if (c.die === null) { depth--; continue; }
      if (depth === 1) top.die.children.push(at);
      if (c.hasChildren) depth++;
    }
    return top.die;
  }
}

const decoder = new TextDecoder();
function decode(b: Uint8Array): string {
  return decoder.decode(b);
}

function uleb(b: Uint8Array, p: number): { value: bigint; next: number } {
  return leb128(b, p, false);
}

function sleb(b: Uint8Array, p: number): { value: bigint; next: number } {
  return leb128(b, p, true);
}

function leb128(b: Uint8Array, p: number, signed: boolean): { value: bigint; next: number } {
  let result = 0n, shift = 0n, byte: number;
  do {
    if (p >= b.length) throw new DwarfError('truncated LEB128 number');
    byte = b[p++];
    result |= BigInt(byte & 0x7f) << shift;
    shift += 7n;
  } while (byte & 0x80);
  if (signed && byte & 0x40) result -= 1n << shift;
  return { value: result, next: p };
}
