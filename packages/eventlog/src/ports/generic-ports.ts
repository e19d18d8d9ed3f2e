/**
 * One wrapper for any declared port (a device plugin's): every call of a
 * declared method is logged on the port's channel, the event's `kind` being
 * the method's index in the declaration and its payload the returned value as
 * JSON text (empty for undefined); replay returns the logged value instead of
 * asking the world. Arguments are not logged: they come from the device, which
 * replays them itself. In record mode too the device gets the value decoded
 * from the logged bytes, so what it sees cannot differ between the two.
 *
 * Not a hot path: a plugin's port is asked at MMIO accesses.
 */
import { FIRST_CUSTOM_CHANNEL } from '../schema.js';
import type { PortRecorder } from './record-ports.js';
import type { PortReplayer } from './replay-ports.js';

/** A port as a device sees it: methods by name. */
export type GenericPort = Record<string, (...args: never[]) => unknown>;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function checkChannel(channel: number): void {
  if (!Number.isInteger(channel) || channel < FIRST_CUSTOM_CHANNEL || channel > 255) throw new RangeError(`a custom port's channel must be ${FIRST_CUSTOM_CHANNEL}..255, not ${channel}`);
}

function encodeValue(v: unknown, what: string): Uint8Array {
  if (v === undefined) return new Uint8Array(0);
  const text = JSON.stringify(v);
  if (text === undefined) throw new TypeError(`${what} returned a value that is not JSON (${typeof v}): a recorded port must return JSON values`);
  return encoder.encode(text);
}

function decodeValue(bytes: Uint8Array): unknown {
  return bytes.length === 0 ? undefined : JSON.parse(decoder.decode(bytes));
}

/** Wraps `real` (the host side): each of `methods` is passed through and its answer logged on `channel`. */
export function recordGenericPort(recorder: PortRecorder, channel: number, name: string, methods: readonly string[], real: object): GenericPort {
  checkChannel(channel);
  const out: GenericPort = {};
  methods.forEach((m, i) => {
    const f = (real as Record<string, unknown>)[m];
    if (typeof f !== 'function') throw new TypeError(`the host side of port '${name}' has no method '${m}'`);
    out[m] = (...args: never[]) => {
      const bytes = encodeValue(f.apply(real, args), `${name}.${m}()`);
      recorder.log(channel, bytes, i);
      return decodeValue(bytes);
    };
  });
  return out;
}

/** The same port served from the log: each call takes the next event of `channel`, which must be at this position and for this method. */
export function replayGenericPort(replayer: PortReplayer, channel: number, name: string, methods: readonly string[]): GenericPort {
  checkChannel(channel);
  const out: GenericPort = {};
  methods.forEach((m, i) => {
    out[m] = () => {
      const ev = replayer.takeIf(channel);
      if (!ev) throw replayer.diverged(`the device called ${name}.${m}()`);
      if (ev.kind !== i) throw replayer.diverged(`the device called ${name}.${m}(), the recording has ${name}.${methods[ev.kind] ?? `method #${ev.kind}`}() there`);
      return decodeValue(ev.payload);
    };
  });
  return out;
}
