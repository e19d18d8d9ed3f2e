import { describe, expect, it } from 'vitest';
import { Clint, CLINT_MSIP, CLINT_MTIME, CLINT_MTIMECMP } from './clint.js';
import { DeviceStateError } from './device.js';
import { FakeIrq } from './test-support/fakes.js';

function setup(start = 0n) {
  const clock = { t: start, mtime: () => clock.t };
  const msip = new FakeIrq();
  const mtip = new FakeIrq();
  const clint = new Clint({ clock, msip, mtip });
  return { clock, msip, mtip, clint };
}

describe('Clint', () => {
  it('msip bit 0 drives the MSIP line', () => {
    const { clint, msip } = setup();
    clint.write(CLINT_MSIP, 4, 0xffff_ffff);
    expect(msip.level).toBe(true);
    expect(clint.read(CLINT_MSIP, 4)).toBe(1);
    clint.write(CLINT_MSIP, 4, 2);
    expect(msip.level).toBe(false);
    expect(clint.read(CLINT_MSIP, 4)).toBe(0);
  });

  it('mtime comes from the virtual clock and ignores writes', () => {
    const { clint, clock } = setup(0x1_2345_6789n);
    expect(clint.read(CLINT_MTIME, 8)).toBe(0x1_2345_6789n);
    expect(clint.read(CLINT_MTIME, 4)).toBe(0x2345_6789);
    expect(clint.read(CLINT_MTIME + 4, 4)).toBe(1);
    clint.write(CLINT_MTIME, 8, 5n);
    clock.t = 0x2_0000_0000n;
    expect(clint.read(CLINT_MTIME, 8)).toBe(0x2_0000_0000n);
  });

  it('MTIP rises exactly when mtime reaches mtimecmp, announced by nextDeadline', () => {
    const { clint, clock, mtip } = setup(100n);
    expect(clint.nextDeadline()).toBeNull(); // reset value: all ones, never
    clint.write(CLINT_MTIMECMP, 8, 1000n);
    expect(mtip.level).toBe(false);
    expect(clint.nextDeadline()).toBe(1000n);
    clock.t = 999n;
    clint.service();
    expect(mtip.level).toBe(false);
    clock.t = 1000n;
    clint.service();
    expect(mtip.level).toBe(true);
    expect(clint.nextDeadline()).toBeNull();
    // Writing a later compare value lowers MTIP at once.
    clint.write(CLINT_MTIMECMP, 8, 5000n);
    expect(mtip.level).toBe(false);
    expect(clint.read(CLINT_MTIMECMP, 8)).toBe(5000n);
  });

  it('a compare value already in the past raises MTIP on the write', () => {
    const { clint, mtip } = setup(10_000n);
    clint.write(CLINT_MTIMECMP, 8, 10_000n);
    expect(mtip.level).toBe(true);
  });

  it('mtimecmp can be written as two 32-bit halves (RV32-style sequence)', () => {
    const { clint, mtip } = setup(0x1_0000_0000n);
    clint.write(CLINT_MTIMECMP + 4, 4, 0xffff_ffff); // high first: no spurious interrupt
    expect(mtip.level).toBe(false);
    clint.write(CLINT_MTIMECMP, 4, 0x10);
    clint.write(CLINT_MTIMECMP + 4, 4, 0x1);
    expect(clint.read(CLINT_MTIMECMP, 8)).toBe(0x1_0000_0010n);
    expect(clint.read(CLINT_MTIMECMP, 4)).toBe(0x10);
    expect(clint.read(CLINT_MTIMECMP + 4, 4)).toBe(1);
    expect(mtip.level).toBe(false);
    expect(clint.nextDeadline()).toBe(0x1_0000_0010n);
  });

  it('round-trips its state, keeping the MTIP level as saved (not recomputed)', () => {
    const a = setup(0n);
    a.clint.write(CLINT_MSIP, 4, 1);
    a.clint.write(CLINT_MTIMECMP, 8, 50n);
    a.clock.t = 60n; // past the deadline, but service() not yet called
    const saved = a.clint.save();
    const b = setup(60n);
    b.clint.restore(structuredClone(saved));
    expect(b.clint.save()).toEqual(saved);
    expect(b.msip.level).toBe(true);
    expect(b.mtip.level).toBe(false);
    a.clint.service();
    b.clint.service();
    expect(b.mtip.level).toBe(a.mtip.level);
    expect(b.mtip.level).toBe(true);
    expect(b.clint.save()).toEqual(a.clint.save());
  });

  it('refuses a state of another kind or version', () => {
    const { clint } = setup();
    expect(() => clint.restore({ kind: 'plic', version: 1 })).toThrow(DeviceStateError);
    expect(() => clint.restore({ ...clint.save(), version: 2 } as never)).toThrow(DeviceStateError);
  });
});
