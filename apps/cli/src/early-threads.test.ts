import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { earlyThreadsFor, recordsFor } from './early-threads.js';

describe('which commands start their replay threads before the CLI loads', () => {
  it('verify, replay and diagnose with 2 or more workers: one thread fewer than workers, for the recording named', () => {
    expect(earlyThreadsFor(['verify', 'a.rec', '-j', '3'])).toEqual({ threads: 2, dir: 'a.rec' });
    expect(earlyThreadsFor(['verify', '--parallel=2', '--json', 'a.rec'])).toEqual({ threads: 1, dir: 'a.rec' });
    expect(earlyThreadsFor(['replay', '-j4', '--analyses', 'profile', 'x/b.rec'])).toEqual({ threads: 3, dir: 'x/b.rec' });
    expect(earlyThreadsFor(['diagnose', '--format', 'html', '-o', 'r.html', 'c.rec', '-j', '2'])).toEqual({ threads: 1, dir: 'c.rec' });
    const n = availableParallelism();
    expect(earlyThreadsFor(['verify', 'a.rec'])).toEqual(n >= 2 ? { threads: n - 1, dir: 'a.rec' } : null);
  });

  it('nothing where no local thread would replay, or the arguments are not understood', () => {
    expect(earlyThreadsFor(['verify', 'a.rec', '-j', '1'])).toBeNull(); // this thread alone
    expect(earlyThreadsFor(['replay', 'a.rec', '--parallel', '1'])).toBeNull();
    expect(earlyThreadsFor(['verify', 'a.rec', '--redis', 'redis://h:6379', '-j', '4'])).toBeNull(); // queue workers
    expect(earlyThreadsFor(['replay', 'a.rec', '--slice', '2', '-j', '4'])).toBeNull(); // one slice: one lane
    expect(earlyThreadsFor(['replay', '--list-analyses', '-j', '2'])).toBeNull();
    expect(earlyThreadsFor(['verify', '--help'])).toBeNull();
    expect(earlyThreadsFor(['verify', '-j', '2'])).toBeNull(); // no recording
    expect(earlyThreadsFor(['verify', 'a.rec', '-j', 'two'])).toBeNull(); // the command says what is wrong
    expect(earlyThreadsFor(['record', '-o', 'a.rec'])).toBeNull();
    expect(earlyThreadsFor([])).toBeNull();
  });
});

describe('which commands start their snapshot worker before the CLI loads', () => {
  it('record and demo, not their help, and no other command', () => {
    expect(recordsFor(['record', '-o', 'a.rec', '--script', 'w.sh'])).toBe(true);
    expect(recordsFor(['demo'])).toBe(true);
    expect(recordsFor(['record', '--help'])).toBe(false);
    expect(recordsFor(['demo', '-h'])).toBe(false);
    expect(recordsFor(['replay', 'a.rec'])).toBe(false);
    expect(recordsFor(['run'])).toBe(false);
    expect(recordsFor([])).toBe(false);
  });
});
