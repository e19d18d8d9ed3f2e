// The event model and the segment file layout.
export {
  Channel,
  FIRST_CUSTOM_CHANNEL,
  MAX_ICOUNT,
  FORMAT_VERSION,
  SEGMENT_MAGIC,
  FILE_HEADER_SIZE,
  BLOCK_HEADER_SIZE,
  BLOCK_EVENTS,
  BLOCK_END,
  DEFAULT_BLOCK_BYTES,
  PARTIAL_SUFFIX,
} from './schema.js';
export type { Icount, LogEvent, ChannelName } from './schema.js';

// The codec.
export { encodeEvents, decodeEvents } from './event-codec.js';
export { LogFormatError } from './log-format-error.js';

// Segment files: writing, reading, replaying.
export { SegmentWriter } from './segment-writer.js';
export type { SegmentWriterOptions, AbortOptions } from './segment-writer.js';
export { readSegment, readSegmentBytes, dumpSegment } from './segment-reader.js';
export type { ReadSegmentOptions, SegmentContents, SegmentBlock } from './segment-reader.js';
export { EventCursor } from './event-cursor.js';

// The record and replay sides of the devices' input ports.
export { PortRecorder } from './ports/record-ports.js';
export type { EventSink, RecordedInputs } from './ports/record-ports.js';
export { PortReplayer, DivergenceError } from './ports/replay-ports.js';
export { channelName } from './ports/channel-names.js';
export { recordGenericPort, replayGenericPort } from './ports/generic-ports.js';
export type { GenericPort } from './ports/generic-ports.js';
export { encodeUvarint, decodeUvarint } from './ports/varint.js';
