/**
 * The pause of a background capture: what changed since the last capture,
 * copied out of the machine so it can run on while the copy is hashed,
 * compressed and stored elsewhere (SnapshotWriter.captureDelta, on a worker
 * thread: background-writer.ts).
 *
 * Written for speed (it is the whole pause): one pass over the RAM dirty
 * bytes, one memcpy per dirty page into a single buffer (transferable, so
 * posting it to the worker copies nothing), the meta encoded once. No
 * hashing and no zero check here: the worker does both.
 *
 * Why a copy and not copy-on-write: a true copy-on-write capture needs a
 * check in the hart's store path on every guest store, which the hot loop
 * pays whether or not a capture is in progress. Copying the dirty pages at
 * the pause costs a memcpy of what copy-on-write would copy at worst (every
 * page written since the last capture), about 0.1 ms per 1,000 pages here,
 * and nothing between pauses.
 */
import { encodeCanonical } from './canonical.js';
import type { MachineParts } from './machine-parts.js';
import { PAGE_SIZE } from './schema.js';

/** Plain data (posted between threads): one capture's changes. */
export interface CaptureDelta {
  /** encodeCanonical(parts.meta). */
  metaBytes: Uint8Array;
  ram: {
    size: number;
    /** Indices of the pages whose bytes follow, ascending. */
    pages: Uint32Array;
    /** pages.length × PAGE_SIZE bytes. */
    data: Uint8Array;
  };
  disks: Array<{
    size: number;
    blockSize: number;
    /** Indices of dirty blocks, ascending. */
    blocks: Uint32Array;
    /** 1 if block i is in the overlay (its bytes follow, in order), 0 if it left it. */
    present: Uint8Array;
    data: Uint8Array;
  }>;
}

/**
 * Copies every page and block marked dirty, and the meta, then clears the
 * marks: the writer that receives the delta owns the machine's marks as
 * SnapshotWriter does. `all`: every page and overlay block, marks or not (a
 * writer's first delta for a machine that is not fresh).
 */
export function takeDelta(parts: MachineParts, all = false, scratch?: ArrayBuffer): CaptureDelta {
  const { u8, dirty } = parts.ram;
  const pages = dirty.length;
  let n = 0;
  for (let p = 0; p < pages; p++) if (all || dirty[p] !== 0) n++;
  const idx = new Uint32Array(n);
  // Into `scratch` when it is big enough: memory touched before costs no page faults (on a fresh buffer
  // they cost more than the copy itself, ~50 us a page on the VM measured).
  const data = scratch && scratch.byteLength >= n * PAGE_SIZE ? new Uint8Array(scratch, 0, n * PAGE_SIZE) : new Uint8Array(n * PAGE_SIZE);
  let k = 0;
  for (let p = 0; p < pages; p++) {
    if (!all && dirty[p] === 0) continue;
    idx[k] = p;
    data.set(u8.subarray(p * PAGE_SIZE, (p + 1) * PAGE_SIZE), k * PAGE_SIZE);
    k++;
  }
  dirty.fill(0);
  const disks = parts.disks.map((d) => {
    const count = Math.ceil(d.size / d.blockSize);
    const list = all ? Array.from({ length: count }, (_, i) => i).filter((i) => d.block(i) !== undefined) : [...new Set(d.dirtyBlocks())].sort((a, b) => a - b);
    const blocks = Uint32Array.from(list);
    const present = new Uint8Array(blocks.length);
    const chunks: Uint8Array[] = [];
    blocks.forEach((b, i) => {
      const bytes = d.block(b);
      if (bytes === undefined) return;
      if (bytes.length !== d.blockSize) throw new RangeError(`disk block ${b} is ${bytes.length} bytes, the block size is ${d.blockSize}`);
      present[i] = 1;
      chunks.push(bytes);
    });
    const out = new Uint8Array(chunks.length * d.blockSize);
    chunks.forEach((c, i) => out.set(c, i * d.blockSize));
    d.clearDirty();
    return { size: d.size, blockSize: d.blockSize, blocks, present, data: out };
  });
  return { metaBytes: encodeCanonical(parts.meta), ram: { size: parts.ram.size, pages: idx, data }, disks };
}

/** The buffers of a delta, to transfer rather than copy when posting it. */
export function deltaTransfer(d: CaptureDelta): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  const add = (a: Uint8Array | Uint32Array) => {
    if (a.buffer instanceof ArrayBuffer && a.byteOffset === 0 && a.byteLength === a.buffer.byteLength) out.add(a.buffer);
  };
  // The page buffer goes whole, scratch space included (the worker hands it back for the next capture).
  if (d.ram.data.buffer instanceof ArrayBuffer && d.ram.data.byteOffset === 0) out.add(d.ram.data.buffer);
  add(d.metaBytes);
  add(d.ram.pages);
  add(d.ram.data);
  for (const k of d.disks) {
    add(k.blocks);
    add(k.present);
    add(k.data);
  }
  return [...out];
}
