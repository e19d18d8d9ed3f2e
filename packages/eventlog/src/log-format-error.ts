/**
 * A log that cannot be read as written: bad magic, unsupported version,
 * checksum mismatch, truncation, or bytes that do not decode.
 *
 * The message is one line: `FILE: WHERE: WHAT`, e.g.
 * `log/000003.seg: block 2 at byte 4096: checksum mismatch (stored 0x1234abcd, computed 0x0badf00d)`.
 */
export class LogFormatError extends Error {
  override readonly name = 'LogFormatError';
  /** The file (or the name the caller gave the bytes). */
  readonly file: string;
  /** Byte offset of the structure at fault (the file header, a block, an event). */
  readonly offset: number;
  /** The message without the file name: `WHERE: WHAT`. */
  readonly detail: string;

  constructor(file: string, offset: number, detail: string) {
    super(`${file}: ${detail}`);
    this.file = file;
    this.offset = offset;
    this.detail = detail;
  }
}

/** `0x1234abcd`: how checksums appear in messages. */
export function hex32(n: number): string {
  return `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
}
