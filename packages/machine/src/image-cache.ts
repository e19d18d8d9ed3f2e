/**
 * Decompressed guest images kept between runs, for loadGuestImages.
 *
 * Decompressing the default guest's zstd files (12 MB) in JavaScript took
 * ~0.2 s of every `prnr run`, `record` and `demo` start; reading a kept copy
 * and checking its sha256 takes ~20 ms. A copy is named by the sha256 of the
 * stored (compressed) file it came from, so a stored file that changed or was
 * damaged is decompressed, and refused, as before. The caller checks a copy
 * against the manifest's size and sha256 before using it, and decompresses
 * again when it does not match. Keeping one is best effort: a cache that
 * cannot be written costs only the decompression.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where the kept copy of a stored file with this sha256 is. */
const copyPath = (cacheDir: string, storedSha256: string): string => join(cacheDir, `${storedSha256}.img`);

/** The kept copy for a stored file with this sha256, or null (none, or not readable). */
export function readKeptImage(cacheDir: string, storedSha256: string): Uint8Array | null {
  try {
    return readFileSync(copyPath(cacheDir, storedSha256));
  } catch {
    return null;
  }
}

/** Keeps `bytes` (checked by the caller) as the copy for a stored file with this sha256; written whole or not at all. */
export function keepImage(cacheDir: string, storedSha256: string, bytes: Uint8Array): void {
  const tmp = join(cacheDir, `.${storedSha256}.${randomBytes(6).toString('hex')}.partial`);
  try {
    mkdirSync(cacheDir, { recursive: true });
    writeFileSync(tmp, bytes);
    renameSync(tmp, copyPath(cacheDir, storedSha256));
  } catch {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // Nothing was written where nothing could be made.
    }
  }
}
