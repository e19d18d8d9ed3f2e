/**
 * The replay side of every input port: serves what the recorder logged, at
 * the position it was logged, from the log alone. Events are consumed strictly
 * in log order; a device asking for something the log does not have at this
 * position, or the replay passing a logged event by, is a divergence.
 */
import type { ClockPort, ConsoleInputPort, EntropyPort, PacketPort } from '@prnr/devices';
import type { RecordedInputs } from './record-ports.js';
import type { LogEvent } from '../schema.js';
import { Channel } from '../schema.js';
import { channelName } from './channel-names.js';

/** The replay no longer follows the recording. `icount`: where it noticed. */
export class DivergenceError extends Error {
  constructor(readonly icount: bigint, message: string) {
    super(message);
    this.name = 'DivergenceError';
  }
}

export class PortReplayer {
  private at = 0;

  constructor(private events: readonly LogEvent[], private readonly position: () => number) {}

  /** Serve `events` from now on (the next slice's, or another slice's after a restore). */
  load(events: readonly LogEvent[]): void {
    this.events = events;
    this.at = 0;
  }

  /** Ports that serve the log. `packets.send` goes to `onSend` (transmitted frames are outputs). */
  ports(onSend: (frame: Uint8Array) => void = () => {}): RecordedInputs {
    const consoleInput: ConsoleInputPort = { next: () => this.optional(Channel.consoleInput)?.[0] ?? null };
    const clock: ClockPort = {
      now: () => {
        const p = this.take(Channel.clock, 'the RTC read the wall clock');
        if (p.length !== 8) throw this.diverged(`a clock event has ${p.length} bytes, not 8`);
        return new DataView(p.buffer, p.byteOffset, 8).getBigUint64(0, true);
      },
    };
    const entropy: EntropyPort = {
      fill: (buf) => {
        const p = this.take(Channel.entropy, `virtio-rng asked for ${buf.length} random bytes`);
        if (p.length !== buf.length) throw this.diverged(`virtio-rng asked for ${buf.length} random bytes, the recording gave it ${p.length}`);
        buf.set(p);
      },
    };
    const packets: PacketPort = { send: onSend, receive: () => this.optional(Channel.packets) };
    return { consoleInput, clock, entropy, packets };
  }

  /** The next event, if it is at the current position on `channel`: consumed. */
  takeIf(channel: number): LogEvent | undefined {
    this.checkNotPassed();
    const ev = this.events[this.at];
    if (ev && ev.channel === channel && ev.icount === BigInt(this.position())) {
      this.at++;
      return ev;
    }
    return undefined;
  }

  /** Events not yet consumed. */
  get remaining(): number {
    return this.events.length - this.at;
  }

  peek(): LogEvent | undefined {
    return this.events[this.at];
  }

  diverged(what: string): DivergenceError {
    const now = BigInt(this.position());
    const ev = this.events[this.at];
    const expected = ev ? `; the recording's next event is ${channelName(ev.channel)} at icount ${ev.icount}` : '; the recording has no events left';
    return new DivergenceError(now, `replay diverged at icount ${now}: ${what}${expected}`);
  }

  private take(channel: number, what: string): Uint8Array {
    const ev = this.takeIf(channel);
    if (!ev) throw this.diverged(what);
    return ev.payload;
  }

  private optional(channel: number): Uint8Array | null {
    return this.takeIf(channel)?.payload ?? null;
  }

  private checkNotPassed(): void {
    const ev = this.events[this.at];
    if (ev && ev.icount < BigInt(this.position())) {
      throw this.diverged(`the replay ran past a ${channelName(ev.channel)} event the guest took at icount ${ev.icount}`);
    }
  }
}
