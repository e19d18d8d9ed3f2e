/**
 * The one build setup of every package and app (tsup): ESM for Node 20, type
 * declarations, source maps. A package's tsup.config.ts passes only what
 * differs, usually its entries.
 */
import { defineConfig } from 'tsup';
import type { Options } from 'tsup';

export function packageConfig(options: Options = {}) {
  return defineConfig({
    entry: ['src/index.ts'],
    format: ['esm'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    ...options,
  });
}
