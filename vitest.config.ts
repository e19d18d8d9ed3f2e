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
