import { loadGuestImages, type GuestImageSet } from '@prnr/machine';
import { imageCacheDir } from './default-images.js';

/** The guest images of `imageDir`, as `run`, `record` and `demo` load them: decompressed copies kept in this user's cache (imageCacheDir). */
export function loadImages(imageDir: string): GuestImageSet {
  return loadGuestImages(imageDir, { cacheDir: imageCacheDir() });
}
