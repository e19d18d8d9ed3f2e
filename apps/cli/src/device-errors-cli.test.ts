/**
 * What goes wrong with a device module, as a user meets it (the built CLI),
 * with variants of the example temperature sensor that each break one thing:
 * a device placed where the guest cannot reach it or on a taken interrupt,
 * and a module whose own code throws before the run, are refused in one line
 * with exit 2 and no recording left behind; a module (or its host setting)
 * that fails while the guest runs is named with the instruction count, and
 * the recording stays marked incomplete with its closed slices verifying; a
 * module that is not deterministic gets a hint where verify reports the
 * divergence; a restore() that throws is named in every slice it fails.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { EXAMPLE_DEVICE as EXAMPLE, exampleDeviceVariant } from '@prnr/test-env/example-device';

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
function prnr(...args: string[]) {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`pnpm build\` first (\`pnpm test\` does)`);
  return spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}
const tmp = mkdtempSync(join(tmpdir(), 'prnr-cli-deverr-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const variant = (name: string, from: string, to: string) => exampleDeviceVariant(tmp, name, from, to);

/** A script that reads the sensor's ID, then VALUE three times (the reads that reach the host side), then powers off. */
function script(name: string, reads: string): string {
  const file = join(tmp, `${name}.sh`);
  writeFileSync(file, `devmem 0x10200000 32\n${reads.repeat(3)}poweroff -f\n`);
  return file;
}
const manifestOf = (rec: string) => JSON.parse(readFileSync(join(rec, 'recording.json'), 'utf8')) as { status: string; slices: unknown[] };
const lines = (stderr: string) => stderr.trim().split('\n').filter((l) => l !== '');

describe('device modules that cannot be placed or built: refused before anything is recorded', () => {
  it('a window over another device, RAM, off a page or outside the free area; an irq taken or not the PLIC\'s: exit 2, one line naming both', () => {
    const d = `device temperature-sensor (${EXAMPLE})`;
    const cases: Array<[string[], string]> = [
      [[`${EXAMPLE},base=0x10000000`], `${d} at 0x10000000..0x10000fff overlaps uart-16550a at 0x10000000..0x100000ff`],
      [[`${EXAMPLE},base=0x10001000`], `${d} at 0x10001000..0x10001fff overlaps virtio-blk at 0x10001000..0x10001fff`],
      [[`${EXAMPLE},base=0x80000000`], `${d} at 0x80000000..0x80000fff overlaps RAM at 0x80000000..0x8fffffff`],
      [[`${EXAMPLE},base=0x0`], `${d} at 0x0..0xfff is outside 0x10100000..0x1fffffff, the area the virt board leaves free for added devices`],
      [[`${EXAMPLE},base=0x10200001`], `${d}: its base 0x10200001 is not a multiple of 0x1000 (4 KiB), as every device window of the virt board starts on a page`],
      [[EXAMPLE, `${EXAMPLE},irq=13`], `${d} at 0x10200000..0x10200fff overlaps another ${d} at 0x10200000..0x10200fff`],
      [[`${EXAMPLE},irq=10`], `${d}: irq 10 is taken by uart-16550a; give it another irq`],
      [[`${EXAMPLE},irq=0`], `${d}: irq 0 is not a source of the PLIC (1..95)`],
      [[`${EXAMPLE},irq=1000`], `${d}: irq 1000 is not a source of the PLIC (1..95)`],
    ];
    cases.forEach(([devices, message], i) => {
      const rec = join(tmp, `placed-${i}.rec`);
      const r = prnr('record', '-o', rec, ...devices.flatMap((v) => ['--device', v]), '--max-insns', '1000', '-q');
      expect(lines(r.stderr), devices.join(' ')).toEqual([`prnr: ${message}`]);
      expect(r.status).toBe(2);
      expect(existsSync(rec)).toBe(false);
    });
  }, 300_000);

  it('a module whose create(), hostPorts() or save() throws or fails, or whose kind is built in: exit 2, one line naming device, module and call', () => {
    const cases: Array<[string, string]> = [];
    let m = variant('ctor-throws', 'this.mmio = { base, size: SIZE };', 'throw new Error("sensor ctor boom");');
    cases.push([m, `device temperature-sensor (${m}): create() threw: sensor ctor boom`]);
    m = variant('hostports-throws', 'hostPorts: (settings) => ({', 'hostPorts: (settings) => { throw new Error("no thermometer here"); }, unused: (settings) => ({');
    cases.push([m, `device temperature-sensor (${m}): hostPorts() threw: no thermometer here`]);
    m = variant('save-bad', 'save() {', 'save() { return { kind: KIND, version: VERSION, f: () => 1 };');
    cases.push([m, `device temperature-sensor (${m}): save() returned a state that cannot be stored: .f is a function`]);
    m = variant('kind-plic', "const KIND = 'temperature-sensor';", "const KIND = 'plic';");
    cases.push([m, `--device ${m}: device module ${m}: kind 'plic' is a built-in kind; a module must name a kind of its own`]);
    cases.forEach(([module, message], i) => {
      const rec = join(tmp, `built-${i}.rec`);
      const r = prnr('record', '-o', rec, '--device', module, '--max-insns', '1000', '-q');
      expect(lines(r.stderr)).toEqual([`prnr: ${message}`]);
      expect(r.status).toBe(2);
      expect(existsSync(rec)).toBe(false);
    });
  }, 300_000);
});

describe('device modules that fail while the guest runs', () => {
  /** Records `device` until it fails; the recording's closed slices, what the stderr said, and the exit status. */
  function failingRecording(name: string, device: string) {
    const rec = join(tmp, `${name}.rec`);
    const r = prnr('record', '-o', rec, '--script', script(name, 'devmem 0x10200008 32\n'), '--device', device, '--slice-insns', '20000000', '-q');
    return { rec, r, said: lines(r.stderr) };
  }

  /** The recording is marked incomplete, unlocked, says how many slices it kept, and those verify. */
  function expectIncompleteAndVerifying(rec: string, said: string[]) {
    const m = manifestOf(rec);
    expect(m.status).toBe('recording');
    expect(m.slices.length).toBeGreaterThan(0); // the boot's slices, closed before the guest read the sensor
    expect(said.at(-1)).toBe(`prnr: the recording is incomplete: ${m.slices.length} slice(s) closed in ${rec}, which replay and verify; the open one is lost`);
    expect(existsSync(join(rec, 'recording.lock'))).toBe(false);
    const v = prnr('verify', rec, '-j', '1');
    expect(v.stdout).toContain(`verified: ${m.slices.length} slice(s) end in their recorded state`);
    expect(v.status).toBe(0);
  }

  it('read() that throws: one line naming the device and the icount, exit 1; the recording stays incomplete and its closed slices verify', () => {
    const module = variant('read-throws', 'case 0x08: return this.sample() >>> 0;', 'case 0x08: throw new Error("sensor read boom");');
    const { rec, r, said } = failingRecording('read-throws', module);
    expect(said).toHaveLength(2);
    expect(said[0]).toMatch(new RegExp(`^prnr: device temperature-sensor \\(${module.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\): read\\(\\) threw at icount \\d+: sensor read boom$`));
    expect(r.status).toBe(1);
    expectIncompleteAndVerifying(rec, said);
  }, 300_000);

  it('run, with a read() that throws: one line naming the device and the icount (no stack trace), exit 1', () => {
    const module = variant('run-read-throws', 'case 0x08: return this.sample() >>> 0;', 'case 0x08: throw new Error("sensor read boom");');
    const r = prnr('run', '--device', module, '--script', script('run-read-throws', 'devmem 0x10200008 32\n'));
    const said = lines(r.stderr);
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(/^prnr: device temperature-sensor \(.*run-read-throws\.mjs\): read\(\) threw at icount \d+: sensor read boom$/);
    expect(r.status).toBe(1);
  }, 300_000);

  it('a host setting that fails (file=/nonexistent): names the device, the port and the setting; the recording stays incomplete', () => {
    const { rec, r, said } = failingRecording('no-file', `${EXAMPLE},file=/nonexistent`);
    expect(said).toHaveLength(2);
    expect(said[0]).toMatch(/^prnr: device temperature-sensor \(.*temperature-sensor\.mjs\): its host port sensor\.sample\(\) threw at icount \d+: ENOENT: no such file or directory, open '\/nonexistent' \(setting file=\/nonexistent\)$/);
    expect(r.status).toBe(1);
    expectIncompleteAndVerifying(rec, said);
  }, 300_000);
});

describe('replays of recordings with device modules', () => {
  it('a module that reads the host outside its ports diverges, and verify adds a hint naming it', () => {
    // COUNT answers Math.random() instead of the count: the guest prints it, so a replay prints another.
    const module = variant('random', 'case 0x14: return this.count >>> 0;', 'case 0x14: return (Math.random() * 1000) >>> 0;');
    const rec = join(tmp, 'random.rec');
    const r = prnr('record', '-o', rec, '--script', script('random', 'devmem 0x10200014 32\n'), '--device', module, '--slice-insns', '20000000', '-q');
    expect(r.status, r.stderr).toBe(0);
    const v = prnr('verify', rec, '-j', '1');
    expect(v.status).toBe(4);
    expect(v.stdout).toMatch(/DIVERGED/);
    expect(lines(v.stderr)).toContain(`prnr: hint: the recording uses device module temperature-sensor (${module}); a module that reads the host outside its ports (Date.now, Math.random, files) makes replays diverge`);
  }, 300_000);

  it('a restore() that throws fails every slice with a message naming the module', () => {
    const module = variant('restore-throws', 'restore(s) {', 'restore(s) { throw new Error("restore boom");');
    const rec = join(tmp, 'restore.rec');
    const r = prnr('record', '-o', rec, '--script', script('restore', ''), '--device', module, '--max-insns', '20000000', '--slice-insns', '10000000', '-q');
    expect(r.status, r.stderr).toBe(0);
    const v = prnr('verify', rec, '-j', '1');
    expect(v.status).toBe(4);
    const failed = v.stdout.split('\n').filter((l) => l.startsWith('slice '));
    expect(failed).toHaveLength(2);
    for (const l of failed) expect(l).toContain(`FAILED: device temperature-sensor (${module}): restore() threw: restore boom`);
  }, 300_000);
});
