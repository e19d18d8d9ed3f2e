/**
 * CoreMark (EEMBC, unmodified sources around our port layer in
 * bench/programs/coremark/) runs on the bare machine on both engines: the
 * small build (40 iterations) validates its CRCs, prints the same text as
 * QEMU 7.2 `-M spike -icount shift=0` and exits 0, and the engines end in the
 * same hart and RAM state.
 *
 * The expected text is QEMU's output for the same ELF (qemu-system-riscv64
 * -M spike -nographic -bios none -icount shift=0 -kernel coremark-small.elf).
 * The port's clock is minstret, so under -icount "Total ticks" is exact there
 * too and the whole text matches byte for byte. crclist, crcmatrix and
 * crcstate are also CoreMark's own known values for its 2K performance run
 * (seedcrc 0xe9f5), which core_main checks before it prints "Correct
 * operation validated.".
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runBareElf } from './bare-machine.js';

const ELF = new URL('../../../../bench/programs/coremark-small.elf', import.meta.url);

const QEMU_ICOUNT_OUTPUT = [
  '2K performance run parameters for coremark.',
  'CoreMark Size    : 666',
  'Total ticks      : 14167728',
  'Total time (secs): 14.167728',
  'Iterations/Sec   : 2.823318',
  'Iterations       : 40',
  'Compiler version : GCC12.2.0',
  'Compiler flags   : -O2 -march=rv64gc -mabi=lp64d -mcmodel=medany',
  'Memory location  : STACK',
  'seedcrc          : 0xe9f5',
  '[0]crclist       : 0xe714',
  '[0]crcmatrix     : 0x1fd7',
  '[0]crcstate      : 0x8e3a',
  '[0]crcfinal      : 0x65c5',
  'Correct operation validated. See README.md for run and reporting rules.',
  'CoreMark 1.0 : 2.823318 / GCC12.2.0 -O2 -march=rv64gc -mabi=lp64d -mcmodel=medany / STACK',
  '',
].join('\n');

function run(engine: 'interp' | 'wasm') {
  const r = runBareElf(new Uint8Array(readFileSync(ELF)), { engine, maxInstructions: 100_000_000 });
  const ram = r.hart.bus.ram;
  const ramHash = createHash('sha256').update(ram.read(ram.base, ram.size)).digest('hex');
  return { ...r, ramHash };
}

describe('CoreMark on the bare machine (bench/programs/coremark-small.elf)', () => {
  const results = {} as Record<'interp' | 'wasm', ReturnType<typeof run>>;

  for (const engine of ['interp', 'wasm'] as const) {
    it(`${engine}: validates, prints QEMU's text and exits 0`, () => {
      const r = (results[engine] = run(engine));
      expect(r.error).toBeUndefined();
      expect(r.console).toContain('Correct operation validated.');
      for (const line of ['seedcrc          : 0xe9f5', '[0]crclist       : 0xe714', '[0]crcmatrix     : 0x1fd7', '[0]crcstate      : 0x8e3a', '[0]crcfinal      : 0x65c5']) {
        expect(r.console.split('\n'), line).toContain(line);
      }
      expect(r.console).toBe(QEMU_ICOUNT_OUTPUT);
      expect(r.status).toBe('pass');
      expect(r.exitCode).toBe(0);
    });
  }

  it('both engines end in the same hart state, RAM and console', () => {
    const a = results.interp ?? run('interp');
    const b = results.wasm ?? run('wasm');
    expect(b.icount).toBe(a.icount);
    expect(b.hart.state()).toEqual(a.hart.state());
    expect(b.ramHash).toBe(a.ramHash);
    expect(b.console).toBe(a.console);
  });
});
