// Runs the built package (dist/snapshot-thread.js, the entry `prnr` loads first): build @prnr/snapshot first.
// In a child process, so that the test runner's own threads keep their priority.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { HELPER_NICE } from './thread-priority.js';

const ENTRY = new URL('../dist/snapshot-thread.js', import.meta.url).href;

/** The child: a worker thread up, niceOtherThreads, then every thread's nice value, then a thread started after. */
const CHILD = `
import { Worker } from 'node:worker_threads';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
const { niceOtherThreads, HELPER_NICE } = await import(${JSON.stringify(ENTRY)});
const nice = (t) => { const s = readFileSync('/proc/self/task/' + t + '/stat', 'utf8'); return Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[16]); };
const self = readlinkSync('/proc/thread-self').split('/').pop();
const start = (code) => new Promise((resolve) => { const w = new Worker(code, { eval: true }); w.once('message', (tid) => resolve({ w, tid })); });
const tidCode = "Promise.all([import('node:worker_threads'), import('node:fs')]).then(([w, fs]) => w.parentPort.postMessage(fs.readlinkSync('/proc/thread-self').split('/').pop())); setInterval(() => {}, 1000);";
const early = await start(tidCode);
const selfBefore = nice(self);
const changed = niceOtherThreads(HELPER_NICE);
const others = readdirSync('/proc/self/task').filter((t) => t !== self);
const late = await start(tidCode);
console.log(JSON.stringify({ changed, count: others.length, others: others.map(nice), selfBefore, selfAfter: nice(self), early: nice(early.tid), late: nice(late.tid) }));
process.exit(0);
`;

describe('niceOtherThreads', () => {
  it('lowers every thread of the process but the calling one; a thread started after keeps the caller\'s priority', (ctx) => {
    if (process.platform !== 'linux') {
      console.log('skipped: per-thread priorities are set on Linux only');
      ctx.skip();
    }
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', CHILD], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as { changed: number; count: number; others: number[]; selfBefore: number; selfAfter: number; early: number; late: number };
    expect(out.count).toBeGreaterThanOrEqual(2); // at least V8's threads and the early worker
    expect(out.changed).toBe(out.count);
    expect(out.others.filter((n) => n !== HELPER_NICE)).toEqual([]);
    expect(out.early).toBe(HELPER_NICE);
    expect(out.selfAfter).toBe(out.selfBefore);
    expect(out.late).toBe(out.selfBefore); // e.g. replay lanes: started by the machine's thread, at its priority
  });
});
