/**
 * The lock a recorder holds on its recording directory while it writes:
 * gc and merge delete objects and segments no slice names yet, which are
 * exactly what a live recorder's open slice is made of, so they refuse while
 * the lock is held by a live process. A lock left by a recorder that died
 * (its process is gone) is stale and ignored.
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { RecordingError } from './manifest.js';

export const LOCK_FILE = 'recording.lock';

interface LockInfo {
  pid: number;
  host: string;
  since: string;
}

/** Takes the lock of `dir`; returns what releases it. Fails if a live recorder holds it. */
export function acquireRecordingLock(dir: string): () => void {
  const path = join(dir, LOCK_FILE);
  assertNotBeingRecorded(dir);
  try { unlinkSync(path); } catch { /* no stale lock */ }
  const fd = openSync(path, 'wx');
  try {
    const info: LockInfo = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
    writeSync(fd, JSON.stringify(info) + '\n');
  } finally {
    closeSync(fd);
  }
  return () => {
    try { unlinkSync(path); } catch { /* already gone */ }
  };
}

/** Throws a one-line RecordingError when a live recorder (this host) or one on another host holds `dir`. */
export function assertNotBeingRecorded(dir: string, what = 'it'): void {
  let info: LockInfo;
  try {
    info = JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')) as LockInfo;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    return; // unreadable: a recorder killed while writing it, so nobody holds it
  }
  if (info.host !== hostname()) {
    throw new RecordingError(`${dir} is being recorded by process ${info.pid} on ${info.host} (since ${info.since}): ${what} must wait until it finishes (or delete ${LOCK_FILE} if that recorder is gone)`);
  }
  if (alive(info.pid)) throw new RecordingError(`${dir} is still being recorded by process ${info.pid} (since ${info.since}): ${what} must wait until it finishes`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
