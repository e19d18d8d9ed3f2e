/**
 * The chain of manifest updates and writes behind a running recorder.
 *
 * Each update (it completes the manifest once what it needs is known: the
 * roots back from the snapshot worker, a segment closed) runs in order, then
 * the manifest is written, off the machine's thread. When a later update is
 * already queued, a write is left to it (it writes everything this one would,
 * after its own sync), unless the last write ended more than `maxAgeNs` ago: under
 * a steady stream of slices some update is always queued, and without that
 * bound recording.json was first written at the recording's end (a crash
 * before lost every closed slice).
 */
export interface ManifestPublisherOptions {
  /** Writes the manifest as it stands (`last`: the recording's final one). */
  write: (last: boolean) => Promise<void>;
  /** The longest a write is left to later ones (default 250 ms). */
  maxAgeNs?: bigint;
  /** Host time in ns (default process.hrtime.bigint): injectable for tests. */
  now?: () => bigint;
}

export class ManifestPublisher {
  /** The last write: done once its objects are synced. */
  private chain: Promise<void> = Promise.resolve();
  /** Updates queued and not done. */
  private queued = 0;
  /** When the last write ended (null: none yet). */
  private writtenAt: bigint | null = null;
  /** The first failure of an update or a write. */
  private failed: { error: unknown } | undefined;
  private readonly write: (last: boolean) => Promise<void>;
  private readonly maxAgeNs: bigint;
  private readonly now: () => bigint;

  constructor(o: ManifestPublisherOptions) {
    this.write = o.write;
    this.maxAgeNs = o.maxAgeNs ?? 250_000_000n;
    this.now = o.now ?? (() => process.hrtime.bigint());
  }

  /** Queues `update`, then a write (left to a later update per the rule above); `last` is always written. */
  publish(update: () => Promise<void>, last = false): void {
    this.queued++;
    this.chain = this.chain.then(async () => {
      await update();
      if (!last && this.queued > 1 && this.writtenAt !== null && this.now() - this.writtenAt < this.maxAgeNs) return;
      await this.write(last);
      // Its age counts from when it is on disk: counted from its start, a write slower than maxAgeNs
      // (on a recorder's thread, three event-loop turns) made every later update write too, and the
      // chain fell behind the machine by a slice every few.
      this.writtenAt = this.now();
    });
    this.chain.then(
      () => void this.queued--,
      (error: unknown) => {
        this.queued--;
        this.failed ??= { error };
      },
    );
  }

  /** Updates queued and not done. */
  get backlog(): number {
    return this.queued;
  }

  /** Throws the first failure of an update or a write, if any. */
  check(): void {
    if (this.failed) throw this.failed.error;
  }

  /** Resolves once everything queued so far is done; rejects with the last one's failure. */
  done(): Promise<void> {
    return this.chain;
  }
}
