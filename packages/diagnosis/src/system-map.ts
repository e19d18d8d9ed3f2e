/**
 * A kernel's System.map (`nm -n vmlinux` output: `address type name` lines):
 * symbol addresses, no types. `prnr profile System.map --recording` anchors
 * the task_struct layout on init_task with it (system-map-profile.ts); the
 * debugger makes a GDB symbol file of it (@prnr/debugger's symbol-file.ts).
 */
import { readFileSync } from 'node:fs';
import { decompress } from 'fzstd';
import { DebugInfoError } from './debug-info-error.js';

export interface MapSymbol {
  name: string;
  address: bigint;
  /** The System.map type letter: T/t text, D/d data, B/b bss, R/r read-only, ... */
  type: string;
}

/** The symbols of a System.map (`address type name` lines); absolute ones (A), undefined (U) and weak undefined (w) left out. Throws DebugInfoError naming the first line that is not one. */
export function parseSystemMap(text: string, where = 'System.map'): MapSymbol[] {
  const out: MapSymbol[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    const m = /^([0-9a-fA-F]{8,16})\s+(\S)\s+(\S+)/.exec(line);
    if (!m) throw new DebugInfoError(`${where}:${i + 1}: not a System.map line: "${line.slice(0, 60)}"`);
    if (m[2] === 'A' || m[2] === 'a' || m[2] === 'U' || m[2] === 'w') return;
    out.push({ name: m[3], address: BigInt(`0x${m[1]}`), type: m[2] });
  });
  return out;
}

const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];

/** The symbols of a System.map's bytes, plain or zstd-compressed. */
export function systemMapFromBytes(bytes: Uint8Array, where = 'System.map'): MapSymbol[] {
  const plain = ZSTD_MAGIC.every((b, i) => bytes[i] === b) ? decompress(bytes) : bytes;
  return parseSystemMap(Buffer.from(plain.buffer, plain.byteOffset, plain.byteLength).toString('latin1'), where);
}

/** Reads a System.map file, plain or zstd-compressed (System.map.zst). */
export function readSystemMap(path: string): MapSymbol[] {
  return systemMapFromBytes(readFileSync(path), path);
}
