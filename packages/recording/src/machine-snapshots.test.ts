/**
 * MachineSnapshots on the real default guest (256 MiB, Linux, the smoke
 * workload typed in): snapshots taken while it runs, then one machine moved
 * between them with jumpTo(), forwards and backwards, with and without
 * running in between. After every move the machine must equal a cold restore
 * of the same root into a used machine (RAM byte for byte, disk overlay,
 * hart and devices) and hash to that root; and it must run on exactly as
 * the cold-restored machine does.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScriptInput, VirtMachine, guestBoard, loadGuestImages, type MachineMeta, type MachinePorts } from '@prnr/machine';
import { FsObjectStore, restoreSnapshot } from '@prnr/snapshot';
import { MachineSnapshots } from './machine-snapshots.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** Where snapshots are taken: boot, shell, the disk written (near 80-100M), and after. */
const POINTS = [20_000_000, 60_000_000, 100_000_000, 125_000_000, 150_000_000];

const { config, images } = guestBoard(loadGuestImages(join(ROOT, 'guest/images')));
/** Ports that give the same answers every time: machines that run on from equal states stay equal. */
const quiet = (): MachinePorts => ({
  consoleOutput: { write: () => {} },
  clock: { now: () => 1_764_000_000_000_000_000n },
  entropy: { fill: (b: Uint8Array) => b.forEach((_, i) => (b[i] = (i * 151 + 7) & 0xff)) },
});

/** Runs until `icount`, letting virtual time jump when the guest idles. */
function runTo(m: VirtMachine, icount: number): void {
  while (m.hart.icount < icount) {
    const r = m.run(icount);
    if (r.reason === 'halt') throw new Error(`the guest stopped at ${m.hart.icount}`);
    if (r.reason === 'idle') {
      if (r.wakeAt === null) throw new Error(`the guest idles for good at ${m.hart.icount}`);
      m.advanceIdle(r.wakeAt);
    }
  }
}

function expectSameMachine(a: VirtMachine, b: VirtMachine, what: string): void {
  expect(Buffer.from(a.ram.u8.buffer, 0, a.ram.size).equals(Buffer.from(b.ram.u8.buffer, 0, b.ram.size)), `${what}: RAM`).toBe(true);
  expect(a.disks.map((d) => d.save()), `${what}: disks`).toEqual(b.disks.map((d) => d.save()));
  expect(a.saveMeta(), `${what}: hart and devices`).toEqual(b.saveMeta());
}

describe('MachineSnapshots.jumpTo on a Linux guest', () => {
  const dir = mkdtempSync(join(tmpdir(), 'prnr-jump-'));
  const store = new FsObjectStore(dir);
  const roots: string[] = [];
  const overlays: number[] = [];
  /** The yardstick: a used machine (its RAM committed) cold-restored with restoreSnapshot, no writer involved. */
  const ref = new VirtMachine(config, images, quiet());

  async function coldRef(root: string): Promise<VirtMachine> {
    const r = await restoreSnapshot(root, store, { ram: ref.ram.u8 });
    ref.restoreMeta(r.meta as MachineMeta, r.disks.map((d) => d.blocks));
    return ref;
  }

  beforeAll(async () => {
    const script = new ScriptInput(readFileSync(join(ROOT, 'guest/workloads/smoke.sh'), 'utf8'));
    const m = new VirtMachine(config, images, { ...quiet(), consoleInput: script, consoleOutput: { write: (b: number) => script.observe(b) } });
    m.boot();
    const snaps = await MachineSnapshots.create(m, store);
    for (const at of POINTS) {
      runTo(m, at);
      roots.push(await snaps.capture());
      overlays.push(m.disks[0].overlayBlockCount);
    }
  }, 300_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('lands exactly where a cold restore does, forwards and backwards, also after running on', async () => {
    expect(new Set(roots).size).toBe(POINTS.length);
    // The guest wrote its disk between the snapshots: some have an overlay, some not, so disks move too.
    expect(overlays.some((n) => n === 0) && overlays.some((n) => n > 0)).toBe(true);

    const m = new VirtMachine(config, images, quiet());
    const snaps = await MachineSnapshots.restore(m, store, roots[0], { fresh: true });
    expectSameMachine(m, await coldRef(roots[0]), 'cold restore of a new machine');
    const coldPages = snaps.lastRestore!.pagesWritten;
    let blocksMoved = 0;
    let at = 0;
    for (const [step, to] of [3, 1, 4, 2, 0, 4, 3].entries()) {
      // Every other time, run on first (without root()): pages written since the last hash must be rewritten.
      if (step % 2 === 1) runTo(m, m.hart.icount + 2_000_000);
      const stats = await snaps.jumpTo(roots[to]);
      blocksMoved += stats.blocksWritten;
      expect(snaps.root()).toBe(roots[to]);
      expectSameMachine(m, await coldRef(roots[to]), `jump ${at} -> ${to}`);
      if (Math.abs(to - at) === 1 && step % 2 === 0) expect(stats.pagesWritten).toBeLessThan(coldPages);
      at = to;
    }
    expect(blocksMoved).toBeGreaterThan(0);
  }, 300_000);

  it('a jumped machine runs on exactly as a cold-restored one', async () => {
    const m = new VirtMachine(config, images, quiet());
    const snaps = await MachineSnapshots.restore(m, store, roots[4], { fresh: true });
    runTo(m, m.hart.icount + 1_000_000);
    await snaps.jumpTo(roots[2]);
    const cold = await coldRef(roots[2]);
    const until = m.hart.icount + 3_000_000;
    runTo(m, until);
    runTo(cold, until);
    expectSameMachine(m, cold, 'after 3M steps');
    // ...and the writer continues from the jump: its incremental root is the from-scratch one
    const fresh = new VirtMachine(config, images, quiet());
    const check = await MachineSnapshots.restore(fresh, store, roots[2]);
    expect(check.root()).toBe(roots[2]);
    expect(snaps.root()).not.toBe(roots[2]);
    const full = await MachineSnapshots.create(m, new FsObjectStore(join(dir, 'other')));
    expect(await full.capture()).toBe(snaps.root());
  }, 300_000);
});
