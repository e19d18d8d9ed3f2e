/**
 * `prnr profile FILE`: the guest profile from whatever debug info the user
 * has. Tells the kinds apart by their first bytes:
 * - raw BTF (/sys/kernel/btf/vmlinux, vmlinux.btf), zstd-compressed or not;
 * - an ELF file: its BTF (.BTF) when it has one (small, quick), else its
 *   DWARF (.debug_info); `from` picks one;
 * - a System.map: refused here, with what to give instead. A System.map
 *   names symbols and their addresses, not structure layouts: alone it
 *   cannot say where pid, tgid or comm lie in task_struct. With a recording
 *   it can (system-map-profile.ts: init_task's address, then the task list
 *   in the recording's memory).
 */
import { decompress as zstdDecompress } from 'fzstd';
import { BTF_MAGIC } from './btf.js';
import { profileFromBtf } from './btf-profile.js';
import { DebugInfoError } from './debug-info-error.js';
import { profileFromDwarf } from './dwarf-profile.js';
import { ElfFile, isElf } from './elf.js';
import type { DebugInfoProfile } from './profile-fields.js';

export type DebugInfoKind = 'btf' | 'dwarf';

const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];

/** `ffffffff80000000 T _start` lines: what System.map (and /proc/kallsyms, nm output) look like. */
export function looksLikeSystemMap(bytes: Uint8Array): boolean {
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, 4096));
  const lines = head.split('\n').slice(0, 8).filter((l) => l !== '');
  return lines.length > 0 && lines.every((l) => /^[0-9a-fA-F]{8,16} [a-zA-Z] \S+/.test(l));
}

/** looksLikeSystemMap of a file's bytes, zstd-compressed (System.map.zst) or not. */
export function isSystemMapFile(bytes: Uint8Array): boolean {
  if (!ZSTD_MAGIC.every((b, i) => bytes[i] === b)) return looksLikeSystemMap(bytes);
  try {
    return looksLikeSystemMap(zstdDecompress(bytes));
  } catch {
    return false;
  }
}

export const SYSTEM_MAP_MESSAGE =
  'this is a System.map: it has symbol addresses but no structure layouts; pass --recording REC to read the task_struct layout from init_task in that recording\'s memory, or give the vmlinux built with CONFIG_DEBUG_INFO_BTF=y (BTF) or CONFIG_DEBUG_INFO=y (DWARF)';

/** The profile from BTF or DWARF in `bytes`; throws DebugInfoError, one line, saying what is wrong or missing. */
export function profileFromDebugInfo(bytes: Uint8Array, o: { release?: string; from?: DebugInfoKind } = {}): DebugInfoProfile {
  const zstd = ZSTD_MAGIC.every((b, i) => bytes[i] === b);
  const file = zstd ? zstdDecompress(bytes) : bytes;
  if (file.length >= 2 && (file[0] | (file[1] << 8)) === BTF_MAGIC) {
    if (o.from === 'dwarf') throw new DebugInfoError('this is raw BTF, not an ELF file with DWARF');
    return profileFromBtf(file, o.release);
  }
  if (isElf(file)) {
    const elf = new ElfFile(file);
    const hasBtf = elf.section('.BTF') !== null, hasDwarf = elf.section('.debug_info') !== null;
    const from = o.from ?? (hasBtf ? 'btf' : hasDwarf ? 'dwarf' : null);
    if (from === null) throw new DebugInfoError('the ELF file has neither BTF (.BTF) nor DWARF (.debug_info): build the kernel with CONFIG_DEBUG_INFO_BTF=y or CONFIG_DEBUG_INFO=y');
    return from === 'btf' ? profileFromBtf(file, o.release) : profileFromDwarf(file, o.release);
  }
  if (looksLikeSystemMap(file)) throw new DebugInfoError(SYSTEM_MAP_MESSAGE);
  throw new DebugInfoError('neither an ELF vmlinux (BTF or DWARF), raw BTF, nor a System.map');
}
