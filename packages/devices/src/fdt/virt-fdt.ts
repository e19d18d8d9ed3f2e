/**
 * The device tree of the `virt` board: root, /chosen, /memory, /cpus (one
 * hart), /soc, and whatever the devices add. Node and property names follow
 * QEMU's own `virt` tree (qemu-system-riscv64 -M virt,dumpdtb=...), so that
 * OpenSBI and Linux see the same description on both.
 * Bindings: Linux Documentation/devicetree/bindings/riscv/cpus.yaml,
 * .../interrupt-controller/sifive,plic-1.0.0.yaml, .../timer/sifive,clint.yaml.
 */
import type { Device } from '../device.js';
import { Uart16550a } from '../uart-16550a.js';
import { VIRT_TIMEBASE_HZ } from '../virt/virt-board.js';
import { FdtWriter, type FdtFinishOptions, type FdtReservation } from './fdt-writer.js';
import { FDT_LABEL_CPU0, FDT_LABEL_CPU0_INTC } from './labels.js';

export interface VirtFdtOptions {
  /** Devices in the order their nodes should appear under /soc. */
  devices: readonly Device[];
  /** Main memory. */
  memory: { base: number; size: number };
  /** Kernel command line (/chosen/bootargs). */
  bootargs?: string;
  /** Physical range [start, end) of the initrd (/chosen/linux,initrd-start/end). */
  initrd?: { start: number; end: number };
  /** /chosen/stdout-path; default: the first 16550A's node. */
  stdoutPath?: string;
  /** /chosen/rng-seed: pass bytes from the EntropyPort if the guest should get a seed. Default none. */
  rngSeed?: Uint8Array;
  /** Default "rv64imafdc". */
  isa?: string;
  /** Default "riscv,sv39". */
  mmuType?: string;
  /** Default 10 MHz. */
  timebaseFrequency?: number;
  /** Root `model`. Default "riscv-virtio,prnr". */
  model?: string;
  /** Memory reservation block entries. */
  reservations?: readonly FdtReservation[];
  /** Free space appended to the blob. */
  extraSpace?: FdtFinishOptions['extraSpace'];
}

/** Writes the whole `virt` tree into `w` (callers may add nodes before `finish()`). */
export function writeVirtTree(w: FdtWriter, options: VirtFdtOptions): void {
  const root = w.root
    .u32('#address-cells', 2)
    .u32('#size-cells', 2)
    .string('compatible', 'riscv-virtio')
    .string('model', options.model ?? 'riscv-virtio,prnr');

  const chosen = root.child('chosen');
  if (options.bootargs !== undefined) chosen.string('bootargs', options.bootargs);
  const stdout = options.stdoutPath ?? defaultStdoutPath(options.devices);
  if (stdout !== undefined) chosen.string('stdout-path', stdout);
  if (options.initrd) {
    chosen.u64('linux,initrd-start', options.initrd.start);
    chosen.u64('linux,initrd-end', options.initrd.end);
  }
  if (options.rngSeed) chosen.bytes('rng-seed', options.rngSeed);

  root
    .child(`memory@${options.memory.base.toString(16)}`)
    .string('device_type', 'memory')
    .reg([options.memory.base, options.memory.size]);

  const cpus = root
    .child('cpus')
    .u32('#address-cells', 1)
    .u32('#size-cells', 0)
    .u32('timebase-frequency', options.timebaseFrequency ?? VIRT_TIMEBASE_HZ);
  const cpu = cpus
    .child('cpu@0')
    .phandle(FDT_LABEL_CPU0)
    .string('device_type', 'cpu')
    .u32('reg', 0)
    .string('status', 'okay')
    .string('compatible', 'riscv')
    .string('riscv,isa', options.isa ?? 'rv64imafdc')
    .string('mmu-type', options.mmuType ?? 'riscv,sv39');
  cpu
    .child('interrupt-controller')
    .u32('#interrupt-cells', 1)
    .empty('interrupt-controller')
    .string('compatible', 'riscv,cpu-intc')
    .phandle(FDT_LABEL_CPU0_INTC);
  cpus.child('cpu-map').child('cluster0').child('core0').u32('cpu', w.phandle(FDT_LABEL_CPU0));

  root.child('soc').u32('#address-cells', 2).u32('#size-cells', 2).string('compatible', 'simple-bus').empty('ranges');

  for (const d of options.devices) d.fdt?.(w);
  for (const r of options.reservations ?? []) w.reserve(r.address, r.size);
}

/** The `virt` device tree blob for `options`. */
export function buildVirtFdt(options: VirtFdtOptions): Uint8Array {
  const w = new FdtWriter();
  writeVirtTree(w, options);
  return w.finish({ extraSpace: options.extraSpace });
}

function defaultStdoutPath(devices: readonly Device[]): string | undefined {
  const uart = devices.find((d) => d.kind === Uart16550a.KIND);
  return uart ? `/soc/serial@${uart.mmio.base.toString(16)}` : undefined;
}
