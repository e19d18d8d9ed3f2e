/**
 * The record side of every input port: wraps the real world, hands the device
 * what the world delivered, and logs it at the current position.
 *
 * Optional inputs (console bytes, received frames) follow one rule that makes
 * them replayable from the log alone: once the world had nothing at a position,
 * it has nothing for the rest of that position (until virtual time jumps in an
 * idle event). So at any position the calls of a channel see the logged values
 * in order, then nothing, and replay, which serves the same sequence, cannot
 * hand a value to an earlier call than the one that got it while recording.
 */
import type { ClockPort, ConsoleInputPort, EntropyPort, PacketPort } from '@prnr/devices';
import type { LogEvent } from '../schema.js';
import { Channel } from '../schema.js';

export interface EventSink {
  append(event: LogEvent): void;
}

export interface RecordedInputs {
  consoleInput: ConsoleInputPort;
  clock: ClockPort;
  entropy: EntropyPort;
  packets?: PacketPort;
}

export class PortRecorder {
  /** Bumped by every idle jump: "nothing at this position" holds only within one epoch. */
  private epoch = 0;
  private readonly emptyAt = new Map<number, string>();

  constructor(private readonly sink: EventSink, private readonly position: () => number) {}

  /** Wraps real input ports. Output ports are not wrapped: outputs are not logged. */
  wrap(real: RecordedInputs): RecordedInputs {
    const wrapped: RecordedInputs = {
      consoleInput: { next: () => this.optional(Channel.consoleInput, () => { const b = real.consoleInput.next(); return b === null ? null : Uint8Array.of(b); })?.[0] ?? null },
      clock: {
        now: () => {
          const ns = real.clock.now();
          const p = new Uint8Array(8);
          new DataView(p.buffer).setBigUint64(0, BigInt.asUintN(64, ns), true);
          this.log(Channel.clock, p);
          return ns;
        },
      },
      entropy: {
        fill: (buf) => {
          real.entropy.fill(buf);
          this.log(Channel.entropy, buf.slice());
        },
      },
    };
    const packets = real.packets;
    if (packets) {
      wrapped.packets = {
        send: (frame) => packets.send(frame),
        receive: () => this.optional(Channel.packets, () => {
          const f = packets.receive();
          return f === null ? null : f.slice();
        }),
      };
    }
    return wrapped;
  }

  /** Logs an idle jump of `ticks` at the current position (called by the run loop, before it advances time). */
  idle(ticks: bigint, encode: (t: bigint) => Uint8Array): void {
    this.epoch++;
    this.emptyAt.clear();
    this.log(Channel.idle, encode(ticks));
  }

  log(channel: number, payload: Uint8Array, kind = 0): void {
    this.sink.append({ icount: BigInt(this.position()), channel, kind, payload });
  }

  private optional(channel: number, pull: () => Uint8Array | null): Uint8Array | null {
    const key = `${this.position()}:${this.epoch}`;
    if (this.emptyAt.get(channel) === key) return null;
    const v = pull();
    if (v === null) {
      this.emptyAt.set(channel, key);
      return null;
    }
    this.log(channel, v);
    return v;
  }
}
