/**
 * Test helpers (not exported by the package): a seeded PRNG and a small
 * machine made of the real cpu Ram and devices CowDisk.
 */
import { Ram } from '@prnr/cpu';
import { CowDisk } from '@prnr/devices';
import type { MachineParts } from './machine-parts.js';

/** mulberry32: a deterministic 32-bit PRNG. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

export function randomBytes(rand: () => number, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i += 4) {
    const v = rand();
    b[i] = v;
    b[i + 1] = v >>> 8;
    b[i + 2] = v >>> 16;
    b[i + 3] = v >>> 24;
  }
  return b;
}

export const RAM_BASE = 0x8000_0000;

export interface FakeMachine {
  ram: Ram;
  disk: CowDisk;
  diskBase: Uint8Array;
  meta: Record<string, unknown>;
  parts(): MachineParts;
}

/** An empty machine: `ramSize` bytes of zero RAM, one disk over `diskBase`. */
export function emptyMachine(ramSize: number, diskBase: Uint8Array): FakeMachine {
  const ram = new Ram(RAM_BASE, ramSize);
  const disk = new CowDisk({ base: diskBase, blockSize: 4096, imageId: 'test-disk' });
  const m: FakeMachine = {
    ram,
    disk,
    diskBase,
    meta: {},
    parts: () => ({ meta: m.meta, ram: m.ram, disks: [m.disk] }),
  };
  return m;
}

/**
 * A 4 MiB machine whose RAM looks lived-in: a third of the pages random, a
 * quarter zero, the rest repeated patterns and duplicates; a 2 MiB disk with
 * an overlay of 40 written blocks (one of them all zero); hart-like meta.
 */
export function livedInMachine(seed: number): FakeMachine {
  const rand = prng(seed);
  const diskBase = randomBytes(prng(seed + 1), 2 * 1024 * 1024);
  const m = emptyMachine(4 * 1024 * 1024, diskBase);
  const pages = m.ram.size / 4096;
  const shared = randomBytes(rand, 4096);
  for (let p = 0; p < pages; p++) {
    const kind = rand() % 12;
    const at = RAM_BASE + p * 4096;
    if (kind < 4) m.ram.write(at, randomBytes(rand, 4096));
    else if (kind < 7) continue; // zero
    else if (kind < 9) m.ram.write(at, shared);
    else m.ram.write(at, new Uint8Array(4096).fill(p & 0xff));
  }
  for (let i = 0; i < 40; i++) {
    const block = rand() % 512;
    m.disk.write(block * 4096 + (rand() % 4000), randomBytes(rand, 64));
  }
  m.disk.write(100 * 4096, new Uint8Array(4096)); // an overlay block of zeros
  m.meta = {
    hart: { version: 1, pc: 0x8020_0000n, x: Array.from({ length: 32 }, (_, i) => BigInt(i) * 0x1_0000_0001n), priv: 1, icount: 123_456_789n, waiting: false },
    devices: [
      { kind: 'uart-16550a', version: 1, rx: new Uint8Array([65, 66]), lcr: 3 },
      { kind: 'virtio-blk', version: 1, queue: { ready: true, desc: 0x8700_0000n } },
    ],
    idleTicks: 42n,
    nextService: 100_000,
  };
  return m;
}

