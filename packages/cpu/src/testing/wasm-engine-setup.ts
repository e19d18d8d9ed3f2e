/**
 * Vitest setup file: every hart created without an explicit engine uses the
 * 'wasm' engine and translates code at its first jump, so a whole test suite
 * runs on translated code. Usage (from the repo root):
 *   npx vitest run --config packages/cpu/vitest.wasm-engine.config.ts packages/cpu apps/cli/src/conformance packages/machine
 */
import { Hart } from '../hart.js';

Hart.defaultEngine = 'wasm';
Hart.defaultJitThreshold = Number(process.env.PRNR_JIT_THRESHOLD ?? 1);
