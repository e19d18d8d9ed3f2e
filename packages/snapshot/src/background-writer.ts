/**
 * Snapshots off the machine's thread. capture() is the pause: it copies the
 * pages and blocks marked dirty and the meta (takeDelta) and posts them to a
 * worker thread, which hashes, compresses and appends them to the store's
 * pack while the machine runs on. The root comes back as a promise.
 *
 * Pages are copied into a ring of memory shared with the worker (touched by
 * the worker first, so the copy costs no page faults here) and read there in
 * place; a message carries only where they lie. Nothing is transferred back
 * and forth per capture: every ArrayBuffer that enters a thread counts as
 * external memory to its heap until a full GC finds it dead, and page
 * buffers posted back and forth at every snapshot made V8 run a full GC
 * every few snapshots, on the machine's thread and on the worker's. When a
 * capture does not fit in the ring's free part, the copy goes to fresh
 * memory and is transferred instead.
 *
 * The worker owns the store: puts go through it too (in order with the
 * captures), and sync() resolves once every capture and put posted before it
 * is durable, so a manifest written after it names only durable objects;
 * it can write that manifest too, on the worker's thread (sync(then)).
 *
 * For a machine just built (RAM all zero but for pages marked dirty, no disk
 * overlay but for blocks marked dirty), which is what a recorder has: the
 * first capture then copies only what the boot loaded.
 *
 * The worker touches the ring from its start, saying how far it got: a
 * recorder starts the writer before it builds the machine (the worker
 * starts and touches the ring meanwhile), and waits with ringHolds() for
 * room for the boot's pages before its first capture, which then copies
 * into touched memory instead of paying ~1,300 page faults in the pause.
 * The ring is used before it is all touched (a page not touched yet faults
 * on the thread that writes it first, as fresh memory would, but only once).
 */
import type { Worker } from 'node:worker_threads';
import { deltaTransfer, takeDelta } from './capture-delta.js';
import { READY_ID, RING_TOUCHED, type Reply, type Request } from './background-protocol.js';
import { RingSpans, type RingSpan } from './ring-spans.js';
import type { SyncStats } from './fs-object-store.js';
import { snapshotThread, type SnapshotThreadOptions } from './snapshot-thread.js';
import type { MachineParts } from './machine-parts.js';
import type { Hash } from './schema.js';
import type { CaptureResult } from './snapshot-writer.js';
import { copyBytes } from './copy-bytes.js';
import type { DurableFileWrite } from './durable-file.js';

export { DEFAULT_RING_BYTES } from './snapshot-thread.js';

/** Atomics.waitAsync (ES2024; Node has it, this TypeScript lib does not declare it). */
const waitAsync = (Atomics as unknown as { waitAsync(a: Int32Array, i: number, v: number): { async: boolean; value: Promise<unknown> | string } }).waitAsync as (a: Int32Array, i: number, v: number) => { async: true; value: Promise<unknown> } | { async: false; value: string };

/** A capture handed to the worker. */
export interface PendingCapture {
  /** Pages and blocks copied. */
  copied: number;
  /** The root and what was stored, once the worker is done. */
  done: Promise<CaptureResult>;
}

export interface BackgroundWriterOptions extends SnapshotThreadOptions {
  /** Objects into a pack (default), or one file each (the layout before packs). */
  packs?: boolean;
}

export class BackgroundWriter {
  private readonly worker: Worker;
  private next = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; span?: RingSpan }>();
  private failure: Error | undefined;
  /** ringHolds() waiters, woken by nudge(). */
  private readonly changed = new Set<() => void>();
  private readonly ring: SharedArrayBuffer;
  /** [RING_TOUCHED]: bytes of the ring the worker has touched, from its start (copies there pay no page fault). */
  private readonly control: Int32Array;
  /** Spans of the ring in use (the worker answers in order, so they are released in order). */
  private readonly spans: RingSpans;
  private readonly ready: Promise<void>;
  /** The worker's termination, once asked for. */
  private stopping: Promise<number> | undefined;
  /** Copies (captures with pages, puts) made into the ring and into fresh memory. */
  readonly copies = { ring: 0, fresh: 0 };

  /**
   * Opens the store in `dir` for a machine of `parts`'s shape, just built, on
   * a worker thread (the one prestartSnapshotWorker() started, if it was
   * started with the same options, else a new one); the writer owns the
   * machine's dirty marks from now on. `parts` undefined: the machine is not
   * built yet, and the first capture gives its shape (it must be of a machine
   * just built as well).
   */
  constructor(dir: string, parts: MachineParts | undefined, options: BackgroundWriterOptions = {}) {
    const thread = snapshotThread(options);
    this.worker = thread.worker;
    this.ring = thread.ring;
    this.spans = new RingSpans(this.ring.byteLength);
    this.control = new Int32Array(thread.control);
    this.ready = thread.ready;
    this.worker.on('message', (r: Reply) => {
      if (r.id === READY_ID) return;
      const w = this.waiting.get(r.id);
      if (!w) return;
      this.waiting.delete(r.id);
      if (w.span) {
        this.spans.release(w.span);
        this.nudge();
      }
      if (r.ok) w.resolve(r.value);
      else {
        const { id: _id, ok: _ok, error, ...fields } = r; // name, and a file-system error's code, syscall and path where the worker's had them
        w.reject(Object.assign(new Error(error), fields));
      }
    });
    const fail = (e: Error) => {
      this.failure = e;
      this.nudge();
      for (const w of this.waiting.values()) w.reject(e);
      this.waiting.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => {
      if (this.waiting.size > 0) fail(new Error(`the snapshot worker thread exited (code ${code}) with work pending`));
    });
    // First of all requests: a capture or put posted later finds the store open.
    const shape = parts && { ram: { size: parts.ram.size }, disks: parts.disks.map((d) => ({ size: d.size, blockSize: d.blockSize })) };
    this.call<null>({ id: 0, op: 'open', store: { dir, packs: options.packs ?? true, ...(shape ? { shape } : {}) } }, []).catch(() => {}); // a failure fails every later request too
  }

  /** Resolves once the whole shared ring is touched (no copy into it pays a page fault from then on); rejects if the worker fails first. */
  whenReady(): Promise<void> {
    return this.ready;
  }

  /**
   * Resolves to true once a copy of `bytes` would go into touched memory of
   * the ring (the worker has got that far and it is free), or to false once
   * `giveUp` aborts or if it never can (larger than the ring, the worker
   * failed). The event loop runs meanwhile. For a first capture that should
   * not pay its page faults in the pause (capture-delta's dirtyRamBytes()).
   * How long to wait is the caller's (the recorder's) to bound, e.g. with
   * AbortSignal.timeout: this package reads no host clock, and the capture's
   * bytes, the snapshot and the guest are the same whichever way it resolves.
   */
  async ringHolds(bytes: number, giveUp: AbortSignal): Promise<boolean> {
    for (;;) {
      if (this.holdsNow(bytes)) return true; // also for nothing to copy
      if (this.failure || bytes > this.ring.byteLength || giveUp.aborted) return false;
      // Until something that can change the answer happens: the worker touches more of the ring (it
      // notifies control[RING_TOUCHED] every 256 KiB), a reply frees a span, the worker fails, or the
      // caller gives up.
      await new Promise<void>((resolve) => {
        const done = () => {
          giveUp.removeEventListener('abort', done);
          this.changed.delete(done);
          resolve();
        };
        this.changed.add(done);
        giveUp.addEventListener('abort', done);
        const touched = Atomics.load(this.control, RING_TOUCHED);
        if (touched < this.ring.byteLength) {
          const w = waitAsync(this.control, RING_TOUCHED, touched);
          if (w.async) void w.value.then(done);
          else done();
        }
      });
    }
  }

  /** Wakes ringHolds(): ring space was freed, or the worker failed. */
  private nudge(): void {
    for (const wake of [...this.changed]) wake();
  }

  /** True if a copy of `bytes` would go into touched, free memory of the ring now (ringHolds() without the wait). */
  holdsNow(bytes: number): boolean {
    if (bytes <= 0) return true;
    if (this.failure || bytes > this.ring.byteLength) return false;
    return this.spans.fits(bytes, Atomics.load(this.control, RING_TOUCHED));
  }

  /** The pause (the recorder times it): copies what changed and posts it; the machine may run on as soon as this returns. */
  capture(parts: MachineParts): PendingCapture {
    let span: RingSpan | undefined;
    const delta = takeDelta(parts, false, (bytes) => {
      span = this.reserve(bytes);
      return span && new Uint8Array(this.ring, span.offset, bytes);
    });
    const copied = delta.ram.pages.length + delta.disks.reduce((a, d) => a + d.blocks.length, 0);
    if (span) delta.ram.data = new Uint8Array(0); // read from the ring by the worker, not posted
    if (delta.ram.pages.length > 0) this.copies[span ? 'ring' : 'fresh']++;
    const done = this.call<CaptureResult>({ id: 0, op: 'capture', delta, ...(span ? { ram: span } : {}) }, deltaTransfer(delta), span);
    return { copied, done };
  }

  /** Stores `bytes` (copied now); resolves to their hash. */
  put(bytes: Uint8Array): Promise<Hash> {
    const span = bytes.length > 0 ? this.reserve(bytes.length) : undefined;
    if (bytes.length > 0) this.copies[span ? 'ring' : 'fresh']++;
    if (span) {
      new Uint8Array(this.ring, span.offset, bytes.length).set(bytes);
      return this.call<Hash>({ id: 0, op: 'put', bytes: new Uint8Array(0), ring: span }, [], span);
    }
    const copy = copyBytes(bytes); // its buffer is posted, so detached here: never the caller's
    return this.call<Hash>({ id: 0, op: 'put', bytes: copy }, [copy.buffer as ArrayBuffer]);
  }

  /**
   * put(), once the ring can take `bytes` and still leave `room` bytes free
   * for captures (less when bytes and room together exceed the ring: then
   * once the ring is otherwise free); once `giveUp` aborts it puts anyway. For
   * large puts that no pause waits for (a base disk image at start): posted
   * at once, one would hold a large part of the ring until the worker has
   * stored it, and a capture taken meanwhile that no longer fits copies into
   * fresh memory, paying its page faults in the pause (measured: the second
   * snapshot of a boot, ~1,200 pages behind the boot's ~1,300 and an 8 MiB
   * disk image in a 16 MiB ring, paused the guest 30-90 ms). The bytes must
   * not change until it resolves; puts and captures posted meanwhile go
   * first, and a sync() posted before this one's put does not cover it.
   */
  async putLeavingRoom(bytes: Uint8Array, room: number, giveUp: AbortSignal): Promise<Hash> {
    if (bytes.length === 0) return this.put(bytes);
    const need = Math.ceil(bytes.length / 4096) * 4096;
    await this.ringHolds(need + Math.max(0, Math.min(room, this.ring.byteLength - need)), giveUp);
    return this.put(bytes);
  }

  /**
   * Resolves once everything posted before it is durable; with `then`, once
   * that file is replaced as well (replaceFileDurably, on the worker's thread:
   * a recorder's manifest, which names the objects, so that its machine's
   * thread does none of the file's system calls).
   */
  sync(then?: DurableFileWrite): Promise<SyncStats> {
    return this.call<SyncStats>({ id: 0, op: 'sync', ...(then ? { then } : {}) }, []);
  }

  /**
   * Makes everything durable, completes the pack (its index) and stops the
   * worker. Resolves once the store is closed; the thread's own teardown
   * (60-210 ms measured, more than the close itself) goes on after it, so a
   * recorder does not wait for it before its last manifest write. `then`: a
   * file replaced once the store is closed, as for sync().
   */
  async close(then?: DurableFileWrite): Promise<void> {
    try {
      await this.call<void>({ id: 0, op: 'close', ...(then ? { then } : {}) }, []);
    } finally {
      this.stopping ??= this.worker.terminate();
      this.stopping.catch(() => {});
    }
  }

  /** Stops the worker at once (a failed recorder); what it had not written is lost, a pack may be cut short. Resolves once the thread is gone. */
  async abort(): Promise<void> {
    await (this.stopping ??= this.worker.terminate());
  }

  /** A free span of `bytes` in the ring, or undefined (no room, or the worker failed: the caller copies into fresh memory). */
  private reserve(bytes: number): RingSpan | undefined {
    if (this.failure) return undefined;
    return this.spans.reserve(bytes);
  }

  private call<T>(req: Request, transfer: ArrayBuffer[], span?: RingSpan): Promise<T> {
    if (this.failure) return Promise.reject(this.failure); // no span then: reserve() gives none after a failure
    const id = this.next++;
    req.id = id;
    const p = new Promise<T>((resolve, reject) => this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject, ...(span ? { span } : {}) }));
    this.worker.postMessage(req, transfer);
    return p;
  }
}
