/**
 * The profile from a System.map anchored on init_task in a booted guest's
 * memory (read through its page tables, as `prnr profile System.map
 * --recording` reads a snapshot), checked against independent truth: on the
 * default guest, guest/images/profile.json (guest/profile/offsets.c compiled
 * against that exact kernel); on the second kernel (SMP, cgroups: another
 * layout), the offsets its BTF gives (vmlinux.btf.zst, read by btf.ts) and
 * its profile.json. With a process of two threads alive, a thread tells pid
 * from tgid; without, their order is an assumption the profile lists. Also
 * the one-line refusals: no init_task, init_task not mapped, another
 * kernel's System.map.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Btf } from './btf.js';
import { btfBytes, profileDifferences, profileFromBtf } from './btf-profile.js';
import { IMAGES, IMAGES_ALT, bootGuest, readProfile } from './guest-boot.js';
import { GuestMemory } from './sv39.js';
import { readSystemMap, type MapSymbol } from './system-map.js';
import { profileFromSystemMap, type SystemMapProfile } from './system-map-profile.js';
import { newRam } from './test-support.js';

const THREADS = readFileSync(fileURLToPath(new URL('../../../guest/workloads/oracle/threads.sh', import.meta.url)), 'utf8');

/** Boots the guest in `dir`, types `script`, runs until the console shows `until`; returns its memory, through the guest's page tables. */
function memoryAfter(dir: string, script: string, until: string): GuestMemory {
  const { machine: m, console: out } = bootGuest(script, dir);
  const MAX_STEPS = 1_500_000_000;
  while (!out().includes(until)) {
    if (m.hart.icount >= MAX_STEPS) throw new Error(`"${until}" not seen within ${MAX_STEPS} steps; console:\n${out().slice(-2000)}`);
    const r = m.run(Math.min(m.hart.icount + 2_000_000, MAX_STEPS));
    if (r.reason === 'idle' && r.wakeAt != null) m.advanceIdle(r.wakeAt);
    else if (r.reason !== 'limit') throw new Error(`the guest stopped (${r.reason}); console:\n${out().slice(-2000)}`);
  }
  return new GuestMemory(m.ram, () => m.hart.satp);
}

// `$((6*7))`: the marker is the shell's output, not the echo of the typed line.
const READY = '42ready';
/** A process of two threads (/tmp/thr wait: its second thread is on no task list) and a pipeline alive. */
const WITH_THREAD = `${THREADS}/tmp/thr wait &\nsleep 30 | cat &\nsleep 1\necho $((6*7))ready\n`;
/** Only single-threaded processes. */
const NO_THREAD = `sleep 30 | cat &\nsleep 1\necho $((6*7))ready\n`;

type Truth = { offsets: { task_struct: { pid: number; tgid: number; comm: number; tasks: number } } };
const evidenceOf = (p: SystemMapProfile, field: string) => p.calibration.evidence.find((e) => e.field === field)!;

describe('profileFromSystemMap on the default guest', () => {
  const map = readSystemMap(join(IMAGES, 'System.map.zst'));
  const truth = readProfile(IMAGES) as Truth;

  it('with a thread alive: every offset equals profile.json, with no assumption', () => {
    const mem = memoryAfter(IMAGES, WITH_THREAD, READY);
    const p = profileFromSystemMap(map, mem, { where: 'the test guest' });
    expect(profileDifferences(p, truth)).toEqual([]);
    expect(p.offsets.task_struct).toEqual({ pid: 696, tgid: 700, comm: 1168, tasks: 560 });
    expect(p.offsets.task_struct.tasks).toBe(truth.offsets.task_struct.tasks);
    expect(p.kernel.release).toBe('6.1.192');
    expect(p.source).toEqual({ kind: 'system-map', init_task: '0xffffffff803204c0', memory: 'the test guest' });
    expect(p.calibration.assumptions).toEqual([]);
    expect(evidenceOf(p, 'task_struct.pid').how).toMatch(/told apart by 1 thread of 1 process/);
    expect(evidenceOf(p, 'task_struct.comm').how).toMatch(/"swapper" lies in init_task .*\(init, kthreadd, /);
    // init, sh, thr, sleep, cat: the user processes, each asleep in a syscall.
    expect(evidenceOf(p, 'thread_info.kernel_sp').observations).toBeGreaterThanOrEqual(5);
    expect(p.calibration.evidence.map((e) => e.field)).toEqual(['task_struct.comm', 'task_struct.tasks', 'task_struct.pid', 'task_struct.tgid', 'thread_info.kernel_sp', 'pt_regs.cause']);

    // Bad input, one line each: a System.map without init_task; another kernel's System.map.
    const noInit: MapSymbol[] = map.filter((s) => s.name !== 'init_task');
    expect(() => profileFromSystemMap(noInit, mem, { mapName: 'x.map' })).toThrow(/^x\.map has no init_task symbol: is it a Linux kernel's System\.map\?$/);
    if (!existsSync(join(IMAGES_ALT, 'System.map.zst'))) return console.log(`profileFromSystemMap: another kernel's System.map not tried: ${IMAGES_ALT}/System.map.zst is absent`);
    const alt = readSystemMap(join(IMAGES_ALT, 'System.map.zst'));
    const altInit = alt.find((s) => s.name === 'init_task')!.address;
    expect(altInit).not.toBe(0xffffffff803204c0n);
    // Its init_task lies past the end of this kernel's image: not mapped.
    expect(() => profileFromSystemMap(alt, mem, { mapName: 'alt.map', where: 'the test guest' }))
      .toThrow(`init_task (0x${altInit.toString(16)}, from alt.map) is not mapped in the test guest: the kernel had not set up its page tables by then, or the System.map is another kernel's`);
  }, 180_000);

  it('with no thread alive: the same offsets, pid before tgid stated as an assumption', () => {
    const p = profileFromSystemMap(map, memoryAfter(IMAGES, NO_THREAD, READY));
    expect(profileDifferences(p, truth)).toEqual([]);
    expect(p.offsets.task_struct.tasks).toBe(truth.offsets.task_struct.tasks);
    expect(p.calibration.assumptions).toEqual([expect.stringMatching(/^task_struct\.pid comes just before task_struct\.tgid/)]);
    expect(evidenceOf(p, 'task_struct.pid').confidence).toBe('medium');
    expect(p.calibration.confidence).toBe('medium');
  }, 180_000);

  it('refuses, in one line, an init_task the memory does not map (the kernel has not set up paging yet)', () => {
    const ram = newRam(16);
    const bare = new GuestMemory(ram, () => 0n);
    const e = (() => { try { profileFromSystemMap(map, bare, { where: 'rec at icount 0', mapName: 'System.map.zst' }); } catch (x) { return x as Error; } return null; })();
    expect(e?.message).toBe('init_task (0xffffffff803204c0, from System.map.zst) is not mapped in rec at icount 0: the kernel had not set up its page tables by then, or the System.map is another kernel\'s');
  });
});

if (existsSync(join(IMAGES_ALT, 'vmlinux.btf.zst')) && existsSync(join(IMAGES_ALT, 'System.map.zst'))) {
  describe('profileFromSystemMap on the second kernel (SMP, cgroups)', () => {
    it('equals the profile its BTF gives, and task_struct.tasks where its BTF puts it', () => {
      const btfFile = readFileSync(join(IMAGES_ALT, 'vmlinux.btf.zst'));
      const fromBtf = profileFromBtf(btfFile);
      const btf = Btf.parse(btfBytes(btfFile));
      const tasks = btf.member(btf.struct('task_struct')!, 'tasks')!;
      const p = profileFromSystemMap(readSystemMap(join(IMAGES_ALT, 'System.map.zst')), memoryAfter(IMAGES_ALT, WITH_THREAD, READY));
      expect(profileDifferences(p, fromBtf)).toEqual([]);
      expect(p.offsets.task_struct).toEqual({ ...fromBtf.offsets.task_struct, tasks: tasks.bitOffset / 8 });
      expect(p.offsets.task_struct).toEqual({ pid: 1088, tgid: 1092, comm: 1576, tasks: 864 });
      expect(profileDifferences(p, readProfile(IMAGES_ALT))).toEqual([]);
      expect(p.sizes.pt_regs).toBe(fromBtf.sizes.pt_regs);
      // SMP: init_idle names the boot CPU's idle task swapper/0.
      expect(evidenceOf(p, 'task_struct.comm').how).toMatch(/"swapper\/0" lies in init_task/);
      expect(p.calibration.assumptions).toEqual([]);
    }, 180_000);
  });
} else {
  console.log(`profileFromSystemMap: not checked on the second kernel: ${IMAGES_ALT} lacks vmlinux.btf.zst or System.map.zst (guest/build.sh --alt)`);
}
