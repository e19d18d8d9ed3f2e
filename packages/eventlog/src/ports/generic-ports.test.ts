import { describe, expect, it } from 'vitest';
import type { LogEvent } from '../schema.js';
import { FIRST_CUSTOM_CHANNEL } from '../schema.js';
import { encodeEvents, decodeEvents } from '../event-codec.js';
import { PortRecorder } from './record-ports.js';
import { DivergenceError, PortReplayer } from './replay-ports.js';
import { recordGenericPort, replayGenericPort } from './generic-ports.js';

describe('generic ports (device plugins)', () => {
  const CH = FIRST_CUSTOM_CHANNEL + 1;

  it('logs each answer on its channel, with the method as kind, and replay serves the same answers without the world', () => {
    let p = 0;
    const log: LogEvent[] = [];
    const rec = new PortRecorder({ append: (ev) => log.push(ev) }, () => p);
    let n = 0;
    const world = { read: () => ++n * 1.5, status: () => ({ ok: n % 2 === 0, at: [n] }), nothing: () => undefined, other: () => 'not declared' };
    const port = recordGenericPort(rec, CH, 'dev.port', ['read', 'status', 'nothing'], world);
    const seen: unknown[] = [];
    p = 5;
    seen.push(port.read(), port.status());
    p = 9;
    seen.push(port.nothing(), port.read());
    expect(seen).toEqual([1.5, { ok: false, at: [1] }, undefined, 3]);
    expect('other' in port).toBe(false);
    expect(log.map((e) => [e.icount, e.channel, e.kind])).toEqual([[5n, CH, 0], [5n, CH, 1], [9n, CH, 2], [9n, CH, 0]]);
    // Through the codec (custom channels take the long form, which keeps the kind).
    const back = decodeEvents(encodeEvents(log, 0n), 0n);
    const rep = new PortReplayer(back, () => p);
    const r = replayGenericPort(rep, CH, 'dev.port', ['read', 'status', 'nothing']);
    n = 100; // the world moved on: replay must not ask it
    p = 5;
    const again = [r.read(), r.status()];
    p = 9;
    again.push(r.nothing(), r.read());
    expect(again).toEqual(seen);
    expect(rep.remaining).toBe(0);
  });

  it('a replay that calls another method, or at another position, diverges', () => {
    let p = 3;
    const log: LogEvent[] = [];
    const port = recordGenericPort(new PortRecorder({ append: (ev) => log.push(ev) }, () => p), CH, 'dev.port', ['a', 'b'], { a: () => 1, b: () => 2 });
    port.a();
    const r = replayGenericPort(new PortReplayer(log, () => p), CH, 'dev.port', ['a', 'b']);
    expect(() => r.b()).toThrow(/the device called dev\.port\.b\(\), the recording has dev\.port\.a\(\) there/);
    p = 2;
    const r2 = replayGenericPort(new PortReplayer(log, () => p), CH, 'dev.port', ['a', 'b']);
    expect(() => r2.a()).toThrow(DivergenceError);
  });

  it('refuses answers that are not JSON, hosts without a declared method, and channels of prnr\'s own ports', () => {
    const rec = new PortRecorder({ append: () => {} }, () => 0);
    expect(() => recordGenericPort(rec, CH, 'dev.port', ['f'], { f: () => () => 1 }).f()).toThrow(/dev\.port\.f\(\) returned a value that is not JSON/);
    expect(() => recordGenericPort(rec, CH, 'dev.port', ['g'], { f: () => 1 })).toThrow(/port 'dev\.port' has no method 'g'/);
    expect(() => recordGenericPort(rec, 3, 'dev.port', ['f'], { f: () => 1 })).toThrow(/channel must be 16\.\.255/);
  });
});
