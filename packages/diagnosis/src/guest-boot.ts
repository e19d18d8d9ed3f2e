/**
 * Test helper (not exported from the package): the default guest booted on
 * the virt machine with a script typed into its shell, deterministic host
 * ports, and the console collected. For the end-to-end tests against the
 * real guest.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ScriptInput, VirtMachine, guestBoard, loadGuestImages } from '@prnr/machine';

export const IMAGES = fileURLToPath(new URL('../../../guest/images', import.meta.url));
/** The second kernel (SMP, cgroups: another task_struct layout), built by `guest/build.sh --alt`. */
export const IMAGES_ALT = fileURLToPath(new URL('../../../guest/images-alt', import.meta.url));
export const PROFILE = readProfile(IMAGES);

/** profile.json of an images folder (guest/profile/offsets.c compiled against that kernel). */
export function readProfile(dir: string): unknown {
  return JSON.parse(readFileSync(`${dir}/profile.json`, 'utf8')) as unknown;
}

export function bootGuest(script: string, dir = IMAGES, o: { memMiB?: number } = {}): { machine: VirtMachine; console: () => string } {
  const { config, images } = guestBoard(loadGuestImages(dir), o);
  let out = '';
  const input = new ScriptInput(script);
  const machine = new VirtMachine(config, images, {
    consoleOutput: { write: (b: number) => { out += String.fromCharCode(b); input.observe(b); } },
    consoleInput: input,
    clock: { now: () => 1_764_000_000_000_000_000n },
    entropy: { fill: (buf: Uint8Array) => buf.forEach((_, i) => { buf[i] = (i * 151 + 7) & 0xff; }) },
  });
  machine.boot();
  return { machine, console: () => out };
}
