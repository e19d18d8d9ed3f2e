/** Messages between a BackgroundWriter and its worker thread (capture-worker.ts): plain data. */
import type { CaptureDelta } from './capture-delta.js';
import type { RingSpan } from './ring-spans.js';

export interface WorkerInit {
  /** The store's directory (objects go into DIR/objects/pack). */
  dir: string;
  /** Objects into a pack (true), or one file each (the layout before packs). */
  packs: boolean;
  /** The machine's shape; the worker's writer starts from that machine just built (all zero but for the first delta). */
  shape: { ram: { size: number }; disks: Array<{ size: number; blockSize: number }> };
  /**
   * The ring the machine's thread copies pages and put() bytes into, shared
   * so that nothing is transferred per capture. The worker touches every
   * page of it first (its page faults are paid on the worker's thread), then
   * sets control[0] to 1 and posts READY_ID; the ring is not used before.
   */
  ring: SharedArrayBuffer;
  /** Int32 flags: [0] the ring is ready. */
  control: SharedArrayBuffer;
}

export type Request =
  | { id: number; op: 'capture'; delta: CaptureDelta; ram?: RingSpan }
  | { id: number; op: 'put'; bytes: Uint8Array; ring?: RingSpan }
  | { id: number; op: 'sync' }
  | { id: number; op: 'close' };

/** The reply id the worker posts once its ring is ready (requests count from 1). */
export const READY_ID = 0;

export type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string; name: string };
