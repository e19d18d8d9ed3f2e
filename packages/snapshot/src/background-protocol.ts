/** Messages between a BackgroundWriter and its worker thread (capture-worker.ts): plain data. */
import type { CaptureDelta } from './capture-delta.js';

export interface WorkerInit {
  /** The store's directory (objects go into DIR/objects/pack). */
  dir: string;
  /** Objects into a pack (true), or one file each (the layout before packs). */
  packs: boolean;
  /** The machine's shape; the worker's writer starts from that machine just built (all zero but for the first delta). */
  shape: { ram: { size: number }; disks: Array<{ size: number; blockSize: number }> };
}

export type Request =
  | { id: number; op: 'capture'; delta: CaptureDelta }
  | { id: number; op: 'put'; bytes: Uint8Array }
  | { id: number; op: 'sync' }
  | { id: number; op: 'close' };

/** `spare`: a capture's page buffer, handed back for the next capture to copy into. */
export type Reply = { id: number; ok: true; value: unknown; spare?: ArrayBuffer } | { id: number; ok: false; error: string; name: string };
