/**
 * The worker thread of a BackgroundWriter (background-writer.ts): it owns
 * the recording's object store (packs) and a SnapshotWriter fed by deltas,
 * and does the hashing, compression and I/O of every capture and put in the
 * order they were posted. Messages are plain data (background-protocol.ts);
 * page bytes come through the shared ring, read in place.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { FsObjectStore } from './fs-object-store.js';
import { blake3Ready } from './hash.js';
import { SnapshotWriter } from './snapshot-writer.js';
import { READY_ID, type Reply, type Request, type WorkerInit } from './background-protocol.js';
import type { RingSpan } from './ring-spans.js';

const init = workerData as WorkerInit;
const store = new FsObjectStore(init.dir, { packs: init.packs ?? true });
const writer = blake3Ready().then(() => SnapshotWriter.forNewShape(init.shape));
let queue: Promise<unknown> = Promise.resolve();

// Touch every page of the ring here, once, so that the machine's thread never pays a page fault copying into it.
const ring = new Uint8Array(init.ring);
for (let i = 0; i < ring.length; i += 4096) ring[i] = 0;
Atomics.store(new Int32Array(init.control), 0, 1);
parentPort!.postMessage({ id: READY_ID, ok: true, value: null } satisfies Reply);

const inRing = (s: RingSpan) => new Uint8Array(init.ring, s.offset, s.length);

async function handle(req: Request): Promise<unknown> {
  switch (req.op) {
    case 'capture':
      // Ring bytes are read in place: the span stays ours until the reply (every object stored is a copy).
      if (req.ram) req.delta.ram.data = inRing(req.ram);
      return (await writer).captureDelta(req.delta, store);
    case 'put':
      return store.put(req.ring ? inRing(req.ring) : req.bytes); // put() copies at once; the span is ours until the reply anyway
    case 'sync':
      return store.sync();
    case 'close':
      return store.close();
  }
}

parentPort!.on('message', (req: Request) => {
  // In order: a capture's objects are in the store before a later sync() returns, and ring spans are freed in order.
  queue = queue.then(async () => {
    let reply: Reply;
    try {
      reply = { id: req.id, ok: true, value: await handle(req) };
    } catch (e) {
      reply = { id: req.id, ok: false, error: e instanceof Error ? e.message : String(e), name: e instanceof Error ? e.name : 'Error' };
    }
    parentPort!.postMessage(reply);
  });
});
