/**
 * Flattened device tree (DTB) writer.
 * Devicetree Specification v0.4, chapter 5 "Flattened Devicetree (DTB) Format":
 * https://github.com/devicetree-org/devicetree-specification/releases/tag/v0.4
 *
 * The tree is built in memory (so a device may add nodes anywhere, e.g. the
 * syscon's /poweroff next to its /soc/test node), then serialised by `finish()`:
 * header (40 bytes), memory reservation block (8-aligned), structure block,
 * strings block. All integers big-endian. Output is a pure function of the calls.
 */

/** DTB header magic (§5.2). */
export const FDT_MAGIC = 0xd00dfeed;
/** Format version written (§5.2); the oldest compatible version is 16. */
export const FDT_VERSION = 17;
export const FDT_LAST_COMP_VERSION = 16;
/** Structure block tokens (§5.4.1). */
export const FDT_BEGIN_NODE = 0x1;
export const FDT_END_NODE = 0x2;
export const FDT_PROP = 0x3;
export const FDT_NOP = 0x4;
export const FDT_END = 0x9;
/** Header size in bytes (ten u32 fields). */
export const FDT_HEADER_SIZE = 40;

const utf8 = new TextEncoder();

export class FdtError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FdtError';
  }
}

/** One node of the tree being built. Property and child order is insertion order. */
export class FdtNode {
  private readonly propMap = new Map<string, Uint8Array>();
  private readonly childMap = new Map<string, FdtNode>();

  /** @internal created by FdtWriter / FdtNode.child */
  constructor(readonly name: string, private readonly writer: FdtWriter) {}

  get props(): ReadonlyMap<string, Uint8Array> {
    return this.propMap;
  }

  get children(): readonly FdtNode[] {
    return [...this.childMap.values()];
  }

  /** The child called `name` ("serial@10000000"), created if absent. */
  child(name: string): FdtNode {
    if (name.length === 0 || name.includes('/')) throw new FdtError(`bad node name '${name}'`);
    let c = this.childMap.get(name);
    if (!c) {
      c = new FdtNode(name, this.writer);
      this.childMap.set(name, c);
    }
    return c;
  }

  /** Sets a property to raw bytes (replacing any previous value). */
  bytes(name: string, value: Uint8Array): this {
    if (name.length === 0 || name.length > 31) throw new FdtError(`bad property name '${name}'`);
    this.propMap.set(name, Uint8Array.from(value));
    return this;
  }

  /** An empty property (a boolean flag such as `interrupt-controller`, or `ranges`). */
  empty(name: string): this {
    return this.bytes(name, new Uint8Array(0));
  }

  /** One 32-bit cell. */
  u32(name: string, value: number): this {
    return this.cells(name, [value]);
  }

  /** A list of 32-bit cells (`<a b c>`). */
  cells(name: string, values: readonly number[]): this {
    const out = new Uint8Array(values.length * 4);
    const dv = new DataView(out.buffer);
    values.forEach((v, i) => {
      if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new FdtError(`${name}: cell ${v} is not a u32`);
      dv.setUint32(i * 4, v);
    });
    return this.bytes(name, out);
  }

  /** One 64-bit value as two cells (high, low). */
  u64(name: string, value: number | bigint): this {
    return this.cells(name, u64Cells(value));
  }

  /** A NUL-terminated string. */
  string(name: string, value: string): this {
    return this.strings(name, [value]);
  }

  /** A string list: each string NUL-terminated, concatenated (`"a", "b"`). */
  strings(name: string, values: readonly string[]): this {
    const parts = values.map((s) => {
      if (s.includes('\0')) throw new FdtError(`${name}: string contains NUL`);
      return utf8.encode(s);
    });
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length + 1, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length + 1;
    }
    return this.bytes(name, out);
  }

  /** Gives this node the phandle registered for `label` (allocated on first use). */
  phandle(label: string): this {
    this.writer.definePhandle(label);
    return this.u32('phandle', this.writer.phandle(label));
  }

  /** `reg` with #address-cells = 2 and #size-cells = 2: (address, size) pairs. */
  reg(...ranges: ReadonlyArray<readonly [address: number | bigint, size: number | bigint]>): this {
    return this.cells('reg', ranges.flatMap(([a, s]) => [...u64Cells(a), ...u64Cells(s)]));
  }
}

/** A 64-bit value as [high cell, low cell]. */
export function u64Cells(value: number | bigint): [number, number] {
  const v = BigInt(value);
  if (v < 0n || v > 0xffff_ffff_ffff_ffffn) throw new FdtError(`${v} is not a u64`);
  return [Number(v >> 32n), Number(v & 0xffff_ffffn)];
}

export interface FdtReservation {
  readonly address: number | bigint;
  readonly size: number | bigint;
}

export interface FdtFinishOptions {
  /** Free bytes appended after the strings block and counted in `totalsize` (room for in-place edits by firmware). */
  extraSpace?: number;
}

export class FdtWriter {
  /** The root node (its name is empty in the blob). */
  readonly root: FdtNode;
  /** `boot_cpuid_phys` in the header. */
  bootCpuId = 0;
  private readonly reservations: FdtReservation[] = [];
  private readonly phandles = new Map<string, number>();
  private readonly defined = new Set<string>();

  constructor() {
    this.root = new FdtNode('', this);
  }

  /**
   * The phandle number for `label`, allocated (1, 2, ...) on first use. A
   * node claims it with `node.phandle(label)`; references may come first.
   */
  phandle(label: string): number {
    let n = this.phandles.get(label);
    if (n === undefined) {
      n = this.phandles.size + 1;
      this.phandles.set(label, n);
    }
    return n;
  }

  /** @internal records that a node carries the phandle of `label`. */
  definePhandle(label: string): void {
    if (this.defined.has(label)) throw new FdtError(`phandle label '${label}' is defined twice`);
    this.defined.add(label);
  }

  /** The node at an absolute path ("/soc", "/cpus/cpu@0"), created with its parents if absent. */
  node(path: string): FdtNode {
    if (!path.startsWith('/')) throw new FdtError(`path must be absolute: '${path}'`);
    let n = this.root;
    for (const part of path.split('/')) if (part) n = n.child(part);
    return n;
  }

  /** Adds an entry to the memory reservation block. */
  reserve(address: number | bigint, size: number | bigint): void {
    this.reservations.push({ address, size });
  }

  /** Serialises the tree. Throws if a referenced phandle label was never given to a node. */
  finish(options: FdtFinishOptions = {}): Uint8Array {
    for (const label of this.phandles.keys()) {
      if (!this.defined.has(label)) throw new FdtError(`phandle label '${label}' is referenced but no node defines it`);
    }
    const strings = new StringTable();
    const struct = new ByteSink();
    const emitNode = (node: FdtNode): void => {
      struct.u32(FDT_BEGIN_NODE);
      struct.bytes(utf8.encode(node.name));
      struct.u8(0);
      struct.align(4);
      for (const [name, value] of node.props) {
        struct.u32(FDT_PROP);
        struct.u32(value.length);
        struct.u32(strings.offsetOf(name));
        struct.bytes(value);
        struct.align(4);
      }
      for (const child of node.children) emitNode(child);
      struct.u32(FDT_END_NODE);
    };
    emitNode(this.root);
    struct.u32(FDT_END);

    const rsv = new ByteSink();
    for (const r of this.reservations) {
      rsv.u64(BigInt(r.address));
      rsv.u64(BigInt(r.size));
    }
    rsv.u64(0n);
    rsv.u64(0n);

    const stringsBytes = strings.bytes();
    const structBytes = struct.finish();
    const rsvBytes = rsv.finish();
    const offRsv = align(FDT_HEADER_SIZE, 8);
    const offStruct = align(offRsv + rsvBytes.length, 4);
    const offStrings = offStruct + structBytes.length;
    const total = offStrings + stringsBytes.length + (options.extraSpace ?? 0);

    const out = new Uint8Array(total);
    const dv = new DataView(out.buffer);
    const header = [
      FDT_MAGIC,
      total,
      offStruct,
      offStrings,
      offRsv,
      FDT_VERSION,
      FDT_LAST_COMP_VERSION,
      this.bootCpuId,
      stringsBytes.length,
      structBytes.length,
    ];
    header.forEach((v, i) => dv.setUint32(i * 4, v));
    out.set(rsvBytes, offRsv);
    out.set(structBytes, offStruct);
    out.set(stringsBytes, offStrings);
    return out;
  }
}

function align(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}

/** Property names, deduplicated, NUL-terminated, in first-use order. */
class StringTable {
  private readonly offsets = new Map<string, number>();
  private readonly sink = new ByteSink();

  offsetOf(s: string): number {
    let off = this.offsets.get(s);
    if (off === undefined) {
      off = this.sink.length;
      this.offsets.set(s, off);
      this.sink.bytes(utf8.encode(s));
      this.sink.u8(0);
    }
    return off;
  }

  bytes(): Uint8Array {
    return this.sink.finish();
  }
}

/** A growable big-endian byte buffer. */
class ByteSink {
  private buf = new Uint8Array(1024);
  length = 0;

  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }

  u8(v: number): void {
    this.room(1);
    this.buf[this.length++] = v;
  }

  u32(v: number): void {
    this.room(4);
    new DataView(this.buf.buffer).setUint32(this.length, v);
    this.length += 4;
  }

  u64(v: bigint): void {
    this.room(8);
    new DataView(this.buf.buffer).setBigUint64(this.length, v);
    this.length += 8;
  }

  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }

  align(to: number): void {
    while (this.length % to !== 0) this.u8(0);
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}
