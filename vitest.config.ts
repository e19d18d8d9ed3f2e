import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

// Tests import workspace packages through their `source` export condition,
// so they run against src/ without a build.
//
// Two projects. 'unit': every test, harts on their default engine. 'wasm-first-jump': the tests
// that run harts on the default engine again, with every hart on the 'wasm' engine translating
// at its first jump (packages/cpu/src/testing/wasm-engine-setup.ts): the full differential suite
// of the translator (conformance, the machine, the cpu's own tests). Left out, as a rerun would
// run the same thing again: files that make no hart (the FPU, the disassembler, RVC, the module
// builder, guest images), and those that name the engine and threshold of every hart (src/jit,
// the instruction table's).
// One project only: `npx vitest run --project unit path/to/file.test.ts`.
export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    testTimeout: 120_000,
    pool: 'forks',
    // The prnr processes that tests start keep their decompressed images and code cache here, not in
    // the user's own cache directory (~/.cache/prnr): tests neither read what the user's runs left
    // there nor write into it. Kept between test runs, so the images are decompressed once.
    env: { PRNR_CACHE_DIR: process.env.PRNR_TEST_CACHE_DIR || join(tmpdir(), `prnr-test-cache-${userInfo().uid}`) },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['packages/*/src/**/*.test.ts', 'apps/*/src/**/*.test.ts', 'tooling/*/src/**/*.test.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'wasm-first-jump',
          include: ['packages/cpu/src/**/*.test.ts', 'packages/machine/src/**/*.test.ts', 'apps/cli/src/conformance/**/*.test.ts'],
          exclude: [
            'packages/cpu/src/fpu/**', 'packages/cpu/src/disasm.test.ts', 'packages/cpu/src/rvc.test.ts', 'packages/cpu/src/instruction-table.test.ts',
            'packages/cpu/src/wasm/**', 'packages/cpu/src/jit/**', 'packages/machine/src/guest-images.test.ts', '**/node_modules/**',
          ],
          setupFiles: ['packages/cpu/src/testing/wasm-engine-setup.ts'],
        },
      },
    ],
  },
});
