/**
 * Opening a file that a reader reads inside a recording (a pack, a loose
 * object, a log segment, the code cache) so that whatever lies under its name
 * can neither block nor mislead the reader: O_NONBLOCK (a FIFO opens at once
 * instead of waiting for a writer, which would freeze the thread), O_NOFOLLOW
 * (a symbolic link as the file's own name is refused with ELOOP; directories
 * on the way, the recording's included, may be links), O_NOCTTY (a terminal
 * does not become the process's), then fstat of the descriptor (what was
 * opened, no race with a rename) refuses anything but a regular file.
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';

/** O_NOFOLLOW and O_NOCTTY are 0 where the platform has none (Windows). */
const READ_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOFOLLOW ?? 0) | (constants.O_NOCTTY ?? 0);

/** A path a reader expected a regular file at holds something else; one line naming the path and what it is. */
export class NotRegularFileError extends Error {
  override readonly name = 'NotRegularFileError';
  constructor(
    readonly path: string,
    /** What is there: "a FIFO", "a directory", "a symbolic link", ... */
    readonly kind: string,
  ) {
    super(`${path} is ${kind}, not a regular file`);
  }
}

/**
 * Opens `path` for reading if it is a regular file: its descriptor (the
 * caller closes it) and size. Anything else is a NotRegularFileError; other
 * errors (ENOENT, EACCES) are Node's, as openSync throws them.
 */
export function openRegularFile(path: string): { fd: number; size: number } {
  let fd: number;
  try {
    fd = openSync(path, READ_FLAGS);
  } catch (e) {
    throw refused(e, path);
  }
  let st: Stats;
  try {
    st = fstatSync(fd);
  } catch (e) {
    closeSync(fd);
    throw e;
  }
  if (!st.isFile()) {
    closeSync(fd);
    throw new NotRegularFileError(path, kindOf(st));
  }
  return { fd, size: st.size };
}

/** The whole file, read on this thread; refused as openRegularFile refuses it. */
export function readRegularFileSync(path: string): Buffer {
  const { fd, size } = openRegularFile(path);
  try {
    const buf = Buffer.allocUnsafe(size);
    let n = 0;
    for (let k; n < size && (k = readSync(fd, buf, n, size - n, n)) > 0; ) n += k;
    return n < size ? buf.subarray(0, n) : buf;
  } finally {
    closeSync(fd);
  }
}

/** The whole file, read on the thread pool; refused as openRegularFile refuses it. */
export async function readRegularFile(path: string): Promise<Buffer> {
  const fh = await open(path, READ_FLAGS).catch((e: unknown) => {
    throw refused(e, path);
  });
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new NotRegularFileError(path, kindOf(st));
    return await fh.readFile();
  } finally {
    await fh.close();
  }
}

/** An open's error: ELOOP on a symbolic link (O_NOFOLLOW) as NotRegularFileError; anything else as it is. */
function refused(e: unknown, path: string): unknown {
  if ((e as NodeJS.ErrnoException).code !== 'ELOOP') return e;
  try {
    // ELOOP also means a loop of links on the way: only a link as the name itself is said so.
    if (lstatSync(path).isSymbolicLink()) return new NotRegularFileError(path, 'a symbolic link');
  } catch {
    // gone meanwhile: Node's error says what happened
  }
  return e;
}

function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSymbolicLink()) return 'a symbolic link';
  return 'something else';
}
