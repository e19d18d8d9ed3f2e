/**
 * `prnr profile` on each kind of debug info: DWARF (an object compiled here
 * from packages/diagnosis/test-data/kernel-like.c by riscv64-linux-gnu-gcc;
 * the expected offsets are pahole's for that file, the ABI's layout), a
 * System.map (refused in one line saying what to give instead), and the
 * second guest kernel's vmlinux when its build folder is on this machine.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
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

  it('refuses a System.map in one line, saying what it lacks and what to give instead', () => {
    const r = prnr('profile', SYSTEM_MAP);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')).toEqual([`prnr: ${SYSTEM_MAP}: this is a System.map: it has symbol addresses but no structure layouts, so it cannot give the task_struct offsets; give the vmlinux built with CONFIG_DEBUG_INFO_BTF=y (BTF) or CONFIG_DEBUG_INFO=y (DWARF), or let \`prnr diagnose\` calibrate the layout from the recording`, '']);
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
