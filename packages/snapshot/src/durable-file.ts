/**
 * A small file replaced atomically and durably: readers see the old content
 * or the new, never a torn file, and once this returns a crash keeps the new
 * one. For files that name objects (a recording's manifest), written after
 * the objects are durable: BackgroundWriter's sync() and close() can do it on
 * their worker thread, after the store's own fsyncs.
 */
import { closeSync, fsyncSync, openSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** A file to replace once what was stored before is durable (BackgroundWriter.sync, close). */
export interface DurableFileWrite {
  /** Its path; `${file}.tmp` is written first and renamed over it. */
  file: string;
  data: string | Uint8Array;
}

/** Writes `data` to `${file}.tmp`, fsyncs it, renames it over `file`, and fsyncs the directory. */
export function replaceFileDurably({ file, data }: DurableFileWrite): void {
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeFileSync(fd, data); // to an fd: written whole
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  fsyncDirectory(dirname(file));
}

/** Makes a directory's entries (a rename in it) durable. */
export function fsyncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
