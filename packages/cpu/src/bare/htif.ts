/**
 * HTIF `tohost`/`fromhost` (the Berkeley host-target interface used by
 * riscv-tests and bare-metal programs). The target writes a command to
 * `tohost`; we act when a store covers the upper word (tohost+4), which
 * handles both the two-32-bit-stores form and the single 64-bit store.
 * Commands: device 0 / command 0 with payload bit 0 set = exit(payload >> 1);
 * device 1 / command 1 = print the low byte. See ../shared/conformance/README.md.
 */
import type { Hart } from '../hart.js';

export interface HtifResult {
  exited: boolean;
  /** tohost value of the exit command (1 = pass). */
  exitValue: bigint;
  console: string;
  error?: string;
}

export class Htif {
  readonly result: HtifResult = { exited: false, exitValue: 0n, console: '' };

  constructor(private readonly hart: Hart, private readonly tohost: number, private readonly fromhost: number) {
    const ram = hart.bus.ram;
    if (!ram.contains(tohost, 8) || !ram.contains(fromhost, 8)) throw new Error(`tohost 0x${tohost.toString(16)} is outside RAM`);
    hart.watched[(tohost - ram.base) >>> 12] = 1;
    hart.onWatchedStore = (paddr, size) => {
      if (paddr <= tohost + 4 && paddr + size > tohost + 4) this.command();
    };
  }

  private read64(paddr: number): bigint {
    return this.hart.bus.ram.view.getBigUint64(paddr - this.hart.bus.ram.base, true);
  }

  private write64(paddr: number, v: bigint): void {
    const ram = this.hart.bus.ram;
    ram.view.setBigUint64(paddr - ram.base, v, true);
    ram.markDirty(paddr - ram.base, 8);
  }

  private command(): void {
    const v = this.read64(this.tohost);
    if (v === 0n) return;
    const device = Number(v >> 56n), cmd = Number((v >> 48n) & 0xffn), payload = v & 0xffffffffffffn;
    if (device === 0 && cmd === 0 && (payload & 1n) === 1n) {
      this.result.exited = true;
      this.result.exitValue = v;
      this.hart.requestStop();
      return;
    }
    if (device === 1 && cmd === 1) {
      this.result.console += String.fromCharCode(Number(payload & 0xffn));
      this.write64(this.tohost, 0n);
      this.write64(this.fromhost, (1n << 56n) | (1n << 48n) | 0x100n | (payload & 0xffn));
      return;
    }
    this.result.error = `unsupported HTIF command 0x${v.toString(16)} (device ${device}, command ${cmd})`;
    this.hart.requestStop();
  }
}
