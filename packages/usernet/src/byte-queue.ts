/** A FIFO of bytes kept as the chunks it was given: bytes are appended at the end, read at any offset, dropped from the front. */
export class ByteQueue {
  private chunks: Uint8Array[] = [];
  /** Bytes of chunks[0] already dropped. */
  private head = 0;
  length = 0;

  push(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.chunks.push(bytes);
    this.length += bytes.length;
  }

  /** A copy of up to `len` bytes starting `offset` bytes from the front. */
  read(offset: number, len: number): Uint8Array {
    len = Math.max(0, Math.min(len, this.length - offset));
    const out = new Uint8Array(len);
    let pos = offset + this.head;
    let filled = 0;
    for (const c of this.chunks) {
      if (filled === len) break;
      if (pos >= c.length) {
        pos -= c.length;
        continue;
      }
      const n = Math.min(c.length - pos, len - filled);
      out.set(c.subarray(pos, pos + n), filled);
      filled += n;
      pos = 0;
    }
    return out;
  }

  drop(n: number): void {
    n = Math.min(n, this.length);
    this.length -= n;
    n += this.head;
    while (this.chunks.length > 0 && n >= this.chunks[0]!.length) {
      n -= this.chunks[0]!.length;
      this.chunks.shift();
    }
    this.head = n;
  }
}
