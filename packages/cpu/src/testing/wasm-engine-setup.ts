/**
 * Vitest setup file of the root config's 'wasm-first-jump' project (part of `pnpm test`): every
 * hart created without an explicit engine uses the 'wasm' engine and translates code at its first
 * jump, so whole test files run on translated code. Alone, from the repo root:
 *   npx vitest run --project wasm-first-jump
 * PRNR_JIT_THRESHOLD (tests only) translates at a later jump instead.
 */
import { Hart } from '../hart.js';

Hart.defaultEngine = 'wasm';
Hart.defaultJitThreshold = Number(process.env.PRNR_JIT_THRESHOLD ?? 1);
