/**
 * `--device` as a user runs it (the built CLI): a recording of the default
 * guest with the example temperature sensor on its board names the module by
 * path and sha256, verifies on worker threads (which load the module from what
 * the recording names), and is refused, exit 2 in one line with both hashes,
 * once the module changes or is gone.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const SMOKE = fileURLToPath(new URL('../../../guest/workloads/smoke.sh', import.meta.url));
const EXAMPLE = fileURLToPath(new URL('../../../examples/devices/temperature-sensor.mjs', import.meta.url));
function prnr(...args: string[]) {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`pnpm build\` first (\`pnpm test\` does)`);
  return spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8' });
}
const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const tmp = mkdtempSync(join(tmpdir(), 'prnr-cli-dev-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('prnr record --device, and replays of its recording', () => {
  const module = join(tmp, 'sensor.mjs'); // a copy: the test changes it
  const rec = join(tmp, 'dev.rec');

  it('records with the device on the board; the recording names module, sha256, kind@version and settings', () => {
    copyFileSync(EXAMPLE, module);
    const r = prnr('record', '-o', rec, '--script', SMOKE, '--device', `${module},start=30000,irq=13`, '--max-insns', '40000000', '--slice-insns', '10000000', '-q');
    expect(r.status, r.stderr).toBe(0);
    const m = JSON.parse(readFileSync(join(rec, 'recording.json'), 'utf8'));
    expect(m.devicePlugins).toEqual([{ module, sha256: sha(module), kind: 'temperature-sensor', version: 1 }]);
    expect(m.board.devices.at(-1)).toEqual({ kind: 'temperature-sensor', irq: 13, settings: { start: 30000 } });
    expect(m.deviceVersions.at(-1)).toEqual({ kind: 'temperature-sensor', version: 1 });
  }, 300_000);

  it('verifies on 2 worker threads, which load the module', () => {
    const v = prnr('verify', rec, '--parallel', '2', '--json');
    expect(v.status, v.stderr).toBe(0);
    const out = JSON.parse(v.stdout) as { verified: boolean; slices: Array<{ verified: boolean }> };
    expect(out.verified).toBe(true);
    expect(out.slices).toHaveLength(4);
  }, 300_000);

  it('refuses a changed module, and a missing one, with exit 2 and one line naming it and both hashes', () => {
    const recorded = sha(module);
    appendFileSync(module, '// changed after recording\n');
    const now = sha(module);
    for (const args of [['replay', rec, '-q'], ['verify', rec, '--parallel', '2'], ['seek', rec, '--icount', '5000000']]) {
      const r = prnr(...args);
      expect(r.status, `${args[0]}: ${r.stderr}`).toBe(2);
      expect(r.stderr.trim()).toBe(`prnr: ${join(rec, 'recording.json')}: device module ${module} has changed since it was recorded (recorded sha256 ${recorded}, now ${now})`);
    }
    unlinkSync(module);
    const r = prnr('replay', rec, '-q');
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe(`prnr: ${join(rec, 'recording.json')}: device module ${module} is missing (recorded sha256 ${recorded}, now none)`);
  }, 120_000);

  it('says what is wrong with a --device value, in one line', () => {
    const missing = prnr('record', '-o', join(tmp, 'x.rec'), '--device', join(tmp, 'nope.mjs'), '--max-insns', '1000');
    expect(missing.status).toBe(2);
    expect(missing.stderr.trim()).toBe(`prnr: --device ${join(tmp, 'nope.mjs')}: device module ${join(tmp, 'nope.mjs')} is missing`);
    const bad = prnr('run', '--device', `${EXAMPLE},irq`);
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim()).toBe(`prnr: --device ${EXAMPLE},irq: 'irq' is not key=value`);
    expect(existsSync(join(tmp, 'x.rec'))).toBe(false);
  });
});
