/**
 * Flattened device tree (DTB) reader: the inverse of FdtWriter, for tests,
 * tools and checks of blobs from elsewhere (QEMU's dumpdtb).
 * Devicetree Specification v0.4, chapter 5.
 */
import { FDT_BEGIN_NODE, FDT_END, FDT_END_NODE, FDT_MAGIC, FDT_NOP, FDT_PROP, FdtError } from './fdt-writer.js';

export interface ParsedFdtNode {
  readonly name: string;
  readonly props: Map<string, Uint8Array>;
  readonly children: ParsedFdtNode[];
}

export interface ParsedFdt {
  readonly version: number;
  readonly bootCpuId: number;
  readonly reservations: Array<{ address: bigint; size: bigint }>;
  readonly root: ParsedFdtNode;
}

const utf8 = new TextDecoder();

export function parseFdt(blob: Uint8Array): ParsedFdt {
  const dv = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  if (blob.length < 40 || dv.getUint32(0) !== FDT_MAGIC) throw new FdtError('not a flattened device tree (bad magic)');
  const total = dv.getUint32(4);
  const offStruct = dv.getUint32(8);
  const offStrings = dv.getUint32(12);
  const offRsv = dv.getUint32(16);
  const version = dv.getUint32(20);
  const bootCpuId = dv.getUint32(28);
  const sizeStrings = dv.getUint32(32);
  const sizeStruct = dv.getUint32(36);
  if (total > blob.length || offStruct + sizeStruct > total || offStrings + sizeStrings > total) throw new FdtError('truncated device tree');

  const reservations: Array<{ address: bigint; size: bigint }> = [];
  for (let at = offRsv; ; at += 16) {
    const address = dv.getBigUint64(at);
    const size = dv.getBigUint64(at + 8);
    if (address === 0n && size === 0n) break;
    reservations.push({ address, size });
  }

  const cstr = (at: number, end: number): [string, number] => {
    let z = at;
    while (z < end && blob[z] !== 0) z++;
    if (z >= end) throw new FdtError('unterminated string in device tree');
    return [utf8.decode(blob.subarray(at, z)), z + 1];
  };

  let at = offStruct;
  const structEnd = offStruct + sizeStruct;
  const token = (): number => {
    const t = dv.getUint32(at);
    at += 4;
    return t;
  };
  const stack: ParsedFdtNode[] = [];
  let root: ParsedFdtNode | undefined;
  for (;;) {
    if (at >= structEnd) throw new FdtError('structure block ends without FDT_END');
    const t = token();
    if (t === FDT_BEGIN_NODE) {
      const [name, next] = cstr(at, structEnd);
      at = (next + 3) & ~3;
      const node: ParsedFdtNode = { name, props: new Map(), children: [] };
      if (stack.length > 0) stack[stack.length - 1].children.push(node);
      else if (root) throw new FdtError('more than one root node');
      else root = node;
      stack.push(node);
    } else if (t === FDT_PROP) {
      const len = token();
      const nameoff = token();
      const [name] = cstr(offStrings + nameoff, offStrings + sizeStrings);
      if (stack.length === 0) throw new FdtError('property outside a node');
      stack[stack.length - 1].props.set(name, blob.slice(at, at + len));
      at = (at + len + 3) & ~3;
    } else if (t === FDT_END_NODE) {
      if (!stack.pop()) throw new FdtError('unbalanced FDT_END_NODE');
    } else if (t === FDT_NOP) {
      // skip
    } else if (t === FDT_END) {
      break;
    } else {
      throw new FdtError(`bad structure token 0x${t.toString(16)} at ${at - 4}`);
    }
  }
  if (!root || stack.length !== 0) throw new FdtError('unbalanced structure block');
  return { version, bootCpuId, reservations, root };
}

/** The node at an absolute path, or undefined. */
export function fdtFind(root: ParsedFdtNode, path: string): ParsedFdtNode | undefined {
  let n: ParsedFdtNode | undefined = root;
  for (const part of path.split('/')) {
    if (!part) continue;
    n = n?.children.find((c) => c.name === part);
  }
  return n;
}

/** A property as big-endian u32 cells. */
export function fdtCells(value: Uint8Array | undefined): number[] {
  if (!value) return [];
  const dv = new DataView(value.buffer, value.byteOffset, value.byteLength);
  const out: number[] = [];
  for (let i = 0; i + 4 <= value.length; i += 4) out.push(dv.getUint32(i));
  return out;
}

/** A property as a string list. */
export function fdtStrings(value: Uint8Array | undefined): string[] {
  if (!value || value.length === 0) return [];
  const s = utf8.decode(value);
  return (s.endsWith('\0') ? s.slice(0, -1) : s).split('\0');
}
