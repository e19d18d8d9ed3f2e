import { defineConfig } from 'vitest/config';

// Tests import workspace packages through their `source` export condition,
// so they run against src/ without a build.
export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'apps/*/src/**/*.test.ts', 'tooling/*/src/**/*.test.ts'],
    testTimeout: 120_000,
    pool: 'forks',
  },
});
