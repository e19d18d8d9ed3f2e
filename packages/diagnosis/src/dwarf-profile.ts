/** The guest profile from a kernel's DWARF (a vmlinux built with CONFIG_DEBUG_INFO): dwarf.ts read through profile-fields.ts. */
import { Dwarf } from './dwarf.js';
import { profileFromTypes, type DebugInfoProfile, type TypeLayouts } from './profile-fields.js';

/** The TypeLayouts view of parsed DWARF. */
export function dwarfLayouts(d: Dwarf): TypeLayouts {
  return {
    structSize: (name) => d.struct(name)?.size ?? null,
    member: (struct, name) => {
      const s = d.struct(struct);
      const m = s === null ? null : d.member(s, name);
      return m === null ? null : { bitOffset: m.bitOffset, bitSize: m.bitSize, size: d.sizeOf(m.type) };
    },
  };
}

/** Reads the profile fields from the DWARF of an ELF file; throws DebugInfoError (DwarfError, ElfError) naming what is wrong. */
export function profileFromDwarf(elf: Uint8Array, release = 'unknown'): DebugInfoProfile {
  const d = Dwarf.fromElf(elf);
  return profileFromTypes(dwarfLayouts(d), { kind: 'dwarf', units: d.unitCount }, release);
}
