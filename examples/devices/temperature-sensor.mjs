// A temperature sensor on MMIO: a device model for prnr, as a module you can
// copy and change. It follows the device plugin contract of @prnr/devices
// (contract 1): the default export names the kind and version, builds the
// device, and builds the host side of its port. It imports nothing, so the
// file works wherever you put it.
//
//   prnr record -o temp.rec --device examples/devices/temperature-sensor.mjs
//   (guest) devmem 0x10200008 32        # one sample, milli-degrees Celsius
//   prnr replay temp.rec                # the same values, from the recording
//
// Registers (32-bit accesses; others read 0 and are ignored):
//   0x00 ID         ro  0x5e450002
//   0x04 CTRL       rw  bit 0: raise the interrupt when a sample is above THRESHOLD
//   0x08 VALUE      ro  reading it takes a sample (two's complement milli-degrees)
//   0x0c STATUS     rw  bit 0: a sample was above THRESHOLD; write 1 to clear (and the interrupt)
//   0x10 THRESHOLD  rw  milli-degrees
//   0x14 COUNT      ro  samples taken since power-on
//
// The rule that makes it replayable: the device reaches the outside world only
// through the port it declares (`sensor.sample`), and only from read/write.
// prnr records every answer of that port and replays them; nothing else in
// the device may depend on the host (no Date.now(), no Math.random() here).
import { readFileSync } from 'node:fs';

const KIND = 'temperature-sensor';
const VERSION = 1;
const SIZE = 0x1000;
const ID = 0x5e45_0002;

class TemperatureSensor {
  specificationVersion = 'v1';
  kind = KIND;
  version = VERSION;

  constructor({ base, irq, sensor, interruptParent }) {
    this.mmio = { base, size: SIZE };
    this.irq = irq;
    this.sensor = sensor;
    this.interruptParent = interruptParent;
    this.ctrl = 0;
    this.status = 0;
    this.threshold = 0x7fff_ffff;
    this.count = 0;
    this.line = false;
  }

  read(offset, size) {
    if (size !== 4) return size === 8 ? 0n : 0;
    switch (offset) {
      case 0x00: return ID;
      case 0x04: return this.ctrl;
      case 0x08: return this.sample() >>> 0;
      case 0x0c: return this.status;
      case 0x10: return this.threshold >>> 0;
      case 0x14: return this.count >>> 0;
      default: return 0;
    }
  }

  write(offset, size, value) {
    if (size !== 4) return;
    const v = Number(BigInt.asUintN(32, BigInt(value)));
    if (offset === 0x04) this.ctrl = v & 1;
    else if (offset === 0x0c && v & 1) this.status = 0;
    else if (offset === 0x10) this.threshold = v | 0;
    this.updateIrq();
  }

  sample() {
    const value = Math.trunc(Number(this.sensor.sample())) | 0;
    this.count = (this.count + 1) >>> 0;
    if (value > this.threshold) this.status = 1;
    this.updateIrq();
    return value;
  }

  updateIrq() {
    const level = (this.ctrl & 1) === 1 && (this.status & 1) === 1;
    if (level !== this.line) {
      this.line = level;
      this.irq.set(level);
    }
  }

  // Plain, versioned state: what snapshots store.
  save() {
    return { kind: KIND, version: VERSION, ctrl: this.ctrl, status: this.status, threshold: this.threshold, count: this.count, line: this.line };
  }

  restore(s) {
    if (s?.kind !== KIND || s.version !== VERSION) throw new Error(`${KIND}: cannot restore a state of ${s?.kind}@${s?.version}`);
    Object.assign(this, { ctrl: s.ctrl, status: s.status, threshold: s.threshold, count: s.count, line: s.line });
    this.irq.set(this.line);
  }

  // Its node in the guest's device tree.
  fdt(w) {
    w.node(`/soc/temperature-sensor@${this.mmio.base.toString(16)}`)
      .string('compatible', 'prnr,temperature-sensor')
      .reg([this.mmio.base, this.mmio.size])
      .u32('interrupts', this.irq.id)
      .u32('interrupt-parent', w.phandle(this.interruptParent));
  }
}

// The real sensor, used by `prnr run` and `prnr record` only (never by replay).
// settings.file: read milli-degrees from a file each sample (e.g. /sys/class/thermal/thermal_zone0/temp);
// otherwise a simulated room whose temperature drifts from settings.start (default 21000).
function hostSensor(settings) {
  if (typeof settings.file === 'string') {
    const file = settings.file;
    return { sample: () => Number.parseInt(readFileSync(file, 'utf8'), 10) };
  }
  let t = typeof settings.start === 'number' ? settings.start : 21_000;
  return {
    sample: () => {
      const step = 1 + Math.floor(Math.random() * 250);
      t += Math.random() < 0.5 ? -step : step;
      return t;
    },
  };
}

export default {
  contract: 1,
  kind: KIND,
  version: VERSION,
  defaultBase: 0x1020_0000,
  defaultIrq: 12,
  ports: { sensor: ['sample'] },
  create: ({ base, irq, ports, interruptParent }) => new TemperatureSensor({ base, irq, sensor: ports.sensor, interruptParent }),
  hostPorts: (settings) => ({ sensor: hostSensor(settings) }),
};
