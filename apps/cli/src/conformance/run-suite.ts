/**
 * Runs every test of a riscv-tests manifest on the hart (bare machine + HTIF).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runBareElf } from '@prnr/cpu';
import { loadManifest } from './manifest.js';
import type { ConformanceTest } from './manifest.js';

export interface ConformanceResult {
  name: string;
  status: 'pass' | 'fail' | 'timeout' | 'error';
  /** Steps executed (retired instructions plus traps taken). */
  icount: bigint;
  /** For a failure: the failing test case number (TESTNUM). */
  testNumber?: number;
  pc?: bigint;
  detail?: string;
  console?: string;
  /** Blocks the 'wasm' engine compiled to WebAssembly (0 on the interpreter): which engine really ran. */
  compiledBlocks?: number;
}

export interface SuiteOptions {
  filter?: RegExp;
  /** Steps after which a test counts as hung (default 50 million; the slowest test needs well under 1 million). */
  maxInstructions?: number;
}

export function runTest(dir: string, t: ConformanceTest, opts: SuiteOptions = {}): ConformanceResult {
  const path = join(dir, t.file);
  if (!existsSync(path)) return { name: t.name, status: 'error', icount: 0n, detail: `file ${path} is missing` };
  const bytes = readFileSync(path);
  const digest = createHash('sha256').update(bytes).digest('hex');
  if (digest !== t.sha256) return { name: t.name, status: 'error', icount: 0n, detail: `${path} does not match the manifest's sha256` };
  try {
    const r = runBareElf(bytes, { ramSize: 4 * 1024 * 1024, maxInstructions: opts.maxInstructions ?? 50_000_000 });
    const out: ConformanceResult = { name: t.name, status: r.status, icount: r.icount, pc: r.pc, compiledBlocks: r.hart.engineStats.compiled };
    if (r.console) out.console = r.console;
    if (r.status === 'fail') out.testNumber = r.exitCode;
    if (r.error) out.detail = r.error;
    return out;
  } catch (e) {
    return { name: t.name, status: 'error', icount: 0n, detail: (e as Error).message };
  }
}

export function* runSuite(dir: string, opts: SuiteOptions = {}): Generator<ConformanceResult> {
  const manifest = loadManifest(dir);
  for (const t of manifest.tests) {
    if (opts.filter && !opts.filter.test(t.name)) continue;
    yield runTest(dir, t, opts);
  }
}
