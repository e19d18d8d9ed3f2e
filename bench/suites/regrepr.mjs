// Suite "regrepr": how to hold 64-bit registers in JS (see bench/regrepr.mjs).
// Options: --regrepr-ops N (default 50,000,000 per option), --regrepr-reps N (default 3).

import { runRegrepr, regreprTable, writeRegreprJson } from '../regrepr.mjs';

export const name = 'regrepr';
export const order = 20;
export const description = '64-bit register representations in a JS interpreter loop (micro-benchmark)';

export async function run({ args, machine, log }) {
  const ops = Number(args['regrepr-ops'] ?? 50_000_000);
  const reps = Number(args['regrepr-reps'] ?? 3);
  const result = await runRegrepr({ ops, reps, log });
  writeRegreprJson(result, machine);
  return {
    title: `Register representation: ${(ops / 1e6).toFixed(0)}M ops of an ${result.programLength}-op RV64 loop per option, median of ${reps}`,
    ...regreprTable(result),
    records: result.rows,
    notes: [
      `exact options agree on the final state: ${result.checksumsAgree ? 'yes' : 'NO'}`,
      'Float64Array is not exact (no 64-bit wrap, 32-bit bitwise ops): an upper bound, not a candidate',
    ],
    ok: result.checksumsAgree,
  };
}
