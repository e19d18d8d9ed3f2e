/**
 * The root record: written by the writer, read by restore and gc, in one
 * place so they cannot drift.
 */
import { decodeCanonical, encodeCanonical, CanonicalDecodeError } from './canonical.js';
import { SnapshotFormatError } from './errors.js';
import { isHash } from './hash.js';
import { SNAPSHOT_KIND, SNAPSHOT_VERSION, type Hash, type SnapshotRoot } from './schema.js';

export function encodeRoot(root: SnapshotRoot): Uint8Array {
  return encodeCanonical(root);
}

/** Parses and checks a root object; throws SnapshotFormatError naming `h`. */
export function parseRoot(h: Hash, bytes: Uint8Array): SnapshotRoot {
  let v: unknown;
  try {
    v = decodeCanonical(bytes);
  } catch (e) {
    if (e instanceof CanonicalDecodeError) throw new SnapshotFormatError(`object ${h} is not a snapshot root (${e.message})`);
    throw e;
  }
  const r = v as Partial<SnapshotRoot> | null;
  if (typeof r !== 'object' || r === null || r.kind !== SNAPSHOT_KIND) throw new SnapshotFormatError(`object ${h} is not a snapshot root`);
  if (r.version !== SNAPSHOT_VERSION) throw new SnapshotFormatError(`snapshot ${h} has version ${String(r.version)}; this reader understands version ${SNAPSHOT_VERSION}`);
  const bad = (what: string): never => {
    throw new SnapshotFormatError(`snapshot ${h}: malformed root record (${what})`);
  };
  const uint = (n: unknown) => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
  if (!isHash(r.meta)) bad('meta');
  const ram = r.ram;
  if (!ram || !uint(ram.size) || !uint(ram.pageSize) || ram.pageSize === 0 || ram.size % ram.pageSize !== 0 || !isHash(ram.tree)) bad('ram');
  if (!Array.isArray(r.disks)) bad('disks');
  r.disks!.forEach((d, i) => {
    if (!d || !uint(d.size) || !uint(d.blockSize) || d.blockSize === 0 || !isHash(d.tree)) bad(`disk ${i}`);
  });
  return r as SnapshotRoot;
}
