/**
 * V8 settings for a process that runs harts on the 'wasm' engine. They are
 * process-wide, so this package never applies them itself: an app calls
 * tuneV8ForHarts() once, before its first hart, and every thread it starts
 * gets them. A light entry of its own (`@prnr/cpu/v8-tuning`), so that a
 * command line can apply them before it loads anything else.
 *
 * Translated code is many small functions: a smoke boot translates ~11,000
 * blocks. Each starts in V8's baseline compiler (Liftoff) and is compiled
 * again by its optimizing compiler once it has run through its tier-up
 * budget. With V8's default budget (1,800,000) a smoke boot recompiles
 * 1,609 functions; at WASM_TIERING_BUDGET 823, the hotter half. Less CPU goes
 * to compiling, and on two cores those compiles share the second core with
 * the machine's thread and with other replay lanes: `replay -j 1` of the
 * smoke recording took 0.6-2.2 s less CPU and 0.1-1.9 s less wall time in
 * three alternating pairs (BENCHMARKS.md §5).
 */
import { setFlagsFromString } from 'node:v8';

/** V8's wasm tier-up budget for translated code (V8's default: 1,800,000). */
export const WASM_TIERING_BUDGET = 8_000_000;

/** Applies the settings above, unless the process was started with its own `--wasm-tiering-budget`. */
export function tuneV8ForHarts(): void {
  if (process.execArgv.some((a) => a.startsWith('--wasm-tiering-budget') || a.startsWith('--wasm_tiering_budget'))) return;
  setFlagsFromString(`--wasm-tiering-budget=${WASM_TIERING_BUDGET}`);
}
