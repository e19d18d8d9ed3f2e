import { existsSync, readFileSync } from 'node:fs';
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
