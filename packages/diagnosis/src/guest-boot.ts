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
export const PROFILE = JSON.parse(readFileSync(`${IMAGES}/profile.json`, 'utf8')) as unknown;

export function bootGuest(script: string): { machine: VirtMachine; console: () => string } {
  const { config, images } = guestBoard(loadGuestImages(IMAGES));
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
