import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism, getPriority } from 'node:os';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { HELPER_NICE } from '@prnr/snapshot';
import { earlyThreadsFor, recordsFor, replaysOnOneLane, runsOneMachine } from './early-threads.js';

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const SMOKE = fileURLToPath(new URL('../../../guest/workloads/smoke.sh', import.meta.url));

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
    expect(earlyThreadsFor(['verify', 'a.rec', '-j', '1000000000'])).toBeNull(); // more than MAX_PARALLEL: the command refuses it
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

describe('which commands lower V8\'s helper threads below the machine\'s', () => {
  it('record and run, not their help; not demo or the replays (their lanes are decided apart)', () => {
    expect(runsOneMachine(['record', '-o', 'a.rec'])).toBe(true);
    expect(runsOneMachine(['run', '--script', 'w.sh'])).toBe(true);
    expect(runsOneMachine(['run', '--help'])).toBe(false);
    expect(runsOneMachine(['demo'])).toBe(false);
    expect(runsOneMachine(['verify', 'a.rec', '-j', '2'])).toBe(false);
    expect(runsOneMachine([])).toBe(false);
  });

  it('verify, replay and diagnose asked for one lane (the CLI\'s thread alone), not for more, nor on queue workers or one slice', () => {
    expect(replaysOnOneLane(['verify', 'a.rec', '-j', '1'])).toBe(true);
    expect(replaysOnOneLane(['replay', '--parallel=1', 'a.rec'])).toBe(true);
    expect(replaysOnOneLane(['diagnose', 'a.rec', '-j1', '--format', 'html'])).toBe(true);
    expect(replaysOnOneLane(['verify', 'a.rec', '-j', '2'])).toBe(false);
    expect(replaysOnOneLane(['verify', 'a.rec'])).toBe(availableParallelism() === 1);
    expect(replaysOnOneLane(['verify', 'a.rec', '-j', '1', '--redis', 'redis://h:6379'])).toBe(false);
    expect(replaysOnOneLane(['replay', 'a.rec', '--slice', '2', '-j', '1'])).toBe(false);
    expect(replaysOnOneLane(['verify', '-j', '1'])).toBe(false); // no recording: the command says so
    expect(replaysOnOneLane(['run', '-j', '1'])).toBe(false);
  });

  it('in a running `prnr run`, every thread but the machine\'s is at nice HELPER_NICE', async (ctx) => {
    if (process.platform !== 'linux') {
      console.log('skipped: per-thread priorities are set on Linux only');
      ctx.skip();
    }
    const c = spawn(process.execPath, [MAIN, 'run', '--script', SMOKE]);
    try {
      let out = '';
      c.stdout.on('data', (d) => (out += d));
      for (let i = 0; i < 1200 && !out.includes('prnr:/#'); i++) await new Promise((r) => setTimeout(r, 50));
      expect(out).toContain('prnr:/#'); // the guest runs: the CLI is past its start
      const nices = new Map<number, number>();
      for (const t of readdirSync(`/proc/${c.pid}/task`)) {
        const stat = readFileSync(`/proc/${c.pid}/task/${t}/stat`, 'utf8');
        nices.set(Number(t), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]));
      }
      expect(nices.get(c.pid!)).toBe(getPriority()); // the machine's: the priority it started with
      const others = [...nices].filter(([tid]) => tid !== c.pid).map(([, n]) => n);
      expect(others.length).toBeGreaterThanOrEqual(4);
      expect(others.filter((n) => n !== HELPER_NICE)).toEqual([]);
    } finally {
      c.kill('SIGKILL');
    }
  }, 120_000);
});
