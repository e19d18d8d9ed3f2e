/**
 * The event log schema: the event model and the segment file layout.
 *
 * Everything the reader and writer agree on lives here, with units and
 * invariants, so the two cannot drift. All integers are little-endian.
 * README.md has the same layout as a table.
 */

/**
 * An instruction position: the number of instructions the hart has retired
 * since power-on. An event at icount X is delivered after X steps have
 * executed and before step X+1 executes. Range 0..2^64-1.
 */
export type Icount = bigint;

/** One non-deterministic input, at an exact position. */
export interface LogEvent {
  /** Where the event is delivered (see `Icount`). Non-decreasing within a segment. */
  icount: Icount;
  /** The port it belongs to, 0..255 (see `Channel`). */
  channel: number;
  /** What it is, per channel, 0..255. */
  kind: number;
  /** The port's bytes, opaque to the log. 0..2^32-1 bytes. */
  payload: Uint8Array;
}

/**
 * The channels prnr's own ports use. Values 16..255 are free for custom
 * ports; 0 and 8..15 are reserved. Channels 0..7 with kind 0 and at most 15
 * payload bytes get the compact 1-byte event tag.
 */
export const Channel = {
  consoleInput: 1,
  clock: 2,
  entropy: 3,
  packets: 4,
  idle: 5,
  checkpoint: 6,
  end: 7,
} as const;
export type ChannelName = keyof typeof Channel;
/** The first channel free for custom ports (device plugins' ports get 16, 17, ... in board order). */
export const FIRST_CUSTOM_CHANNEL = 16;

/** Largest icount (and largest icount delta): 2^64 - 1. */
export const MAX_ICOUNT = 0xffff_ffff_ffff_ffffn;

// ---------------------------------------------------------------------------
// Event encoding (a block's payload is a sequence of these):
//
//   delta    varint   icount - previous icount (the first event of a block: 0,
//                     its icount is the block header's firstIcount)
//   tag      u8       0b0ccc_llll  short form: channel ccc (0..7), kind 0,
//                                  payload length llll (0..15); nothing follows
//                     0b1nnn_nnnn  long form: channel u8, kind u8 follow; the
//                                  payload length is nnnnnnn when < 127, else
//                                  127 + a varint that follows the kind byte
//   payload  bytes
//
// varint = unsigned LEB128 (7 bits per byte, low group first, high bit set on
// every byte but the last), at most 10 bytes, value <= 2^64-1.
// ---------------------------------------------------------------------------

/** Tag bit that selects the long form. */
export const TAG_LONG = 0x80;
/** Short form limits. */
export const SHORT_MAX_CHANNEL = 7;
export const SHORT_MAX_LENGTH = 15;
/** Long form: a 7-bit length field of 127 means "127 + varint". */
export const LONG_LENGTH_ESCAPE = 127;
/** Most bytes an event costs beyond its payload: 10 (delta) + 1 (tag) + 2 (channel, kind) + 5 (length). */
export const MAX_EVENT_OVERHEAD = 18;
/** Largest payload: the length must fit a u32 block length anyway. */
export const MAX_PAYLOAD_BYTES = 0xffff_ffff;

// ---------------------------------------------------------------------------
// Segment file: one per slice, e.g. log/000003.seg; written as
// log/000003.seg.partial and renamed when closed.
//
//   file header (FILE_HEADER_SIZE bytes)
//     0  magic            8 bytes  "PRNRLOG\0"
//     8  formatVersion    u16      version the writer wrote (1)
//    10  minReaderVersion u16      oldest reader version that can read it (1)
//    12  segmentIndex     u32      slice number
//    16  startIcount      u64      position the segment starts at
//    24  headerCrc        u32      CRC-32 of bytes 0..23
//   blocks, each BLOCK_HEADER_SIZE bytes of header + payloadLength bytes:
//     0  type             u8       BLOCK_EVENTS or BLOCK_END
//     1  payloadLength    u32      bytes after this header
//     5  eventCount       u32      events block: events in it;
//                                  end block: events in the whole segment
//     9  icount           u64      events block: icount of its first event
//                                  (absolute, so a reader can resync);
//                                  end block: the segment's endIcount
//    17  crc              u32      CRC-32 of header bytes 0..16 then the payload
//   the end block is last (payloadLength 0 in version 1); nothing follows it.
//
// Invariants: startIcount <= every event's icount <= endIcount; icounts are
// non-decreasing through the file; an events block holds at least one event.
// A file without an end block is incomplete: its recorder died.
// ---------------------------------------------------------------------------

/** "PRNRLOG\0". */
export const SEGMENT_MAGIC: Uint8Array = new Uint8Array([0x50, 0x52, 0x4e, 0x52, 0x4c, 0x4f, 0x47, 0x00]);
/** The format version this code writes, and the newest it reads. */
export const FORMAT_VERSION = 1;
export const FILE_HEADER_SIZE = 28;
export const FILE_HEADER_CRC_OFFSET = 24;

export const BLOCK_HEADER_SIZE = 21;
export const BLOCK_HEADER_CRC_OFFSET = 17;
/** Block type bytes ('B' and 'E'), also a resync marker. */
export const BLOCK_EVENTS = 0x42;
export const BLOCK_END = 0x45;

/** Default target payload size of an events block, in bytes. */
export const DEFAULT_BLOCK_BYTES = 64 * 1024;

/** Suffix of a segment that is still being written (or whose writer died). */
export const PARTIAL_SUFFIX = '.partial';
