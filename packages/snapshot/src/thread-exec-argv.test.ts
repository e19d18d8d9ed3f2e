/**
 * The Node options threads that run built code start with (replay threads, the read-back thread): the process's own, inherited, unless a test
 * runner's resolution flags must be dropped; then those given explicitly carry no V8 flag, which
 * Node refuses in a thread's execArgv (it applies to every thread of the process anyway).
 */
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { threadExecArgv } from './thread-exec-argv.js';

/** Whether Node starts a thread with these options (the independent check: Node itself). */
function starts(execArgv: string[] | undefined): Promise<true | string> {
  return new Promise((resolve) => {
    try {
      const w = new Worker('require("node:worker_threads").parentPort.postMessage(1)', { eval: true, ...(execArgv ? { execArgv } : {}) });
      w.once('message', () => void w.terminate().then(() => resolve(true)));
      w.once('error', (e) => resolve(String(e)));
    } catch (e) {
      resolve((e as { code?: string }).code ?? String(e));
    }
  });
}

describe('replay threads\' Node options', () => {
  it('inherits the process\'s own when nothing must be dropped, V8 flags included', () => {
    expect(threadExecArgv([])).toEqual({});
    expect(threadExecArgv(['--max-old-space-size=4096', '--enable-source-maps'])).toEqual({});
  });

  it('drops a test runner\'s resolution flags, and with them any V8 flag, keeping Node\'s own options', () => {
    expect(threadExecArgv(['--conditions', 'source', '--enable-source-maps'])).toEqual({ execArgv: ['--enable-source-maps'] });
    expect(threadExecArgv(['--conditions=source', '-C', 'dev', '--max-old-space-size=4096', '--stack-size=2000', '--enable-source-maps'])).toEqual({ execArgv: ['--enable-source-maps'] });
  });

  it('what it passes explicitly, Node takes; the flags it drops, Node would refuse', async () => {
    const given = threadExecArgv(['--conditions=source', '--max-old-space-size=4096', '--enable-source-maps']).execArgv;
    expect(await starts(given)).toBe(true);
    expect(await starts(['--max-old-space-size=4096'])).toBe('ERR_WORKER_INVALID_EXEC_ARGV');
  });
});
