import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// Runs the built CLI (pnpm test builds first), as a user would.
const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
// CI has ../shared beside the checkout; PRNR_CONFORMANCE_DIR overrides.
const CONFORMANCE = process.env.PRNR_CONFORMANCE_DIR ?? fileURLToPath(new URL('../../../../shared/conformance/riscv-tests', import.meta.url));
function prnr(...args: string[]) {
  return prnrWith({}, ...args);
}
function prnrWith(env: Record<string, string>, ...args: string[]) {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`pnpm build\` first (\`pnpm test\` does)`);
  return spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
}

describe('prnr CLI', () => {
  it('output into a pipe its reader has closed: no EPIPE stack trace, exit 0', () => {
    // `true` exits without reading, long before prnr (a Node start) writes its help.
    const r = spawnSync('bash', ['-c', `set -o pipefail; "${process.execPath}" "${MAIN}" run --help | true`], { encoding: 'utf8' });
    expect(r.stderr).not.toMatch(/EPIPE|\n\s+at /);
    expect(r.status).toBe(0);
  });
  it('a file named on the command line that cannot be read: one line naming the option and the file, exit 2, no stack trace', () => {
    const cases: Array<[string[], string]> = [
      [['run', '--script', '/nonexistent/smoke.sh'], '--script /nonexistent/smoke.sh: no such file or directory'],
      [['run', '--script', '/'], '--script /: is a directory, not a file'],
      [['run', '--disk', '/nonexistent/disk.ext4'], '--disk /nonexistent/disk.ext4: no such file or directory'],
      [['demo', '--workload', '/nonexistent/buggy.sh'], '--workload /nonexistent/buggy.sh: no such file or directory'],
    ];
    for (const [args, line] of cases) {
      const r = prnr(...args);
      expect(r.stderr.trim(), args.join(' ')).toBe(`prnr: ${line}`);
      expect(r.status, args.join(' ')).toBe(2);
    }
  });
  it('a command line it cannot parse (unknown option or command, missing or malformed argument): one line, exit 2; --help and --version exit 0', () => {
    const cases: Array<[string[], string]> = [
      [['verify', '/nonexistent/x.rec', '-q'], "prnr: unknown option '-q'"],
      [['verify'], "prnr: missing required argument 'recording'"],
      [['replay', '/nonexistent/x.rec', '--slice'], "prnr: option '--slice <index>' argument missing"],
      [['frobnicate'], "prnr: unknown command 'frobnicate'"],
    ];
    for (const [args, line] of cases) {
      const r = prnr(...args);
      expect(r.stderr.trim(), args.join(' ')).toBe(line);
      expect(r.status, args.join(' ')).toBe(2);
    }
    for (const args of [['--help'], ['--version'], ['verify', '--help']]) expect(prnr(...args).status, args.join(' ')).toBe(0);
  });
  it('record with a --script that cannot be read: one line, and no recording directory is left', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'prnr-cli-')), 'rec');
    const r = prnr('record', '--script', '/nonexistent/smoke.sh', out);
    expect(r.stderr.trim()).toBe('prnr: --script /nonexistent/smoke.sh: no such file or directory');
    expect(r.status).toBe(2);
    expect(existsSync(out)).toBe(false);
  });
  it('--mem out of what the board takes: one line, exit 2, before anything starts', () => {
    for (const v of ['abc', '0', '4096']) {
      const r = prnr('run', '--mem', v);
      expect(r.stderr.trim(), v).toBe(`prnr: --mem needs a whole number of MiB from 1 to 2048, got "${v}"`);
      expect(r.status, v).toBe(2);
    }
    const tiny = prnr('run', '--mem', '1');
    expect(tiny.stderr.trim()).toMatch(/^prnr: the kernel \(\d+ bytes\) does not fit in 1 MiB of RAM$/);
    expect(tiny.status).toBe(2);
  });
  it('numeric options empty or out of range: one line that says the range (and why, for --parallel), exit 2', () => {
    const parallel = (v: string) => `--parallel needs a whole number from 1 to 256 (each lane is a thread with a machine of its own), got "${v}"`;
    const cases: Array<[string[], string]> = [
      [['record', '-o', '/nonexistent/x.rec', '--slice-seconds', ''], '--slice-seconds needs a number of seconds, 0 or more, got ""'],
      [['seek', '/nonexistent/x.rec', '--icount', '1e20'], '--icount needs a whole number of instructions from 0 to 9007199254740991, got "1e20"'],
      // Not -j 1000000000: the CLI's entry would start threads for it before the option is checked (early-threads.ts).
      ...['verify', 'replay', 'diagnose'].map((c): [string[], string] => [[c, '/nonexistent/x.rec', '-j', '1e9'], parallel('1e9')]),
      [['demo', '-j', '1e9'], parallel('1e9')],
    ];
    for (const [args, line] of cases) {
      const r = prnr(...args);
      expect(r.stderr.trim(), args.join(' ')).toBe(`prnr: ${line}`);
      expect(r.status, args.join(' ')).toBe(2);
    }
  });
  it('replay --watch with a range no watch can take: one line, exit 2, before the recording is opened', () => {
    const cases: Array<[string, string]> = [
      ['0x80a00000:0', 'the length must be at least 1 byte'],
      ['0xffffffffffffffff:8', 'the range must end at or below 0x20000000000000 (2^53), the highest address a watch takes'],
      ['9007199254740990:8', 'the range must end at or below 0x20000000000000 (2^53), the highest address a watch takes'],
    ];
    for (const [watch, why] of cases) {
      const r = prnr('replay', '/nonexistent/x.rec', '--watch', watch);
      expect(r.stderr.trim(), watch).toBe(`prnr: --watch ${watch}: ${why}`);
      expect(r.status, watch).toBe(2);
    }
  });
  it('record with a --disk not whole 512-byte sectors, or a --mem the kernel does not fit: one line, exit 2, no recording directory left', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'prnr-cli-'));
    const disk = join(tmp, 'three-bytes.img');
    writeFileSync(disk, 'abc');
    const script = join(tmp, 'poweroff.sh');
    writeFileSync(script, 'poweroff -f\n');
    const out = join(tmp, 'q4.rec');
    const r = prnr('record', '-o', out, '--script', script, '-q', '--disk', disk);
    expect(r.stderr.trim()).toBe(`prnr: --disk ${disk}: the image is 3 bytes, not a whole number of 512-byte sectors`);
    expect(r.status).toBe(2);
    expect(existsSync(out)).toBe(false);
    const run = prnr('run', '--script', script, '--disk', disk);
    expect(run.stderr.trim()).toBe(`prnr: --disk ${disk}: the image is 3 bytes, not a whole number of 512-byte sectors`);
    expect(run.status).toBe(2);
    // The board refuses it once the recording has started: what the start wrote is removed, so a retry
    // is not told the directory "already exists"; a directory the user made (empty) is kept, empty.
    const tiny = prnr('record', '-o', out, '--script', script, '-q', '--mem', '1');
    expect(tiny.stderr.trim()).toMatch(/^prnr: the kernel \(\d+ bytes\) does not fit in 1 MiB of RAM$/);
    expect(tiny.status).toBe(2);
    expect(existsSync(out)).toBe(false);
    const empty = join(tmp, 'empty.rec');
    mkdirSync(empty);
    expect(prnr('record', '-o', empty, '--script', script, '-q', '--mem', '1').status).toBe(2);
    expect(readdirSync(empty)).toEqual([]);
  });
  it('demo replaces only a recording that prnr demo made: a user\'s recording at --out is refused and kept', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'prnr-cli-'));
    const users = join(tmp, 'demo.rec');
    mkdirSync(users);
    writeFileSync(join(users, 'recording.json'), '{}');
    const r = prnr('demo', '-o', users);
    expect(r.stderr.trim()).toBe(`prnr: ${users} is a recording prnr demo did not mark (yours, or one from a prnr demo before it marked its recordings): choose another --out, or remove it yourself`);
    expect(r.status).toBe(2);
    expect(readdirSync(users)).toEqual(['recording.json']);
    // An earlier demo's (it holds the marker): replaced, and the new recording is marked in turn.
    const earlier = join(tmp, 'earlier.rec');
    mkdirSync(earlier);
    for (const f of ['recording.json', '.prnr-demo', 'left-from-before']) writeFileSync(join(earlier, f), '{}');
    const d = prnr('demo', '-o', earlier);
    expect(d.status, d.stderr).toBe(0);
    expect(readdirSync(earlier)).toContain('.prnr-demo');
    expect(readdirSync(earlier)).not.toContain('left-from-before');
    expect((JSON.parse(readFileSync(join(earlier, 'recording.json'), 'utf8')) as { status: string }).status).toBe('complete');
  }, 300_000);
  it('diagnose with an --out it could not write: refused before the replay, in one line', () => {
    // The recording need not exist: the output is checked first of all.
    const r = prnr('diagnose', '--out', '/nonexistent/report.txt', '/nonexistent/app.rec');
    expect(r.stderr.trim()).toBe('prnr: --out /nonexistent/report.txt: the directory /nonexistent does not exist');
    expect(r.status).toBe(2);
    const d = prnr('diagnose', '--out', tmpdir(), '/nonexistent/app.rec');
    expect(d.stderr.trim()).toBe(`prnr: --out ${tmpdir()}: is a directory, not a file`);
  });
  it('Ctrl-C (SIGINT) during a scripted recording ends it complete and verifiable, exit 130; during run, quits', async () => {
    const SMOKE = fileURLToPath(new URL('../../../guest/workloads/smoke.sh', import.meta.url));
    const interrupt = async (args: string[]) => {
      const c = spawn(process.execPath, [MAIN, ...args]);
      let stdout = '', stderr = '';
      c.stdout.on('data', (d) => (stdout += d));
      c.stderr.on('data', (d) => (stderr += d));
      const exited = new Promise<number | null>((resolve) => c.on('exit', (code) => resolve(code)));
      // The guest's shell is up: the script is being typed.
      for (let i = 0; i < 1200 && !stdout.includes('prnr:/#'); i++) await new Promise((r) => setTimeout(r, 50));
      expect(stdout, stderr).toContain('prnr:/#');
      c.kill('SIGINT');
      return { code: await exited, stderr };
    };
    const rec = join(mkdtempSync(join(tmpdir(), 'prnr-cli-')), 'int.rec');
    const r = await interrupt(['record', '-o', rec, '--script', SMOKE]);
    expect(r.stderr).toContain('prnr: interrupted: stopping (Ctrl-C again to abort)');
    expect(r.stderr).toMatch(/ended by user\n/);
    expect(r.code).toBe(130);
    const m = JSON.parse(readFileSync(join(rec, 'recording.json'), 'utf8')) as { status: string; end: { reason: string } };
    expect([m.status, m.end.reason]).toEqual(['complete', 'user']);
    const v = prnr('verify', rec, '-j', '1');
    expect(v.stdout).toMatch(/^verified: \d+ slice\(s\) end in their recorded state/m);
    expect(v.status).toBe(0);
    const run = await interrupt(['run', '--script', SMOKE]);
    expect(run.stderr).toContain('prnr: quit');
    expect(run.code).toBe(130);
  }, 120_000);
  it('conformance on a missing directory: one clear line, exit 2, no stack trace', () => {
    const r = prnr('conformance', '/nonexistent/dir');
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toMatch(/^prnr: conformance directory \/nonexistent\/dir does not exist/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
  it('conformance with a filter prints one line per test and the closing count', () => {
    if (!existsSync(CONFORMANCE)) throw new Error(`riscv-tests not found at ${CONFORMANCE}: put ../shared beside the checkout or set PRNR_CONFORMANCE_DIR`);
    const r = prnr('conformance', CONFORMANCE, '--filter', '^rv64ui-p-(add|sub)$');
    expect(r.stdout).toMatch(/^pass\s+rv64ui-p-add\s+\d+ insns$/m);
    expect(r.stdout.trim().split('\n').at(-1)).toBe('2 passed, 0 failed');
    expect(r.status).toBe(0);
  });
  it('PRNR_ENGINE chooses the hart engine: interp runs the tests, an unknown name is one clear line', () => {
    // Each test's JSON line says how many blocks were compiled to WebAssembly: none on the
    // interpreter. Most of these tests are too short to get hot, so all of rv64ui-p are summed.
    const compiled = (env: Record<string, string>) => {
      const r = prnrWith(env, 'conformance', CONFORMANCE, '--filter', '^rv64ui-p-', '--json');
      const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { status?: string; compiledBlocks?: number; passed?: number; failed?: number });
      const summary = lines.pop()!;
      expect(summary.failed).toBe(0);
      expect(summary.passed).toBeGreaterThan(40);
      return lines.reduce((n, t) => n + t.compiledBlocks!, 0);
    };
    expect(compiled({ PRNR_ENGINE: 'interp' })).toBe(0);
    expect(compiled({ PRNR_ENGINE: 'wasm' })).toBeGreaterThan(0);
    const bad = prnrWith({ PRNR_ENGINE: 'turbo' }, 'conformance', CONFORMANCE, '--filter', '^rv64ui-p-add$');
    expect(bad.status).not.toBe(0);
    expect(bad.stdout + bad.stderr).toContain("unknown hart engine 'turbo' (expected 'interp' or 'wasm'; PRNR_ENGINE sets the default)");
    expect(bad.stdout + bad.stderr).not.toMatch(/\n\s+at /);
  });
});
