#!/usr/bin/env node
// prnr benchmark runner. From the repository root, after a build:
//
//   pnpm bench                          build, then every suite
//   node bench/run.mjs                  every suite (no build)
//   node bench/run.mjs --suite cpu      only the named suite(s); repeatable or comma-separated
//   node bench/run.mjs --list           list the suites
//   node bench/run.mjs --normal-helpers V8's helper threads at normal priority (by default they are
//                                       lowered, as `prnr record` and `prnr run` lower them)
//
// Suite options are passed through (see each suite's header), e.g.
//   node bench/run.mjs --suite cpu --program sieve --cpu-reps 3 --no-qemu
//   node bench/run.mjs --suite regrepr --regrepr-ops 10000000
//   node bench/run.mjs --suite boot --boot-qemu-reps 5 --machine path/to/machine/dist/index.js
//   node bench/run.mjs --suite gdb --gdb-threads 0,1,2   (reverse-continue of `prnr gdb`)
//   node bench/run.mjs --suite net --net-mib 4          (TCP throughput of `--net user`)
//
// A suite is a module bench/suites/NAME.mjs exporting
//   name: string, description: string,
//   run(ctx): Promise<SuiteResult>
//     ctx = { args, machine, log, benchDir, resultsDir }
//     SuiteResult = {
//       title: string, columns: string[], rows: string[][],   // the printed table
//       records: object[],      // machine-readable rows, written to the JSON
//       notes?: string[],       // printed under the table
//       ok: boolean,            // false fails the run (exit status 1)
//       extra?: object,         // anything else worth keeping in the JSON
//     }
// Each suite's result goes to bench/results/NAME-YYYY-MM-DD.json and
// bench/results/latest-NAME.json; every table of the run to bench/results/latest.md
// (`--results DIR` writes them under DIR instead: for trial runs).

import { existsSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { machineInfo, formatTable, parseArgs, writeJson } from './lib/report.mjs';

const benchDir = dirname(fileURLToPath(import.meta.url));
// --results DIR: write there instead (trial runs that should not replace the tracked results).
const resultsDir = parseArgs(process.argv.slice(2)).results ?? join(benchDir, 'results');
const suitesDir = join(benchDir, 'suites');

async function loadSuites() {
  const files = readdirSync(suitesDir).filter((f) => f.endsWith('.mjs')).sort();
  const suites = [];
  for (const f of files) {
    const mod = await import(pathToFileURL(join(suitesDir, f)).href);
    suites.push({ name: mod.name ?? basename(f, '.mjs'), description: mod.description ?? '', order: mod.order ?? 100, run: mod.run });
  }
  return suites.sort((a, b) => a.order - b.order || a.name.localeCompare(b.name));
}

async function main() {
  const argv = process.argv.slice(2);
  const args = parseArgs(argv);
  // The V8 settings the CLI runs harts with (apps/cli/src/main.ts), for the suites that run them in this process.
  const tuning = new URL('../packages/cpu/dist/v8-tuning.js', import.meta.url);
  if (existsSync(tuning)) (await import(tuning.href)).tuneV8ForHarts();
  // V8's helper threads give way to the machine's thread, as in `prnr record` and `prnr run`
  // (apps/cli/src/early-threads.ts): the suites run machines in this thread. --normal-helpers: not.
  const priorities = new URL('../packages/snapshot/dist/snapshot-thread.js', import.meta.url);
  if (!args['normal-helpers'] && existsSync(priorities)) {
    const { niceOtherThreads, HELPER_NICE } = await import(priorities.href);
    niceOtherThreads(HELPER_NICE);
  }
  const suites = await loadSuites();

  if (args.list) {
    for (const s of suites) console.log(`${s.name.padEnd(12)} ${s.description}`);
    return;
  }

  const wanted = args.suite ? [].concat(args.suite).flatMap((s) => String(s).split(',')).filter(Boolean) : null;
  if (wanted) {
    const unknown = wanted.filter((w) => !suites.some((s) => s.name === w));
    if (unknown.length) {
      console.error(`bench: unknown suite ${unknown.join(', ')}; known: ${suites.map((s) => s.name).join(', ')}`);
      process.exitCode = 2;
      return;
    }
  }
  const selected = wanted ? suites.filter((s) => wanted.includes(s.name)) : suites;

  const machine = machineInfo();
  const command = ['node', 'bench/run.mjs', ...argv].join(' ');
  const date = new Date();
  const day = date.toISOString().slice(0, 10);
  console.log(`prnr bench: ${machine.cpu} (${machine.cores} cores, ${machine.memGiB} GiB), node ${machine.node}, ${machine.os}`);
  console.log(`suites: ${selected.map((s) => s.name).join(', ')}\n`);

  const md = [`<!-- ${command}; ${date.toISOString()} -->`, `Machine: ${machine.cpu}, ${machine.cores} cores, node ${machine.node}.`, ''];
  let allOk = true;
  for (const suite of selected) {
    console.log(`== ${suite.name}: ${suite.description}`);
    const t0 = performance.now();
    let result;
    try {
      result = await suite.run({ args, machine, log: (s) => console.log(s), benchDir, resultsDir });
    } catch (err) {
      console.error(`bench: suite ${suite.name} threw:`, err);
      allOk = false;
      continue;
    }
    const seconds = (performance.now() - t0) / 1000;
    const table = formatTable(result);
    console.log(`\n${result.title}\n\n${table}\n`);
    for (const n of result.notes ?? []) console.log(`  ${n}`);
    console.log(`  (${suite.name}: ${seconds.toFixed(1)} s, ${result.ok ? 'ok' : 'FAILED'})\n`);
    if (!result.ok) allOk = false;

    const record = {
      suite: suite.name,
      date: date.toISOString(),
      command,
      machine,
      ok: result.ok,
      seconds,
      title: result.title,
      columns: result.columns,
      rows: result.rows,
      notes: result.notes ?? [],
      records: result.records,
      ...(result.extra ? { extra: result.extra } : {}),
    };
    writeJson(join(resultsDir, `${suite.name}-${day}.json`), record);
    writeJson(join(resultsDir, `latest-${suite.name}.json`), record);
    md.push(`### ${result.title}`, '', table, '', ...(result.notes ?? []).map((n) => `- ${n}`), '');
  }
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, 'latest.md'), md.join('\n'));
  console.log(`results: ${resultsDir} (latest-<suite>.json, <suite>-${day}.json, latest.md)`);
  if (!allOk) {
    console.error('bench: FAILED (see above)');
    process.exitCode = 1;
  }
}

await main();
