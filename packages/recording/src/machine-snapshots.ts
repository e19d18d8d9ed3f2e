/**
 * Snapshots of a VirtMachine: the bridge between the machine and the snapshot
 * package. One instance per machine owns its dirty bitmaps (RAM pages, disk
 * blocks), so each capture hashes and stores only what changed since the last,
 * and each jump to another snapshot writes only what differs from it.
 */
import type { VirtMachine, MachineMeta } from '@prnr/machine';
import {
  CachedObjectReader,
  ObjectCache,
  SnapshotWriter,
  type CaptureStats,
  type Hash,
  type MachineParts,
  type ObjectReader,
  type ObjectStore,
  type RestoreStats,
} from '@prnr/snapshot';

export interface MachineRestoreOptions {
  /** Where later captures go; a replay only computes roots, so none (the default) will do. */
  writable?: ObjectStore | null;
  /**
   * The machine was just built: RAM all zero and no disk overlay blocks,
   * except what carries a dirty mark. The restore then writes no zero page
   * and reads no tree over zero RAM (on a 256 MiB guest, zeroing fresh RAM
   * alone costs ~0.7 s). Default false: the RAM is zeroed first.
   */
  fresh?: boolean;
  /** Verified objects kept for later restores in this process (default ObjectCache.shared; null: none). */
  cache?: ObjectCache | null;
}

export class MachineSnapshots {
  /** What the last capture added to the store. */
  lastStats: CaptureStats | null = null;
  /** What the last restore or jumpTo read and wrote. */
  lastRestore: RestoreStats | null = null;

  private constructor(
    private readonly machine: VirtMachine,
    private readonly reader: ObjectReader,
    private readonly store: ObjectStore | null,
    private readonly writer: SnapshotWriter,
  ) {}

  /** For a machine in any state: the first capture hashes all of it. */
  static async create(machine: VirtMachine, store: ObjectStore): Promise<MachineSnapshots> {
    return new MachineSnapshots(machine, store, store, await SnapshotWriter.create());
  }

  /**
   * Restores `root` into a machine of the same board config (cold) and
   * continues incrementally from there. Pass `fresh: true` for a machine just
   * built. To move a machine that already has its MachineSnapshots, use its
   * jumpTo(): a second instance would be a second owner of the dirty marks.
   */
  static async restore(machine: VirtMachine, store: ObjectReader, root: Hash, options: MachineRestoreOptions = {}): Promise<MachineSnapshots> {
    const parts = partsOf(machine, null);
    const writer = options.fresh ? await SnapshotWriter.forNewMachine(parts) : await SnapshotWriter.create();
    const cache = options.cache === undefined ? ObjectCache.shared : options.cache;
    const reader = cache ? new CachedObjectReader(store, cache) : store;
    const s = new MachineSnapshots(machine, reader, options.writable ?? null, writer);
    await s.jumpTo(root);
    return s;
  }

  /**
   * Moves the machine to snapshot `root` (of this recording's store): only the
   * RAM pages and disk blocks that differ from it, or were written since the
   * last capture or root(), are read and written; then hart and devices are
   * restored. The machine is then byte for byte what a cold restore of `root`
   * gives, and captures continue incrementally from it. If it fails, the
   * machine is half-way: jump again (everything is then rewritten) or drop it.
   */
  async jumpTo(root: Hash): Promise<RestoreStats> {
    const m = this.machine;
    const r = await this.writer.jumpTo(root, this.reader, partsOf(m, null));
    try {
      m.restoreMeta(r.meta as MachineMeta, r.disks.map((d) => d.blocks));
    } catch (e) {
      this.writer.forget(); // RAM is the target's but the disks may not be
      throw e;
    }
    m.ram.clearDirty();
    for (const d of m.disks) d.clearDirty();
    this.lastRestore = r.stats;
    return r.stats;
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
    return partsOf(this.machine, this.machine.saveMeta());
  }
}

/** `meta` null where it is not read (a jump replaces it). */
function partsOf(machine: VirtMachine, meta: MachineMeta | null): MachineParts {
  return { meta, ram: machine.ram, disks: machine.disks };
}
