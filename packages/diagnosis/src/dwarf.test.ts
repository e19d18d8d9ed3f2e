/**
 * The DWARF reader against pahole (dwarves), the independent reference: a
 * small C file of kernel-like structs (test-data/kernel-like.c) compiled here
 * with Debian's riscv64-linux-gnu-gcc as DWARF 5 and DWARF 4 objects
 * (relocatable: the reader applies their relocations), then every member's
 * offset, bit field and size as pahole prints them is compared with ours,
 * and the guest profile's fields with pahole's.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { profileFromBtf } from './btf-profile.js';
import { DebugInfoError } from './debug-info-error.js';
import { SYSTEM_MAP_MESSAGE, looksLikeSystemMap, profileFromDebugInfo } from './debug-info-profile.js';
import { profileFromDwarf } from './dwarf-profile.js';
import { Dwarf, DwarfError } from './dwarf.js';
import { ElfFile } from './elf.js';
import { pahole, riscvGcc } from './host-tools.js';

const SOURCE = fileURLToPath(new URL('../test-data/kernel-like.c', import.meta.url));
const STRUCTS = ['task_struct', 'thread_info', 'pt_regs', 'list_head'];

interface PaholeMember { name: string; offset: number; bit: number | null; width: number | null; size: number; flexible: boolean }

/** `pahole -C struct file`: the size and every member line (`type name[..]:width;  /* offset[: bit] size *\/`), nested anonymous ones too (absolute offsets). */
function paholeStruct(struct: string, file: string): { size: number; members: PaholeMember[] } {
  const text = execFileSync('pahole', ['-C', struct, file], { encoding: 'utf8' });
  const size = /\/\* size: (\d+),/.exec(text);
  if (size === null) throw new Error(`pahole printed no size for ${struct}: ${text}`);
  const members = [...text.matchAll(/^\t+(?!\})[^;\n]*?\b(\w+)((?:\[\d*\])*)(?::(\d+))?;\s+\/\*\s+(\d+)(?::\s*(\d+))?\s+(\d+)\s+\*\//gm)].map((m) => ({
    name: m[1], offset: Number(m[4]), bit: m[5] === undefined ? null : Number(m[5]), width: m[3] === undefined ? null : Number(m[3]), size: Number(m[6]), flexible: m[2].endsWith('[]'),
  }));
  return { size: Number(size[1]), members };
}

const tools = pahole.skip || riscvGcc.skip;
const dir = mkdtempSync(join(tmpdir(), 'prnr-dwarf-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function compile(flags: string[], name: string): string {
  riscvGcc.require();
  const out = join(dir, name);
  execFileSync('riscv64-linux-gnu-gcc', [...flags, '-c', SOURCE, '-o', out]);
  return out;
}

/** The DWARF versions of an object's units (the first two bytes after a 32-bit unit length). */
function unitVersion(file: string): number {
  const info = new ElfFile(new Uint8Array(readFileSync(file))).contents('.debug_info')!;
  return info[4] | (info[5] << 8);
}

describe.each([
  { dwarf: 5, flags: ['-g', '-gdwarf-5'] },
  { dwarf: 4, flags: ['-g', '-gdwarf-4'] },
])('DWARF $dwarf reader, against pahole on an object from riscv64-linux-gnu-gcc', ({ dwarf, flags }) => {
  it.skipIf(tools)('lays out every member as pahole does: offsets, bit fields, sizes, through anonymous structs and unions', () => {
    pahole.require();
    const obj = compile(flags, `k${dwarf}.o`);
    expect(unitVersion(obj)).toBe(dwarf);
    const d = Dwarf.fromElf(new Uint8Array(readFileSync(obj)));
    let checked = 0, bitfields = 0, nested = 0;
    for (const struct of STRUCTS) {
      const want = paholeStruct(struct, obj);
      const s = d.struct(struct);
      expect(s?.size, struct).toBe(want.size);
      for (const m of want.members) {
        const got = d.member(s!, m.name);
        expect(got, `${struct}.${m.name}`).not.toBeNull();
        const size = d.sizeOf(got!.type);
        expect({ struct, name: m.name, bitOffset: got!.bitOffset, width: got!.bitSize, size: m.flexible ? size ?? 0 : size }).toEqual({
          struct, name: m.name, bitOffset: m.offset * 8 + (m.bit ?? 0), width: m.width ?? 0, size: m.size,
        });
        checked++;
        if (m.width !== null) bitfields++;
        if (!s!.members.some((x) => x.name === m.name)) nested++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(60);
    expect(bitfields).toBe(3);
    expect(nested).toBe(5); // lo, mid, a, exit_state, exit_code
  });

  it.skipIf(tools)("makes the guest profile from pahole's offsets", () => {
    pahole.require();
    const obj = compile(flags, `p${dwarf}.o`);
    const field = (struct: string, name: string) => paholeStruct(struct, obj).members.find((m) => m.name === name)!;
    const p = profileFromDwarf(new Uint8Array(readFileSync(obj)));
    expect(p.offsets).toEqual({
      task_struct: { pid: field('task_struct', 'pid').offset, tgid: field('task_struct', 'tgid').offset, comm: field('task_struct', 'comm').offset },
      thread_info: { kernel_sp: field('task_struct', 'thread_info').offset + field('thread_info', 'kernel_sp').offset },
      pt_regs: { cause: field('pt_regs', 'cause').offset, orig_a0: field('pt_regs', 'orig_a0').offset },
    });
    expect(p.sizes).toEqual({ task_struct: paholeStruct('task_struct', obj).size, pt_regs: paholeStruct('pt_regs', obj).size, task_comm_len: field('task_struct', 'comm').size });
    expect(p.source).toEqual({ kind: 'dwarf', units: 1 });
    // profileFromDebugInfo finds the DWARF by itself (the object has no BTF).
    expect(profileFromDebugInfo(new Uint8Array(readFileSync(obj))).offsets).toEqual(p.offsets);
  });
});

describe('debug info: what prnr profile is given', () => {
  it.skipIf(riscvGcc.skip)('says clearly what is missing or wrong', () => {
    const bare = new Uint8Array(readFileSync(compile(['-g0'], 'bare.o')));
    expect(() => profileFromDwarf(bare)).toThrow(/has no DWARF \(\.debug_info, \.debug_abbrev\): build with -g/);
    expect(() => profileFromDebugInfo(bare)).toThrow(/neither BTF \(\.BTF\) nor DWARF \(\.debug_info\)/);
    // A unit cut short.
    const obj = new Uint8Array(readFileSync(compile(['-g'], 'cut.o')));
    const elf = new ElfFile(obj);
    const info = elf.section('.debug_info')!;
    new DataView(obj.buffer, obj.byteOffset).setUint32(info.offset, 0x10000, true);
    expect(() => Dwarf.fromElf(obj)).toThrow(/runs past the end of \.debug_info/);
    // DWARF of something else: the structs the profile needs are absent.
    const other = join(dir, 'other.o');
    execFileSync('riscv64-linux-gnu-gcc', ['-g', '-x', 'c', '-c', '-', '-o', other], { input: 'struct foo { int a; } f;\n' });
    expect(() => profileFromDwarf(new Uint8Array(readFileSync(other)))).toThrow(/^the DWARF has no struct task_struct$/);
  });

  it('refuses a System.map, saying what it lacks and what to give instead', () => {
    const map = new TextEncoder().encode('ffffffff80000000 T _start\nffffffff80000000 T _stext\nffffffff80002000 T __do_softirq\nffffffff80c0a0c0 D init_task\n');
    expect(looksLikeSystemMap(map)).toBe(true);
    expect(() => profileFromDebugInfo(map)).toThrow(DebugInfoError);
    expect(() => profileFromDebugInfo(map)).toThrow(SYSTEM_MAP_MESSAGE);
    expect(SYSTEM_MAP_MESSAGE).not.toContain('\n');
    expect(() => profileFromDebugInfo(new TextEncoder().encode('hello\n'))).toThrow(/^neither an ELF vmlinux \(BTF or DWARF\), raw BTF, nor a System\.map$/);
    expect(() => Dwarf.fromElf(new Uint8Array(100))).toThrow(/not an ELF file/);
    expect(new DwarfError('x')).toBeInstanceOf(DebugInfoError);
  });
});

// The second guest kernel's own vmlinux (DWARF 4 and BTF) when the guest build left it here: a
// local check, not one CI can count on (its build folder is outside the repository).
const ALT_VMLINUX = '/tmp/prnr-guest-build/linux-build-alt/vmlinux';
if (existsSync(ALT_VMLINUX)) {
  it("the second guest kernel's vmlinux: the profile from its DWARF equals the one from its BTF", () => {
    const bytes = new Uint8Array(readFileSync(ALT_VMLINUX));
    const dwarf = profileFromDebugInfo(bytes, { from: 'dwarf' });
    const btf = profileFromBtf(bytes);
    expect(dwarf.source.kind).toBe('dwarf');
    expect({ ...dwarf, source: null }).toEqual({ ...btf, source: null });
    console.log(`dwarf: ${ALT_VMLINUX}: ${dwarf.source.units} units; task_struct.pid ${dwarf.offsets.task_struct.pid}, tgid ${dwarf.offsets.task_struct.tgid}, comm ${dwarf.offsets.task_struct.comm}, as its BTF says`);
  }, 60_000);
} else {
  console.log(`dwarf: no check against a real kernel's DWARF: ${ALT_VMLINUX} is absent (bash guest/build.sh --alt leaves it there)`);
}
