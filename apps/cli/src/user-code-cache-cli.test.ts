/**
 * The per-user code cache through the CLI: `prnr run` leaves the code it
 * translated in the user's cache directory, a recording made from that code
 * replays to every recorded state with none of it (no cache of either kind),
 * and a damaged cache is one warning line, the run going on.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'prnr-ucc-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const SCRIPT = join(tmp, 'short.sh');
writeFileSync(SCRIPT, 'uname -a\npoweroff -f\n');
const CACHE = join(tmp, 'cache');
const FILE = join(CACHE, 'code-cache.bin');

const prnr = (cacheDir: string, ...args: string[]) =>
  spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', env: { ...process.env, PRNR_CACHE_DIR: cacheDir }, timeout: 120_000 });

describe('prnr run and record with the per-user code cache', () => {
  it('run leaves its code in the cache; a recording made with it verifies with no translated code at all', () => {
    const run = prnr(CACHE, 'run', '--script', SCRIPT);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).not.toContain('warning');
    expect(existsSync(FILE)).toBe(true);
    const rec = join(tmp, 'hot.rec');
    const record = prnr(CACHE, 'record', '-o', rec, '--script', SCRIPT, '-q');
    expect(record.status, record.stderr).toBe(0);
    expect(record.stderr).not.toContain('warning');
    // Replayed from translation alone: the recording's code and the user's are both out of reach.
    rmSync(join(rec, 'code-cache.bin'));
    const verify = prnr('off', 'verify', rec);
    expect(verify.status, verify.stderr + verify.stdout).toBe(0);
    expect(verify.stdout).toMatch(/^verified: \d+ slice\(s\) end in their recorded state/m);
  });

  it('a damaged cache file: one warning that names it, and the run goes on to power-off', () => {
    const bytes = readFileSync(FILE);
    bytes[bytes.length >> 1] ^= 0x5a;
    writeFileSync(FILE, bytes);
    const run = prnr(CACHE, 'run', '--script', SCRIPT);
    expect(run.status, run.stderr).toBe(0);
    const warnings = run.stderr.split('\n').filter((l) => l.includes('warning'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(new RegExp(`^prnr: warning: ${FILE.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    expect(run.stdout).toContain('Linux');
  });
});
