/**
 * The guest profile from a kernel's BTF (`prnr profile vmlinux`): btf.ts read
 * through profile-fields.ts; and the comparison of two profiles
 * (profileDifferences), e.g. a calibrated one against one from debug info.
 */
import { decompress as zstdDecompress } from 'fzstd';
import { Btf, BtfError, btfSectionOfElf, BTF_MAGIC } from './btf.js';
import { profileFromTypes, typeLayouts, type DebugInfoProfile } from './profile-fields.js';
import { taskLayoutFromProfile, type TaskLayout } from './process.js';

/** A profile read from BTF (the same shape as one from DWARF). */
export type BtfProfile = DebugInfoProfile;

const ZSTD_MAGIC = 0xfd2fb528;

/** BTF bytes from a vmlinux (its .BTF section) or raw BTF (/sys/kernel/btf/vmlinux, vmlinux.btf), either zstd-compressed or not. */
export function btfBytes(input: Uint8Array): Uint8Array {
  const zstd = input.length >= 4 && new DataView(input.buffer, input.byteOffset, 4).getUint32(0, true) === ZSTD_MAGIC;
  const file = zstd ? zstdDecompress(input) : input;
  if (file.length >= 2 && (file[0] | (file[1] << 8)) === BTF_MAGIC) return file;
  const sec = btfSectionOfElf(file);
  if (sec === null) throw new BtfError(file.length >= 4 && file[0] === 0x7f && file[1] === 0x45 ? 'the ELF file has no .BTF section (build the kernel with CONFIG_DEBUG_INFO_BTF=y)' : 'neither an ELF vmlinux nor raw BTF');
  return sec;
}

/** Reads the profile fields from BTF; throws DebugInfoError (BtfError) naming what is missing. */
export function profileFromBtf(bytes: Uint8Array, release = 'unknown'): BtfProfile {
  const btf = Btf.parse(btfBytes(bytes));
  return profileFromTypes(typeLayouts(btf), { kind: 'btf', types: btf.types.length - 1 }, release);
}

/** The fields attribution reads, for comparing profiles. */
function essentials(l: TaskLayout) {
  return { pid: l.pid, tgid: l.tgid, comm: l.comm, commLen: l.commLen, kernelSp: l.kernelSp, ptRegsOnStack: l.ptRegsOnStack, ptCause: l.ptCause, ptOrigA0: l.ptOrigA0 };
}

/** Where two profiles disagree on what attribution reads (empty: they agree). */
export function profileDifferences(a: unknown, b: unknown): string[] {
  const la = taskLayoutFromProfile(a), lb = taskLayoutFromProfile(b);
  if (!la.ok) return [`first profile: ${la.reason}`];
  if (!lb.ok) return [`second profile: ${lb.reason}`];
  const ea = essentials(la.layout), eb = essentials(lb.layout);
  return (Object.keys(ea) as (keyof typeof ea)[]).filter((k) => ea[k] !== eb[k]).map((k) => `${k}: ${ea[k]} vs ${eb[k]}`);
}
