import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { imageCacheDir } from './default-images.js';

describe('imageCacheDir: where decompressed guest images are kept', () => {
  it('PRNR_CACHE_DIR first, then XDG_CACHE_HOME, then ~/.cache; PRNR_CACHE_DIR=off: nowhere', () => {
    expect(imageCacheDir({ PRNR_CACHE_DIR: '/c', XDG_CACHE_HOME: '/x', HOME: '/h' })).toBe(join('/c', 'images'));
    expect(imageCacheDir({ XDG_CACHE_HOME: '/x', HOME: '/h' })).toBe(join('/x', 'prnr', 'images'));
    expect(imageCacheDir({ HOME: '/h' })).toBe(join('/h', '.cache', 'prnr', 'images'));
    expect(imageCacheDir({ PRNR_CACHE_DIR: 'off', HOME: '/h' })).toBeUndefined();
    expect(imageCacheDir({ PRNR_CACHE_DIR: '', HOME: '/h' })).toBe(join('/h', '.cache', 'prnr', 'images'));
  });
});
