/**
 * The repository's tests with every hart on the 'wasm' engine, translating at
 * the first jump (src/testing/wasm-engine-setup.ts). From the repo root:
 *   npx vitest run --config packages/cpu/vitest.wasm-engine.config.ts packages/cpu apps/cli/src/conformance packages/machine
 */
import { fileURLToPath } from 'node:url';
import { defineConfig, mergeConfig } from 'vitest/config';
import base from '../../vitest.config.js';

export default mergeConfig(base, defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: { setupFiles: [fileURLToPath(new URL('./src/testing/wasm-engine-setup.ts', import.meta.url))] },
}));
