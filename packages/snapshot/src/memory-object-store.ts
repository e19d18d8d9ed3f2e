/**
 * An object store in a Map: for tests, for one-process record/replay, and as
 * the model the other stores follow. Objects are kept uncompressed and
 * copied in and out, so no caller can change a stored object.
 */
import { ObjectMissingError } from './errors.js';
import { assertHash, blake3Hex, blake3Ready } from './hash.js';
import type { ObjectStore, PutOutcome, StoreStats } from './object-store.js';
import type { Hash } from './schema.js';
import { copyBytes } from './copy-bytes.js';

export class MemoryObjectStore implements ObjectStore {
  private readonly objects = new Map<Hash, Uint8Array>();
  private logical = 0;

  async put(bytes: Uint8Array): Promise<Hash> {
    const copy = copyBytes(bytes);
    await blake3Ready();
    const h = blake3Hex(copy);
    this.add(h, copy);
    return h;
  }

  async putHashed(h: Hash, bytes: Uint8Array): Promise<PutOutcome> {
    assertHash(h);
    if (this.objects.has(h)) return { added: false, storedBytes: 0 };
    this.add(h, copyBytes(bytes));
    return { added: true, storedBytes: bytes.length };
  }

  async get(h: Hash): Promise<Uint8Array> {
    assertHash(h);
    const b = this.objects.get(h);
    if (!b) throw new ObjectMissingError(h, 'not in the memory store');
    return copyBytes(b);
  }

  async has(h: Hash): Promise<boolean> {
    return this.objects.has(h);
  }

  async *list(): AsyncIterable<Hash> {
    for (const h of [...this.objects.keys()]) yield h;
  }

  async delete(h: Hash): Promise<void> {
    const b = this.objects.get(h);
    if (!b) return;
    this.logical -= b.length;
    this.objects.delete(h);
  }

  async stats(): Promise<StoreStats> {
    return { objects: this.objects.size, storedBytes: this.logical, logicalBytes: this.logical };
  }

  private add(h: Hash, copy: Uint8Array): void {
    if (this.objects.has(h)) return;
    this.objects.set(h, copy);
    this.logical += copy.length;
  }
}
