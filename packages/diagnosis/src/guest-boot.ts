/**
 * Test helper (not exported from the package): the default guest booted on
 * the virt machine with a script typed into its shell, deterministic host
 * ports, and the console collected. For the end-to-end tests against the
 * real guest.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ScriptInput, VirtMachine, guestBoard, loadGuestImages } from '@prnr/machine';
import type { ReplayView, TrapEvent, XretEvent } from '@prnr/scheduler';

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

/** A slice opened over a running machine: the view an analysis attaches to, and `close()` to detach it. */
export interface LiveSlice {
  view: ReplayView;
  close(): void;
}

/**
 * Slices over the live machine, as replay would hand them to analyses: the hart's trap and xret
 * hooks are installed once and feed every open slice.
 */
export function liveSlices(m: VirtMachine): (index: number, endIcount?: number) => LiveSlice {
  const open = new Set<{ traps: ((e: TrapEvent) => void)[]; xrets: ((e: XretEvent) => void)[] }>();
  m.hart.hooks.onTrap = (_h, cause, interrupt, fromPriv) => { for (const l of open) for (const f of l.traps) f({ cause, interrupt, fromPriv }); };
  m.hart.hooks.onXret = (_h, toPriv) => { for (const l of open) for (const f of l.xrets) f({ toPriv }); };
  return (index, endIcount = Number.MAX_SAFE_INTEGER) => {
    const l = { traps: [] as ((e: TrapEvent) => void)[], xrets: [] as ((e: XretEvent) => void)[] };
    open.add(l);
    const view: ReplayView = {
      slice: { index, startIcount: m.hart.icount, endIcount, startMtime: Number(m.clock.mtime()) },
      hart: m.hart,
      ram: m.ram,
      mtime: () => m.clock.mtime(),
      onTrap: (fn) => { l.traps.push(fn); },
      onXret: (fn) => { l.xrets.push(fn); },
      onConsole: () => {},
      watchStores: () => { throw new Error('not in these tests'); },
    };
    return { view, close: () => { open.delete(l); } };
  };
}

/** Runs the machine to `end` (waiting out idle time); false once it stopped for another reason (poweroff). */
export function runTo(m: VirtMachine, end: number): boolean {
  for (;;) {
    const r = m.run(end);
    if (r.reason === 'idle' && r.wakeAt != null) { m.advanceIdle(r.wakeAt); continue; }
    return r.reason === 'limit';
  }
}
