/**
 * prnr record / slices / verify / replay / gc as a user runs them (the built
 * CLI), on a short recording of the default guest; and what a killed recorder
 * leaves behind.
 */
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const SMOKE = fileURLToPath(new URL('../../../guest/workloads/smoke.sh', import.meta.url));
function prnr(...args: string[]) {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`pnpm build\` first (\`pnpm test\` does)`);
  return spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8' });
}
const tmp = mkdtempSync(join(tmpdir(), 'prnr-cli-rec-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function noStackTrace(stderr: string) {
  expect(stderr).not.toMatch(/\n\s+at /);
}

describe('prnr record, slices, verify, replay, gc', () => {
  const rec = join(tmp, 'short.rec');

  it('records 60M instructions in 4 slices and verifies every slice', () => {
    const r = prnr('record', '-o', rec, '--script', SMOKE, '--max-insns', '60000000', '--slice-insns', '15000000', '--checkpoint-insns', '4000000', '-q');
    expect(r.stderr).toMatch(/recorded 60\.0M instructions .* 4 slice\(s\)/);
    expect(r.status).toBe(0);
    const slices = prnr('slices', rec, '--space');
    expect(slices.status).toBe(0);
    expect(slices.stdout.trim().split('\n').slice(1, 5).map((l) => l.trim().split(/\s+/)[0])).toEqual(['0', '1', '2', '3']);
    expect(slices.stdout).toMatch(/5 snapshots: logical .* \(dedupe \d+\.\dx\)/);
    const v = prnr('verify', rec, '--json');
    expect(v.status).toBe(0);
    const out = JSON.parse(v.stdout) as { verified: boolean; slices: Array<{ verified: boolean; checkpoints: number }> };
    expect(out.verified).toBe(true);
    expect(out.slices.map((s) => s.verified)).toEqual([true, true, true, true]);
    expect(out.slices.reduce((a, s) => a + s.checkpoints, 0)).toBe(15); // 4M, 8M, ... 60M
  }, 300_000);

  it('replays one slice alone and reports the state it matched', () => {
    const r = prnr('replay', rec, '--slice', '2', '-q');
    expect(r.status).toBe(0);
    const m = JSON.parse(readFileSync(join(rec, 'recording.json'), 'utf8'));
    expect(r.stderr).toContain(`state at icount 45000000: ${m.slices[2].endState} (matches the recording)`);
    const seq = prnr('replay', rec, '--parallel', '1', '-q');
    expect(seq.status, seq.stderr).toBe(0);
    expect(seq.stderr).toContain(`to icount 60.0M`);
    expect(seq.stderr).toContain(`every slice end checked: state ${m.slices[3].endState} matches the recording`);
    const bad = prnr('replay', rec, '--slice', '9');
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim()).toBe('prnr: --slice 9: the recording has slices 0..3');
  }, 120_000);

  it('merges slices with gc --merge 2, frees the dropped snapshots, and still verifies', () => {
    const before = JSON.parse(readFileSync(join(rec, 'recording.json'), 'utf8'));
    const g = prnr('gc', rec, '--merge', '2');
    expect(g.status).toBe(0);
    expect(g.stdout).toMatch(/^merged 4 slices into 2; removed [1-9]\d* objects and 4 log files/);
    const after = JSON.parse(readFileSync(join(rec, 'recording.json'), 'utf8'));
    expect(after.slices.map((s: { snapshot: string }) => s.snapshot)).toEqual([before.slices[0].snapshot, before.slices[2].snapshot]);
    expect(after.slices[1].endState).toBe(before.slices[3].endState);
    const v = prnr('verify', rec);
    expect(v.stdout).toMatch(/verified: 2 slice\(s\)/);
    expect(v.status).toBe(0);
  }, 300_000);

  it('a recorder killed with SIGKILL leaves its closed slices verifiable and says the rest is gone', async () => {
    const dir = join(tmp, 'killed.rec');
    const child = spawn(process.execPath, [MAIN, 'record', '-o', dir, '--script', SMOKE, '--slice-insns', '10000000', '-q'], { stdio: 'ignore' });
    const manifest = join(dir, 'recording.json');
    // Wait until two slices are closed, then kill it without warning.
    for (let i = 0; i < 600; i++) {
      await new Promise((r) => setTimeout(r, 100));
      try {
        if (JSON.parse(readFileSync(manifest, 'utf8')).slices.length >= 2) break;
      } catch { /* not written yet */ }
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));
    const m = JSON.parse(readFileSync(manifest, 'utf8'));
    expect(m.status).toBe('recording');
    expect(m.slices.length).toBeGreaterThanOrEqual(2);
    // The objects are in one pack, still open (no index) when the recorder died. Make the kill land in the middle of
    // an append whatever the timing was: half an entry header, as a write cut short leaves it.
    const packs = readdirSync(join(dir, 'objects', 'pack'));
    expect(packs).toHaveLength(1);
    expect(readdirSync(join(dir, 'objects'))).toEqual(['pack']);
    appendFileSync(join(dir, 'objects', 'pack', packs[0]), Buffer.from('prPE\x01\x02\x03', 'latin1'));
    // The code translated in the closed slices went to code-cache.bin a piece per slice; cut the last piece short too.
    appendFileSync(join(dir, 'code-cache.bin'), Buffer.from([0xff, 0xff, 0, 0, 1]));
    const v = prnr('verify', dir);
    expect(v.stderr).toMatch(/is incomplete: the recorder stopped before finishing; the open slice is dropped, the \d+ closed slice\(s\) remain/);
    expect(v.stderr).toMatch(/code-cache\.bin: piece \d+ at byte \d+ is cut short \(the recording was interrupted, or is still being written\); the [1-9]\d* piece\(s\) before it are used/);
    expect(v.stdout).toMatch(new RegExp(`verified: ${m.slices.length} slice\\(s\\)`));
    expect(v.status).toBe(0);
  }, 300_000);

  it('says clearly what is wrong with something that is not a usable recording', () => {
    const empty = join(tmp, 'empty');
    const r = prnr('verify', empty);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe(`prnr: ${empty} does not exist: give a recording directory (made by prnr record)`);
    mkdirSync(empty);
    expect(prnr('verify', empty).stderr.trim()).toBe(`prnr: ${empty} is not a prnr recording: recording.json is missing`);
    const future = join(tmp, 'future.rec');
    rmSync(future, { recursive: true, force: true });
    spawnSync('mkdir', ['-p', future]);
    writeFileSync(join(future, 'recording.json'), JSON.stringify({ format: 'prnr-recording', version: 3 }));
    const f = prnr('replay', future);
    expect(f.status).toBe(2);
    expect(f.stderr.trim()).toBe(`prnr: ${join(future, 'recording.json')}: recording format version 3 is not supported (this prnr reads versions 1 and 2)`);
    noStackTrace(f.stderr);
    const exists = prnr('record', '-o', rec, '--max-insns', '1000');
    expect(exists.status).toBe(2);
    expect(exists.stderr.trim()).toBe(`prnr: ${rec} already exists and is not empty: choose a new directory for the recording`);
    // A directory that cannot be made (here under a file): one line naming it, no stack trace.
    const file = join(tmp, 'a-file');
    writeFileSync(file, 'not a directory');
    const under = prnr('record', '-o', join(file, 'x.rec'), '--max-insns', '1000');
    expect(under.status).toBe(2);
    expect(under.stderr.trim()).toBe(`prnr: cannot create the recording directory ${join(file, 'x.rec')}: ENOTDIR at ${join(file, 'x.rec')}`);
    noStackTrace(under.stderr);
    // Under /proc no level can be made, and each answers ENOENT (Node's recursive mkdir spun there for ever).
    if (process.platform === 'linux') {
      const proc = spawnSync(process.execPath, [MAIN, 'record', '-o', '/proc/prnr-test/x.rec', '--max-insns', '1000'], { encoding: 'utf8', timeout: 60_000 });
      expect(proc.status).toBe(2); // null: killed by the timeout, still spinning
      expect(proc.stderr.trim()).toBe('prnr: cannot create the recording directory /proc/prnr-test/x.rec: ENOENT at /proc/prnr-test');
    } else {
      console.log('the /proc case skipped: Linux only');
    }
  });
});
