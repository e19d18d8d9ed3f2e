/**
 * Errors from a device module's own code (variants of the example module,
 * each with one thing broken) come out in one line naming the device's kind,
 * its module file and the call; errors from the ports the device calls pass
 * through as they are; a saved state a snapshot cannot hold is refused.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DeviceModuleError, DevicePluginError } from './device-plugin.js';
import { loadDevicePlugin } from './host/device-plugin-loader.js';
import { plainDataProblem } from './plugin-device-guard.js';
import { createDeviceRegistry, type DeviceContext } from './registry.js';
import type { DeviceState } from './device.js';
import { exampleDeviceVariant } from '@prnr/test-env/example-device';

const tmp = mkdtempSync(join(tmpdir(), 'prnr-guard-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const variant = (name: string, from: string, to: string) => exampleDeviceVariant(tmp, name, from, to);

function context(sample: () => unknown): DeviceContext {
  return {
    irq: (id) => ({ id, set: () => {} }),
    hartIrq: () => ({ set: () => {} }),
    memory: { read: () => new Uint8Array(0), write: () => {} },
    clock: { mtime: () => 0n },
    ports: { sensor: { sample } },
  };
}

async function build(file: string, sample: () => unknown = () => 21_000) {
  const { plugin } = await loadDevicePlugin(file);
  return createDeviceRegistry([plugin]).create({ kind: 'temperature-sensor', settings: {} }, context(sample));
}

describe('calls into a device module', () => {
  it('create() that throws: the device, its module and the call, in one line', async () => {
    const file = variant('ctor-throws', 'this.mmio = { base, size: SIZE };', 'throw new Error("sensor ctor boom");');
    const err = await build(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeviceModuleError);
    expect((err as Error).message).toBe(`device temperature-sensor (${file}): create() threw: sensor ctor boom`);
  });

  it('read(), save() and restore() that throw name the module; a port\'s own error passes through unchanged', async () => {
    const file = variant('read-throws', 'case 0x08: return this.sample() >>> 0;', 'case 0x08: throw new Error("sensor read boom");\n      case 0x18: return this.sample() >>> 0;');
    const portError = new Error('the recording has another event here');
    const d = await build(file, () => {
      throw portError;
    });
    expect(d.read(0x00, 4)).toBe(0x5e45_0002); // what does not throw works as before
    expect(() => d.read(0x08, 4)).toThrow(`device temperature-sensor (${file}): read() threw: sensor read boom`);
    let thrown: unknown;
    try {
      d.read(0x18, 4);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBe(portError);
    expect(() => d.restore({ kind: 'other', version: 1 } as DeviceState)).toThrow(`device temperature-sensor (${file}): restore() threw: temperature-sensor: cannot restore a state of other@1`);
  });

  it('save() that returns what a snapshot cannot hold is refused, naming what and where: when built, or later', async () => {
    const bad = variant('save-bad', 'save() {', 'save() { return { kind: KIND, version: VERSION, f: () => 1 };');
    await expect(build(bad)).rejects.toThrow(`device temperature-sensor (${bad}): save() returned a state that cannot be stored: .f is a function`);
    const later = variant('save-bad-later', 'save() {', 'save() { if (this.count > 0) return { kind: KIND, version: VERSION, at: new Map() };');
    const d = await build(later);
    d.read(0x08, 4);
    expect(() => d.save()).toThrow(`device temperature-sensor (${later}): save() returned a state that cannot be stored: .at is a Map, not plain data`);
  });

  it('create() that returns no device is refused', async () => {
    const file = variant('no-device', 'create: ({ base, irq, ports, interruptParent }) =>', 'create: () => ({ read() {} }), unused: ({ base, irq, ports, interruptParent }) =>');
    await expect(build(file)).rejects.toThrow(`device temperature-sensor (${file}): create() returned: a device without write()`);
  });

  it('a module whose kind is a built-in kind is refused when it loads', async () => {
    const file = variant('kind-plic', "const KIND = 'temperature-sensor';", "const KIND = 'plic';");
    const err = await loadDevicePlugin(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DevicePluginError);
    expect((err as Error).message).toBe(`device module ${file}: kind 'plic' is a built-in kind; a module must name a kind of its own`);
  });

  it('an error raised at an instruction count says it', () => {
    const e = new DeviceModuleError('device x (/m.mjs)', 'read() threw', 'boom');
    expect(e.at(1234).at(99).message).toBe('device x (/m.mjs): read() threw at icount 1234: boom');
    expect(e.icount).toBe(1234);
  });
});

describe('plainDataProblem', () => {
  it('accepts what a snapshot stores and names the first thing it cannot', () => {
    expect(plainDataProblem({ kind: 'k', version: 1, n: 1, b: 2n, s: 's', u: undefined, z: null, bytes: new Uint8Array(2), list: [1, { x: true }] })).toBeUndefined();
    expect(plainDataProblem({ a: [1, { f: Symbol('x') }] })).toBe('.a[1].f is a symbol');
    expect(plainDataProblem({ when: new Map() })).toBe('.when is a Map, not plain data');
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(plainDataProblem(cycle)).toBe('.self is a cycle');
    expect(plainDataProblem(() => 1)).toBe('the state is a function');
  });
});
