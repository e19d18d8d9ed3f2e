/**
 * Breakpoints for debuggers (Hart.watchFetches): run() stops before the
 * instruction at a watched pc, at the same position on both engines, and a run
 * stopped at many breakpoints ends in exactly the state of a run that never
 * stopped.
 */
import { describe, expect, it } from 'vitest';
import { Hart } from './hart.js';
import type { HartEngine } from './hart.js';
import { addi, B, sd } from './testing/encode.js';
import { BASE, testHart } from './testing/machine.js';

// x1 counts down from 300; each pass stores x1 and adds it into x3; then loops forever on a branch.
const PROGRAM = [
  addi(1, 0, 300), //  0: x1 = 300
  addi(2, 0, 0x400), // 4: x2 = BASE + 0x400 (lui-free: sign-extended base comes from x4)
  0x00410133, //       8: add x2, x2, x4
  sd(1, 2, 0), //     12: loop: [x2] = x1
  0x001181b3, //      16: add x3, x3, x1
  addi(1, 1, -1), //  20: x1 -= 1
  B(-12, 0, 1, 1), // 24: bne x1, x0, loop
  B(0, 0, 0, 0), //   28: beq x0, x0, . (spin)
];
const LOOP = BigInt(BASE + 12);
const ADD = BigInt(BASE + 16);

function machine(engine: HartEngine): Hart {
  const { hart } = testHart(PROGRAM);
  hart.engine = engine;
  hart.setX(4, BigInt(BASE));
  return hart;
}

function state(h: Hart): unknown {
  return { ...h.state(), ram: Buffer.from(h.bus.ram.u8.subarray(0, 0x1000)).toString('hex') };
}

describe.each<HartEngine>(['interp', 'wasm'])('watchFetches (%s engine)', (engine) => {
  it('stops before each watched instruction, exactly where single-stepping finds it', () => {
    const stepped: number[] = [];
    const ref = machine('interp');
    while (ref.icount < 2000) {
      if (ref.pc === ADD) stepped.push(ref.icount);
      ref.run(ref.icount + 1);
    }
    const h = machine(engine);
    const stops: number[] = [];
    // Resuming at the breakpoint it stopped on, the callback is asked again at the same icount: go on then.
    h.watchFetches([ADD], (_pc, icount) => !stops.includes(icount));
    while (h.icount < 2000) {
      const r = h.run(2000);
      if (r === 'stop') {
        expect(h.pc).toBe(ADD);
        stops.push(h.icount);
      }
    }
    expect(stops).toEqual(stepped);
    expect(stops.length).toBe(300);
    expect(state(h)).toEqual(state(ref));
  });

  it('a run stopped at every breakpoint ends as a run that never stopped, also where code was translated before', () => {
    const plain = machine(engine);
    plain.run(5000);
    const ref = machine('interp');
    let expected = 0;
    while (ref.icount < 2500) {
      if (ref.icount >= 1000 && (ref.pc === LOOP || ref.pc === ADD)) expected++;
      ref.run(ref.icount + 1);
    }
    const h = machine(engine);
    h.run(1000); // the loop is hot by now: the wasm engine runs it translated
    let hits = 0;
    let last = -1;
    // Resuming at the breakpoint it stopped on, the callback is asked again at the same icount: go on then.
    h.watchFetches([LOOP, ADD], (_pc, icount) => { if (icount === last) return false; hits++; last = icount; return true; });
    while (h.icount < 2500) h.run(2500);
    h.watchFetches(null, null);
    h.run(5000);
    expect(hits).toBe(expected);
    expect(hits).toBeGreaterThan(100);
    expect(state(h)).toEqual(state(plain));
  });

  it('asks nothing for pcs on the same page that are not watched', () => {
    const h = machine(engine);
    const asked = new Set<bigint>();
    h.watchFetches([BigInt(BASE + 28)], (pc) => { asked.add(pc); return false; });
    h.run(3000);
    expect([...asked]).toEqual([BigInt(BASE + 28)]);
  });
});
