// The schema: types, layout constants, format versions.
export {
  Codec,
  FANOUT,
  HASH_BYTES,
  NODE_VERSION,
  NULL_HASH,
  OBJECT_FILE_VERSION,
  PAGE_SIZE,
  SNAPSHOT_KIND,
  SNAPSHOT_VERSION,
} from './schema.js';
export type { CodecId, Hash, SnapshotRoot } from './schema.js';

// Hashing and canonical encoding.
export { blake3Ready, blake3Hex, blake3Implementation, isHash, zeroHash } from './hash.js';
export { encodeCanonical, decodeCanonical, CanonicalDecodeError } from './canonical.js';

// Object stores.
export type { ObjectReader, ObjectStore, PutOutcome, StoreStats } from './object-store.js';
export { MemoryObjectStore } from './memory-object-store.js';
export { FsObjectStore } from './fs-object-store.js';
export type { FsObjectStoreOptions, SyncStats, ObjectLocation, RetainResult } from './fs-object-store.js';
export { PACK_VERSION, PackFormatError } from './pack-format.js';
export { ObjectCache, CachedObjectReader } from './object-cache.js';
export { encodeObjectFile, decodeObjectFile, ObjectFileError } from './object-file.js';
export { ObjectMissingError, ObjectCorruptError, SnapshotFormatError } from './errors.js';
export { NotRegularFileError, openRegularFile, readRegularFile, readRegularFileSync } from './regular-file.js';
export { replaceFileDurably, fsyncDirectory } from './durable-file.js';
export type { DurableFileWrite } from './durable-file.js';

// Snapshots.
export type { MachineParts, RamPart, DiskPart } from './machine-parts.js';
export { SnapshotWriter, fullStateRoot } from './snapshot-writer.js';
export type { CaptureResult, CaptureStats, SnapshotWriterOptions } from './snapshot-writer.js';
export { BackgroundWriter, DEFAULT_RING_BYTES } from './background-writer.js';
export { prestartSnapshotWorker } from './snapshot-thread.js';
export type { SnapshotThreadOptions } from './snapshot-thread.js';
export { HELPER_NICE, niceOtherThreads, niceThisThread, WORKER_NICE } from './thread-priority.js';
export { threadExecArgv } from './thread-exec-argv.js';
export { copyBytes } from './copy-bytes.js';
export type { BackgroundWriterOptions, PendingCapture } from './background-writer.js';
export { takeDelta, dirtyRamBytes } from './capture-delta.js';
export type { CaptureDelta, DeltaTarget } from './capture-delta.js';
export { restoreSnapshot } from './restore.js';
export type { RestoreTarget, RestoredDisk, RestoredSnapshot, RestoreStats, ReadOptions } from './restore.js';
export { reachableObjects } from './reachable.js';
export { forEachLimit } from './concurrency.js';
