/**
 * prnr diagnose on a recording with no guest profile (the image set's
 * profile.json left out, as for a kernel a user built): the task_struct layout
 * is calibrated from the recording, saved beside it, reused, and agrees with
 * the profile compiled against the kernel (guest/images/profile.json, which
 * calibration never sees) and the one `prnr profile System.map --recording`
 * reads off the kernel's task list. Also `prnr profile` on bad input.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { profileDifferences } from '@prnr/diagnosis';

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const IMAGES = fileURLToPath(new URL('../../../guest/images', import.meta.url));
const FAILURES = fileURLToPath(new URL('../../../guest/workloads/failures', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'prnr-calib-'));
const images = join(tmp, 'images');
const rec = join(tmp, 'app.rec');
function prnr(...args: string[]) {
  return spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
}

interface Anomaly { kind: string; severity: string; message: string; pid: number | null; comm: string | null; rank: number; why: string; syscall?: string; errno?: string; signal?: string }
interface Out { profile: { source: string; file?: string }; anomalies: Anomaly[]; trace: { attribution: { available: boolean; note: string }; events: Array<{ pid: number | null; tid: number | null; comm: string | null; name: string; text: string }> } }

beforeAll(() => {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`pnpm build\` first (\`pnpm test\` does)`);
  mkdirSync(images);
  for (const f of readdirSync(IMAGES)) if (f !== 'profile.json') symlinkSync(join(IMAGES, f), join(images, f));
  const script = join(tmp, 'w.sh');
  writeFileSync(script, [readFileSync(join(FAILURES, 'missing-file.sh'), 'utf8'), 'yes | head -1', 'poweroff -f', ''].join('\n'));
  const r = prnr('record', '-o', rec, '--image', images, '--script', script, '--slice-insns', '30000000', '-q');
  expect(r.status, r.stderr).toBe(0);
}, 300_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('prnr diagnose without a guest profile', () => {
  it('calibrates from the recording, saves the profile beside it, and names processes', () => {
    const r = prnr('diagnose', rec, '--format', 'json', '-o', join(tmp, 'd1.json'));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/calibrating the task_struct layout from the recording itself/);
    const out = JSON.parse(readFileSync(join(tmp, 'd1.json'), 'utf8')) as Out;
    expect(out.profile.source).toBe('calibrated');
    const saved = JSON.parse(readFileSync(join(rec, 'guest-profile.json'), 'utf8')) as { calibration: { evidence: unknown[] } };
    expect(saved.calibration.evidence.length).toBe(5);
    // The oracle: guest/profile/offsets.c compiled against this kernel.
    expect(profileDifferences(saved, JSON.parse(readFileSync(join(IMAGES, 'profile.json'), 'utf8')))).toEqual([]);
    expect(out.trace.attribution).toMatchObject({ available: true });
    expect(out.trace.attribution.note).toMatch(/calibrated from the recording/);
    expect(out.trace.events.every((e) => e.pid !== null && e.tid === e.pid && e.comm !== null)).toBe(true);
    expect(out.trace.events[0]).toMatchObject({ pid: 1, comm: 'init' });
    // The catalogue's expectation for missing-file.sh, and the pipeline writer's SIGPIPE as information.
    expect(out.anomalies[0]).toMatchObject({ rank: 1, kind: 'failed-syscalls', comm: 'cat', syscall: 'openat', errno: 'ENOENT' });
    const cat = out.trace.events.find((e) => e.text.startsWith('openat(AT_FDCWD, "/etc/app.conf"'))!;
    expect(out.anomalies[0].pid).toBe(cat.pid);
    expect(out.anomalies.find((a) => a.signal === 'SIGPIPE')).toMatchObject({ severity: 'info', comm: 'yes' });
    expect(out.anomalies.filter((a) => a.severity === 'error')).toEqual([]);
  }, 300_000);

  it('reuses the saved profile the next time', () => {
    const r = prnr('diagnose', rec, '--format', 'json', '-o', join(tmp, 'd2.json'));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/calibrating/);
    const out = JSON.parse(readFileSync(join(tmp, 'd2.json'), 'utf8')) as Out;
    expect(out.profile).toEqual({ source: 'saved-calibration', file: join(rec, 'guest-profile.json') });
    expect(out.anomalies[0]).toMatchObject({ kind: 'failed-syscalls', comm: 'cat' });
  }, 300_000);

  it('--recalibrate says it sets the saved profile aside, and calibrates again', () => {
    const r = prnr('diagnose', rec, '--recalibrate', '--format', 'json', '-o', join(tmp, 'd3.json'));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain(`prnr: --recalibrate: calibrating the task_struct layout from the recording itself (not using ${join(rec, 'guest-profile.json')})`);
    expect(r.stderr).not.toMatch(/has no guest profile/);
    expect((JSON.parse(readFileSync(join(tmp, 'd3.json'), 'utf8')) as Out).profile.source).toBe('calibrated');
  }, 300_000);

  it("prnr profile: the System.map anchored on init_task in the recording's memory agrees with the calibrated profile", () => {
    const map = join(IMAGES, 'System.map.zst');
    const r = prnr('profile', map, '--recording', rec, '--compare', join(rec, 'guest-profile.json'), '-o', join(tmp, 'map.json'));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/: task_struct\.pid 696, tgid 700, comm 1168, tasks 560; thread_info\.kernel_sp 16; pt_regs 288 bytes; medium confidence \(assumed: task_struct\.pid comes just before task_struct\.tgid .*\n.*guest-profile\.json agrees with the System\.map anchor\n$/);
    // No thread is alive at the end of this run: the pid/tgid order is an assumption, and the profile says so.
    const p = JSON.parse(readFileSync(join(tmp, 'map.json'), 'utf8')) as { calibration: { assumptions: string[] } };
    expect(p.calibration.assumptions).toHaveLength(1);
  }, 300_000);

  const ALT = fileURLToPath(new URL('../../../guest/images-alt', import.meta.url));
  if (existsSync(join(ALT, 'vmlinux.btf.zst'))) {
    it("prnr profile: the second kernel's BTF agrees with its profile.json, and not with the default kernel's calibration", () => {
      const out = join(tmp, 'alt.json');
      const r = prnr('profile', join(ALT, 'vmlinux.btf.zst'), '-o', out, '--compare', join(ALT, 'profile.json'));
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/agrees with the debug info/);
      expect(profileDifferences(JSON.parse(readFileSync(out, 'utf8')), JSON.parse(readFileSync(join(ALT, 'profile.json'), 'utf8')))).toEqual([]);
      const d = prnr('profile', join(ALT, 'vmlinux.btf.zst'), '--compare', join(rec, 'guest-profile.json'));
      expect(d.status).toBe(1);
      expect(d.stderr).toMatch(/disagrees with the debug info: pid: \d+ vs 696/);
    });
  } else {
    console.log(`prnr profile: no check on real BTF: ${ALT}/vmlinux.btf.zst is absent (guest/build.sh --alt)`);
  }

  it('prnr profile: one clear line for a file that is not a kernel', () => {
    const bad = join(tmp, 'not-a-kernel');
    writeFileSync(bad, 'hello');
    const r = prnr('profile', bad);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe(`prnr: ${bad}: neither an ELF vmlinux (BTF or DWARF), raw BTF, nor a System.map`);
    const p = prnr('diagnose', rec, '--profile', bad);
    expect(p.status).toBe(2);
    expect(p.stderr.trim().split('\n')).toHaveLength(1);
    expect(p.stderr).toMatch(/^prnr: cannot read the guest profile .*not-a-kernel: /);
  });
});
