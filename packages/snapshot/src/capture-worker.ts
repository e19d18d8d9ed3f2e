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
/** Page buffers grow to this at most (16,384 pages); a capture larger than the spare copies into fresh memory. */
const MAX_SPARE_BYTES = 64 << 20;

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
      // Nothing refers to a capture's pages once it is stored (a pack entry is a copy): the buffer goes back,
      // or a bigger one touched here when the capture filled more than half of it, so that the next large
      // capture copies into memory whose page faults were paid on this thread, not in the machine's pause.
      const buf = req.op === 'capture' ? req.delta.ram.data.buffer : undefined;
      if (buf instanceof ArrayBuffer && buf.byteLength > 0) {
        const used = req.op === 'capture' ? req.delta.ram.data.byteLength : 0;
        const spare = used * 2 > buf.byteLength && buf.byteLength < MAX_SPARE_BYTES ? new Uint8Array(Math.min(MAX_SPARE_BYTES, used * 2)).fill(1).buffer : buf;
        reply.spare = spare;
        transfer.push(spare);
      }
    } catch (e) {
      reply = { id: req.id, ok: false, error: e instanceof Error ? e.message : String(e), name: e instanceof Error ? e.name : 'Error' };
    }
    parentPort!.postMessage(reply, transfer);
  });
});
