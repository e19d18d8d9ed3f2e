/**
 * The worker thread of a BackgroundWriter (background-writer.ts): it owns
 * the recording's object store (packs) and a SnapshotWriter fed by deltas,
 * and does the hashing, compression and I/O of every capture and put in the
 * order they were posted. Messages are plain data (background-protocol.ts);
 * page bytes come through the shared ring, read in place. The writer's first
 * request names the store: the thread may have been started before anyone
 * knew it (snapshot-thread.ts).
 *
 * Start-up order matters to the machine's thread: the ring is touched first
 * (its page faults paid here), a slice at a time, with the touched length
 * published in control[RING_TOUCHED] as it grows, so the recorder's first
 * capture (a few MiB of boot pages, taken ~0.1 s after the worker starts)
 * can copy into touched memory. The store, hashing and LZ4 modules are
 * loaded only then. The thread runs at a lower priority than the machine's
 * (thread-priority.ts): on two cores it otherwise takes time from the
 * machine's thread, and from V8's compiler threads that it waits for.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { READY_ID, RING_TOUCHED, type Reply, type Request, type StoreInit, type WorkerInit } from './background-protocol.js';
import type { CaptureDelta } from './capture-delta.js';
import type { RingSpan } from './ring-spans.js';
import type { SnapshotWriter } from './snapshot-writer.js';
import { niceThisThread } from './thread-priority.js';
import { replaceFileDurably } from './durable-file.js';

const init = workerData as WorkerInit;

// Requests that arrive before the modules are loaded wait in order behind them.
let queue: Promise<unknown> = Promise.resolve();
const inRing = (s: RingSpan) => new Uint8Array(init.ring, s.offset, s.length);
/** The store's work, from the first request ('open'); a failure to open fails every later request too. */
let work: Promise<(req: Request) => Promise<unknown>> | undefined;
parentPort!.on('message', (req: Request) => {
  // In order: a capture's objects are in the store before a later sync() returns, and ring spans are freed in order.
  queue = queue.then(async () => {
    let reply: Reply;
    try {
      if (req.op === 'open') work ??= open(req.store);
      const w = await (work ?? Promise.reject(new Error(`snapshot worker: '${req.op}' before the store was opened`)));
      reply = { id: req.id, ok: true, value: req.op === 'open' ? null : await w(req) };
    } catch (e) {
      const { code, syscall, path } = (e ?? {}) as NodeJS.ErrnoException;
      reply = { id: req.id, ok: false, error: e instanceof Error ? e.message : String(e), name: e instanceof Error ? e.name : 'Error', ...errnoFields(code, syscall, path) };
    }
    parentPort!.postMessage(reply);
  });
});

if (init.nice !== undefined) niceThisThread(init.nice); // before any work: the ring's page faults give way too
touchRing();
parentPort!.postMessage({ id: READY_ID, ok: true, value: null } satisfies Reply);
const modules = loadModules();

/**
 * Touches every page of the ring once, publishing the length touched after
 * each 256 KiB. The touch is a compare-exchange of 0 with 0: a write access
 * (the page is faulted in) that never changes a byte, so the machine's
 * thread may already be copying into the ring (a capture that did not wait).
 */
function touchRing(): void {
  const words = new Int32Array(init.ring);
  const control = new Int32Array(init.control);
  const step = 256 << 10;
  for (let at = 0; at < init.ring.byteLength; ) {
    const end = Math.min(init.ring.byteLength, at + step);
    for (let i = at; i < end; i += 4096) Atomics.compareExchange(words, i >>> 2, 0, 0);
    at = end;
    Atomics.store(control, RING_TOUCHED, at);
    Atomics.notify(control, RING_TOUCHED);
  }
}

/** The store, hashing and writer modules, loaded once the ring is touched (whether or not a store is named yet). */
async function loadModules() {
  const [{ FsObjectStore }, { blake3Ready }, { SnapshotWriter }] = await Promise.all([import('./fs-object-store.js'), import('./hash.js'), import('./snapshot-writer.js')]);
  await blake3Ready();
  return { FsObjectStore, SnapshotWriter };
}

async function open(at: StoreInit): Promise<(req: Request) => Promise<unknown>> {
  const { FsObjectStore, SnapshotWriter: Writer } = await modules;
  const store = new FsObjectStore(at.dir, { packs: at.packs });
  // From the machine's shape: given at open, or that of the first delta (a recorder starts the worker before it builds the machine).
  let writer: Promise<SnapshotWriter> | undefined = at.shape && Writer.forNewShape(at.shape);
  const writerFor = (d: CaptureDelta) => (writer ??= Writer.forNewShape({ ram: { size: d.ram.size }, disks: d.disks.map((k) => ({ size: k.size, blockSize: k.blockSize })) }));
  return async (req) => {
    switch (req.op) {
      case 'capture':
        // Ring bytes are read in place: the span stays ours until the reply (every object stored is a copy).
        if (req.ram) req.delta.ram.data = inRing(req.ram);
        return (await writerFor(req.delta)).captureDelta(req.delta, store);
      case 'put':
        return store.put(req.ring ? inRing(req.ring) : req.bytes); // put() is done with the bytes (or has copied them) when it returns
      case 'sync': {
        const stats = await store.sync();
        if (req.then) replaceFileDurably(req.then);
        return stats;
      }
      case 'close':
        await store.close();
        if (req.then) replaceFileDurably(req.then);
        return undefined;
    }
  };
}

/** A file-system error's fields, where they are strings (plain data for the reply). */
function errnoFields(code: unknown, syscall: unknown, path: unknown): { code?: string; syscall?: string; path?: string } {
  return {
    ...(typeof code === 'string' ? { code } : {}),
    ...(typeof syscall === 'string' ? { syscall } : {}),
    ...(typeof path === 'string' ? { path } : {}),
  };
}
