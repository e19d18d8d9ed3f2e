/**
 * The contract between replay and the analyses that run during it. An
 * analysis sees one slice at a time through a ReplayView, returns a plain
 * result for that slice, and knows how to merge slice results in slice order.
 * Analyses run in worker threads and on other hosts, so they are created by
 * name from a registry, and their options and results are plain,
 * structured-clone-able data.
 */
import type { Ram } from '@prnr/cpu';

export interface ReplaySliceInfo {
  index: number;
  startIcount: number;
  endIcount: number;
  /** Virtual time (mtime ticks, 10 MHz) at the slice's start. */
  startMtime: number;
}

export interface TrapEvent {
  /** mcause/scause code without the interrupt bit (8 = ecall from U-mode). */
  cause: number;
  interrupt: boolean;
  /** Privilege the trap came from: 0 U, 1 S, 3 M. */
  fromPriv: number;
}

export interface XretEvent {
  /** Privilege returned to. */
  toPriv: number;
}

/**
 * The hart as an analysis sees it: registers and CSRs to read, nothing to
 * call that changes it. (Plain getters over the replaying hart.)
 */
export interface HartView {
  readonly pc: bigint;
  /** 0 = U, 1 = S, 3 = M. */
  readonly priv: number;
  readonly icount: number;
  readonly satp: bigint;
  readonly sscratch: bigint;
  readonly sepc: bigint;
  readonly mepc: bigint;
  readonly scause: bigint;
  readonly stval: bigint;
  /** Integer register i (0..31), unsigned 64-bit. */
  getX(i: number): bigint;
}

/**
 * What an analysis may observe. Hooks cost nothing unless subscribed. Reading
 * is free (the hart's registers and CSRs, physical memory); an analysis must
 * never change machine state.
 */
export interface ReplayView {
  readonly slice: ReplaySliceInfo;
  /** Registers, pc, priv, icount and CSRs, read only. */
  readonly hart: HartView;
  /** Physical memory, read only (ram.u8 at offset paddr - ram.base). */
  readonly ram: Ram;
  /** Virtual time now (mtime ticks). */
  mtime(): bigint;
  /** After a trap is taken (hart state already switched to the handler). */
  onTrap(fn: (e: TrapEvent) => void): void;
  /** After mret/sret. */
  onXret(fn: (e: XretEvent) => void): void;
  /** Each byte the guest writes to the console. */
  onConsole(fn: (byte: number) => void): void;
  /** Stores that hit [paddr, paddr + length) (physical); the page(s) are watched, so stores there take the slow path. */
  watchStores(paddr: number, length: number, fn: (paddr: number, size: number) => void): void;
}

/** How an analysis weighs on a replay: light ones share one pass, heavy ones get their own. */
export type AnalysisWeight = 'light' | 'heavy';

export interface Analysis<R> {
  readonly name: string;
  attach(view: ReplayView): void;
  /** The result for this slice: plain data. */
  finish(): R;
}

/** Creates an analysis by name; options and results cross thread and host boundaries as plain data. */
export interface AnalysisKind<R = unknown, O = unknown> {
  readonly name: string;
  readonly weight: AnalysisWeight;
  readonly description: string;
  create(options: O, context: AnalysisContext): Analysis<R>;
  /** Slice results, in slice order, into one. */
  merge(parts: R[], context: AnalysisContext): R;
}

export interface AnalysisContext {
  /** The guest profile (guest/images/profile.json) if the recording's guest has one. */
  profile?: unknown;
}
