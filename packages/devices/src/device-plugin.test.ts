/**
 * The device plugin contract, on the example module (examples/devices/temperature-sensor.mjs):
 * loading by path and hash, the checks of a default export, and the device built through a registry.
 */
import { appendFileSync, chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { checkDevicePlugin, DevicePluginError, parseSettingValue } from './device-plugin.js';
import { loadDevicePlugin, loadDevicePluginCopy } from './host/device-plugin-loader.js';
import { createDeviceRegistry } from './registry.js';
import { FdtWriter } from './fdt/fdt-writer.js';
import { parseFdt, fdtFind } from './fdt/fdt-reader.js';

const EXAMPLE = fileURLToPath(new URL('../../../examples/devices/temperature-sensor.mjs', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'prnr-devplugin-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function fakeContext(ports: Record<string, unknown>) {
  const levels: boolean[] = [];
  return {
    levels,
    ctx: {
      irq: (id: number) => ({ id, set: (l: boolean) => void levels.push(l) }),
      hartIrq: () => ({ set: () => {} }),
      memory: { read: () => new Uint8Array(0), write: () => {} },
      clock: { mtime: () => 0n },
      ports,
    },
  };
}

describe('device plugins', () => {
  it('loads the example module: its kind@version, path and sha256', async () => {
    const { ref, plugin } = await loadDevicePlugin(EXAMPLE);
    expect(ref).toEqual({ module: EXAMPLE, sha256: createHash('sha256').update(readFileSync(EXAMPLE)).digest('hex'), kind: 'temperature-sensor', version: 1 });
    expect(plugin.ports).toEqual({ sensor: ['sample'] });
  });

  it('builds the device through a registry, with its own port, and it samples on each VALUE read', async () => {
    const { plugin } = await loadDevicePlugin(EXAMPLE);
    const registry = createDeviceRegistry([plugin]);
    const answers = [21_500, -1_250, 30_000];
    const { ctx, levels } = fakeContext({ sensor: { sample: () => answers.shift() } });
    const d = registry.create({ kind: 'temperature-sensor', settings: {} }, ctx);
    expect(d.mmio).toEqual({ base: 0x1020_0000, size: 0x1000 });
    expect(d.read(0x00, 4)).toBe(0x5e45_0002);
    d.write(0x10, 4, 25_000); // threshold
    d.write(0x04, 4, 1); // interrupt on a sample above it
    expect(d.read(0x08, 4)).toBe(21_500);
    expect(d.read(0x08, 4)).toBe(-1_250 >>> 0);
    expect(levels).toEqual([]);
    expect(d.read(0x08, 4)).toBe(30_000);
    expect(levels).toEqual([true]);
    expect(d.read(0x14, 4)).toBe(3);
    const saved = d.save();
    d.write(0x0c, 4, 1);
    expect(levels).toEqual([true, false]);
    d.restore(saved);
    expect(levels.at(-1)).toBe(true);
    expect(d.read(0x0c, 4)).toBe(1);
    // Its device-tree node, with the PLIC as interrupt parent.
    const w = new FdtWriter();
    w.node('/soc');
    w.node('/soc/plic@c000000').phandle('plic');
    d.fdt!(w);
    const node = fdtFind(parseFdt(w.finish()).root, '/soc/temperature-sensor@10200000');
    expect(new TextDecoder().decode(node?.props.get('compatible'))).toBe('prnr,temperature-sensor\0');
    expect([...(node?.props.get('interrupts') ?? [])]).toEqual([0, 0, 0, 12]);
  });

  it('a board without the port, or a kind given twice, is refused', async () => {
    const { plugin } = await loadDevicePlugin(EXAMPLE);
    expect(() => createDeviceRegistry([plugin]).create({ kind: 'temperature-sensor' }, fakeContext({}).ctx)).toThrow(/needs the 'sensor' port/);
    expect(() => createDeviceRegistry([plugin, plugin])).toThrow(DevicePluginError);
    expect(() => createDeviceRegistry([{ ...plugin, kind: 'plic' }])).toThrow(/'plic' is a built-in kind/);
  });

  it('refuses a changed or missing module in one line with both hashes', async () => {
    const copy = join(tmp, 'sensor.mjs');
    copyFileSync(EXAMPLE, copy);
    const { ref } = await loadDevicePlugin(copy);
    appendFileSync(copy, '// edited\n');
    const now = createHash('sha256').update(readFileSync(copy)).digest('hex');
    await expect(loadDevicePlugin(copy, ref)).rejects.toThrow(`device module ${copy} has changed since it was recorded (recorded sha256 ${ref.sha256}, now ${now})`);
    await expect(loadDevicePlugin(join(tmp, 'gone.mjs'), { ...ref, module: join(tmp, 'gone.mjs') })).rejects.toThrow(/gone\.mjs is missing \(recorded sha256 [0-9a-f]{64}, now none\)$/);
  });

  it('loads a recorded module from a copy of its bytes, only if they have the recorded sha256', async () => {
    const { ref } = await loadDevicePlugin(EXAMPLE);
    const recorded = { ...ref, module: '/elsewhere/on/the/recording/host/sensor.mjs' };
    const bytes = readFileSync(EXAMPLE);
    const cache = join(tmp, 'cache');
    const copy = await loadDevicePluginCopy(bytes, recorded, cache);
    expect(copy.ref).toEqual(recorded);
    expect(copy.plugin.kind).toBe('temperature-sensor');
    expect(readFileSync(join(cache, `${ref.sha256}.mjs`))).toEqual(bytes);
    const other = Buffer.concat([bytes, Buffer.from('// another model\n')]);
    const otherSha = createHash('sha256').update(other).digest('hex');
    await expect(loadDevicePluginCopy(other, recorded, cache)).rejects.toThrow(`the recording's copy of device module ${recorded.module} has sha256 ${otherSha}, the recorded module ${ref.sha256}`);
    // Code is imported from the cache: never from a directory others may write to.
    const shared = join(tmp, 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o777);
    await expect(loadDevicePluginCopy(bytes, recorded, shared)).rejects.toThrow(`${shared} is writable by others or not this user's`);
  });

  it('checks the default export against the contract', async () => {
    const bad = join(tmp, 'bad.mjs');
    writeFileSync(bad, 'export default { contract: 2, kind: "x" };\n');
    await expect(loadDevicePlugin(bad)).rejects.toThrow(/implements device plugin contract 2, this prnr reads contract 1/);
    const good = { contract: 1, kind: 'k', version: 1, defaultBase: 0, defaultIrq: 1, ports: { p: ['m'] }, create: () => ({}), hostPorts: () => ({}) };
    expect(() => checkDevicePlugin({ ...good, ports: { p: [] } }, 'm')).toThrow(/port 'p' must list 1\.\.255 method names/);
    expect(() => checkDevicePlugin({ ...good, kind: 'Bad Kind' }, 'm')).toThrow(/kind must be a lower-case name/);
    expect(() => checkDevicePlugin(undefined, 'm')).toThrow(/no default export/);
    expect(checkDevicePlugin(good, 'm').kind).toBe('k');
  });

  it('parses command-line setting values', () => {
    expect([parseSettingValue('12'), parseSettingValue('0x10'), parseSettingValue('-3.5'), parseSettingValue('true'), parseSettingValue('/tmp/x')]).toEqual([12, 16, -3.5, true, '/tmp/x']);
  });
});
