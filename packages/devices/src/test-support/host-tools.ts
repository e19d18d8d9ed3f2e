/** The host tools the device tests use (dtc, qemu); see @prnr/test-env/host-tools for what a missing one does. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { answers, hostTool } from '@prnr/test-env/host-tools';

export const dtc = hostTool('dtc', 'apt-get install device-tree-compiler', answers('dtc'));
export const qemu = hostTool('qemu-system-riscv64', 'apt-get install qemu-system-misc', answers('qemu-system-riscv64'));

/** Decodes a blob with dtc; returns stdout, stderr and the exit status. */
export function dtcDecode(blob: Uint8Array): { dts: string; stderr: string; status: number | null } {
  dtc.require();
  const r = spawnSync('dtc', ['-I', 'dtb', '-O', 'dts', '-'], { input: blob, encoding: 'utf8' });
  return { dts: r.stdout, stderr: r.stderr, status: r.status };
}

/** QEMU's own `virt` device tree for `memMiB` of RAM. */
export function qemuVirtDtb(memMiB: number): Uint8Array {
  qemu.require();
  const dir = mkdtempSync(join(tmpdir(), 'prnr-dtb-'));
  try {
    const file = join(dir, 'virt.dtb');
    const r = spawnSync('qemu-system-riscv64', ['-M', `virt,dumpdtb=${file}`, '-m', `${memMiB}M`, '-nographic', '-display', 'none'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`qemu dumpdtb failed: ${r.stderr}`);
    return new Uint8Array(readFileSync(file));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
