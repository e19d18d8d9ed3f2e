// ESLint for the whole monorepo (`pnpm lint`, and in .ci/run): the recommended rules of ESLint
// and typescript-eslint, without type information, so that a run takes seconds; the type
// checking is tsc's (strict, `pnpm typecheck`).
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'bench/results/**', 'guest/**', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      // A leading underscore marks a name that is unused on purpose (an interface's argument, a rest sibling).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
  // Tests read JSON answers loosely; the code under test may not.
  { files: ['**/*.test.ts', '**/testing/**/*.ts'], rules: { '@typescript-eslint/no-explicit-any': 'off' } },
  // Plain JavaScript here is Node's: the bench, tooling scripts, example device modules.
  { files: ['**/*.{js,mjs,cjs}'], languageOptions: { globals: globals.node } },
);
