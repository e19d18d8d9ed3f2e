/**
 * Opening a file of the served directory: only a regular file, reached by no
 * symbolic link, is ever opened, and the check is made on the open file
 * itself, so nothing swapped in between a check and the open gets through.
 *
 * The checks (open, fstat, the descriptor's real path) are calls that never
 * wait: O_NONBLOCK opens a FIFO or a device at once, and its type refuses it
 * before anything is read. They are made synchronously because each
 * asynchronous call costs a turn of the event loop, and a replay running in
 * the server's thread takes a chunk of steps per turn. The file's bytes are
 * read asynchronously.
 */
import { closeSync, constants, createReadStream, fstatSync, lstatSync, openSync, read, readlinkSync, realpathSync, type ReadStream, type Stats } from 'node:fs';
import { promisify } from 'node:util';

/** O_NOFOLLOW: a link as the last component fails; O_NONBLOCK: a FIFO or device opens without waiting. */
const FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY;
const readAsync = promisify(read);

export class RegularFile {
  private closed = false;

  constructor(
    readonly fd: number,
    readonly stat: Stats,
    /** The part served: bytes start..start+size-1 (the whole file unless range() chose less). */
    readonly start = 0,
    readonly size = stat.size,
  ) {}

  /** The same open file, serving `size` bytes from `start` only (an object inside a pack); null if that is not inside the file. */
  range(start: number, size: number): RegularFile | null {
    if (start < 0 || size < 0 || start + size > this.stat.size) {
      this.close();
      return null;
    }
    return new RegularFile(this.fd, this.stat, start, size);
  }

  /** The part served as a stream, which closes the descriptor when it ends or is destroyed. */
  stream(): ReadStream {
    this.closed = true;
    return createReadStream('', { fd: this.fd, start: this.start, end: this.start + Math.max(0, this.size - 1), autoClose: true });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }
}

/**
 * `path` (absolute, built inside a real directory) opened for reading, or null
 * when there is no such regular file there: missing, a link (last component or
 * any directory on the way), a FIFO, a socket, a device, a directory.
 */
export function openRegular(path: string): RegularFile | null {
  let fd: number;
  try {
    fd = openSync(path, FLAGS);
  } catch {
    return null;
  }
  try {
    const stat = fstatSync(fd);
    if (stat.isFile() && realPathOf(fd, path) === path) return new RegularFile(fd, stat);
  } catch {
    // fall through: not servable
  }
  closeSync(fd);
  return null;
}

/** Where the open file really is: the kernel's name for the descriptor (Linux), else the path resolved now. */
function realPathOf(fd: number, path: string): string {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return realpathSync(path);
  }
}

export class FileTooLargeError extends Error {
  constructor(
    readonly size: number,
    readonly limit: number,
  ) {
    super(`${size} bytes, more than the ${limit} allowed`);
    this.name = 'FileTooLargeError';
  }
}

/** The whole file, or null (see openRegular); FileTooLargeError past `maxBytes`, checked before anything is read. */
export async function readRegular(path: string, maxBytes: number): Promise<{ bytes: Buffer; stat: Stats } | null> {
  const f = openRegular(path);
  if (!f) return null;
  try {
    if (f.stat.size > maxBytes) throw new FileTooLargeError(f.stat.size, maxBytes);
    const bytes = Buffer.alloc(f.stat.size);
    let n = 0;
    while (n < bytes.length) {
      const { bytesRead } = await readAsync(f.fd, bytes, n, bytes.length - n, n);
      if (bytesRead === 0) break;
      n += bytesRead;
    }
    return { bytes: bytes.subarray(0, n), stat: f.stat };
  } finally {
    f.close();
  }
}

/** A directory reached by no link (`path` is where it should really be). */
export function isRealDir(path: string): boolean {
  try {
    return lstatSync(path).isDirectory() && realpathSync(path) === path;
  } catch {
    return false;
  }
}
