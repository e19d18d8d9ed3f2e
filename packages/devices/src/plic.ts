/**
 * RISC-V PLIC (platform-level interrupt controller), as on QEMU's `virt` board:
 * 96 sources (ids 1..96), 2 contexts (0 = hart 0 M-mode, 1 = hart 0 S-mode).
 * RISC-V PLIC Specification v1.0.0:
 * https://github.com/riscv/riscv-plic-spec/blob/master/riscv-plic.adoc
 *
 * Sources are level-triggered through a gateway: while a source's line is high
 * and no request of it is in flight (claimed, not yet completed), it is
 * pending; a line going low before the claim withdraws the request. A claim
 * returns the pending, enabled source of highest priority above the context's
 * threshold (ties: lowest id) and puts it in flight; the completion ends that.
 */
import type { IrqLine } from '@prnr/cpu';
import {
  DEVICE_SPECIFICATION_VERSION,
  expectState,
  lo32,
  sized,
  type AccessSize,
  type Device,
  type DeviceState,
  type IrqSource,
  type MmioRange,
} from './device.js';
import type { FdtWriter } from './fdt/fdt-writer.js';
import { FDT_LABEL_CPU0_INTC, FDT_LABEL_PLIC } from './fdt/labels.js';

/** Register map (spec §3, "Memory Map"). */
export const PLIC_PRIORITY_BASE = 0x00_0000; // + 4 * source id
export const PLIC_PENDING_BASE = 0x00_1000; // bit per source, 32 per word
export const PLIC_ENABLE_BASE = 0x00_2000; // + PLIC_ENABLE_STRIDE * context
export const PLIC_ENABLE_STRIDE = 0x80;
export const PLIC_CONTEXT_BASE = 0x20_0000; // + PLIC_CONTEXT_STRIDE * context
export const PLIC_CONTEXT_STRIDE = 0x1000;
export const PLIC_THRESHOLD = 0x0; // within a context block
export const PLIC_CLAIM_COMPLETE = 0x4; // within a context block
/** QEMU virt: window covers 1024 contexts though only 2 exist here. */
export const PLIC_SIZE = 0x60_0000;
export const PLIC_DEFAULT_BASE = 0x0c00_0000;
/** Highest source id (the FDT's `riscv,ndev`). Source 0 does not exist. */
export const PLIC_NUM_SOURCES = 96;
/** Priorities and thresholds are 3 bits (0..7), as on QEMU virt. */
export const PLIC_PRIORITY_MASK = 0x7;
/** Context 0 drives MEIP, context 1 SEIP. */
export const PLIC_CONTEXTS = 2;
const WORDS = Math.ceil((PLIC_NUM_SOURCES + 1) / 32);
/** Hart-local interrupt cause numbers, for `interrupts-extended`. */
const IRQ_M_EXT = 11;
const IRQ_S_EXT = 9;

export interface PlicOptions {
  base?: number;
  /** Context 0's output, into the hart's mip.MEIP. */
  meip: IrqLine;
  /** Context 1's output, into the hart's mip.SEIP. */
  seip: IrqLine;
}

export interface PlicContextState {
  readonly enable: number[];
  readonly threshold: number;
  /** Level last driven on this context's output. */
  readonly eip: boolean;
}

export interface PlicState extends DeviceState {
  readonly kind: 'plic';
  readonly version: 1;
  /** Index = source id (index 0 unused, always 0). */
  readonly priority: number[];
  /** Bit per source, 32 per word, as in the pending registers. */
  readonly pending: number[];
  /** Current line level of each source, bit per source. */
  readonly level: number[];
  /** Claimed and not yet completed, bit per source. */
  readonly inFlight: number[];
  readonly contexts: PlicContextState[];
}

class PlicSource implements IrqSource {
  constructor(private readonly plic: Plic, readonly id: number) {}
  set(level: boolean): void {
    this.plic.setSourceLevel(this.id, level);
  }
}

export class Plic implements Device {
  static readonly KIND = 'plic';
  static readonly VERSION = 1;
  readonly specificationVersion = DEVICE_SPECIFICATION_VERSION;
  readonly kind = Plic.KIND;
  readonly version = Plic.VERSION;
  readonly mmio: MmioRange;
  private readonly outputs: IrqLine[];
  private readonly sources: PlicSource[] = [];
  private readonly priority = new Uint8Array(PLIC_NUM_SOURCES + 1);
  private readonly pending = new Uint32Array(WORDS);
  private readonly level = new Uint32Array(WORDS);
  private readonly inFlight = new Uint32Array(WORDS);
  private readonly enable: Uint32Array[] = [];
  private readonly threshold = new Uint8Array(PLIC_CONTEXTS);
  private readonly eip: boolean[] = [];

  constructor(options: PlicOptions) {
    this.mmio = { base: options.base ?? PLIC_DEFAULT_BASE, size: PLIC_SIZE };
    this.outputs = [options.meip, options.seip];
    for (let c = 0; c < PLIC_CONTEXTS; c++) {
      this.enable.push(new Uint32Array(WORDS));
      this.eip.push(false);
    }
    for (let id = 0; id <= PLIC_NUM_SOURCES; id++) this.sources.push(new PlicSource(this, id));
  }

  /** The input line of source `id` (1..96), to hand to a device. */
  source(id: number): IrqSource {
    if (!Number.isInteger(id) || id < 1 || id > PLIC_NUM_SOURCES) throw new RangeError(`PLIC source ${id} out of range 1..${PLIC_NUM_SOURCES}`);
    return this.sources[id];
  }

  /** @internal the gateway of source `id`. */
  setSourceLevel(id: number, high: boolean): void {
    const w = id >>> 5;
    const bit = 1 << (id & 31);
    if (high) {
      this.level[w] |= bit;
      if (!(this.inFlight[w] & bit)) this.pending[w] |= bit;
    } else {
      this.level[w] &= ~bit;
      this.pending[w] &= ~bit;
    }
    this.update();
  }

  read(offset: number, size: AccessSize): number | bigint {
    if (size !== 4) return sized(0, size);
    if (offset < PLIC_PENDING_BASE) {
      const id = offset >>> 2;
      return id <= PLIC_NUM_SOURCES ? this.priority[id] : 0;
    }
    if (offset < PLIC_ENABLE_BASE) {
      const w = (offset - PLIC_PENDING_BASE) >>> 2;
      return w < WORDS ? this.pending[w] >>> 0 : 0;
    }
    if (offset < PLIC_CONTEXT_BASE) {
      const ctx = Math.floor((offset - PLIC_ENABLE_BASE) / PLIC_ENABLE_STRIDE);
      const w = ((offset - PLIC_ENABLE_BASE) % PLIC_ENABLE_STRIDE) >>> 2;
      return ctx < PLIC_CONTEXTS && w < WORDS ? this.enable[ctx][w] >>> 0 : 0;
    }
    const ctx = Math.floor((offset - PLIC_CONTEXT_BASE) / PLIC_CONTEXT_STRIDE);
    if (ctx >= PLIC_CONTEXTS) return 0;
    const reg = (offset - PLIC_CONTEXT_BASE) % PLIC_CONTEXT_STRIDE;
    if (reg === PLIC_THRESHOLD) return this.threshold[ctx];
    if (reg === PLIC_CLAIM_COMPLETE) return this.claim(ctx);
    return 0;
  }

  write(offset: number, size: AccessSize, value: number | bigint): void {
    if (size !== 4) return;
    const v = lo32(value);
    if (offset < PLIC_PENDING_BASE) {
      const id = offset >>> 2;
      if (id >= 1 && id <= PLIC_NUM_SOURCES) this.priority[id] = v & PLIC_PRIORITY_MASK;
    } else if (offset < PLIC_ENABLE_BASE) {
      return; // pending bits are read-only
    } else if (offset < PLIC_CONTEXT_BASE) {
      const ctx = Math.floor((offset - PLIC_ENABLE_BASE) / PLIC_ENABLE_STRIDE);
      const w = ((offset - PLIC_ENABLE_BASE) % PLIC_ENABLE_STRIDE) >>> 2;
      if (ctx >= PLIC_CONTEXTS || w >= WORDS) return;
      // Source 0 does not exist; bits above the last source are hardwired to 0.
      const valid = w === 0 ? 0xffff_fffe : w === WORDS - 1 ? lastWordMask() : 0xffff_ffff;
      this.enable[ctx][w] = v & valid;
    } else {
      const ctx = Math.floor((offset - PLIC_CONTEXT_BASE) / PLIC_CONTEXT_STRIDE);
      if (ctx >= PLIC_CONTEXTS) return;
      const reg = (offset - PLIC_CONTEXT_BASE) % PLIC_CONTEXT_STRIDE;
      if (reg === PLIC_THRESHOLD) this.threshold[ctx] = v & PLIC_PRIORITY_MASK;
      else if (reg === PLIC_CLAIM_COMPLETE) this.complete(ctx, v);
      else return;
    }
    this.update();
  }

  save(): PlicState {
    return {
      kind: 'plic',
      version: 1,
      priority: Array.from(this.priority),
      pending: Array.from(this.pending),
      level: Array.from(this.level),
      inFlight: Array.from(this.inFlight),
      contexts: this.enable.map((en, c) => ({ enable: Array.from(en), threshold: this.threshold[c], eip: this.eip[c] })),
    };
  }

  restore(state: DeviceState): void {
    const s = expectState<PlicState>(state, Plic.KIND, Plic.VERSION);
    this.priority.set(s.priority);
    this.pending.set(s.pending);
    this.level.set(s.level);
    this.inFlight.set(s.inFlight);
    s.contexts.forEach((c, i) => {
      this.enable[i].set(c.enable);
      this.threshold[i] = c.threshold;
      this.eip[i] = c.eip;
      this.outputs[i].set(c.eip);
    });
  }

  fdt(w: FdtWriter): void {
    const intc = w.phandle(FDT_LABEL_CPU0_INTC);
    w.node(`/soc/plic@${this.mmio.base.toString(16)}`)
      .phandle(FDT_LABEL_PLIC)
      .u32('riscv,ndev', PLIC_NUM_SOURCES)
      .reg([this.mmio.base, this.mmio.size])
      .cells('interrupts-extended', [intc, IRQ_M_EXT, intc, IRQ_S_EXT])
      .empty('interrupt-controller')
      .strings('compatible', ['sifive,plic-1.0.0', 'riscv,plic0'])
      .u32('#address-cells', 0)
      .u32('#interrupt-cells', 1);
  }

  /** The best claimable source for `ctx`, or 0. */
  private best(ctx: number): number {
    const en = this.enable[ctx];
    let best = 0;
    let bestPrio = this.threshold[ctx];
    for (let w = 0; w < WORDS; w++) {
      let bits = this.pending[w] & en[w];
      while (bits !== 0) {
        const b = 31 - Math.clz32(bits & -bits);
        bits &= bits - 1;
        const id = w * 32 + b;
        if (this.priority[id] > bestPrio) {
          best = id;
          bestPrio = this.priority[id];
        }
      }
    }
    return best;
  }

  private claim(ctx: number): number {
    const id = this.best(ctx);
    if (id !== 0) {
      const bit = 1 << (id & 31);
      this.pending[id >>> 5] &= ~bit;
      this.inFlight[id >>> 5] |= bit;
      this.update();
    }
    return id;
  }

  private complete(ctx: number, id: number): void {
    if (id < 1 || id > PLIC_NUM_SOURCES) return;
    const w = id >>> 5;
    const bit = 1 << (id & 31);
    // Spec: a completion for a source not enabled on this context is ignored.
    if (!(this.enable[ctx][w] & bit)) return;
    this.inFlight[w] &= ~bit;
    if (this.level[w] & bit) this.pending[w] |= bit;
  }

  private update(): void {
    for (let c = 0; c < PLIC_CONTEXTS; c++) {
      const level = this.best(c) !== 0;
      if (level !== this.eip[c]) {
        this.eip[c] = level;
        this.outputs[c].set(level);
      }
    }
  }
}

function lastWordMask(): number {
  const bits = (PLIC_NUM_SOURCES + 1) % 32;
  return bits === 0 ? 0xffff_ffff : ((1 << bits) - 1) >>> 0;
}
