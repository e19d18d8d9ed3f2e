/** The Internet checksum (RFC 1071): ones' complement of the ones' complement sum of 16-bit words. */

/** Adds `bytes` to a running 32-bit sum (call `foldChecksum` at the end). Odd lengths pad with a zero byte. */
export function sumWords(bytes: Uint8Array, sum = 0): number {
  const n = bytes.length & ~1;
  for (let i = 0; i < n; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!;
  if (bytes.length & 1) sum += bytes[n]! << 8;
  // Fold early so the sum stays a small integer however long the input.
  return (sum & 0xffff) + (sum >>> 16);
}

export function foldChecksum(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export function checksum(bytes: Uint8Array): number {
  return foldChecksum(sumWords(bytes));
}

/** The sum of the IPv4 pseudo-header used by TCP and UDP checksums (RFC 793 §3.1, RFC 768). */
export function pseudoHeaderSum(src: Uint8Array, dst: Uint8Array, protocol: number, length: number): number {
  let sum = sumWords(src);
  sum = sumWords(dst, sum);
  return sum + protocol + length;
}
