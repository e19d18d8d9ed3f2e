// Shared helpers for the benchmark runner and the standalone benchmarks:
// machine description, markdown tables, argument parsing, result files.

import os from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export function machineInfo() {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model?.trim() ?? 'unknown',
    cores: cpus.length,
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    v8: process.versions.v8,
  };
}

/** A markdown pipe table, padded so it also reads well in a terminal. */
export function formatTable({ columns, rows }) {
  const cells = [columns, ...rows].map((r) => r.map((c) => String(c ?? '')));
  const widths = columns.map((_, i) => Math.max(3, ...cells.map((r) => r[i].length)));
  const numeric = columns.map((_, i) => rows.length > 0 && rows.every((r) => /^[-+]?[\d.,]+[a-zA-Z%×x]*$|^[-–—]$|^$/.test(String(r[i] ?? ''))));
  const line = (r) => '| ' + r.map((c, i) => (numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join(' | ') + ' |';
  const rule = '|' + widths.map((w, i) => (numeric[i] ? '-'.repeat(w + 1) + ':' : '-'.repeat(w + 2))).join('|') + '|';
  return [line(cells[0]), rule, ...cells.slice(1).map(line)].join('\n');
}

/** --key value, --key=value, --flag; repeated keys collect into an array. */
export function parseArgs(argv) {
  const out = { _: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) {
      out._.push(a);
      continue;
    }
    let key = a.slice(2);
    let value = true;
    const eq = key.indexOf('=');
    if (eq >= 0) {
      value = key.slice(eq + 1);
      key = key.slice(0, eq);
    } else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) {
      value = argv[++i];
    }
    if (key in out) out[key] = [].concat(out[key], value);
    else out[key] = value;
  }
  return out;
}

export function writeJson(path, data) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(data, (_, v) => (typeof v === 'bigint' ? v.toString() : v), 2) + '\n');
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * A distribution-free confidence interval of the median of `xs` at 90% or more: the k-th
 * smallest and k-th largest value, with k the largest rank for which the chance that fewer
 * than k values fall below the true median is at most 5% (binomial, p = 1/2). Null for fewer than 5 values.
 */
export function medianInterval(xs) {
  const n = xs.length;
  const s = [...xs].sort((a, b) => a - b);
  let k = 0;
  let below = 0; // P(Bin(n, 1/2) < k + 1), summed term by term
  let term = 0.5 ** n; // P(Bin = 0)
  for (let j = 0; j < n; j++) {
    below += term;
    if (below > 0.05) break;
    k = j + 1;
    term = (term * (n - j)) / (j + 1);
  }
  return k === 0 ? null : [s[k - 1], s[n - k]];
}
