/**
 * Runs the default (or a given) guest on the virt machine until it powers off:
 * the host side of `prnr run`. Deterministic machine, host-paced idle: when the
 * guest idles, virtual time jumps to its next timer, at once for a script, or
 * paced to the wall clock for an interactive user.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ConsoleInputPort, ConsoleOutputSink, PowerRequest } from '@prnr/devices';
import { VirtMachine, guestBoard, loadGuestImages } from '@prnr/machine';
import { hostClock, hostEntropy } from './host-ports.js';

export interface RunSessionOptions {
  imageDir: string;
  memMiB?: number;
  /** A disk image file to use instead of the image set's disk. */
  disk?: Uint8Array;
  input: ConsoleInputPort;
  output: ConsoleOutputSink;
  /** Pace idle time to the wall clock (interactive). */
  realtime: boolean;
  /** Stop after this many steps (a guard against a guest that never powers off). */
  maxSteps?: number;
  /** Called between chunks; return true to stop (e.g. the user pressed the escape sequence). */
  shouldStop?: () => boolean;
}

export interface RunSessionResult {
  power: PowerRequest | null;
  steps: number;
  stopped: 'poweroff' | 'user' | 'max-steps' | 'hung';
}

const CHUNK = 5_000_000;
const TICK_NS = 100n; // 10 MHz timebase

export async function runSession(o: RunSessionOptions): Promise<RunSessionResult> {
  const { config, images } = guestBoard(loadGuestImages(o.imageDir), { memMiB: o.memMiB, disk: o.disk });
  const machine = new VirtMachine(config, images, { consoleInput: o.input, consoleOutput: o.output, clock: hostClock, entropy: hostEntropy });
  machine.boot();
  const max = o.maxSteps ?? Number.MAX_SAFE_INTEGER;
  const wallStart = process.hrtime.bigint();
  for (;;) {
    if (o.shouldStop?.()) return { power: null, steps: machine.hart.icount, stopped: 'user' };
    const r = machine.run(Math.min(max, machine.hart.icount + CHUNK));
    if (r.reason === 'halt') return { power: r.power, steps: machine.hart.icount, stopped: 'poweroff' };
    if (r.reason === 'limit') {
      if (machine.hart.icount >= max) return { power: null, steps: machine.hart.icount, stopped: 'max-steps' };
      await sleep(0); // let host input in
      continue;
    }
    // Idle.
    if (!o.realtime) {
      if (r.wakeAt === null) return { power: null, steps: machine.hart.icount, stopped: 'hung' };
      machine.advanceIdle(r.wakeAt);
      continue;
    }
    // Interactive: idle time follows the wall clock. Sleep up to 20 ms (less when the guest's next timer
    // is due sooner), then let virtual time catch up with the wall clock, never past that timer.
    const wallTicks = () => (process.hrtime.bigint() - wallStart) / TICK_NS;
    const dueMs = r.wakeAt === null ? 20 : Number((r.wakeAt - wallTicks()) / 10_000n);
    await sleep(Math.max(0, Math.min(20, dueMs)));
    const now = wallTicks();
    machine.advanceIdle(r.wakeAt !== null && r.wakeAt < now ? r.wakeAt : now);
  }
}
