/**
 * Snapshots of a VirtMachine: the bridge between the machine and the snapshot
 * package. One instance per machine owns its dirty bitmaps (RAM pages, disk
 * blocks), so each capture hashes and stores only what changed since the last.
 */
import type { VirtMachine, MachineMeta } from '@prnr/machine';
import { SnapshotWriter, restoreSnapshot, type CaptureStats, type Hash, type MachineParts, type ObjectReader, type ObjectStore } from '@prnr/snapshot';

export class MachineSnapshots {
  /** What the last capture added to the store. */
  lastStats: CaptureStats | null = null;

  private constructor(private readonly machine: VirtMachine, private readonly store: ObjectStore | null, private readonly writer: SnapshotWriter) {}

  /** For a machine in any state: the first capture hashes all of it. */
  static async create(machine: VirtMachine, store: ObjectStore): Promise<MachineSnapshots> {
    return new MachineSnapshots(machine, store, await SnapshotWriter.create());
  }

  /**
   * Restores `root` into a freshly built machine (same board config) and
   * continues incrementally from there. Captures need a writable `store`;
   * a replay only computes roots, so a read-only one does.
   */
  static async restore(machine: VirtMachine, store: ObjectReader, root: Hash, writable: ObjectStore | null = null): Promise<MachineSnapshots> {
    const restored = await restoreSnapshot(root, store, { ram: machine.ram.u8 });
    machine.restoreMeta(restored.meta as MachineMeta, restored.disks.map((d) => d.blocks));
    machine.ram.clearDirty();
    for (const d of machine.disks) d.clearDirty();
    return new MachineSnapshots(machine, writable, await SnapshotWriter.fromRestored(restored));
  }

  /** Stores the machine's state; returns its root, the machine-state hash. */
  async capture(): Promise<Hash> {
    if (!this.store) throw new Error('this machine\'s snapshots were opened read-only');
    const r = await this.writer.capture(this.parts(), this.store);
    this.lastStats = r.stats;
    return r.root;
  }

  /** The machine-state hash, storing nothing. */
  root(): Hash {
    return this.writer.stateRoot(this.parts());
  }

  /** Bytes of state a snapshot describes: RAM, disk overlay blocks. */
  logicalBytes(): number {
    let n = this.machine.ram.size;
    for (const d of this.machine.disks) n += d.overlayBlockCount * d.blockSize;
    return n;
  }

  private parts(): MachineParts {
    return { meta: this.machine.saveMeta(), ram: this.machine.ram, disks: this.machine.disks };
  }
}
