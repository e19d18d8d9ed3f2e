/**
 * The README's test command is what CI runs: `.ci/run` ends with the same
 * command line, and the install script it starts knows every tool the tests
 * ask for.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = (p: string) => fileURLToPath(new URL(`../../../${p}`, import.meta.url));

/** The first `sh` block after `heading` in the README. */
function readmeCommand(heading: string): string {
  const readme = readFileSync(root('README.md'), 'utf8');
  const at = readme.indexOf(heading);
  expect(at, `README.md has "${heading}"`).toBeGreaterThanOrEqual(0);
  const block = /```sh\n([^\n]+)\n```/.exec(readme.slice(at));
  expect(block, `a one-line sh block after "${heading}"`).not.toBeNull();
  return block![1];
}

describe('the README test command and .ci/run', () => {
  it('.ci/run runs the README command, with CI=true', () => {
    const command = readmeCommand('Set up and run the tests');
    const ci = readFileSync(root('.ci/run'), 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
    expect(ci.at(-1)).toBe(command);
    expect(ci).toContain('export CI=true TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1');
    expect(command).toMatch(/^bash tooling\/test-env\/install-host-tools\.sh && /);
  });

  it('the install script covers every package the tests name, and is valid bash', () => {
    const script = readFileSync(root('tooling/test-env/install-host-tools.sh'), 'utf8');
    const helpers = ['packages/devices/src/test-support/host-tools.ts', 'apps/server/src/testing/host-tools.ts', 'apps/cli/src/testing/host-tools.ts', 'packages/diagnosis/src/host-tools.ts'];
    const packages = new Set(helpers.flatMap((h) => [...readFileSync(root(h), 'utf8').matchAll(/apt-get install ([a-z0-9-]+)/g)].map((m) => m[1])));
    expect([...packages].sort()).toEqual(['chromium', 'device-tree-compiler', 'dwarves', 'gcc-riscv64-linux-gnu', 'gdb-multiarch', 'qemu-system-misc', 'redis-server']);
    for (const p of packages) expect(script, p).toMatch(new RegExp(`need\\+=\\(${p}\\)`));
    const syntax = spawnSync('bash', ['-n', root('tooling/test-env/install-host-tools.sh')], { encoding: 'utf8' });
    expect(syntax.status, syntax.stderr).toBe(0);
  });
});
