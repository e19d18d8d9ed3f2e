/**
 * Reading one object for a snapshot reader: a missing or corrupt object's
 * error names what it was needed for (`snapshot 12ab…: ram page 17`) as well
 * as the object, on one line.
 */
import { forEachLimit } from './concurrency.js';
import { ObjectCorruptError, ObjectMissingError } from './errors.js';
import type { ObjectReader } from './object-store.js';
import type { Hash } from './schema.js';

export async function readObject(store: ObjectReader, h: Hash, context: string): Promise<Uint8Array> {
  try {
    return await store.get(h);
  } catch (e) {
    if (e instanceof ObjectMissingError || e instanceof ObjectCorruptError) throw e.withContext(context);
    throw e;
  }
}

/**
 * ObjectReader.getEach() where the reader has it, else get() with
 * `concurrency` gets in flight (each result then `fresh`). A missing or
 * corrupt object's error gets `contextOf(its hash)` in front.
 */
export async function readEach(
  store: ObjectReader,
  hashes: readonly Hash[],
  each: (h: Hash, bytes: Uint8Array, fresh: boolean) => void,
  o: { concurrency: number; contextOf?: (h: Hash) => string },
): Promise<void> {
  try {
    if (store.getEach) await store.getEach(hashes, each);
    else await forEachLimit(hashes, o.concurrency, async (h) => each(h, await store.get(h), true));
  } catch (e) {
    if (o.contextOf && (e instanceof ObjectMissingError || e instanceof ObjectCorruptError)) throw e.withContext(o.contextOf(e.hash));
    throw e;
  }
}
