/**
 * The worker thread of a BackgroundWriter (background-writer.ts): it owns
 * the recording's object store (packs) and a SnapshotWriter fed by deltas,
 * and does the hashing, compression and I/O of every capture and put in the
 * order they were posted. Messages are plain data (background-protocol.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { FsObjectStore } from './fs-object-store.js';
import { blake3Ready } from './hash.js';
import { SnapshotWriter } from './snapshot-writer.js';
import type { Reply, Request, WorkerInit } from './background-protocol.js';

const init = workerData as WorkerInit;
const store = new FsObjectStore(init.dir, { packs: init.packs ?? true });
const writer = blake3Ready().then(() => SnapshotWriter.forNewShape(init.shape));
let queue: Promise<unknown> = Promise.resolve();

async function handle(req: Request): Promise<unknown> {
  switch (req.op) {
    case 'capture':
      return (await writer).captureDelta(req.delta, store);
    case 'put':
      return store.put(req.bytes);
    case 'sync':
      return store.sync();
    case 'close':
      return store.close();
  }
}

parentPort!.on('message', (req: Request) => {
  // In order: a capture's objects are in the store before a later sync() returns.
  queue = queue.then(async () => {
    let reply: Reply;
    const transfer: ArrayBuffer[] = [];
    try {
      reply = { id: req.id, ok: true, value: await handle(req) };
      // Nothing refers to a capture's pages once it is stored (a pack entry is a copy): the buffer goes back.
      const buf = req.op === 'capture' ? req.delta.ram.data.buffer : undefined;
      if (buf instanceof ArrayBuffer && buf.byteLength > 0) {
        reply.spare = buf;
        transfer.push(buf);
      }
    } catch (e) {
      reply = { id: req.id, ok: false, error: e instanceof Error ? e.message : String(e), name: e instanceof Error ? e.name : 'Error' };
    }
    parentPort!.postMessage(reply, transfer);
  });
});
