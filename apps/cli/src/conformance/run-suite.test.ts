import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadManifest, ConformanceDirError } from './manifest.js';
import { runTest } from './run-suite.js';

// CI has ../shared beside the checkout; PRNR_CONFORMANCE_DIR overrides.
const DIR = process.env.PRNR_CONFORMANCE_DIR ?? fileURLToPath(new URL('../../../../../shared/conformance/riscv-tests', import.meta.url));

describe('riscv-tests conformance (every test in the manifest must pass)', () => {
  if (!existsSync(DIR)) {
    it('finds the conformance suite', () => {
      throw new Error(`riscv-tests not found at ${DIR}: put ../shared beside the checkout or set PRNR_CONFORMANCE_DIR`);
    });
    return;
  }
  const manifest = loadManifest(DIR);
  it('lists the 243 tests of the suite', () => {
    expect(manifest.tests.length).toBe(243);
  });
  for (const t of manifest.tests) {
    it(t.name, () => {
      const r = runTest(DIR, t);
      const why = r.status === 'fail' ? `failing test ${r.testNumber} at pc 0x${r.pc?.toString(16)}` : r.detail ?? r.status;
      expect(r.status, why).toBe('pass');
    });
  }
});

describe('an unusable conformance directory', () => {
  it('is refused with a message naming it', () => {
    expect(() => loadManifest('/nonexistent/prnr-conformance')).toThrow(ConformanceDirError);
    expect(() => loadManifest('/nonexistent/prnr-conformance')).toThrow(/\/nonexistent\/prnr-conformance does not exist/);
  });
  it('without a manifest is refused', () => {
    expect(() => loadManifest(fileURLToPath(new URL('.', import.meta.url)))).toThrow(/manifest.json is missing/);
  });
});
