/**
 * SegmentWriter: streams events into one segment file, crash-safely.
 *
 * The file is written as `path + '.partial'` and renamed to `path` only by
 * close(), after the end block is on disk, so a finished segment is never
 * confused with an interrupted one. Events are durable once flush() (or
 * close()) resolves; a block filled by append() is written at once (with
 * writeSync, so append stays synchronous) but fsynced only by the next flush.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { crc32 } from 'node:zlib';
import { checkEventFields, encodeEventInto, maxEncodedSize, orderError } from './event-codec.js';
import {
  BLOCK_END,
  BLOCK_EVENTS,
  BLOCK_HEADER_CRC_OFFSET,
  BLOCK_HEADER_SIZE,
  DEFAULT_BLOCK_BYTES,
  FILE_HEADER_CRC_OFFSET,
  FILE_HEADER_SIZE,
  FORMAT_VERSION,
  MAX_ICOUNT,
  PARTIAL_SUFFIX,
  SEGMENT_MAGIC,
  type LogEvent,
} from './schema.js';

const fsync = promisify(fs.fsync);
const close = promisify(fs.close);
const open = promisify(fs.open);

export interface SegmentWriterOptions {
  /** Slice number, 0..2^32-1. */
  segmentIndex: number;
  /** Position the segment starts at; no event may come before it. */
  startIcount: bigint;
  /** Target payload bytes per block (default 64 KiB); a block is written when it reaches this. */
  blockBytes?: number;
}

export interface AbortOptions {
  /** Delete the `.partial` file too (default: keep it, as a crash would). */
  remove?: boolean;
}

type WriterState = 'open' | 'closing' | 'closed' | 'aborted' | 'failed';

/** The 28-byte file header. */
export function encodeFileHeader(segmentIndex: number, startIcount: bigint): Uint8Array {
  const bytes = new Uint8Array(FILE_HEADER_SIZE);
  const view = new DataView(bytes.buffer);
  bytes.set(SEGMENT_MAGIC, 0);
  view.setUint16(8, FORMAT_VERSION, true);
  view.setUint16(10, FORMAT_VERSION, true);
  view.setUint32(12, segmentIndex, true);
  view.setBigUint64(16, startIcount, true);
  view.setUint32(FILE_HEADER_CRC_OFFSET, crc32(bytes.subarray(0, FILE_HEADER_CRC_OFFSET)), true);
  return bytes;
}

/** Fills a block header at `bytes[0..21)` for the payload at `bytes[21..21+payloadLength)`. */
function fillBlockHeader(
  bytes: Uint8Array,
  view: DataView,
  type: number,
  payloadLength: number,
  eventCount: number,
  icount: bigint,
): void {
  bytes[0] = type;
  view.setUint32(1, payloadLength, true);
  view.setUint32(5, eventCount, true);
  view.setBigUint64(9, icount, true);
  const headerCrc = crc32(bytes.subarray(0, BLOCK_HEADER_CRC_OFFSET));
  const crc = crc32(bytes.subarray(BLOCK_HEADER_SIZE, BLOCK_HEADER_SIZE + payloadLength), headerCrc);
  view.setUint32(BLOCK_HEADER_CRC_OFFSET, crc, true);
}

function writeAll(fd: number, bytes: Uint8Array, position: number): void {
  let done = 0;
  while (done < bytes.length) done += fs.writeSync(fd, bytes, done, bytes.length - done, position + done);
}

/**
 * fsync a directory so a create or rename in it is durable; a no-op where the platform cannot.
 * Only the fsync is awaited (see close()).
 */
async function syncDirectory(dir: string): Promise<void> {
  let fd: number;
  try {
    fd = fs.openSync(dir, 'r');
  } catch {
    return;
  }
  try {
    await fsync(fd);
  } catch {
    // Some platforms and filesystems refuse fsync on a directory.
  } finally {
    fs.closeSync(fd);
  }
}

export class SegmentWriter {
  /** The finished segment's path. */
  readonly path: string;
  /** Where it is written until close(). */
  readonly partialPath: string;
  readonly segmentIndex: number;
  readonly startIcount: bigint;
  readonly blockBytes: number;

  private fd: number;
  private fdOpen = true;
  private state: WriterState = 'open';
  private failure: unknown = undefined;
  /** Current block: header space, then encoded events from BLOCK_HEADER_SIZE to `pos`. */
  private buf: Uint8Array;
  private view: DataView;
  private pos = BLOCK_HEADER_SIZE;
  private blockEvents = 0;
  private blockFirst = 0n;
  private last: bigint;
  private total = 0;
  private fileOffset = FILE_HEADER_SIZE;
  /** flush() has made the `.partial` file's name durable (close() renames it, then syncs the directory itself). */
  private partialNameSynced = false;
  /** Serialises fsync, close and rename; appends never wait for it. */
  private tail: Promise<void> = Promise.resolve();

  private constructor(finalPath: string, fd: number, opts: Required<SegmentWriterOptions>) {
    this.path = finalPath;
    this.partialPath = finalPath + PARTIAL_SUFFIX;
    this.fd = fd;
    this.segmentIndex = opts.segmentIndex;
    this.startIcount = opts.startIcount;
    this.blockBytes = opts.blockBytes;
    this.last = opts.startIcount;
    this.buf = new Uint8Array(BLOCK_HEADER_SIZE + opts.blockBytes + maxEncodedSize(0));
    this.view = new DataView(this.buf.buffer);
  }

  /**
   * Creates `path.partial` (truncating a stale one) and writes the file header. Nothing is
   * fsynced yet: no event is durable before flush() or close() anyway, and they sync the file
   * and, the first time, its directory (a recorder opens a segment per slice: two fsyncs and a
   * directory open fewer on its thread pool each time).
   */
  static async create(finalPath: string, opts: SegmentWriterOptions): Promise<SegmentWriter> {
    const { segmentIndex, startIcount } = opts;
    const blockBytes = opts.blockBytes ?? DEFAULT_BLOCK_BYTES;
    if (!Number.isInteger(segmentIndex) || segmentIndex < 0 || segmentIndex > 0xffff_ffff) {
      throw new RangeError(`segment index ${segmentIndex} is not an integer in 0..2^32-1`);
    }
    if (startIcount < 0n || startIcount > MAX_ICOUNT) throw new RangeError(`start icount ${startIcount} is not in 0..2^64-1`);
    if (!Number.isInteger(blockBytes) || blockBytes < 1 || blockBytes > 0x4000_0000) {
      throw new RangeError(`blockBytes ${blockBytes} is not an integer in 1..2^30`);
    }
    const fd = await open(finalPath + PARTIAL_SUFFIX, 'w');
    try {
      writeAll(fd, encodeFileHeader(segmentIndex, startIcount), 0);
    } catch (err) {
      await close(fd).catch(() => {});
      throw err;
    }
    return new SegmentWriter(finalPath, fd, { segmentIndex, startIcount, blockBytes });
  }

  /** Events appended so far. */
  get eventCount(): number {
    return this.total;
  }

  /** icount of the last appended event (startIcount before the first). */
  get lastIcount(): bigint {
    return this.last;
  }

  /** Bytes written to the file so far (not counting the buffered block). */
  get bytesWritten(): number {
    return this.fileOffset;
  }

  /**
   * Buffers one event (the payload is copied). Throws a RangeError if it lies
   * before the previous event or the segment start, or a field is out of range.
   * Hot path: no allocation beyond the payload copy into the block buffer.
   */
  append(ev: LogEvent): void {
    if (this.state !== 'open') this.notOpen('append');
    const icount = ev.icount;
    if (icount < this.last) {
      throw orderError(icount, this.last, this.total === 0 ? 'the segment start' : 'the previous event');
    }
    if (icount > MAX_ICOUNT) throw new RangeError(`event icount ${icount} exceeds 2^64-1`);
    checkEventFields(ev);
    const need = maxEncodedSize(ev.payload.length);
    if (this.pos + need > this.buf.length) {
      if (this.blockEvents > 0) this.writeBlock();
      if (BLOCK_HEADER_SIZE + need > this.buf.length) this.grow(BLOCK_HEADER_SIZE + need);
    }
    let delta = 0n;
    if (this.blockEvents === 0) this.blockFirst = icount;
    else delta = icount - this.last;
    this.pos = encodeEventInto(this.buf, this.pos, delta, ev);
    this.blockEvents++;
    this.total++;
    this.last = icount;
    if (this.pos - BLOCK_HEADER_SIZE >= this.blockBytes) this.writeBlock();
  }

  /** Writes the buffered block and fsyncs: every event appended so far survives a crash. */
  async flush(): Promise<void> {
    if (this.state !== 'open') this.notOpen('flush');
    if (this.blockEvents > 0) this.writeBlock();
    const fd = this.fd;
    await this.enqueue(() => this.guard(this.syncPartial(fd)));
  }

  /** fsync, and the first time the directory too: the `.partial` name itself must survive a crash. */
  private async syncPartial(fd: number): Promise<void> {
    await fsync(fd);
    if (this.partialNameSynced) return;
    await syncDirectory(path.dirname(this.path));
    this.partialNameSynced = true;
  }

  /**
   * Writes the buffered block and the end block (endIcount: where the slice
   * ends, at or after the last event), fsyncs, renames `.partial` to the
   * final path and fsyncs the directory.
   */
  async close(endIcount: bigint): Promise<void> {
    if (this.state !== 'open') this.notOpen('close');
    if (endIcount < this.last) {
      throw new RangeError(`end icount ${endIcount} is before the last event at icount ${this.last}`);
    }
    if (endIcount > MAX_ICOUNT) throw new RangeError(`end icount ${endIcount} exceeds 2^64-1`);
    if (this.blockEvents > 0) this.writeBlock();
    const end = new Uint8Array(BLOCK_HEADER_SIZE);
    fillBlockHeader(end, new DataView(end.buffer), BLOCK_END, 0, this.total, endIcount);
    this.write(end);
    this.state = 'closing';
    const fd = this.fd;
    // Only the fsyncs go to the thread pool; close and rename (a fraction of a millisecond) are done at once. A
    // recorder's event loop turns once per 100 ms while its machine runs, and each await waits for a
    // turn: with every step awaited a close took ~6 turns, and the slice's manifest entry waited for it.
    await this.enqueue(async () => {
      await this.guard(fsync(fd));
      this.fdOpen = false;
      this.guardSync(() => fs.closeSync(fd));
      this.guardSync(() => fs.renameSync(this.partialPath, this.path));
      await syncDirectory(path.dirname(this.path));
      this.state = 'closed';
    });
  }

  /**
   * Stops writing: buffered events are dropped and the file is closed without
   * an end block, leaving `.partial` as a crash would (or removing it).
   */
  async abort(opts: AbortOptions = {}): Promise<void> {
    if (this.state !== 'open' && this.state !== 'failed') {
      await this.tail; // closed, aborted, or closing: nothing to stop
      return;
    }
    this.state = 'aborted';
    await this.enqueue(async () => {
      if (this.fdOpen) {
        this.fdOpen = false;
        await close(this.fd).catch(() => {});
      }
      if (opts.remove) await fs.promises.rm(this.partialPath, { force: true });
    });
  }

  // Emits the buffered block to the file (no fsync).
  private writeBlock(): void {
    const payloadLength = this.pos - BLOCK_HEADER_SIZE;
    fillBlockHeader(this.buf, this.view, BLOCK_EVENTS, payloadLength, this.blockEvents, this.blockFirst);
    this.write(this.buf.subarray(0, this.pos));
    this.pos = BLOCK_HEADER_SIZE;
    this.blockEvents = 0;
  }

  private write(bytes: Uint8Array): void {
    try {
      writeAll(this.fd, bytes, this.fileOffset);
    } catch (err) {
      this.fail(err);
      throw err;
    }
    this.fileOffset += bytes.length;
  }

  private grow(size: number): void {
    const bigger = new Uint8Array(size);
    bigger.set(this.buf.subarray(0, this.pos));
    this.buf = bigger;
    this.view = new DataView(bigger.buffer);
  }

  private fail(err: unknown): void {
    this.state = 'failed';
    this.failure = err;
  }

  private guardSync(f: () => void): void {
    try {
      f();
    } catch (err) {
      this.fail(err);
      throw err;
    }
  }

  private async guard<T>(p: Promise<T>): Promise<T> {
    try {
      return await p;
    } catch (err) {
      this.fail(err);
      throw err;
    }
  }

  private enqueue(op: () => Promise<void>): Promise<void> {
    const p = this.tail.then(op);
    this.tail = p.catch(() => {});
    return p;
  }

  private notOpen(what: string): never {
    if (this.state === 'failed') {
      throw new Error(`${this.partialPath}: cannot ${what}: an earlier write failed: ${String(this.failure)}`, {
        cause: this.failure,
      });
    }
    throw new Error(`${this.partialPath}: cannot ${what}: the writer is ${this.state}`);
  }
}
