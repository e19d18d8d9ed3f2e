/**
 * `prnr profile` on each kind of debug info: DWARF (an object compiled here
 * from packages/diagnosis/test-data/kernel-like.c by riscv64-linux-gnu-gcc;
 * the expected offsets are pahole's for that file, the ABI's layout), a
 * System.map (alone refused in one line saying what to add; with a
 * recording of its kernel, the layout read off the task list in the
 * recording's memory must equal what was compiled against the default
 * kernel, guest/images/profile.json, and what the second kernel's BTF
 * says), and the second guest kernel's vmlinux when its build folder is on
 * this machine.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { riscvGcc } from './testing/host-tools.js';

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const SOURCE = fileURLToPath(new URL('../../../packages/diagnosis/test-data/kernel-like.c', import.meta.url));
const SYSTEM_MAP = fileURLToPath(new URL('../../../guest/images/System.map.zst', import.meta.url));
const ALT = fileURLToPath(new URL('../../../guest/images-alt', import.meta.url));
const ALT_VMLINUX = '/tmp/prnr-guest-build/linux-build-alt/vmlinux';
const IMAGES = fileURLToPath(new URL('../../../guest/images', import.meta.url));
const THREADS = fileURLToPath(new URL('../../../guest/workloads/oracle/threads.sh', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'prnr-profile-'));
const prnr = (...args: string[]) => spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8' });

beforeAll(() => {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`pnpm build\` first (\`pnpm test\` does)`);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('prnr profile', () => {
  it.skipIf(riscvGcc.skip)('reads DWARF 4 and 5 from an object file, with the offsets pahole gives', () => {
    riscvGcc.require();
    for (const v of ['4', '5']) {
      const obj = join(tmp, `k${v}.o`), out = join(tmp, `k${v}.json`);
      execFileSync('riscv64-linux-gnu-gcc', ['-g', `-gdwarf-${v}`, '-c', SOURCE, '-o', obj]);
      const r = prnr('profile', obj, '-o', out, '--release', 'test');
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toBe(`prnr: from DWARF: task_struct.pid 168, tgid 172, comm 192; thread_info.kernel_sp 16; pt_regs 288 bytes; written to ${out}\n`);
      const p = JSON.parse(readFileSync(out, 'utf8')) as { kernel: unknown; offsets: unknown; sizes: unknown };
      expect(p.kernel).toEqual({ machine: 'riscv64', release: 'test' });
      expect(p.offsets).toEqual({ task_struct: { pid: 168, tgid: 172, comm: 192 }, thread_info: { kernel_sp: 16 }, pt_regs: { cause: 272, orig_a0: 280 } });
      expect(p.sizes).toEqual({ task_struct: 208, pt_regs: 288, task_comm_len: 16 });
      // --from btf on an object without BTF: one line saying so.
      const b = prnr('profile', obj, '--from', 'btf');
      expect(b.status).toBe(2);
      expect(b.stderr).toBe(`prnr: ${obj}: the ELF file has no .BTF section (build the kernel with CONFIG_DEBUG_INFO_BTF=y)\n`);
    }
  });

  it('refuses a System.map without a recording in one line, saying what it lacks and what to add', () => {
    const r = prnr('profile', SYSTEM_MAP);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')).toEqual([`prnr: ${SYSTEM_MAP}: this is a System.map: it has symbol addresses but no structure layouts; pass --recording REC to read the task_struct layout from init_task in that recording's memory, or give the vmlinux built with CONFIG_DEBUG_INFO_BTF=y (BTF) or CONFIG_DEBUG_INFO=y (DWARF)`, '']);
    const f = prnr('profile', SYSTEM_MAP, '--from', 'stabs');
    expect(f.status).toBe(2);
    expect(f.stderr).toBe('prnr: --from must be btf or dwarf, not "stabs"\n');
  });

  if (existsSync(ALT_VMLINUX) && existsSync(join(ALT, 'profile.json'))) {
    it("the second guest kernel's vmlinux: its DWARF and its BTF each agree with the profile compiled against it", () => {
      for (const from of ['dwarf', 'btf']) {
        const r = prnr('profile', ALT_VMLINUX, '--from', from, '--compare', join(ALT, 'profile.json'));
        expect(r.status, r.stderr).toBe(0);
        expect(r.stderr).toMatch(new RegExp(`^prnr: from ${from === 'btf' ? 'BTF' : 'DWARF'}: task_struct.pid 1088, tgid 1092, comm 1576;.*\\nprnr: .*profile.json agrees with the debug info\\n$`));
      }
    }, 60_000);
  } else {
    console.log(`prnr profile: no check on a real kernel's DWARF: ${ALT_VMLINUX} is absent (a local build of guest/build.sh --alt leaves it there)`);
  }
});

/**
 * A recording of the guest in `dir` (its profile.json left out, as for a
 * kernel a user built) with user processes alive at its end: a process of
 * two threads, a pipeline, the shell.
 */
function recordGuest(dir: string, name: string): string {
  const images = join(tmp, `${name}-images`), rec = join(tmp, `${name}.rec`), script = join(tmp, `${name}.sh`);
  mkdirSync(images);
  for (const f of readdirSync(dir)) if (f !== 'profile.json') symlinkSync(join(dir, f), join(images, f));
  writeFileSync(script, [readFileSync(THREADS, 'utf8'), '/tmp/thr wait &', 'sleep 30 | cat &', 'sleep 1', 'poweroff -f', ''].join('\n'));
  const r = prnr('record', '-o', rec, '--image', images, '--script', script, '--slice-insns', '20000000', '-q');
  expect(r.status, r.stderr).toBe(0);
  return rec;
}

describe('prnr profile System.map --recording', () => {
  let rec = '';
  beforeAll(() => { rec = recordGuest(IMAGES, 'default'); }, 300_000);

  it("default guest: the layout read off init_task's task list equals profile.json (compiled against the kernel)", () => {
    const out = join(tmp, 'map.json');
    const r = prnr('profile', SYSTEM_MAP, '--recording', rec, '-o', out, '--compare', join(IMAGES, 'profile.json'));
    expect(r.status, r.stderr).toBe(0);
    const end = /at icount (\d+) \(its end\)/.exec(r.stderr)?.[1];
    expect(r.stderr).toBe(`prnr: from ${SYSTEM_MAP} and ${rec} at icount ${end} (its end): task_struct.pid 696, tgid 700, comm 1168, tasks 560; thread_info.kernel_sp 16; pt_regs 288 bytes; high confidence; written to ${out}\nprnr: ${join(IMAGES, 'profile.json')} agrees with the System.map anchor\n`);
    const p = JSON.parse(readFileSync(out, 'utf8')) as { kernel: unknown; offsets: { task_struct: Record<string, number> }; calibration: { assumptions: string[]; evidence: { field: string }[] }; source: unknown };
    const truth = JSON.parse(readFileSync(join(IMAGES, 'profile.json'), 'utf8')) as { offsets: { task_struct: Record<string, number> } };
    for (const f of ['pid', 'tgid', 'comm', 'tasks']) expect(p.offsets.task_struct[f], f).toBe(truth.offsets.task_struct[f]);
    expect(p.kernel).toEqual({ machine: 'riscv64', release: '6.1.192' });
    expect(p.source).toEqual({ kind: 'system-map', init_task: '0xffffffff803204c0', memory: `${rec} at icount ${end} (its end)` });
    expect(p.calibration.assumptions).toEqual([]);
    expect(p.calibration.evidence.map((e) => e.field)).toEqual(['task_struct.comm', 'task_struct.tasks', 'task_struct.pid', 'task_struct.tgid', 'thread_info.kernel_sp', 'pt_regs.cause']);
    // diagnose takes it.
    const d = prnr('diagnose', rec, '--profile', out, '--format', 'json', '-o', join(tmp, 'd.json'));
    expect(d.status, d.stderr).toBe(0);
    const trace = (JSON.parse(readFileSync(join(tmp, 'd.json'), 'utf8')) as { trace: { events: { pid: number | null; comm: string | null }[] } }).trace;
    expect(trace.events.find((e) => e.comm === 'thr')?.pid).toBeGreaterThan(1);
  }, 300_000);

  it('bad input, one line each: init_task not mapped at that point, no init_task, --recording with debug info, a point outside the recording', () => {
    const r = prnr('profile', SYSTEM_MAP, '--recording', rec, '--icount', '0');
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`prnr: ${SYSTEM_MAP}: init_task (0xffffffff803204c0, from ${SYSTEM_MAP}) is not mapped in ${rec} at icount 0: the kernel had not set up its page tables by then, or the System.map is another kernel's (--icount picks another point)\n`);
    const map = join(tmp, 'no-init.map');
    writeFileSync(map, 'ffffffff80000000 T _start\nffffffff80001000 T _stext\nffffffff803b2ca8 D jiffies_64\n');
    const n = prnr('profile', map, '--recording', rec);
    expect(n.status).toBe(2);
    expect(n.stderr).toBe(`prnr: ${map}: ${map} has no init_task symbol: is it a Linux kernel's System.map?\n`);
    const bad = join(tmp, 'not-a-map');
    writeFileSync(bad, 'hello');
    const b = prnr('profile', bad, '--recording', rec);
    expect(b.status).toBe(2);
    expect(b.stderr).toBe(`prnr: --recording is for a System.map: ${bad} is not one, and debug info needs no recording\n`);
    const o = prnr('profile', SYSTEM_MAP, '--recording', rec, '--icount', '999999999999');
    expect(o.status).toBe(2);
    expect(o.stderr.trim().split('\n')).toHaveLength(1);
    expect(o.stderr).toMatch(/^prnr: .*icount 999999999999 is outside the recording/);
  }, 300_000);

  if (existsSync(join(ALT, 'vmlinux.btf.zst')) && existsSync(join(ALT, 'System.map.zst'))) {
    it("second kernel (SMP, cgroups): the layout read off its task list equals what its BTF says", () => {
      const altRec = recordGuest(ALT, 'alt');
      const btf = join(tmp, 'alt-btf.json');
      const b = prnr('profile', join(ALT, 'vmlinux.btf.zst'), '-o', btf);
      expect(b.status, b.stderr).toBe(0);
      const r = prnr('profile', join(ALT, 'System.map.zst'), '--recording', altRec, '--compare', btf, '-o', join(tmp, 'alt-map.json'));
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/: task_struct\.pid 1088, tgid 1092, comm 1576, tasks 864; thread_info\.kernel_sp 16; pt_regs 288 bytes; high confidence; written to .*\n.*alt-btf\.json agrees with the System\.map anchor\n$/);
      // tasks is not in the BTF profile's schema: its profile.json (offsets.c against that kernel) has it.
      const truth = JSON.parse(readFileSync(join(ALT, 'profile.json'), 'utf8')) as { offsets: { task_struct: { tasks: number } } };
      expect((JSON.parse(readFileSync(join(tmp, 'alt-map.json'), 'utf8')) as typeof truth).offsets.task_struct.tasks).toBe(truth.offsets.task_struct.tasks);
      // The default kernel's System.map does not fit the second kernel's memory: one line.
      const w = prnr('profile', SYSTEM_MAP, '--recording', altRec);
      expect(w.status).toBe(2);
      expect(w.stderr.trim().split('\n')).toHaveLength(1);
      expect(w.stderr).toBe(`prnr: ${SYSTEM_MAP}: no "swapper" name in init_task (0xffffffff803204c0) in ${altRec} at icount ${/at icount (\d+)/.exec(w.stderr)?.[1]} (its end): is ${SYSTEM_MAP} this kernel's, and had it booted by then? (--icount picks another point)\n`);
    }, 300_000);
  } else {
    console.log(`prnr profile System.map: not checked on the second kernel: ${ALT} lacks vmlinux.btf.zst or System.map.zst (guest/build.sh --alt)`);
  }
});
