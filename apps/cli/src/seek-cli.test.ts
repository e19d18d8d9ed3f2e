/**
 * `prnr seek` on a short recording of the default guest's boot: the console block before any output
 * and after some, and --memory's ADDR:LEN (hex or decimal, LEN at least 1).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectBadInput, prnr } from './testing/cli-run.js';

const tmp = mkdtempSync(join(tmpdir(), 'prnr-cli-seek-'));
const rec = join(tmp, 'boot.rec');
const END = 4_000_000; // OpenSBI has printed its banner by then

beforeAll(() => {
  const r = prnr(['record', '-o', rec, '--max-insns', String(END), '--slice-insns', '2000000', '-q']);
  expect(r.status, r.stderr).toBe(0);
}, 300_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function seekText(...args: string[]): string {
  const r = prnr(['seek', rec, ...args]);
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

describe('prnr seek', () => {
  it('says there is no console output yet at icount 0, with no empty console block', () => {
    const out = seekText('--icount', '0');
    expect(out.split('\n').slice(0, 3)).toEqual(['--- no console output up to icount 0 ---', '--- machine ---', expect.stringMatching(/^icount 0 \(slice 0\) /)]);
  });

  it('shows the last lines of the console, without an empty line for its final newline', () => {
    const r = prnr(['seek', rec, '--icount', String(END), '--json']);
    expect(r.status, r.stderr).toBe(0);
    const console = (JSON.parse(r.stdout) as { console: string }).console;
    expect(console).toMatch(/OpenSBI/);
    const lines = console.replace(/\n$/, '').split('\n');
    for (const n of [3, 0]) {
      const want = n > 0 ? lines.slice(-n) : lines;
      const out = seekText('--icount', String(END), '--console-lines', String(n));
      expect(out.startsWith(`--- console up to icount ${END} (last ${want.length} lines) ---\n${want.join('\n')}\n--- machine ---\n`), out).toBe(true);
    }
  });

  it('takes --memory LEN in hex as in decimal, and refuses a length of 0 in one line', () => {
    const json = (memory: string) => {
      const r = prnr(['seek', rec, '--icount', String(END), '--memory', memory, '--json']);
      expect(r.status, r.stderr).toBe(0);
      return (JSON.parse(r.stdout) as { memory: { address: string; bytes: string | null } }).memory;
    };
    const hex = json('0x80200000:0x10');
    expect(hex.bytes).toMatch(/^[0-9a-f]{32}$/);
    expect(json('2149580800:16')).toEqual(hex);
    for (const bad of ['0x80200000:0', '0x80200000:0x0', '0x80200000:0x100001', '0x80200000:']) {
      expectBadInput(prnr(['seek', rec, '--icount', '0', '--memory', bad]), new RegExp(`--memory: expected ADDR:LEN with LEN from 1 byte to 1 MiB, got "${bad}"$`));
    }
  });
});
