/**
 * A minimal machine for bare-metal programs: RAM at 0x80000000, no devices
 * except HTIF. Enough for riscv-tests and CPU benchmarks. Pure: takes bytes,
 * returns a result; no files, no clocks.
 */
import type { Bus } from '../bus.js';
import { BusFault } from '../bus.js';
import { parseElf } from '../elf.js';
import { Hart } from '../hart.js';
import type { Hart as PublicHart } from '../hart-public.js';
import type { HartEngine } from '../hart.js';
import type { CodeCache } from '../jit/code-cache.js';
import { Ram } from '../ram.js';
import { Htif } from './htif.js';

export const BARE_RAM_BASE = 0x80000000;

export interface BareRunOptions {
  /** RAM size in bytes (default 128 MiB). */
  ramSize?: number;
  /** Give up after this many steps (default 5e9). */
  maxInstructions?: number;
  /** Execution engine (default: Hart.defaultEngine). */
  engine?: HartEngine;
  /** 'wasm' engine: jumps before a block is translated (see HartOptions). */
  jitThreshold?: number;
  /** 'wasm' engine: the code cache (see HartOptions; default Hart.defaultCodeCache, null: none). */
  codeCache?: CodeCache | null;
}

export interface BareRunResult {
  /** pass: exit code 0; fail: exited non-zero; timeout: no exit within maxInstructions; error: bad HTIF command. */
  status: 'pass' | 'fail' | 'timeout' | 'error';
  /** Exit code (tohost >> 1); for riscv-tests the failing test number. */
  exitCode: number;
  icount: bigint;
  pc: bigint;
  console: string;
  error?: string;
  hart: PublicHart;
}

/** RAM only: any other physical address faults. */
export class BareBus implements Bus {
  constructor(readonly ram: Ram) {}
  load(paddr: number): number | bigint {
    throw new BusFault(paddr, false);
  }
  store(paddr: number): void {
    throw new BusFault(paddr, true);
  }
}

export function runBareElf(elf: Uint8Array, opts: BareRunOptions = {}): BareRunResult {
  const image = parseElf(elf);
  const ram = new Ram(BARE_RAM_BASE, opts.ramSize ?? 128 * 1024 * 1024);
  for (const seg of image.segments) {
    if (!ram.contains(seg.paddr, seg.memsz)) throw new Error(`segment at 0x${seg.paddr.toString(16)} (${seg.memsz} bytes) does not fit in RAM`);
    ram.write(seg.paddr, seg.data);
  }
  const tohost = image.symbols.get('tohost');
  if (tohost === undefined) throw new Error('the ELF has no `tohost` symbol: it cannot report a result');
  const fromhost = image.symbols.get('fromhost') ?? tohost + 64n;
  const hart = new Hart(new BareBus(ram), { engine: opts.engine, jitThreshold: opts.jitThreshold, codeCache: opts.codeCache });
  hart.pc = image.entry;
  const htif = new Htif(hart, Number(tohost), Number(fromhost));
  const max = opts.maxInstructions ?? 5e9;
  while (!htif.result.exited && htif.result.error === undefined && hart.icount < max) {
    const r = hart.run(max);
    if (r === 'wfi') break; // nothing can wake a bare machine
  }
  const res = htif.result;
  const exitCode = Number(res.exitValue >> 1n);
  const status = res.error ? 'error' : !res.exited ? 'timeout' : exitCode === 0 ? 'pass' : 'fail';
  return { status, exitCode, icount: BigInt(hart.icount), pc: hart.pc, console: res.console, error: res.error, hart };
}
