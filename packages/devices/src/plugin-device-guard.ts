/**
 * The boundary between prnr and a device module's code: every call into the
 * module (create, read, write, save, restore, service, nextDeadline, fdt) goes
 * through here, so that what it throws comes out as a DeviceModuleError naming
 * the device, its module and the call, instead of a stack trace into a file the
 * user may not even have written. What comes out of the ports the device calls
 * (a replay's divergence, an already named host-side failure) is prnr's own and
 * passes through as it is.
 */
import type { AccessSize, Device, DeviceState } from './device.js';
import { DeviceModuleError, thrownMessage } from './device-plugin.js';
import type { FdtWriter } from './fdt/fdt-writer.js';

type PortObject = Record<string, (...args: never[]) => unknown>;

/** Errors thrown by a port on their way through the device's code. */
const fromPorts = new WeakSet<object>();

function named(device: string, call: string, e: unknown): unknown {
  if (e instanceof DeviceModuleError) return e;
  if (typeof e === 'object' && e !== null && fromPorts.has(e)) return e;
  return new DeviceModuleError(device, `${call} threw`, thrownMessage(e), e);
}

/** Runs `f` (a call into the module named `call`, e.g. "create()"); what it throws names the device. */
export function callDeviceModule<T>(device: string, call: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw named(device, call, e);
  }
}

/** `port` with each of `methods` marking what it throws as the port's, not the device's. */
export function markPortErrors(port: PortObject, methods: readonly string[]): PortObject {
  const out: PortObject = {};
  for (const m of methods) {
    const f = port[m];
    if (typeof f !== 'function') continue; // the device finds it missing itself
    out[m] = (...args: never[]) => {
      try {
        return f.apply(port, args);
      } catch (e) {
        if (typeof e === 'object' && e !== null) fromPorts.add(e);
        throw e;
      }
    };
  }
  return out;
}

/** Refuses what `create()` returned unless it has what the board calls. */
export function checkMadeDevice(made: unknown, device: string): Device {
  const d = made as Partial<Device> | null;
  const fail = (what: string): never => {
    throw new DeviceModuleError(device, 'create() returned', what);
  };
  if (d === null || typeof d !== 'object') fail(`${d === null ? 'null' : typeof d}, not a device`);
  for (const m of ['read', 'write', 'save', 'restore'] as const) if (typeof d![m] !== 'function') fail(`a device without ${m}()`);
  const w = d!.mmio;
  if (!w || !Number.isSafeInteger(w.base) || !Number.isSafeInteger(w.size) || w.base < 0 || w.size <= 0) fail('a device without an MMIO window (mmio: { base, size }, whole numbers, size above 0)');
  return d as Device;
}

/** `d` (a device a module made) with every call into it guarded, and its saved state checked. */
export function guardPluginDevice(d: Device, device: string): Device {
  const guarded: Device = {
    get specificationVersion() {
      return d.specificationVersion;
    },
    get kind() {
      return d.kind;
    },
    get version() {
      return d.version;
    },
    get mmio() {
      return d.mmio;
    },
    get disks() {
      return d.disks;
    },
    read: (offset: number, size: AccessSize) => {
      try {
        return d.read(offset, size);
      } catch (e) {
        throw named(device, 'read()', e);
      }
    },
    write: (offset: number, size: AccessSize, value: number | bigint) => {
      try {
        d.write(offset, size, value);
      } catch (e) {
        throw named(device, 'write()', e);
      }
    },
    save: () => {
      const state = callDeviceModule(device, 'save()', () => d.save());
      const problem = plainDataProblem(state);
      if (problem !== undefined) throw new DeviceModuleError(device, 'save() returned a state that cannot be stored', problem);
      return state;
    },
    restore: (state: DeviceState) => callDeviceModule(device, 'restore()', () => d.restore(state)),
  };
  // Only what the device has: the board treats a missing service() or nextDeadline() as "none".
  if (typeof d.service === 'function') guarded.service = () => callDeviceModule(device, 'service()', () => d.service!());
  if (typeof d.nextDeadline === 'function') guarded.nextDeadline = () => callDeviceModule(device, 'nextDeadline()', () => d.nextDeadline!());
  if (typeof d.fdt === 'function') guarded.fdt = (w: FdtWriter) => callDeviceModule(device, 'fdt()', () => d.fdt!(w));
  return guarded;
}

/**
 * What in `value` a snapshot cannot store (undefined: nothing): the plain data
 * of the snapshot's canonical encoding (undefined, null, booleans, numbers,
 * bigints, strings, Uint8Array, arrays, plain objects; no cycles).
 */
export function plainDataProblem(value: unknown): string | undefined {
  // Runs at every snapshot (inside the recorder's pause): a path is built only for what is wrong.
  const seen = new Set<object>();
  const walk = (v: unknown, path: () => string, depth: number): string | undefined => {
    const t = typeof v;
    if (v === undefined || v === null || t === 'boolean' || t === 'number' || t === 'bigint' || t === 'string') return undefined;
    const at = () => path() || 'the state';
    if (t !== 'object') return `${at()} is a ${t}`;
    if (v instanceof Uint8Array) return undefined;
    if (depth > 256) return `${at()} is nested deeper than 256`;
    if (seen.has(v as object)) return `${at()} is a cycle`;
    const proto = Object.getPrototypeOf(v) as object | null;
    if (!Array.isArray(v) && proto !== Object.prototype && proto !== null) return `${at()} is a ${(proto?.constructor as { name?: string } | undefined)?.name ?? 'class instance'}, not plain data`;
    seen.add(v as object);
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const problem = walk(v[i], () => `${path()}[${i}]`, depth + 1);
        if (problem !== undefined) return problem;
      }
    } else {
      for (const k of Object.keys(v as object)) {
        const problem = walk((v as Record<string, unknown>)[k], () => `${path()}.${k}`, depth + 1);
        if (problem !== undefined) return problem;
      }
    }
    seen.delete(v as object);
    return undefined;
  };
  return walk(value, () => '', 0);
}
