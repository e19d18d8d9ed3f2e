/**
 * Runs the default (or a given) guest on the virt machine until it powers off:
 * the host side of `prnr run`. Deterministic machine, host-paced idle: when the
 * guest idles, virtual time jumps to its next timer, at once for a script, or
 * paced to the wall clock for an interactive user.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ConsoleInputPort, ConsoleOutputSink, PacketPort, PowerRequest } from '@prnr/devices';
import { VirtMachine, guestBoard, hostPluginPorts, pluginDevicePorts } from '@prnr/machine';
import { createDeviceRegistry } from '@prnr/devices';
import { HOST_YIELD_EVERY_MS, hostYields } from '@prnr/recording';
import { loadImages } from './load-images.js';
import { deviceStartRefusal, withDevices, type BoardDevices } from './device-options.js';
import { hostClock, hostEntropy } from './host-ports.js';

export interface RunSessionOptions {
  /** Devices from `--device` modules, added to the board. */
  devices?: BoardDevices;
  imageDir: string;
  memMiB?: number;
  /** Kernel command line (default: the image set's). */
  cmdline?: string;
  /** A disk image file to use instead of the image set's disk. */
  disk?: Uint8Array;
  input: ConsoleInputPort;
  output: ConsoleOutputSink;
  /** Ethernet frames: adds virtio-net to the board (`--net`). */
  packets?: PacketPort;
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
  const board = guestBoard(loadImages(o.imageDir), { memMiB: o.memMiB, disk: o.disk, cmdline: o.cmdline, network: o.packets !== undefined });
  const { images } = board;
  const config = withDevices(board.config, o.devices ?? { plugins: [], devices: [] });
  const registry = createDeviceRegistry((o.devices?.plugins ?? []).map((p) => p.plugin));
  let machine: VirtMachine;
  try {
    const plugged = hostPluginPorts(config, registry);
    const devicePorts = pluginDevicePorts(plugged.slots, plugged.host);
    machine = new VirtMachine(config, images, { consoleInput: o.input, consoleOutput: o.output, clock: hostClock, entropy: hostEntropy, devicePorts, ...(o.packets ? { packets: o.packets } : {}) }, registry);
  } catch (e) {
    throw deviceStartRefusal(e);
  }
  machine.boot();
  const max = o.maxSteps ?? Number.MAX_SAFE_INTEGER;
  const wallStart = process.hrtime.bigint();
  const yieldToHost = hostYields(o.realtime ? HOST_YIELD_EVERY_MS.realtime : HOST_YIELD_EVERY_MS.scripted);
  for (;;) {
    if (o.shouldStop?.()) return { power: null, steps: machine.hart.icount, stopped: 'user' };
    const r = machine.run(Math.min(max, machine.hart.icount + CHUNK));
    if (r.reason === 'halt') return { power: r.power, steps: machine.hart.icount, stopped: 'poweroff' };
    if (r.reason === 'limit') {
      if (machine.hart.icount >= max) return { power: null, steps: machine.hart.icount, stopped: 'max-steps' };
      await yieldToHost(); // let host input in, every HOST_YIELD_EVERY_MS
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
