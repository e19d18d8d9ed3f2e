/**
 * `--watch PADDR:LEN` of `prnr replay`: a physical range whose stores are
 * watched (@prnr/scheduler's memory-watch analysis). Checked when parsed,
 * and against the recording's RAM once it is open, so that a range the
 * watch cannot take is one line and exit 2, not a replay pass that fails.
 */
import { VIRT_DRAM_BASE } from '@prnr/devices';
import type { RecordingManifest } from '@prnr/recording';
import { UsageError } from '../usage-error.js';

export interface WatchRange {
  paddr: number;
  length: number;
}

/** Addresses a watch takes: the analysis and the hart's RAM paths count bytes in exact (safe) integers. */
const WATCH_END = Number.MAX_SAFE_INTEGER + 1;

/** commander's parser for --watch. */
export function parseWatch(v: string): WatchRange {
  const m = /^(0x[0-9a-f]+|\d+):(\d+)$/i.exec(v.trim());
  if (!m) throw new UsageError(`--watch: expected PADDR:LEN (e.g. 0x80a00000:4096), got "${v}"`);
  const paddr = Number(m[1]);
  const length = Number(m[2]);
  if (length < 1) throw new UsageError(`--watch ${v}: the length must be at least 1 byte`);
  if (!Number.isSafeInteger(paddr) || !Number.isSafeInteger(length) || paddr + length > WATCH_END) {
    throw new UsageError(`--watch ${v}: the range must end at or below 0x${WATCH_END.toString(16)} (2^53), the highest address a watch takes`);
  }
  return { paddr, length };
}

/** Refuses a range that is not all in the recording's RAM: its stores could never be watched. */
export function checkWatchInRam(w: WatchRange, manifest: Pick<RecordingManifest, 'board'>): void {
  const end = VIRT_DRAM_BASE + manifest.board.ramSize;
  if (w.paddr < VIRT_DRAM_BASE || w.paddr + w.length > end) {
    throw new UsageError(`--watch 0x${w.paddr.toString(16)}:${w.length}: the range is not in the recording's RAM (0x${VIRT_DRAM_BASE.toString(16)} to 0x${(end - 1).toString(16)})`);
  }
}
