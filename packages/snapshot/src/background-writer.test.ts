// The worker thread runs the built package (dist/capture-worker.js): build @prnr/snapshot first.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackgroundWriter, DEFAULT_RING_BYTES } from './background-writer.js';
import { FsObjectStore } from './fs-object-store.js';
import { blake3Hex, blake3Ready } from './hash.js';
import { restoreSnapshot } from './restore.js';
import { fullStateRoot } from './snapshot-writer.js';
import { livedInMachine, prng, randomBytes, RAM_BASE } from './test-support.js';
import { WORKER_NICE } from './thread-priority.js';
import { prestartSnapshotWorker, snapshotThread } from './snapshot-thread.js';
import { spawnSync } from 'node:child_process';

/** Ids and nice values of this process's threads (Linux: /proc/self/task/TID/stat, field 19). */
function threadNices(): Map<number, number> {
  const out = new Map<number, number>();
  for (const t of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${t}/stat`, 'utf8');
      out.set(Number(t), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]));
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

const dir = mkdtempSync(join(tmpdir(), 'prnr-bg-'));
beforeAll(() => blake3Ready());
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('BackgroundWriter', () => {
  it('captures on a worker thread: the roots a from-scratch hash gives at each pause, durable after sync, in one pack', async () => {
    const m = livedInMachine(21);
    const bg = new BackgroundWriter(dir, m.parts());
    const rand = prng(4);
    const pending: Array<{ expected: string; done: Promise<{ root: string }> }> = [];
    try {
      for (let step = 0; step < 5; step++) {
        if (step > 0) {
          for (let i = 0; i < 30; i++) m.ram.write(RAM_BASE + (rand() % (m.ram.size / 4096)) * 4096, randomBytes(rand, 256));
          m.disk.write((rand() % 512) * 4096, randomBytes(rand, 512));
          m.meta = { ...m.meta, step };
        }
        const expected = await fullStateRoot(m.parts());
        const c = bg.capture(m.parts());
        expect(m.ram.dirty.every((b) => b === 0)).toBe(true);
        // The machine runs on at once: the worker works from its copy.
        m.ram.u8.fill(0x5a, 0, 4096 * 4);
        m.ram.dirty.fill(1, 0, 4);
        pending.push({ expected, done: c.done });
      }
      const text = new TextEncoder().encode('console output');
      expect(await bg.put(text)).toBe(blake3Hex(text));
      for (const p of pending) expect((await p.done).root).toBe(p.expected);
      await bg.sync();
    } finally {
      await bg.close();
    }
    expect(readdirSync(join(dir, 'objects'))).toEqual(['pack']);
    expect(readdirSync(join(dir, 'objects', 'pack'))).toHaveLength(1);
    const store = new FsObjectStore(dir);
    for (const p of pending) {
      const r = await restoreSnapshot(p.expected, store, { ram: new Uint8Array(m.ram.size) });
      expect(r.root).toBe(p.expected);
    }
  });

  it('copies through the shared ring once it is ready, and what does not fit through fresh memory, with the same roots', async () => {
    const m = livedInMachine(8);
    // 16 pages: small enough that captures wrap around and some do not fit.
    const bg = new BackgroundWriter(join(dir, 'ring'), m.parts(), { ringBytes: 16 * 4096 });
    const rand = prng(12);
    const pending: Array<{ expected: string; done: Promise<{ root: string }> }> = [];
    const puts: Array<{ expected: string; done: Promise<string> }> = [];
    try {
      await bg.whenReady();
      for (let step = 0; step < 12; step++) {
        if (step > 0) {
          // 1..24 pages (and the 8 written below): fits, or does not (more than 16 pages, or behind captures still in flight).
          const pages = 1 + (rand() % 24);
          for (let i = 0; i < pages; i++) m.ram.write(RAM_BASE + (rand() % (m.ram.size / 4096)) * 4096, randomBytes(rand, 300));
          if (step % 3 === 0) m.disk.write((rand() % 512) * 4096, randomBytes(rand, 512));
          m.meta = { ...m.meta, step };
        }
        const expected = await fullStateRoot(m.parts());
        const c = bg.capture(m.parts());
        // The machine runs on at once: the worker reads the ring (or its own copy), never the machine's RAM.
        m.ram.u8.fill(0xa5, 0, 4096 * 8);
        m.ram.dirty.fill(1, 0, 8);
        pending.push({ expected, done: c.done });
        if (step % 4 === 1) {
          const bytes = randomBytes(rand, 1 + (rand() % 40_000)); // up to ~10 pages, through the ring when there is room
          puts.push({ expected: blake3Hex(bytes), done: bg.put(bytes) });
          bytes.fill(0); // copied at put(): changing it afterwards changes nothing
        }
      }
      for (const p of pending) expect((await p.done).root).toBe(p.expected);
      for (const p of puts) expect(await p.done).toBe(p.expected);
      await bg.sync();
      // Both paths were taken: replies (which free spans) come only between host events, so the ring fills
      // within the loop above and later copies go to fresh memory. Once all is done the ring is free again.
      expect(bg.copies.ring).toBeGreaterThan(0);
      expect(bg.copies.fresh).toBeGreaterThan(0);
      const ringBefore = bg.copies.ring;
      m.ram.write(RAM_BASE, randomBytes(rand, 4096));
      const expected = await fullStateRoot(m.parts());
      const last = bg.capture(m.parts());
      expect(bg.copies.ring).toBe(ringBefore + 1);
      expect((await last.done).root).toBe(expected);
      pending.push({ expected, done: last.done });
    } finally {
      await bg.close();
    }
    const store = new FsObjectStore(join(dir, 'ring'));
    for (const p of pending) expect((await restoreSnapshot(p.expected, store, { ram: new Uint8Array(m.ram.size) })).root).toBe(p.expected);
    for (const p of puts) expect(blake3Hex(await store.get(p.expected))).toBe(p.expected);
  });

  it('started before the machine exists: the first capture gives the shape, ringHolds waits for touched room, captures go through the ring from the start', async () => {
    const bg = new BackgroundWriter(join(dir, 'early'), undefined, { ringBytes: 1024 * 4096 }); // room for every page of the 4 MiB machine
    const m = livedInMachine(5);
    const rand = prng(9);
    const pending: Array<{ expected: string; done: Promise<{ root: string }> }> = [];
    try {
      expect(await bg.ringHolds(1025 * 4096, AbortSignal.timeout(10_000))).toBe(false); // larger than the ring: at once
      expect(await bg.ringHolds(0, AbortSignal.abort())).toBe(true); // nothing to copy
      for (let step = 0; step < 4; step++) {
        for (let i = 0; i < 10; i++) m.ram.write(RAM_BASE + (rand() % (m.ram.size / 4096)) * 4096, randomBytes(rand, 200));
        m.meta = { ...m.meta, step };
        const expected = await fullStateRoot(m.parts());
        // Not awaited before the first capture: that one may copy into pages the worker is still touching.
        if (step === 2) expect(await bg.ringHolds(20 * 4096, AbortSignal.timeout(30_000))).toBe(true);
        pending.push({ expected, done: bg.capture(m.parts()).done });
        m.ram.u8.fill(0x33, 0, 4096 * 2);
        m.ram.dirty.fill(1, 0, 2);
      }
      expect(bg.copies.ring).toBe(4);
      for (const p of pending) expect((await p.done).root).toBe(p.expected);
    } finally {
      await bg.close();
    }
    const store = new FsObjectStore(join(dir, 'early'));
    for (const p of pending) expect((await restoreSnapshot(p.expected, store, { ram: new Uint8Array(m.ram.size) })).root).toBe(p.expected);
  });

  it('ringHolds waits for a reply that frees room, and gives up when its signal aborts', async () => {
    const bg = new BackgroundWriter(join(dir, 'holds'), undefined, { ringBytes: 16 * 4096 });
    const rand = prng(21);
    try {
      await bg.whenReady();
      const held = bg.put(randomBytes(rand, 12 * 4096)); // 12 of the 16 pages until the worker answers
      expect(bg.holdsNow(8 * 4096)).toBe(false);
      let stored = false;
      void held.then(() => (stored = true));
      expect(await bg.ringHolds(8 * 4096, AbortSignal.timeout(30_000))).toBe(true);
      expect(stored).toBe(true); // it was the reply that made the room
      const blocker = bg.put(randomBytes(rand, 12 * 4096));
      const giveUp = new AbortController();
      const waiting = bg.ringHolds(16 * 4096, giveUp.signal);
      giveUp.abort();
      expect(await waiting).toBe(false);
      await blocker;
    } finally {
      await bg.close();
    }
  });

  it('a Node Buffer too large for the ring (a disk image read from a file) is stored from a copy: the caller\'s Buffer, and Node\'s pool, stay whole', async () => {
    const bg = new BackgroundWriter(join(dir, 'buffer'), undefined, { ringBytes: 16 * 4096 });
    const rand = prng(31);
    // A Buffer whose slice() is a view of its memory: posting that view's buffer would detach this one.
    const image = Buffer.from(randomBytes(rand, 32 * 4096));
    const pooled = Buffer.from('a small Buffer from the pool');
    const small = pooled.subarray(2, 7); // a view into Node's shared pool, smaller than its buffer
    try {
      await bg.whenReady();
      expect(await bg.put(image)).toBe(blake3Hex(image));
      expect(image.buffer.byteLength).toBeGreaterThan(0); // not detached
      expect(image.length).toBe(32 * 4096);
      expect(await bg.putLeavingRoom(image, 8 * 4096, AbortSignal.timeout(30_000))).toBe(blake3Hex(image));
      expect(image.length).toBe(32 * 4096);
      expect(await bg.put(small)).toBe(blake3Hex(small));
      expect(pooled.toString()).toBe('a small Buffer from the pool');
      await bg.sync();
    } finally {
      await bg.close();
    }
    expect(Buffer.from(await new FsObjectStore(join(dir, 'buffer')).get(blake3Hex(image))).equals(image)).toBe(true);
  });

  it('a put that leaves room waits behind captures: a capture taken meanwhile still goes through the ring', async () => {
    const m = livedInMachine(14);
    const bg = new BackgroundWriter(join(dir, 'room'), m.parts(), { ringBytes: 16 * 4096 });
    const rand = prng(15);
    const bytes = randomBytes(rand, 8 * 4096);
    const dirtyPages = (first: number, n: number) => {
      for (let p = first; p < first + n; p++) m.ram.write(RAM_BASE + p * 4096, randomBytes(rand, 64));
    };
    try {
      await bg.whenReady();
      await bg.capture(m.parts()).done; // the lived-in machine's pages: more than the ring, through fresh memory
      const before = { ...bg.copies };
      dirtyPages(10, 6);
      const first = bg.capture(m.parts()); // 6 of the ring's 16 pages, held until the worker answers
      // 8 pages, leaving 6 for captures: 14 pages do not fit beside the 6 in use, so it waits.
      expect(bg.holdsNow(14 * 4096)).toBe(false);
      expect(bg.holdsNow(10 * 4096)).toBe(true);
      const put = bg.putLeavingRoom(bytes, 6 * 4096, AbortSignal.timeout(30_000));
      dirtyPages(40, 6);
      const expected = await fullStateRoot(m.parts());
      const second = bg.capture(m.parts()); // taken while the put waits: 6 + 6 pages fit (a put posted at once would have left 2)
      expect(bg.copies).toEqual({ ring: before.ring + 2, fresh: before.fresh });
      await first.done;
      expect((await second.done).root).toBe(expected);
      expect(await put).toBe(blake3Hex(bytes));
      expect(bg.copies).toEqual({ ring: before.ring + 3, fresh: before.fresh }); // the put went through the ring once there was room
      // Larger than the ring with its room: it goes once the ring is otherwise free (here at once).
      const big = randomBytes(rand, 12 * 4096);
      expect(await bg.putLeavingRoom(big, 8 * 4096, AbortSignal.timeout(30_000))).toBe(blake3Hex(big));
      expect(bg.copies.fresh).toBe(before.fresh);
      await bg.sync();
    } finally {
      await bg.close();
    }
    expect(await new FsObjectStore(join(dir, 'room')).get(blake3Hex(bytes))).toEqual(bytes);
  });

  it('the worker thread runs at a lower priority (nice WORKER_NICE) unless told otherwise', async (ctx) => {
    if (process.platform !== 'linux') {
      console.log('skipped: per-thread priorities are set on Linux only');
      ctx.skip();
    }
    const m = livedInMachine(2);
    const before = threadNices();
    const bg = new BackgroundWriter(join(dir, 'nice'), m.parts());
    const normal = new BackgroundWriter(join(dir, 'nice-normal'), m.parts(), { workerNice: null });
    try {
      await Promise.all([bg.whenReady(), normal.whenReady()]); // the worker sets its priority before it touches the ring
      const after = threadNices();
      const niced = [...after].filter(([tid, nice]) => !before.has(tid) && nice === WORKER_NICE);
      expect(niced).toHaveLength(1); // the first writer's worker only, not the second's, nor V8's or libuv's threads
      expect(after.get(process.pid)).toBe(before.get(process.pid)); // the main thread (the machine's) is left alone
    } finally {
      await Promise.all([bg.close(), normal.close()]);
    }
  });

  it('a capture that fails on the worker rejects its promise with the worker\'s message', async () => {
    const m = livedInMachine(3);
    const bg = new BackgroundWriter(join(dir, 'other'), m.parts());
    try {
      const wrong = livedInMachine(3);
      const bad = { ...wrong.parts(), ram: { size: 8192, u8: new Uint8Array(8192), dirty: new Uint8Array(2) } };
      await expect(bg.capture(bad).done).rejects.toThrow(/a delta of another machine shape \(RAM 8192 bytes, 1 disks\)/);
    } finally {
      await bg.close();
    }
  });

  it('sync(then) and close(then) replace a file on the worker once the objects are stored; a file that cannot be written rejects with its code, call and path', async () => {
    const at = join(dir, 'then');
    const m = livedInMachine(5);
    const bg = new BackgroundWriter(at, m.parts());
    const file = join(at, 'names.json');
    const bytes = new TextEncoder().encode('named by the file');
    let h = '';
    try {
      h = await bg.put(bytes);
      await bg.sync({ file, data: JSON.stringify({ h }) });
      expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ h });
      // What the file names is readable from the store's files as they are on disk now.
      expect(await new FsObjectStore(at).get(h)).toEqual(bytes);
      const missing = join(at, 'no-such-dir', 'names.json');
      const failed = await bg.sync({ file: missing, data: 'x' }).then(() => undefined, (e: NodeJS.ErrnoException) => e);
      expect(failed).toBeInstanceOf(Error);
      expect({ code: failed!.code, syscall: failed!.syscall, path: failed!.path }).toEqual({ code: 'ENOENT', syscall: 'open', path: `${missing}.tmp` });
      // The store goes on: a later put and the close's own file.
      const h2 = await bg.put(new TextEncoder().encode('after the failure'));
      await bg.close({ file, data: JSON.stringify({ h, h2 }) });
    } finally {
      await bg.abort();
    }
    const named = JSON.parse(readFileSync(file, 'utf8'));
    expect(named).toEqual({ h, h2: expect.any(String) });
    expect(readdirSync(at).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const reopened = new FsObjectStore(at);
    expect(await reopened.get(h)).toEqual(bytes);
    expect(new TextDecoder().decode(await reopened.get(named.h2))).toBe('after the failure');
  });

  it('takes the worker prestartSnapshotWorker() started when the options match, and stores through it as through its own', async () => {
    const m = livedInMachine(6);
    const { threadId: id, ready } = prestartSnapshotWorker();
    expect(prestartSnapshotWorker().threadId).toBe(id); // one waits already
    await ready;
    // Other options: a thread of their own; the prestarted one goes on waiting.
    const other = snapshotThread({ ringBytes: 64 * 4096 });
    expect(other.worker.threadId).not.toBe(id);
    await other.worker.terminate();
    const bg = new BackgroundWriter(join(dir, 'prestarted'), m.parts());
    expect(prestartSnapshotWorker().threadId).not.toBe(id); // taken by bg: this starts another
    const next = snapshotThread({});
    await next.worker.terminate();
    let expected = '';
    try {
      await bg.whenReady();
      expect(bg.holdsNow(DEFAULT_RING_BYTES)).toBe(true); // its ring is touched, all of it
      expected = await fullStateRoot(m.parts());
      expect((await bg.capture(m.parts()).done).root).toBe(expected);
      await bg.sync();
    } finally {
      await bg.close();
    }
    const r = await restoreSnapshot(expected, new FsObjectStore(join(dir, 'prestarted')), { ram: new Uint8Array(m.ram.size) });
    expect(r.root).toBe(expected);
  });

  it('a prestarted worker that no writer takes keeps the process alive until it is ready, not after', () => {
    const built = new URL('../dist/snapshot-thread.js', import.meta.url).href;
    const program = join(dir, 'prestart-alone.mjs'); // a file, not -e: a worker inherits node's options, and --input-type is refused there
    writeFileSync(program, `const m = await import('${built}');\nconst { ready } = m.prestartSnapshotWorker();\nconsole.log('started');\nawait ready;\nconsole.log('ready');\n`);
    const r = spawnSync(process.execPath, [program], { encoding: 'utf8', timeout: 60_000 });
    expect(r.stdout.trim().split('\n')).toEqual(['started', 'ready']); // awaiting ready alone did not let the process end early
    expect(r.status).toBe(0); // then exited by itself, not killed by the timeout (status null)
  });
});
