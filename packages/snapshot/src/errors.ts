/**
 * The errors of object stores and snapshots. Messages are one line and name
 * the hash and, for a file store, the file.
 */
import type { Hash } from './schema.js';

/** An object that should be in the store is not. */
export class ObjectMissingError extends Error {
  override readonly name = 'ObjectMissingError';
  constructor(
    readonly hash: Hash,
    /** Where it was looked for: a file path, or a store's name. */
    readonly where: string,
    /** What needed it (e.g. `snapshot 12ab…: ram page 17`), if known. */
    readonly context?: string,
  ) {
    super(`${context ? `${context}: ` : ''}object ${hash} is missing (${where})`);
  }

  /** The same error with `context` prepended, for callers that know what the object was for. */
  withContext(context: string): ObjectMissingError {
    return new ObjectMissingError(this.hash, this.where, this.context ? `${context}: ${this.context}` : context);
  }
}

/** A stored object whose bytes do not decode, or decode to content with another hash. */
export class ObjectCorruptError extends Error {
  override readonly name = 'ObjectCorruptError';
  constructor(
    readonly hash: Hash,
    /** The file (or store name) holding the bad bytes. */
    readonly file: string,
    readonly detail: string,
    /** What needed it (e.g. `snapshot 12ab…: ram page 17`), if known. */
    readonly context?: string,
  ) {
    super(`${context ? `${context}: ` : ''}object ${hash} in ${file} is corrupt: ${detail}`);
  }

  /** The same error with `context` prepended. */
  withContext(context: string): ObjectCorruptError {
    return new ObjectCorruptError(this.hash, this.file, this.detail, this.context ? `${context}: ${this.context}` : context);
  }
}

/** A snapshot object that is present but is not what the snapshot format says belongs there. */
export class SnapshotFormatError extends Error {
  override readonly name = 'SnapshotFormatError';
}
