/**
 * Issue 17's acceptance, as a user runs it (the built CLI): the default guest
 * reads the example temperature sensor 5 times with busybox `devmem` while the
 * module's host side returns changing values; `prnr verify` on 2 workers
 * verifies the recording; a sequential replay prints the same 5 values (the
 * host side is never asked: they come from the log); a changed module is
 * refused with exit 2 in one line. Needs the default images built with
 * CONFIG_DEVMEM=y (guest/config/linux.fragment).
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const EXAMPLE = fileURLToPath(new URL('../../../examples/devices/temperature-sensor.mjs', import.meta.url));
function prnr(...args: string[]) {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`pnpm build\` first (\`pnpm test\` does)`);
  return spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}
const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
/** The lines devmem printed: one 32-bit value in hex each. */
const values = (console: string) => [...console.matchAll(/^(0x[0-9A-F]{8})\r?$/gm)].map((m) => m[1]);
const tmp = mkdtempSync(join(tmpdir(), 'prnr-cli-sensor-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('the default guest reads the example sensor with devmem; recorded, verified, replayed', () => {
  const module = join(tmp, 'temperature-sensor.mjs'); // a copy: the last test changes it
  const rec = join(tmp, 'sensor.rec');
  const script = join(tmp, 'sensor.sh');
  let recorded: string[] = [];

  it('records 5 reads while the host side returns changing values', () => {
    copyFileSync(EXAMPLE, module);
    writeFileSync(script, 'devmem 0x10200000 32\n' + 'devmem 0x10200008 32\n'.repeat(5) + 'poweroff -f\n');
    const r = prnr('record', '-o', rec, '--script', script, '--device', `${module},start=21000`, '--slice-insns', '40000000');
    expect(r.status, r.stderr).toBe(0);
    const seen = values(r.stdout);
    expect(seen[0], 'the ID register').toBe('0x5E450002');
    recorded = seen.slice(1);
    expect(recorded).toHaveLength(5);
    // The simulated room drifts by 1..250 milli-degrees per sample: every read differs from the one before.
    const n = recorded.map((v) => Number.parseInt(v, 16) | 0);
    for (let i = 1; i < n.length; i++) expect(n[i]).not.toBe(n[i - 1]);
    for (const v of n) expect(Math.abs(v - 21_000)).toBeLessThanOrEqual(6 * 250);
    const m = JSON.parse(readFileSync(join(rec, 'recording.json'), 'utf8'));
    expect(m.end.reason).toBe('poweroff');
    expect(m.slices.length).toBeGreaterThan(1);
  }, 600_000);

  it('prnr verify with 2 workers verifies it', () => {
    const v = prnr('verify', rec, '--parallel', '2', '--all-lanes', '--json'); // both lanes, however short the recording
    expect(v.status, v.stderr).toBe(0);
    expect((JSON.parse(v.stdout) as { verified: boolean }).verified).toBe(true);
  }, 600_000);

  it('a sequential replay prints the same 5 values', () => {
    const r = prnr('replay', rec, '--parallel', '1');
    expect(r.status, r.stderr).toBe(0);
    expect(values(r.stdout)).toEqual(['0x5E450002', ...recorded]);
  }, 600_000);

  it('a changed module is refused: exit 2, one line naming the module and both hashes', () => {
    const before = sha(module);
    appendFileSync(module, '// a different device now\n');
    const r = prnr('replay', rec, '--parallel', '1');
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toEqual([`prnr: ${join(rec, 'recording.json')}: device module ${module} has changed since it was recorded (recorded sha256 ${before}, now ${sha(module)}); the recording keeps a copy of it, run only where recorded modules are allowed (--use-recorded-modules)`]);
  }, 120_000);
});
