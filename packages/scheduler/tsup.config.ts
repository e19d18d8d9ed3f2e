import { defineConfig } from 'tsup';

export default defineConfig({
  // The thread worker is its own entry: piscina loads it by file name.
  entry: ['src/index.ts', 'src/thread-worker.ts'],
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
});
