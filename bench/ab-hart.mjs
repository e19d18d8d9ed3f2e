#!/usr/bin/env node
// A/B of two builds of the hart, in one process: the smoke boot of the boot
// suite (power-on to power-off, script mode) on build A and on build B, a cold
// run of each first, then warm runs in alternating order (A B, B A, ...). Each
// pair ran back to back under the same host load, so its ratio B/A keeps
// little of the noise that separate processes see: on this shared 2-core host,
// fresh-process boots of one build varied by 10-20% within minutes, which hides
// the 3-5% a hart change is worth. Prints the pair ratios, their median with a
// 90% confidence interval, and writes bench/results/ab-hart-<date>.json.
// Each run also prints its user CPU seconds (all threads: V8's compiler
// threads included) and the engine's counters (dispatcher trips, blocks
// translated and installed from the code cache), which do not move with the
// host's load: a change that should cut trips shows it in one run.
//
//   # build A (e.g. main) and keep its cpu package's dist:
//   git stash; pnpm --filter @prnr/cpu build; cp -r packages/cpu/dist /tmp/cpu-a; git stash pop
//   # build B (your change):
//   pnpm --filter @prnr/cpu build; cp -r packages/cpu/dist /tmp/cpu-b
//   node bench/ab-hart.mjs --a /tmp/cpu-a --b /tmp/cpu-b [--rounds 8]
//
// --cold A (or B): one cold boot of that build alone, printed as one JSON line,
// and nothing else. The first boot of a process is what `prnr run` and
// `record` are, and in one process the second build's cold boot follows the
// first's; so compare cold boots in fresh processes, alternating:
//   for i in 1 2 3 4 5 6; do for s in A B; do
//     node bench/ab-hart.mjs --a /tmp/cpu-a --b /tmp/cpu-b --cold $s; done; done
//
// Both sides use this checkout's devices and machine packages (their dists),
// each importing its own copy of @prnr/cpu: the two builds share the process
// but no module state (code caches, hub modules). Both must reach power-off at
// the same step count, or the run fails.

import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { formatTable, machineInfo, median, medianInterval, parseArgs, writeJson } from './lib/report.mjs';
import { oursRun, WORKLOAD } from './suites/boot.mjs';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));

const args = parseArgs(process.argv.slice(2));
if (typeof args.a !== 'string' || typeof args.b !== 'string') {
  console.error('usage: node bench/ab-hart.mjs --a <cpu dist dir> --b <cpu dist dir> [--rounds N | --cold A|B]');
  process.exit(2);
}
if (args.cold !== undefined && args.cold !== 'A' && args.cold !== 'B') throw new Error(`--cold: A or B, not ${args.cold}`);
const rounds = Number(args.rounds ?? 8);
if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds: a positive integer, not ${args.rounds}`);
for (const d of [args.a, args.b]) if (!existsSync(join(d, 'index.js'))) throw new Error(`${d} has no index.js: give the dist directory of a built @prnr/cpu`);

/**
 * A copy of cpu (its dist from `cpuDist`), devices and machine under `dir`, each package's
 * node_modules linking the other two copies and, for everything else, what the checkout links.
 */
function layout(dir, cpuDist) {
  const ours = ['cpu', 'devices', 'machine'];
  for (const p of ours) {
    const src = join(ROOT, 'packages', p);
    mkdirSync(join(dir, p, 'node_modules', '@prnr'), { recursive: true });
    cpSync(join(src, 'package.json'), join(dir, p, 'package.json'));
    cpSync(p === 'cpu' ? cpuDist : join(src, 'dist'), join(dir, p, 'dist'), { recursive: true });
    const deps = join(src, 'node_modules');
    for (const name of existsSync(deps) ? readdirSync(deps) : []) {
      if (name === '@prnr') continue;
      symlinkSync(realpathSync(join(deps, name)), join(dir, p, 'node_modules', name));
    }
    for (const name of existsSync(join(deps, '@prnr')) ? readdirSync(join(deps, '@prnr')) : []) {
      const to = ours.includes(name) ? join(dir, name) : realpathSync(join(deps, '@prnr', name));
      symlinkSync(to, join(dir, p, 'node_modules', '@prnr', name));
    }
  }
  return join(dir, 'machine', 'dist', 'index.js');
}

/**
 * The boot suite's smoke run on machine module `mod` (its oursRun): wall and user CPU seconds, the
 * step count at power-off, and the engine's counters.
 */
function boot(mod, imgs) {
  const r = oursRun(mod, imgs, `${imgs.cmdline} prnr.run="${WORKLOAD}"`, 'wasm');
  if (!r.ok) throw new Error(`the boot did not reach power-off (${r.stop}): ...${r.tail}`);
  return { seconds: r.ms / 1000, userSeconds: r.userS, steps: r.steps, trips: r.stats.dispatcherTrips, translated: r.stats.translated, fromCache: r.stats.fromCache };
}

const describeRun = (r) => `${r.seconds.toFixed(2)} s (user CPU ${r.userSeconds.toFixed(2)} s; ${r.trips} dispatcher trips, ${r.translated} blocks translated, ${r.fromCache} from the code cache)`;

/** Cold boots of A then B, then `rounds` alternating pairs of warm ones; prints and writes the comparison. */
function comparePairs(sides, imgs) {
  const steps = new Set();
  const cold = {};
  for (const side of ['A', 'B']) {
    const r = boot(sides[side].mod, imgs);
    cold[side] = r.seconds;
    steps.add(r.steps);
    console.log(`cold ${side}: ${describeRun(r)}`);
  }
  const ratios = [];
  const cpuRatios = [];
  for (let i = 0; i < rounds; i++) {
    const order = i % 2 === 0 ? ['A', 'B'] : ['B', 'A'];
    const got = {};
    const user = {};
    for (const side of order) {
      const r = boot(sides[side].mod, imgs);
      got[side] = r.seconds;
      user[side] = r.userSeconds;
      sides[side].runs.push(r.seconds);
      steps.add(r.steps);
      console.log(`  ${side}: ${describeRun(r)}`);
    }
    ratios.push(got.B / got.A);
    cpuRatios.push(user.B / user.A);
    console.log(`pair ${i + 1} (${order.join(' ')}): A ${got.A.toFixed(2)} s, B ${got.B.toFixed(2)} s, B/A ${(got.B / got.A).toFixed(3)}`);
  }
  if (steps.size !== 1) throw new Error(`the builds ended at different step counts (${[...steps].join(', ')}): not the same guest work`);
  const ci = medianInterval(ratios);
  const fmt = (x) => x.toFixed(3);
  const rows = [
    ['A', args.a, cold.A.toFixed(2), median(sides.A.runs).toFixed(2), Math.min(...sides.A.runs).toFixed(2), '', ''],
    ['B', args.b, cold.B.toFixed(2), median(sides.B.runs).toFixed(2), Math.min(...sides.B.runs).toFixed(2), fmt(median(ratios)), ci ? `${fmt(ci[0])}–${fmt(ci[1])}` : '–'],
  ];
  const table = { columns: ['build', 'cpu dist', 'cold s', `warm s (median of ${rounds})`, 'warm s (min)', 'B/A (median of pairs)', '90% CI'], rows };
  console.log(`\nSmoke boot to power-off, ${[...steps][0]} steps, builds A and B in one process (${machineInfo().cpu}, ${machineInfo().cores} cores)\n`);
  console.log(formatTable(table));
  const cpuCi = medianInterval(cpuRatios);
  console.log(`\nB/A in user CPU seconds (median of pairs): ${fmt(median(cpuRatios))}${cpuCi ? `, 90% CI ${fmt(cpuCi[0])}–${fmt(cpuCi[1])}` : ''}`);
  const date = new Date().toISOString().slice(0, 10);
  writeJson(join(ROOT, 'bench', 'results', `ab-hart-${date}.json`), { date: new Date().toISOString(), machine: machineInfo(), steps: [...steps][0], cold, runs: { A: sides.A.runs, B: sides.B.runs }, ratios, medianRatio: median(ratios), interval90: ci, cpuRatios, medianCpuRatio: median(cpuRatios), a: sides.A.dist, b: sides.B.dist });
}

const tmp = mkdtempSync(join(tmpdir(), 'prnr-ab-hart-'));
try {
  const sides = {};
  for (const [side, dist] of [['A', args.a], ['B', args.b]].filter(([side]) => args.cold === undefined || side === args.cold)) {
    const machinePath = layout(join(tmp, side), resolve(dist));
    const cpu = await import(pathToFileURL(join(tmp, side, 'cpu', 'dist', 'index.js')).href);
    cpu.tuneV8ForHarts?.(); // process-wide, as the boot suite and the CLI do
    sides[side] = { dist: resolve(dist), mod: await import(pathToFileURL(machinePath).href), runs: [] };
  }
  const imgs = Object.values(sides)[0].mod.loadGuestImages(join(ROOT, 'guest/images'));
  if (args.cold !== undefined) {
    const r = boot(sides[args.cold].mod, imgs);
    console.log(JSON.stringify({ side: args.cold, dist: sides[args.cold].dist, ...r }));
  } else comparePairs(sides, imgs);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
