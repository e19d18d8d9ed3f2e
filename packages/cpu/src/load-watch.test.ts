/**
 * Read watchpoints for debuggers (Hart.readWatched / onWatchedLoad): every
 * load from a watched page is reported with the load's own icount and pc, on
 * both engines, and a watched run ends in the state of an unwatched one.
 */
import { describe, expect, it } from 'vitest';
import type { Hart, HartEngine } from './hart.js';
import { addi, B, ld, sd } from './testing/encode.js';
import { BASE, testHart } from './testing/machine.js';

// x1 counts down from 200; each pass loads [x2] (the watched page) and stores it to [x6] (another page).
const PROGRAM = [
  addi(1, 0, 200), //    0
  0x00410133, //         4: add x2, x2, x4   (x2 = BASE + 0x2000 set below)
  0x00430333, //         8: add x6, x6, x4   (x6 = BASE + 0x3000)
  ld(5, 2, 8), //       12: loop: x5 = [x2 + 8]
  sd(5, 6, 0), //       16: [x6] = x5
  addi(1, 1, -1), //    20
  B(-12, 0, 1, 1), //   24: bne x1, x0, loop
  B(0, 0, 0, 0), //     28: spin
];
const LOAD_PC = BigInt(BASE + 12);
const WATCHED = BASE + 0x2000;

function machine(engine: HartEngine): Hart {
  const { hart, ram } = testHart(PROGRAM);
  hart.engine = engine;
  hart.setX(4, BigInt(BASE));
  hart.setX(2, 0x2000n);
  hart.setX(6, 0x3000n);
  ram.view.setBigUint64(0x2008, 0x1122334455667788n, true);
  return hart;
}

describe.each<HartEngine>(['interp', 'wasm'])('read watches (%s engine)', (engine) => {
  it('reports each load from a watched page with its icount and pc, as single-stepping finds them', () => {
    const ref = machine('interp');
    const want: Array<[number, bigint]> = [];
    while (ref.icount < 1500) {
      if (ref.pc === LOAD_PC) want.push([ref.icount, LOAD_PC]);
      ref.run(ref.icount + 1);
    }
    const plain = machine(engine);
    plain.run(1500);
    const h = machine(engine);
    h.run(300); // hot, translated before the watch starts
    const got: Array<[number, bigint]> = [];
    h.readWatched[(WATCHED - BASE) >>> 12] = 1;
    h.flushTlb();
    h.onWatchedLoad = (paddr, size) => {
      expect([paddr, size]).toEqual([WATCHED + 8, 8]);
      got.push([h.icount, h.pc]);
    };
    h.run(1500);
    expect(got).toEqual(want.filter(([ic]) => ic >= 300));
    expect(got.length).toBeGreaterThan(50);
    expect(h.state()).toEqual(plain.state());
  });
});
