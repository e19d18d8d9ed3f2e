/**
 * HTIF `tohost`/`fromhost` (the Berkeley host-target interface used by
 * riscv-tests and bare-metal programs). The target writes a command to
 * `tohost`; we act when a store covers the upper word (tohost+4), which
 * handles both the two-32-bit-stores form and the single 64-bit store.
 * Commands: device 0 / command 0 with payload bit 0 set = exit(payload >> 1);
 * device 0 / command 0 with bit 0 clear = a system call through the front-end
 * proxy (as Spike's fesvr serves it: the payload is the address of a
 * `magic_mem` block of u64 words [number, arg0, arg1, arg2, ...]; the result
 * goes back in word 0, then `fromhost` = 1); device 1 / command 1 = print the
 * low byte. See ../shared/conformance/README.md.
 *
 * The proxy serves what bare-metal benchmarks use (riscv-tests'
 * benchmarks/common/syscalls.c, Spike builds of CoreMark): write (64) to fd 1
 * or 2, appended to the console, and exit (93). Anything else stops the
 * machine with an error naming the call.
 */
import type { Hart } from '../hart.js';

export interface HtifResult {
  exited: boolean;
  /** tohost value of the exit command (1 = pass). */
  exitValue: bigint;
  console: string;
  error?: string;
}

/** System call numbers of the front-end proxy (riscv-pk / Linux RISC-V numbering). */
export const HTIF_SYS_WRITE = 64;
export const HTIF_SYS_EXIT = 93;
const EBADF = 9n, EFAULT = 14n;

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
    if (device === 0 && cmd === 0) {
      this.syscall(Number(payload));
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

  /** A front-end system call: magic_mem at `block`. The guest waits for fromhost != 0, then reads word 0. */
  private syscall(block: number): void {
    const ram = this.hart.bus.ram;
    if (block % 8 !== 0 || !ram.contains(block, 32)) {
      this.fail(`HTIF system call block at 0x${block.toString(16)} is ${block % 8 !== 0 ? 'not 8-byte aligned' : 'outside RAM'}`);
      return;
    }
    const which = this.read64(block);
    const a0 = this.read64(block + 8), a1 = this.read64(block + 16), a2 = this.read64(block + 24);
    let ret: bigint;
    if (which === BigInt(HTIF_SYS_EXIT)) {
      this.result.exited = true;
      this.result.exitValue = (BigInt.asUintN(47, a0) << 1n) | 1n;
      this.hart.requestStop();
      return;
    } else if (which === BigInt(HTIF_SYS_WRITE)) {
      const buf = Number(a1), len = Number(a2);
      if (a0 !== 1n && a0 !== 2n) ret = -EBADF;
      else if (a1 > BigInt(Number.MAX_SAFE_INTEGER) || a2 > 1n << 32n || !ram.contains(buf, len)) ret = -EFAULT;
      else {
        const bytes = ram.read(buf, len);
        let text = '';
        for (let i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]);
        this.result.console += text;
        ret = a2;
      }
    } else {
      this.fail(`unsupported HTIF system call ${which} at 0x${block.toString(16)} (the front-end proxy serves write (${HTIF_SYS_WRITE}) and exit (${HTIF_SYS_EXIT}))`);
      return;
    }
    this.write64(block, BigInt.asUintN(64, ret));
    this.write64(this.tohost, 0n);
    this.write64(this.fromhost, 1n);
  }

  private fail(message: string): void {
    this.result.error = message;
    this.hart.requestStop();
  }
}
