import { describe, expect, it } from 'vitest';
import type { LogEvent } from '../schema.js';
import { PortRecorder, type RecordedInputs } from './record-ports.js';
import { DivergenceError, PortReplayer } from './replay-ports.js';
import { Channel } from '../schema.js';
import { encodeUvarint, decodeUvarint } from './varint.js';

/** A scripted outside world: console bytes that "arrive" at given positions, a clock, a counter for entropy. */
function world(arrivals: Array<[number, number]>, pos: () => number): RecordedInputs {
  let ns = 1_700_000_000_000_000_000n;
  let e = 0;
  return {
    consoleInput: {
      next: () => {
        const i = arrivals.findIndex(([at]) => at <= pos());
        if (i < 0) return null;
        return arrivals.splice(i, 1)[0][1];
      },
    },
    clock: { now: () => (ns += 1_000_123n) },
    entropy: { fill: (b) => b.forEach((_, i) => { b[i] = e++ & 0xff; }) },
  };
}

describe('record and replay ports', () => {
  it('replay serves exactly what the world delivered, where it delivered it', () => {
    let p = 0;
    const log: LogEvent[] = [];
    const rec = new PortRecorder({ append: (ev) => log.push(ev) }, () => p);
    const real = rec.wrap(world([[5, 0x61], [5, 0x62], [9, 0x63]], () => p));
    // A device's calls: the same sequence will be made in replay.
    const script = (ports: RecordedInputs) => {
      const seen: unknown[] = [];
      for (p = 0; p < 12; p++) {
        if (p % 3 === 2) seen.push(ports.clock.now());
        seen.push(ports.consoleInput.next(), ports.consoleInput.next());
        if (p === 7) { const b = new Uint8Array(5); ports.entropy.fill(b); seen.push([...b]); }
      }
      return seen;
    };
    const recorded = script(real);
    expect(recorded.filter((v) => typeof v === 'number')).toEqual([0x61, 0x62, 0x63]);
    expect(log.map((e) => [Number(e.icount), e.channel])).toEqual([
      [2, Channel.clock], [5, Channel.clock], [5, Channel.consoleInput], [5, Channel.consoleInput],
      [7, Channel.entropy], [8, Channel.clock], [9, Channel.consoleInput], [11, Channel.clock],
    ]);
    const rep = new PortReplayer(log, () => p);
    expect(script(rep.ports())).toEqual(recorded);
    expect(rep.remaining).toBe(0);
  });

  it('an optional input that was absent at a position stays absent there until an idle jump', () => {
    const p = 3;
    const log: LogEvent[] = [];
    const rec = new PortRecorder({ append: (ev) => log.push(ev) }, () => p);
    const queue: number[] = [];
    const ports = rec.wrap({ ...world([], () => p), consoleInput: { next: () => queue.shift() ?? null } });
    expect(ports.consoleInput.next()).toBeNull();
    queue.push(0x41); // the user types while the guest is at the same position
    expect(ports.consoleInput.next()).toBeNull(); // ...it is not seen before virtual time moves
    rec.idle(50n, encodeUvarint);
    expect(ports.consoleInput.next()).toBe(0x41);
    // Replay makes the same calls and gets the same answers.
    const rep = new PortReplayer(log, () => p);
    const r = rep.ports();
    expect(r.consoleInput.next()).toBeNull();
    expect(r.consoleInput.next()).toBeNull();
    const idle = rep.takeIf(Channel.idle)!;
    expect(decodeUvarint(idle.payload, 'idle')).toBe(50n);
    expect(r.consoleInput.next()).toBe(0x41);
  });

  it('reports a divergence when the replay asks where the recording did not, or runs past an event', () => {
    let p = 0;
    const log: LogEvent[] = [];
    const rec = new PortRecorder({ append: (ev) => log.push(ev) }, () => p);
    const ports = rec.wrap(world([], () => p));
    p = 10;
    ports.clock.now();
    const rep = new PortReplayer(log, () => p);
    p = 9;
    expect(() => rep.ports().clock.now()).toThrow(/diverged at icount 9: the RTC read the wall clock; the recording's next event is clock at icount 10/);
    p = 11;
    expect(() => rep.ports().consoleInput.next()).toThrow(DivergenceError);
    expect(() => rep.ports().consoleInput.next()).toThrow(/ran past a clock event the guest took at icount 10/);
  });

  it('entropy must be asked for in the recorded amount', () => {
    const log: LogEvent[] = [{ icount: 0n, channel: Channel.entropy, kind: 0, payload: new Uint8Array(4) }];
    const rep = new PortReplayer(log, () => 0);
    expect(() => rep.ports().entropy.fill(new Uint8Array(8))).toThrow(/asked for 8 random bytes, the recording gave it 4/);
  });
});
