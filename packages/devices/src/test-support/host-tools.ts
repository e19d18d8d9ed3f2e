/** Host tools some tests use when present (dtc, qemu); each test names why it skipped. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const dtcAvailable = spawnSync('dtc', ['--version']).status === 0;
export const DTC_SKIP = 'skipped: dtc not found (apt-get install device-tree-compiler)';

/** Decodes a blob with dtc; returns stdout, stderr and the exit status. */
export function dtcDecode(blob: Uint8Array): { dts: string; stderr: string; status: number | null } {
  const r = spawnSync('dtc', ['-I', 'dtb', '-O', 'dts', '-'], { input: blob, encoding: 'utf8' });
  return { dts: r.stdout, stderr: r.stderr, status: r.status };
}

export const qemuAvailable = spawnSync('qemu-system-riscv64', ['--version']).status === 0;
export const QEMU_SKIP = 'skipped: qemu-system-riscv64 not found (apt-get install qemu-system-misc)';

/** QEMU's own `virt` device tree for `memMiB` of RAM. */
export function qemuVirtDtb(memMiB: number): Uint8Array {
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
