/** Unsigned LEB128 for payload fields (port values are small and rare; this is not a hot path). */
export function encodeUvarint(v: bigint): Uint8Array {
  if (v < 0n) throw new RangeError(`cannot encode a negative value (${v}) as an unsigned varint`);
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v !== 0n) b |= 0x80;
    out.push(b);
  } while (v !== 0n);
  return Uint8Array.from(out);
}

export function decodeUvarint(bytes: Uint8Array, what: string): bigint {
  let v = 0n;
  let shift = 0n;
  for (let i = 0; i < bytes.length; i++) {
    v |= BigInt(bytes[i] & 0x7f) << shift;
    if ((bytes[i] & 0x80) === 0) return v;
    shift += 7n;
  }
  throw new RangeError(`${what}: truncated varint`);
}
