/**
 * Files the user named on the command line (`--script`, `--disk`,
 * `--workload`, `-o`): one that cannot be read, or written, is said in one
 * line that names it and the option, never with Node's stack trace.
 */
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UsageError } from './usage-error.js';

/** Node's error codes for a path that cannot be read, in words. */
const REASONS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory, not a file',
  ENOTDIR: 'a part of the path is not a directory',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'the name is too long',
};

function reasonOf(e: unknown): string | undefined {
  const code = e instanceof Error ? (e as NodeJS.ErrnoException).code : undefined;
  return code === undefined ? undefined : REASONS[code];
}

/** The file's bytes; a UsageError such as "--script smoke.sh: no such file or directory" when it cannot be read. */
export function readNamedFile(path: string, option: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    const why = reasonOf(e);
    if (why) throw new UsageError(`${option} ${path}: ${why}`);
    throw e;
  }
}

/**
 * Throws now if `path` could not be written later (its directory missing or
 * not writable, or the path a directory), so that a long job is not run for
 * a result that has nowhere to go.
 */
export function checkWritable(path: string, option: string): void {
  const dir = dirname(resolve(path));
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`${option} ${path}: the directory ${dir} does not exist`);
  if (existsSync(path) && statSync(path).isDirectory()) throw new UsageError(`${option} ${path}: ${REASONS.EISDIR}`);
  try {
    accessSync(existsSync(path) ? path : dir, constants.W_OK);
  } catch (e) {
    throw new UsageError(`${option} ${path}: ${reasonOf(e) ?? (e as Error).message}`);
  }
}

/** One line for any other file-system error on a path ("cannot open x: no such file or directory"), or undefined. */
export function pathErrorLine(e: unknown): string | undefined {
  const why = reasonOf(e);
  const { path, syscall } = e as NodeJS.ErrnoException;
  return why && typeof path === 'string' && typeof syscall === 'string' ? `cannot ${syscall} ${path}: ${why}` : undefined;
}
