/** The guest profile from a kernel's DWARF (a vmlinux built with CONFIG_DEBUG_INFO): dwarf.ts read through profile-fields.ts. */
import { Dwarf } from './dwarf.js';
import { profileFromTypes, typeLayouts, type DebugInfoProfile } from './profile-fields.js';

/** Reads the profile fields from the DWARF of an ELF file; throws DebugInfoError (DwarfError, ElfError) naming what is wrong. */
export function profileFromDwarf(elf: Uint8Array, release = 'unknown'): DebugInfoProfile {
  const d = Dwarf.fromElf(elf);
  return profileFromTypes(typeLayouts(d), { kind: 'dwarf', units: d.unitCount }, release);
}
