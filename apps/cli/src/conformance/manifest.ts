/**
 * The riscv-tests manifest (format: ../shared/conformance/README.md), read and
 * validated so that an unusable directory gets one clear sentence.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

const TestEntry = z.object({
  name: z.string(),
  family: z.string(),
  variant: z.string(),
  expected: z.enum(['pass']),
  file: z.string(),
  size: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});

const Manifest = z.object({
  total: z.number().int(),
  tests: z.array(TestEntry).min(1),
});

export type ConformanceTest = z.infer<typeof TestEntry>;
export type ConformanceManifest = z.infer<typeof Manifest>;

/** A conformance directory that cannot be used; the message says why. */
export class ConformanceDirError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConformanceDirError';
  }
}

export function loadManifest(dir: string): ConformanceManifest {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new ConformanceDirError(`conformance directory ${dir} does not exist (expected the riscv-tests folder with manifest.json, e.g. ../shared/conformance/riscv-tests)`);
  }
  const path = join(dir, 'manifest.json');
  if (!existsSync(path)) throw new ConformanceDirError(`${path} is missing: ${dir} is not a conformance directory`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ConformanceDirError(`${path} is not valid JSON: ${(e as Error).message}`);
  }
  const parsed = Manifest.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConformanceDirError(`${path} is malformed at ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  if (parsed.data.total !== parsed.data.tests.length) {
    throw new ConformanceDirError(`${path} says total=${parsed.data.total} but lists ${parsed.data.tests.length} tests`);
  }
  return parsed.data;
}
