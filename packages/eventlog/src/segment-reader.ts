/**
 * Reading segment files: validates every header, checksum and count, and
 * either returns the whole segment or throws one LogFormatError that says
 * what is wrong and where. In recovery mode (for the `.partial` file of a
 * recorder that died) it returns the blocks before the first problem instead.
 */
import { readFile } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { decodeEventRange } from './event-codec.js';
import { hex32, LogFormatError } from './log-format-error.js';
import {
  BLOCK_END,
  BLOCK_EVENTS,
  BLOCK_HEADER_CRC_OFFSET,
  BLOCK_HEADER_SIZE,
  FILE_HEADER_CRC_OFFSET,
  FILE_HEADER_SIZE,
  FORMAT_VERSION,
  SEGMENT_MAGIC,
  type LogEvent,
} from './schema.js';

export interface ReadSegmentOptions {
  /**
   * Recover what an interrupted writer left: instead of throwing on a missing
   * end block, a truncated or damaged block, return the events of the valid
   * blocks before it (`complete: false`, `validBytes`, `damage`). A damaged
   * file header still throws: nothing can be trusted without it.
   */
  recover?: boolean;
}

/** Where one events block lies in the file. */
export interface SegmentBlock {
  /** Byte offset of its header. */
  offset: number;
  /** Header plus payload, in bytes. */
  size: number;
  eventCount: number;
  firstIcount: bigint;
}

export interface SegmentContents {
  formatVersion: number;
  segmentIndex: number;
  startIcount: bigint;
  /**
   * Complete: the end block's icount (where the slice ends). Incomplete: the
   * icount of the last recovered event (startIcount if none); events at that
   * same icount may have been in the lost part.
   */
  endIcount: bigint;
  /** In file order; payloads are copies, independent of the file bytes. */
  events: LogEvent[];
  /** True when a valid end block closes the segment. */
  complete: boolean;
  /** The events blocks read. */
  blocks: SegmentBlock[];
  /** Byte offset where the valid data ends (the file length for a complete segment). */
  validBytes: number;
  /** Recovery mode only: the problem that stopped reading (absent when the data simply ended). */
  damage?: LogFormatError;
}

/** Reads and checks a segment file (see `readSegmentBytes`). */
export async function readSegment(file: string, opts: ReadSegmentOptions = {}): Promise<SegmentContents> {
  const buf = await readFile(file);
  return readSegmentBytes(new Uint8Array(buf.buffer, buf.byteOffset, buf.length), file, opts);
}

/** Parses and checks a whole segment held in memory; `nameForErrors` starts every error message. */
export function readSegmentBytes(
  bytes: Uint8Array,
  nameForErrors: string,
  opts: ReadSegmentOptions = {},
): SegmentContents {
  const fail = (offset: number, detail: string): never => {
    throw new LogFormatError(nameForErrors, offset, detail);
  };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

  // File header.
  for (let i = 0; i < SEGMENT_MAGIC.length && i < bytes.length; i++) {
    if (bytes[i] !== SEGMENT_MAGIC[i]) fail(0, 'not a prnr log segment (bad magic)');
  }
  if (bytes.length < FILE_HEADER_SIZE) {
    fail(0, `file header: truncated: needs ${FILE_HEADER_SIZE} bytes, only ${bytes.length} present`);
  }
  const formatVersion = view.getUint16(8, true);
  const minReaderVersion = view.getUint16(10, true);
  if (formatVersion === 0 || minReaderVersion === 0 || minReaderVersion > formatVersion) {
    fail(8, `file header: damaged: format version ${formatVersion} with minimum reader version ${minReaderVersion}`);
  }
  if (minReaderVersion > FORMAT_VERSION) {
    fail(8, `format version ${formatVersion} is not supported (this prnr reads version ${FORMAT_VERSION})`);
  }
  const storedHeaderCrc = view.getUint32(FILE_HEADER_CRC_OFFSET, true);
  const headerCrc = crc32(bytes.subarray(0, FILE_HEADER_CRC_OFFSET));
  if (storedHeaderCrc !== headerCrc) {
    fail(0, `file header: checksum mismatch (stored ${hex32(storedHeaderCrc)}, computed ${hex32(headerCrc)})`);
  }
  const segmentIndex = view.getUint32(12, true);
  const startIcount = view.getBigUint64(16, true);

  // Blocks, each committed only once it has checked out whole.
  const events: LogEvent[] = [];
  const blocks: SegmentBlock[] = [];
  let off = FILE_HEADER_SIZE;
  let last = startIcount;
  let endIcount: bigint | undefined;
  let damage: LogFormatError | undefined;
  try {
    for (let index = 0; off < bytes.length; index++) {
      const type = bytes[off];
      const where = type === BLOCK_END ? `end block at byte ${off}` : `block ${index} at byte ${off}`;
      const known = type === BLOCK_EVENTS || type === BLOCK_END;
      if (!known && formatVersion === FORMAT_VERSION) {
        fail(off, `${where}: not a block header (type byte 0x${type.toString(16).padStart(2, '0')})`);
      }
      const remaining = bytes.length - off;
      if (remaining < BLOCK_HEADER_SIZE) {
        fail(off, `${where}: truncated: block header needs ${BLOCK_HEADER_SIZE} bytes, only ${remaining} remain`);
      }
      const payloadLength = view.getUint32(off + 1, true);
      const eventCount = view.getUint32(off + 5, true);
      const icount = view.getBigUint64(off + 9, true);
      const storedCrc = view.getUint32(off + BLOCK_HEADER_CRC_OFFSET, true);
      const payloadStart = off + BLOCK_HEADER_SIZE;
      if (payloadLength > bytes.length - payloadStart) {
        fail(off, `${where}: truncated: block header says ${payloadLength} bytes, only ${bytes.length - payloadStart} remain`);
      }
      const payloadEnd = payloadStart + payloadLength;
      const crc = crc32(bytes.subarray(payloadStart, payloadEnd), crc32(bytes.subarray(off, off + BLOCK_HEADER_CRC_OFFSET)));
      if (crc !== storedCrc) fail(off, `${where}: checksum mismatch (stored ${hex32(storedCrc)}, computed ${hex32(crc)})`);

      if (type === BLOCK_EVENTS) {
        if (eventCount === 0) fail(off, `${where}: an events block with no events`);
        if (icount < last) fail(off, `${where}: first icount ${icount} is before the previous event at icount ${last}`);
        const got: LogEvent[] = [];
        const lastInBlock = decodeEventRange(bytes, payloadStart, payloadEnd, icount, eventCount, got, (at, detail) =>
          fail(at, `${where}: ${detail}`),
        );
        for (const ev of got) events.push(ev);
        blocks.push({ offset: off, size: payloadEnd - off, eventCount, firstIcount: icount });
        last = lastInBlock;
      } else if (type === BLOCK_END) {
        if (payloadLength !== 0 && formatVersion === FORMAT_VERSION) {
          fail(off, `${where}: has ${payloadLength} payload bytes, expected none`);
        }
        if (eventCount !== events.length) {
          fail(off, `${where}: says the segment holds ${eventCount} events, its blocks hold ${events.length}`);
        }
        if (icount < last) fail(off, `${where}: end icount ${icount} is before the last event at icount ${last}`);
        if (payloadEnd !== bytes.length) {
          fail(payloadEnd, `at byte ${payloadEnd}: ${bytes.length - payloadEnd} bytes after the end block`);
        }
        endIcount = icount;
      } // else: a block type from a newer, compatible version; skipped.
      off = payloadEnd;
    }
  } catch (err) {
    if (!(err instanceof LogFormatError) || !opts.recover) throw err;
    damage = err;
  }
  if (endIcount === undefined && !opts.recover) {
    fail(off, `at byte ${off}: incomplete: no end block after ${blocks.length} blocks (the recorder did not close this segment)`);
  }
  const contents: SegmentContents = {
    formatVersion,
    segmentIndex,
    startIcount,
    endIcount: endIcount ?? last,
    events,
    complete: endIcount !== undefined,
    blocks,
    validBytes: off,
  };
  if (damage) contents.damage = damage;
  return contents;
}

/** A human-readable listing of a segment, one line per event (for `prnr dump`-style tools). */
export function dumpSegment(seg: SegmentContents): string {
  const lines = [
    `segment ${seg.segmentIndex} (format v${seg.formatVersion}): icount ${seg.startIcount}..${seg.endIcount}, ` +
      `${seg.events.length} events in ${seg.blocks.length} blocks, ${seg.complete ? 'complete' : `INCOMPLETE (valid to byte ${seg.validBytes})`}`,
  ];
  if (seg.damage) lines.push(`damage: ${seg.damage.detail}`);
  for (const ev of seg.events) {
    const shown = Array.from(ev.payload.subarray(0, 16), (b) => b.toString(16).padStart(2, '0')).join(' ');
    const more = ev.payload.length > 16 ? ' ...' : '';
    lines.push(`${ev.icount} ch ${ev.channel} kind ${ev.kind} len ${ev.payload.length}${shown ? ': ' + shown : ''}${more}`);
  }
  return lines.join('\n');
}
