/**
 * The example device module (examples/devices/temperature-sensor.mjs) and
 * variants of it, for tests of how prnr takes a module that misbehaves: each
 * variant is the example with one piece of text replaced, as a file of its own.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const EXAMPLE_DEVICE = fileURLToPath(new URL('../../../examples/devices/temperature-sensor.mjs', import.meta.url));

/** Writes `dir/name.mjs`: the example with `from` replaced by `to`; returns its path. Throws if the example no longer has `from`. */
export function exampleDeviceVariant(dir: string, name: string, from: string, to: string): string {
  const text = readFileSync(EXAMPLE_DEVICE, 'utf8');
  if (!text.includes(from)) throw new Error(`the example no longer has ${JSON.stringify(from)}`);
  const file = join(dir, `${name}.mjs`);
  writeFileSync(file, text.replace(from, to));
  return file;
}
