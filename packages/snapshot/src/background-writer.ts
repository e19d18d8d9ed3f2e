/**
 * Snapshots off the machine's thread. capture() is the pause: it copies the
 * pages and blocks marked dirty and the meta (takeDelta) and posts them to a
 * worker thread, which hashes, compresses and appends them to the store's
 * pack while the machine runs on. The root comes back as a promise.
 *
 * The worker owns the store: puts go through it too (in order with the
 * captures), and sync() resolves once every capture and put posted before it
 * is durable, so a manifest written after it names only durable objects.
 *
 * For a machine just built (RAM all zero but for pages marked dirty, no disk
 * overlay but for blocks marked dirty), which is what a recorder has: the
 * first capture then copies only what the boot loaded.
 */
import { Worker } from 'node:worker_threads';
import { deltaTransfer, takeDelta } from './capture-delta.js';
import type { Reply, Request, WorkerInit } from './background-protocol.js';
import type { SyncStats } from './fs-object-store.js';
import type { MachineParts } from './machine-parts.js';
import type { Hash } from './schema.js';
import type { CaptureResult } from './snapshot-writer.js';

// src/background-writer.ts and dist/index.js both sit one level below the package root; the worker runs built.
const WORKER = new URL('../dist/capture-worker.js', import.meta.url);
/** The first page buffer: room for a booted guest's first capture (~1,300 pages of the default guest). */
const INITIAL_SPARE_BYTES = 8 << 20;

/** A capture handed to the worker. */
export interface PendingCapture {
  /** Pages and blocks copied. */
  copied: number;
  /** The root and what was stored, once the worker is done. */
  done: Promise<CaptureResult>;
}

export class BackgroundWriter {
  private readonly worker: Worker;
  private next = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private failure: Error | undefined;
  /** Page buffers to copy the next captures into, smallest first. */
  private readonly spares: ArrayBuffer[] = [];

  /**
   * Starts the worker for the store in `dir` and a machine of `parts`'s
   * shape, just built. The writer owns `parts`' dirty marks from now on.
   * `packs: false`: one file per object (the layout before packs).
   */
  constructor(dir: string, parts: MachineParts, options: { packs?: boolean } = {}) {
    const init: WorkerInit = { dir, packs: options.packs ?? true, shape: { ram: { size: parts.ram.size }, disks: parts.disks.map((d) => ({ size: d.size, blockSize: d.blockSize })) } };
    this.worker = new Worker(WORKER, { workerData: init });
    // Page buffers touched before: copying into fresh memory costs its page faults, in the pause.
    this.spares.push(new Uint8Array(INITIAL_SPARE_BYTES).fill(1).buffer);
    this.worker.on('message', (r: Reply) => {
      if (r.ok && r.spare) this.keepSpare(r.spare);
      const w = this.waiting.get(r.id);
      if (!w) return;
      this.waiting.delete(r.id);
      if (r.ok) w.resolve(r.value);
      else w.reject(Object.assign(new Error(r.error), { name: r.name }));
    });
    const fail = (e: Error) => {
      this.failure = e;
      for (const w of this.waiting.values()) w.reject(e);
      this.waiting.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => {
      if (this.waiting.size > 0) fail(new Error(`the snapshot worker thread exited (code ${code}) with work pending`));
    });
  }

  /** The pause (the recorder times it): copies what changed and posts it; the machine may run on as soon as this returns. */
  capture(parts: MachineParts): PendingCapture {
    const delta = takeDelta(parts, false, this.spares.pop());
    const done = this.call<CaptureResult>({ id: 0, op: 'capture', delta }, deltaTransfer(delta));
    return { copied: delta.ram.pages.length + delta.disks.reduce((a, d) => a + d.blocks.length, 0), done };
  }

  /** Stores `bytes` (copied now); resolves to their hash. */
  put(bytes: Uint8Array): Promise<Hash> {
    const copy = bytes.slice();
    return this.call<Hash>({ id: 0, op: 'put', bytes: copy }, [copy.buffer as ArrayBuffer]);
  }

  /** Resolves once everything posted before it is durable. */
  sync(): Promise<SyncStats> {
    return this.call<SyncStats>({ id: 0, op: 'sync' }, []);
  }

  /** Makes everything durable, completes the pack (its index) and stops the worker. */
  async close(): Promise<void> {
    try {
      await this.call<void>({ id: 0, op: 'close' }, []);
    } finally {
      await this.worker.terminate();
    }
  }

  /** Stops the worker at once (a failed recorder); what it had not written is lost, a pack may be cut short. */
  async abort(): Promise<void> {
    await this.worker.terminate();
  }

  /** Keeps the largest page buffers handed back (two: one capture in flight while the next is taken). */
  private keepSpare(b: ArrayBuffer): void {
    this.spares.push(b);
    this.spares.sort((x, y) => x.byteLength - y.byteLength);
    if (this.spares.length > 2) this.spares.shift();
  }

  private call<T>(req: Request, transfer: ArrayBuffer[]): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.next++;
    req.id = id;
    const p = new Promise<T>((resolve, reject) => this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject }));
    this.worker.postMessage(req, transfer);
    return p;
  }
}
