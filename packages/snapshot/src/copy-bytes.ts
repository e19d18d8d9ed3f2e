/**
 * A copy of `bytes` in memory of its own. A Node Buffer's slice() is a view
 * of the same memory, not a copy: a "copy" made that way changes with the
 * original, and posting its buffer to a thread detaches the original (a
 * disk image read with readFileSync, or Node's shared pool of small Buffers).
 */
export function copyBytes(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}
