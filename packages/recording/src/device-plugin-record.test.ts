/**
 * A device plugin (the example temperature sensor, loaded from its module
 * file) on a bare-metal guest that reads the sensor's VALUE register several
 * times, across slice boundaries: the values the host side returned are
 * logged on the plugin's own channel, every slice replays from its snapshot
 * to the recorded state root, the guest sees the same values on replay (the
 * host side is never asked again), and a changed or missing module is refused.
 */
import { copyFileSync, appendFileSync, mkdtempSync, readFileSync, renameSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDevicePlugin, type LoadedDevicePlugin } from '@prnr/devices';
import { FIRST_CUSTOM_CHANNEL, readSegment } from '@prnr/eventlog';
import { defaultBoardConfig, sha256, type BoardConfig, type MachineImages, type VirtMachine } from '@prnr/machine';
import { RecordSession } from './recorder.js';
import { openRecording, replayConsecutive, replaySlice } from './replayer.js';
import type { RecordingManifest } from './manifest.js';
import type { RecordingSource } from './replay-session.js';
import { Asm, R, enc, insn } from './test-support/rv64-asm.js';

const EXAMPLE = fileURLToPath(new URL('../../../examples/devices/temperature-sensor.mjs', import.meta.url));
const RAM_BASE = 0x8000_0000;
const LOG = 0x1_0000; // offset of the guest's log of values read
const READS = 5;
const SLICE = 3000;

/** M-mode: READS times { lw VALUE; store it to the log; spin ~900 instructions }; then power off. */
function sensorGuest(): Uint8Array {
  const { zero, t0, t1, t2, s0, s1, s2, a0 } = R;
  const lui = (rd: number, imm20: number) => enc.u(0x37, rd, imm20);
  const lw = (rd: number, imm: number, rs1: number) => enc.i(0x03, 2, rd, rs1, imm);
  const a = new Asm();
  // auipc at offset 0 (pc = RAM_BASE): lui would sign-extend 0x80010000.
  a.emit(insn.auipc(s1, LOG >>> 12), lui(t1, 0x10200), insn.addi(s0, zero, READS));
  a.label('read').emit(lw(t0, 8, t1), insn.sw(t0, 0, s1), insn.addi(s1, s1, 4), insn.addi(s2, zero, 300));
  a.label('spin').emit(insn.addi(s2, s2, -1)).bne(s2, zero, 'spin');
  a.emit(insn.addi(s0, s0, -1)).bne(s0, zero, 'read');
  a.emit(lui(t2, 0x100), lui(a0, 0x5), insn.addi(a0, a0, 0x555), insn.sw(a0, 0, t2));
  a.label('halt').j('halt');
  return a.link();
}

const images: MachineImages = { firmware: sensorGuest(), kernel: new Uint8Array(0) };
const base: BoardConfig = defaultBoardConfig({ ramSize: 8 * 1024 * 1024, images: { firmware: sha256(images.firmware), kernel: sha256(images.kernel) } });
const quiet = () => ({ consoleInput: { next: () => null }, clock: { now: () => 1_764_000_000_000_000_000n }, entropy: { fill: (b: Uint8Array) => void b.fill(0) } });
const readLog = (m: VirtMachine) => [...new Int32Array(m.ram.read(RAM_BASE + LOG, 4 * READS).slice().buffer)];

async function recordWith(plugin: LoadedDevicePlugin, dir: string): Promise<{ manifest: RecordingManifest; values: number[] }> {
  const config: BoardConfig = { ...base, devices: [...base.devices, { kind: plugin.ref.kind, settings: { start: 20_000 } }] };
  const session = await RecordSession.start({ dir, config, images, plugins: [plugin], inputs: quiet(), output: { write: () => {} }, realtime: false, sliceSteps: SLICE, maxSteps: 100 * SLICE });
  try {
    const { manifest } = await session.finish(await session.run());
    return { manifest, values: readLog(session.machine) };
  } finally {
    session.release();
  }
}

describe('a device plugin, recorded and replayed', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'prnr-plugin-'));
  const module = join(tmp, 'sensor.mjs'); // a copy: the test changes it
  let rec: { manifest: RecordingManifest; values: number[] };
  const dir = join(tmp, 'rec');

  beforeAll(async () => {
    copyFileSync(EXAMPLE, module);
    rec = await recordWith(await loadDevicePlugin(module), dir);
  }, 120_000);
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('names the module by path, sha256 and kind@version, and logs each sample on the plugin channel', async () => {
    const loaded = await loadDevicePlugin(module);
    expect(rec.manifest.end, JSON.stringify(rec.manifest.end) + ' ' + rec.values.join(',')).toMatchObject({ reason: 'poweroff', icount: expect.any(Number) });
    expect(rec.manifest.devicePlugins).toEqual([{ module, sha256: loaded.ref.sha256, kind: 'temperature-sensor', version: 1, object: expect.stringMatching(/^[0-9a-f]{64}$/) }]);
    // The recording keeps a copy of the module file, for workers on other hosts.
    expect(await openRecording(dir).store.get(rec.manifest.devicePlugins![0].object!)).toEqual(new Uint8Array(readFileSync(module)));
    expect(rec.manifest.slices.length).toBeGreaterThan(1);
    // The host side drifts: the guest saw changing values, near the start setting.
    expect(new Set(rec.values).size).toBeGreaterThan(1);
    for (const v of rec.values) expect(Math.abs(v - 20_000)).toBeLessThan(READS * 251);
    const logged: number[] = [];
    for (const s of rec.manifest.slices) {
      for (const ev of (await readSegment(join(dir, s.log))).events) {
        if (ev.channel === FIRST_CUSTOM_CHANNEL) {
          expect(ev.kind).toBe(0); // method 0: sample
          logged.push(JSON.parse(new TextDecoder().decode(ev.payload)) as number);
        }
      }
    }
    expect(logged).toHaveLength(READS);
    expect(logged).toEqual(rec.values);
  });

  it('replays every slice from its snapshot to the recorded state, and the guest reads the same values', async () => {
    const r = openRecording(dir);
    for (let i = 0; i < r.manifest.slices.length; i++) {
      const res = await replaySlice(r, i);
      expect(res.divergence, `slice ${i}`).toBeNull();
      expect(res.verified).toBe(true);
    }
    let machine: VirtMachine | undefined;
    const all = await replayConsecutive(r, 0, r.manifest.slices.length - 1, { attach: (m) => { machine = m; } });
    expect(all.every((x) => x.verified)).toBe(true);
    expect(readLog(machine!)).toEqual(rec.values);
  });

  it('a worker reading it over HTTP, on a host without the module, loads the recording\'s copy where recorded modules are allowed; without that, or a readable copy, it is refused in one line', async () => {
    const moved = join(tmp, 'moved.mjs');
    renameSync(module, moved); // "another host": nothing at the recorded path
    try {
      const local = openRecording(dir, { replay: false });
      // What openHttpRecording gives a worker: no directory, objects from the server.
      const remote: RecordingSource = { location: 'http://recordings.example/rec', manifest: local.manifest, store: local.store, readFile: local.readFile, recordedModules: true };
      // Not allowed (the default): the copy is code from the recording, which anyone may have uploaded.
      await expect(replaySlice({ ...remote, recordedModules: undefined }, 0)).rejects.toThrow(`device module ${module} is missing (recorded sha256 ${local.manifest.devicePlugins![0].sha256}, now none); the recording keeps a copy of it, run only where recorded modules are allowed (--use-recorded-modules)`);
      let machine: VirtMachine | undefined;
      const all = await replayConsecutive(remote, 0, remote.manifest.slices.length - 1, { attach: (m) => { machine = m; } });
      expect(all.every((x) => x.verified)).toBe(true);
      expect(readLog(machine!)).toEqual(rec.values);
      // The same recording from its directory (this host's) is refused: the module is missing.
      await expect(replaySlice(local, 0)).rejects.toThrow(`device module ${module} is missing`);
      const { sha256, object } = local.manifest.devicePlugins![0];
      const noCopy: RecordingSource = { ...remote, store: { get: (h) => (h === object ? Promise.reject(new Error(`object ${h} is missing`)) : local.store.get(h)), has: (h) => local.store.has(h) } };
      await expect(replaySlice(noCopy, 0)).rejects.toThrow(`http://recordings.example/rec/recording.json: device module ${module} (sha256 ${sha256}) is not on this host and its copy in the recording cannot be read: object ${object} is missing`);
      const older: RecordingSource = { ...remote, manifest: { ...local.manifest, devicePlugins: [{ ...local.manifest.devicePlugins![0], object: undefined }] } };
      await expect(replaySlice(older, 0)).rejects.toThrow(/is missing \(recorded sha256 [0-9a-f]{64}, now none\); the recording has no copy of it/);
    } finally {
      renameSync(moved, module);
    }
  });

  it('refuses a changed module, naming it and both hashes; and a missing one', async () => {
    const recorded = rec.manifest.devicePlugins![0].sha256;
    const opened = openRecording(dir); // as a worker holds it: the replay itself checks again
    appendFileSync(module, '\n// changed\n');
    const now = (await loadDevicePlugin(module)).ref.sha256;
    const changed = `device module ${module} has changed since it was recorded (recorded sha256 ${recorded}, now ${now})`;
    expect(() => openRecording(dir)).toThrow(`${join(dir, 'recording.json')}: ${changed}`);
    await expect(replaySlice(opened, 0)).rejects.toThrow(changed);
    unlinkSync(module);
    const missing = `device module ${module} is missing (recorded sha256 ${recorded}, now none)`;
    expect(() => openRecording(dir)).toThrow(missing);
    expect(() => openRecording(dir)).toThrow(`${missing}; the recording keeps a copy of it, run only where recorded modules are allowed (--use-recorded-modules)`);
    await expect(replaySlice(opened, 1)).rejects.toThrow(missing);
    // Opened with recordedModules, the recording's own copy runs instead (checked against the recorded sha256).
    const withCopies = openRecording(dir, { recordedModules: true });
    const r = await replaySlice(withCopies, 1);
    expect(r.verified).toBe(true);
    expect(r.endState).toBe(withCopies.manifest.slices[1].endState);
  });
});
