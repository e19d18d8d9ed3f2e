/**
 * What a recording that failed before its first slice closed leaves is
 * removed, and nothing else: not a directory the user had, not one with a
 * closed slice, not one holding a file a recorder's start does not write.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { failedStartCleanup } from './failed-start.js';

const tmp = mkdtempSync(join(tmpdir(), 'prnr-failed-start-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Writes what a recorder's start writes into `dir` (made if missing), with `extra` files beside. */
function start(dir: string, o: { slices?: number; segment?: string; extra?: string[] } = {}): void {
  mkdirSync(join(dir, 'log'), { recursive: true });
  mkdirSync(join(dir, 'objects', 'pack'), { recursive: true });
  writeFileSync(join(dir, 'log', o.segment ?? '000000.seg.partial'), 'x');
  writeFileSync(join(dir, 'objects', 'pack', 'pack-000001.pack'), 'x');
  if (o.slices !== undefined) writeFileSync(join(dir, 'recording.json'), JSON.stringify({ slices: Array(o.slices).fill({}) }));
  for (const f of o.extra ?? []) writeFileSync(join(dir, f), 'mine');
}

describe('failedStartCleanup', () => {
  it('removes a directory the command made that holds only a failed start (with or without its first manifest)', () => {
    for (const slices of [undefined, 0]) {
      const dir = join(tmp, `made-${slices}.rec`);
      const cleanUp = failedStartCleanup(dir);
      start(dir, { slices });
      expect(cleanUp()).toBe(true);
      expect(existsSync(dir)).toBe(false);
    }
  });

  it('empties a directory that was empty before, and keeps it', () => {
    const dir = join(tmp, 'empty.rec');
    mkdirSync(dir);
    const cleanUp = failedStartCleanup(dir);
    start(dir);
    expect(cleanUp()).toBe(true);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('keeps a recording with a closed slice, a directory holding anything else, and one the user had', () => {
    const closed = join(tmp, 'closed.rec');
    const a = failedStartCleanup(closed);
    start(closed, { segment: '000000.seg' });
    const listed = join(tmp, 'listed.rec');
    const b = failedStartCleanup(listed);
    start(listed, { slices: 1 });
    const other = join(tmp, 'other.rec');
    const c = failedStartCleanup(other);
    start(other, { extra: ['notes.txt'] });
    const users = join(tmp, 'users.rec');
    mkdirSync(users);
    writeFileSync(join(users, 'notes.txt'), 'mine');
    const d = failedStartCleanup(users);
    expect([a(), b(), c(), d()]).toEqual([false, false, false, false]);
    for (const dir of [closed, listed, other, users]) expect(existsSync(dir), dir).toBe(true);
    expect(readdirSync(users)).toEqual(['notes.txt']);
  });

  it("keeps another recorder's start: one that made the directory first and holds its lock", () => {
    const dir = join(tmp, 'raced.rec');
    const cleanUp = failedStartCleanup(dir); // this command looked first: nothing there
    start(dir);
    // The other recorder's lock (this test's parent process stands for it: alive, not this one).
    writeFileSync(join(dir, 'recording.lock'), JSON.stringify({ pid: process.ppid, host: hostname(), since: new Date().toISOString() }) + '\n');
    expect(cleanUp()).toBe(false);
    expect(readdirSync(dir).sort()).toEqual(['log', 'objects', 'recording.lock']);
  });

  it('a path no recording can be made at (under a file) is left to the recorder to refuse', () => {
    const file = join(tmp, 'a-file');
    writeFileSync(file, 'x');
    expect(failedStartCleanup(join(file, 'x.rec'))()).toBe(false);
  });
});
