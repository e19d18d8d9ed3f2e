import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The committed default guest (guest/images of this checkout), found by walking up from this file (src/ or dist/). */
export function defaultImageDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'guest', 'images');
    if (existsSync(join(candidate, 'manifest.json'))) return candidate;
    const up = dirname(dir);
    if (up === dir) return join(process.cwd(), 'guest', 'images');
    dir = up;
  }
}

/** The guest profile next to the images (profile.json), if the guest build made one: diagnosis uses it. */
export function readGuestProfile(imageDir: string): unknown {
  const file = join(imageDir, 'profile.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as unknown) : undefined;
}

/**
 * Where this user's caches are kept between runs: $PRNR_CACHE_DIR, else $XDG_CACHE_HOME/prnr,
 * else ~/.cache/prnr; none with PRNR_CACHE_DIR=off, or without a home directory.
 */
export function userCacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.PRNR_CACHE_DIR === 'off') return undefined;
  if (env.PRNR_CACHE_DIR) return env.PRNR_CACHE_DIR;
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, 'prnr');
  const home = env.HOME || homedir();
  return home ? join(home, '.cache', 'prnr') : undefined;
}

/** Where the decompressed guest images are kept between runs (@prnr/machine's loadGuestImages): `images` in userCacheDir. */
export function imageCacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dir = userCacheDir(env);
  return dir === undefined ? undefined : join(dir, 'images');
}
