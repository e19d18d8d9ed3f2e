/**
 * The pause of a background capture: what changed since the last capture,
 * copied out of the machine so it can run on while the copy is hashed,
 * compressed and stored elsewhere (SnapshotWriter.captureDelta, on a worker
 * thread: background-writer.ts).
 *
 * Written for speed (it is the whole pause): the dirty marks read four at a
 * time, one memcpy per dirty page into a single buffer (transferable, so
 * posting it to the worker copies nothing), the meta encoded once. No
 * hashing and no zero check here: the worker does both.
 *
 * Why a copy and not copy-on-write (issue 21 asks for the latter): the RAM
 * is a WebAssembly memory that is not shared, so no other thread can read
 * it; whatever copy-on-write leaves to "the background" would still be
 * copied on this thread, only later and in pieces. Making it shared changes
 * the cpu package's memory (Memory({ shared: true }), the import type of
 * every translated module, the code-cache fingerprint), then a check before
 * the write on every path that writes RAM: the write-TLB refill (flushing
 * the write TLBs at the pause sends the interpreter's, the FP and the
 * translated stores there) and the paths that bypass the TLB (Ram.write for
 * DMA and loaders, page-table A/D updates, HTIF). The cpu package was being
 * split into new files by another change while this was written.
 * Measured instead: the copy costs ~1 ms per 1,000 pages into memory
 * touched before (the background writer's shared ring, whose page faults
 * the worker pays), and a median capture copies ~30 pages.
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
 * Where a delta's pages are copied to: a view of exactly `bytes` bytes, or
 * undefined for fresh memory (background-writer.ts gives views of its
 * shared ring, touched beforehand: on fresh memory the page faults cost more
 * than the copy itself, ~12-50 us a page on the VMs measured).
 */
export type DeltaTarget = (bytes: number) => Uint8Array | undefined;

/**
 * Copies every page and block marked dirty, and the meta, then clears the
 * marks: the writer that receives the delta owns the machine's marks as
 * SnapshotWriter does. `all`: every page and overlay block, marks or not (a
 * writer's first delta for a machine that is not fresh).
 */
export function takeDelta(parts: MachineParts, all = false, target?: DeltaTarget): CaptureDelta {
  const { u8, dirty } = parts.ram;
  const idx = all ? allPages(dirty.length) : dirtyPages(dirty);
  const n = idx.length;
  const data = (n > 0 ? target?.(n * PAGE_SIZE) : undefined) ?? new Uint8Array(n * PAGE_SIZE);
  for (let k = 0; k < n; k++) {
    const at = idx[k] * PAGE_SIZE;
    data.set(u8.subarray(at, at + PAGE_SIZE), k * PAGE_SIZE);
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

/** Bytes of RAM pages the next takeDelta() would copy into its target (the dirty pages). */
export function dirtyRamBytes(parts: MachineParts): number {
  const dirty = parts.ram.dirty;
  let n = 0;
  for (let p = 0; p < dirty.length; p++) if (dirty[p] !== 0) n++;
  return n * PAGE_SIZE;
}

/** Kept between captures: a new one each time would cost its page faults in the pause. */
let found = new Uint32Array(0);

/** Indices of the pages marked dirty, ascending. Reads the marks four at a time where they are aligned (most are zero). */
function dirtyPages(dirty: Uint8Array): Uint32Array {
  const pages = dirty.length;
  if (found.length < pages) found = new Uint32Array(pages);
  let n = 0;
  let p = 0;
  if (dirty.byteOffset % 4 === 0) {
    const words = new Uint32Array(dirty.buffer, dirty.byteOffset, pages >>> 2);
    for (let w = 0; w < words.length; w++) {
      if (words[w] === 0) continue;
      for (let q = w << 2, end = q + 4; q < end; q++) if (dirty[q] !== 0) found[n++] = q;
    }
    p = words.length << 2;
  }
  for (; p < pages; p++) if (dirty[p] !== 0) found[n++] = p;
  return found.slice(0, n);
}

function allPages(pages: number): Uint32Array {
  const out = new Uint32Array(pages);
  for (let p = 0; p < pages; p++) out[p] = p;
  return out;
}

/** The buffers of a delta, to transfer rather than copy when posting it (pages in a shared ring are not posted: see background-writer.ts). */
export function deltaTransfer(d: CaptureDelta): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  const add = (a: Uint8Array | Uint32Array) => {
    if (a.buffer instanceof ArrayBuffer && a.byteOffset === 0 && a.byteLength === a.buffer.byteLength) out.add(a.buffer);
  };
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
