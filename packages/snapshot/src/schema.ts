/**
 * The snapshot schema: the object file layout, the tree node layout and the
 * root record. Writer, reader and stores all take their constants from here,
 * so they cannot drift. All integers are little-endian. README.md has the
 * same layout as tables.
 */

/** 64 lowercase hex chars: BLAKE3-256 of an object's UNCOMPRESSED bytes. */
export type Hash = string;

/** Bytes in a BLAKE3-256 hash. */
export const HASH_BYTES = 32;

/** RAM is hashed in pages of this many bytes (= the cpu's dirty-bitmap granule). */
export const PAGE_SIZE = 4096;

/** Children per tree node. Fixed: changing it changes every root hash. */
export const FANOUT = 256;

// ---------------------------------------------------------------------------
// Object file (FsObjectStore, `objects/ab/cdef...`, 62 hex chars after the
// two-char directory):
//
//   0   magic     4 bytes  "prOB"
//   4   version   u8       OBJECT_FILE_VERSION
//   5   codec     u8       Codec (0 raw, 1 lz4, 2 deflate-raw)
//   6   reserved  u16      0
//   8   length    u32      uncompressed length in bytes
//   12  payload            the bytes, encoded by `codec`
//
// The file's name is the BLAKE3 of the uncompressed bytes; a reader verifies it.

export const OBJECT_MAGIC = [0x70, 0x72, 0x4f, 0x42] as const; // "prOB"
export const OBJECT_FILE_VERSION = 1;
export const OBJECT_HEADER_BYTES = 12;

/** Payload encodings. Ids are stored in files: never renumber. */
export const Codec = {
  /** The bytes as they are. Used when compressing saves less than 1/16. */
  raw: 0,
  /** LZ4 block format with the uncompressed length prepended as u32 (lz4-napi `compressSync`). */
  lz4: 1,
  /** Raw DEFLATE (RFC 1951, node:zlib `deflateRawSync`). Readable everywhere; not written by default. */
  deflateRaw: 2,
} as const;
export type CodecId = (typeof Codec)[keyof typeof Codec];

// ---------------------------------------------------------------------------
// Tree node object (the inner nodes of the RAM and disk trees):
//
//   0   magic     4 bytes  "prTN"
//   4   version   u8       NODE_VERSION
//   5   level     u8       1 = children are leaves (pages, blocks), 2 = children are level-1 nodes, ...
//   6   count     u16      number of children, 1..FANOUT
//   8   children           count * 32 bytes of child hashes
//
// A tree over N leaves has height H = the smallest H >= 1 with FANOUT^H >= N.
// Node j of level L covers children j*FANOUT .. j*FANOUT+count-1 of level L-1;
// only the last node of a level has count < FANOUT. The tree's hash is the
// hash of its single level-H node.
//
// Leaf hashes:
//   - a RAM page or disk block: BLAKE3 of its bytes;
//   - an all-zero page/block: the same, but no object is stored for it
//     (`zeroHash(len)`): every zero page of every snapshot costs nothing;
//   - a disk block that is not in the overlay (reads from the base image):
//     NULL_HASH, 32 zero bytes.
// A node whose children are all NULL_HASH is not stored: its hash is NULL_HASH
// (an empty disk overlay costs nothing either).

export const NODE_MAGIC = [0x70, 0x72, 0x54, 0x4e] as const; // "prTN"
export const NODE_VERSION = 1;
export const NODE_HEADER_BYTES = 8;

/** "Nothing here": an absent disk block, or a subtree with nothing in it. */
export const NULL_HASH: Hash = '0'.repeat(64);

// ---------------------------------------------------------------------------
// Root record: the canonical encoding (canonical.ts) of a SnapshotRoot. Its
// hash is the machine-state hash: two machines with equal roots have equal
// meta, RAM and disk overlays, byte for byte.

export const SNAPSHOT_KIND = 'prnr-snapshot';
export const SNAPSHOT_VERSION = 1;

export interface SnapshotRoot {
  kind: typeof SNAPSHOT_KIND;
  version: typeof SNAPSHOT_VERSION;
  /** Hash of the canonical encoding of the caller's meta (hart, devices, clock). */
  meta: Hash;
  ram: {
    /** Bytes; a multiple of pageSize. */
    size: number;
    pageSize: number;
    /** Tree over size/pageSize page hashes. */
    tree: Hash;
  };
  disks: Array<{
    /** Bytes. */
    size: number;
    blockSize: number;
    /** Tree over ceil(size/blockSize) block hashes (NULL_HASH = not in the overlay). */
    tree: Hash;
  }>;
}
