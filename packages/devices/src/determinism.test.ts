/**
 * The one rule (ARCHITECTURE.md): nothing inside a device reads the outside
 * world. This scans the device sources for the usual ways to do it. Host-side
 * port implementations (packet-backends/), the loading of device modules from
 * files (host/) and tests are exempt.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = new URL('.', import.meta.url).pathname;
const FORBIDDEN: Array<[RegExp, string]> = [
  [/\bDate\b/, 'Date'],
  [/Math\.random/, 'Math.random'],
  [/performance\.now/, 'performance.now'],
  [/process\.hrtime/, 'process.hrtime'],
  [/\bset(Timeout|Interval|Immediate)\b/, 'timers'],
  [/from ['"]node:/, 'node: modules'],
  [/\bcrypto\.getRandomValues\b/, 'crypto randomness'],
  [/\bif \(recording\b|\bisRecording\b|\breplaying\b/, 'record/replay mode checks'],
];

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return name === 'packet-backends' || name === 'host' || name === 'test-support' ? [] : sources(p);
    return p.endsWith('.ts') && !p.endsWith('.test.ts') ? [p] : [];
  });
}

describe('determinism by construction', () => {
  const files = sources(SRC);
  it('finds the device sources', () => {
    expect(files.length).toBeGreaterThan(10);
  });
  for (const file of files) {
    it(`${relative(SRC, file)} reaches the outside world only through ports`, () => {
      const code = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
      for (const [re, what] of FORBIDDEN) expect(re.test(code), `${what} in ${file}`).toBe(false);
    });
  }
});
