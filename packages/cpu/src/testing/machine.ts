/** A hart with 1 MiB of RAM at 0x80000000 and no devices, for unit tests. */
import { BusFault } from '../bus.js';
import type { Bus } from '../bus.js';
import { Hart } from '../hart.js';
import { Ram } from '../ram.js';

export const BASE = 0x80000000;

export function testHart(program: number[] = [], at = BASE): { hart: Hart; ram: Ram } {
  const ram = new Ram(BASE, 1 << 20);
  const bus: Bus = {
    ram,
    load: (p) => { throw new BusFault(p, false); },
    store: (p) => { throw new BusFault(p, true); },
  };
  program.forEach((w, i) => ram.view.setUint32(at - BASE + 4 * i, w, true));
  const hart = new Hart(bus);
  hart.pc = BigInt(at);
  return { hart, ram };
}
