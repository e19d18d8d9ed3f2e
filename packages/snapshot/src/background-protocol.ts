/** Messages between a BackgroundWriter and its worker thread (capture-worker.ts): plain data. */
import type { CaptureDelta } from './capture-delta.js';
import type { RingSpan } from './ring-spans.js';
import type { DurableFileWrite } from './durable-file.js';

/** What a worker starts with (snapshot-thread.ts): no store yet, the first request opens one. */
export interface WorkerInit {
  /**
   * The ring the machine's thread copies pages and put() bytes into, shared
   * so that nothing is transferred per capture. The worker touches every
   * page of it first (its page faults are paid on the worker's thread; the
   * touch changes no byte), storing the bytes touched so far in
   * control[RING_TOUCHED] as it goes (from offset 0 up), then posts
   * READY_ID. The machine's thread may use the ring at once (a page not yet
   * touched then faults on its thread).
   */
  ring: SharedArrayBuffer;
  /** Int32 words: [RING_TOUCHED] bytes of the ring touched so far. */
  control: SharedArrayBuffer;
  /** The worker thread's nice value (thread-priority.ts); absent: left as the process's. */
  nice?: number;
}

/** The store a worker writes to and the machine it captures, given by its writer's first request. */
export interface StoreInit {
  /** The store's directory (objects go into DIR/objects/pack). */
  dir: string;
  /** Objects into a pack (true), or one file each (the layout before packs). */
  packs: boolean;
  /** The machine's shape; the worker's writer starts from that machine just built (all zero but for the first delta). Absent: the first delta's shape. */
  shape?: { ram: { size: number }; disks: Array<{ size: number; blockSize: number }> };
}

export type Request =
  | { id: number; op: 'open'; store: StoreInit }
  | { id: number; op: 'capture'; delta: CaptureDelta; ram?: RingSpan }
  | { id: number; op: 'put'; bytes: Uint8Array; ring?: RingSpan }
  /** `then`: a file replaced once the store is durable (or closed), on the worker's thread. */
  | { id: number; op: 'sync'; then?: DurableFileWrite }
  | { id: number; op: 'close'; then?: DurableFileWrite };

/** The reply id the worker posts once its ring is touched (requests count from 1). */
export const READY_ID = 0;
/** Index in WorkerInit.control of the ring's touched length (Atomics, grows as the worker touches it). */
export const RING_TOUCHED = 0;

/** A failure: the error's message and name, and a file-system error's code, system call and path (so the caller can say which file and why). */
export type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string; name: string; code?: string; syscall?: string; path?: string };
