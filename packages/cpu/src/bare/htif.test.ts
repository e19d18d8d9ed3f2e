/**
 * HTIF's front-end system call proxy, as riscv-tests' benchmarks/common/syscalls.c
 * drives it: fill magic_mem = [number, a0, a1, a2], store its address in tohost,
 * spin until fromhost != 0, clear fromhost, read the result from magic_mem[0].
 */
import { describe, expect, it } from 'vitest';
import { Hart } from '../hart.js';
import type { HartEngine } from '../hart.js';
import { B, I, ld, sd } from '../testing/encode.js';
import { BASE, testHart } from '../testing/machine.js';
import { Htif } from './htif.js';

const TOHOST = BASE + 0x1000, FROMHOST = TOHOST + 64;
const CALL1 = BASE + 0x2000, CALL2 = BASE + 0x2040, TEXT = BASE + 0x3000;
// a0 = first block, a3 = second block, a1 = &tohost; the first call's result ends in a2.
const PROGRAM = [
  sd(10, 11, 0), // tohost = a0
  ld(5, 11, 64), // wait: t0 = fromhost
  B(-4, 0, 5, 0), // beq t0, x0, wait
  sd(0, 11, 64), // fromhost = 0
  ld(12, 10, 0), // a2 = magic_mem[0]
  sd(13, 11, 0), // tohost = a3
  I(0, 0, 0, 0, 0x13), // nop
  B(0, 0, 0, 0), // beq x0, x0, . (a stop ends the run before)
];

function run(engine: HartEngine, call1: bigint[], call2: bigint[], text: string) {
  const { hart: h0, ram } = testHart(PROGRAM);
  const hart = new Hart(h0.bus, { engine, jitThreshold: 1, codeCache: null });
  hart.pc = BigInt(BASE);
  const put = (at: number, words: bigint[]) => words.forEach((w, i) => ram.view.setBigUint64(at - BASE + 8 * i, w, true));
  put(CALL1, call1); put(CALL2, call2);
  ram.write(TEXT, new TextEncoder().encode(text));
  hart.setX(10, BigInt(CALL1)); hart.setX(11, BigInt(TOHOST)); hart.setX(13, BigInt(CALL2));
  const htif = new Htif(hart, TOHOST, FROMHOST);
  hart.run(10_000);
  return { hart, htif, ram, ret: BigInt.asIntN(64, hart.getX(12)), block0: ram.view.getBigUint64(CALL1 - BASE, true) };
}

describe('HTIF front-end system calls (Spike fesvr protocol)', () => {
  for (const engine of ['interp', 'wasm'] as const) {
    it(`${engine}: write(1, buf, len) prints and returns len; exit(7) ends with code 7`, () => {
      const r = run(engine, [64n, 1n, BigInt(TEXT), 14n], [93n, 7n, 0n, 0n], 'CoreMark 1.0\n!tail');
      expect(r.htif.result.error).toBeUndefined();
      expect(r.htif.result.console).toBe('CoreMark 1.0\n!');
      expect(r.ret).toBe(14n);
      expect(r.block0).toBe(14n);
      expect(r.htif.result.exited).toBe(true);
      expect(Number(r.htif.result.exitValue >> 1n)).toBe(7);
      expect(r.ram.view.getBigUint64(FROMHOST - BASE, true), 'the guest cleared fromhost').toBe(0n);
    });
  }

  it('both engines end in the same state', () => {
    const a = run('interp', [64n, 2n, BigInt(TEXT), 3n], [93n, 0n, 0n, 0n], 'abc');
    const b = run('wasm', [64n, 2n, BigInt(TEXT), 3n], [93n, 0n, 0n, 0n], 'abc');
    expect(b.hart.state()).toEqual(a.hart.state());
    expect(b.htif.result).toEqual(a.htif.result);
  });

  it('write to another fd returns -EBADF, a buffer outside RAM -EFAULT; the program goes on', () => {
    expect(run('interp', [64n, 3n, BigInt(TEXT), 3n], [93n, 0n, 0n, 0n], 'abc').ret).toBe(-9n);
    const r = run('interp', [64n, 1n, 0x1000n, 3n], [93n, 0n, 0n, 0n], 'abc');
    expect(r.ret).toBe(-14n);
    expect(r.htif.result.console).toBe('');
    expect(r.htif.result.exited).toBe(true);
  });

  it('an unsupported call, or a block outside RAM, stops the machine with a one-line error', () => {
    const r = run('interp', [57n, 3n, 0n, 0n], [93n, 0n, 0n, 0n], '');
    expect(r.htif.result.error).toMatch(/^unsupported HTIF system call 57 at 0x80002000 \(the front-end proxy serves write \(64\) and exit \(93\)\)$/);
    expect(r.htif.result.exited).toBe(false);
    const { hart: h0 } = testHart(PROGRAM);
    h0.setX(10, 0x1000n); h0.setX(11, BigInt(TOHOST));
    const htif = new Htif(h0, TOHOST, FROMHOST);
    h0.run(100);
    expect(htif.result.error).toBe('HTIF system call block at 0x1000 is outside RAM');
  });
});
