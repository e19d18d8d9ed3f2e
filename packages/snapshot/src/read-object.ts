/**
 * Reading one object for a snapshot reader: a missing or corrupt object's
 * error names what it was needed for (`snapshot 12ab…: ram page 17`) as well
 * as the object, on one line.
 */
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
