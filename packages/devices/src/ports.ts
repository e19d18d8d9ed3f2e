/**
 * Ports: the only way the outside world reaches a device.
 *
 * Each port is a small interface. A device calls its ports only from `read`,
 * `write` or `service`, which the board invokes at exact instruction counts,
 * so a recorder wrapping a port can log what it returned and where, and a
 * replayer can hand back the same answers. Devices cannot tell the two apart.
 *
 * Input ports are pull-based: the device asks when it has room, so input is
 * paced by the guest's readiness and a port never pushes into a device.
 */

/** Bytes typed into the console, for the UART's receiver. */
export interface ConsoleInputPort {
  /** The next input byte (0..255) if one is available now, else null. Called only when the receiver has room. */
  next(): number | null;
}

/** Bytes the guest writes to the console. Output, not an input: never consulted by the machine. */
export interface ConsoleOutputSink {
  write(byte: number): void;
}

/** Wall-clock time, for the RTC. */
export interface ClockPort {
  /** Nanoseconds since the Unix epoch (1970-01-01T00:00:00Z). */
  now(): bigint;
}

/** Random bytes, for virtio-rng. */
export interface EntropyPort {
  /** Fills all of `buf` with random bytes. */
  fill(buf: Uint8Array): void;
}

/** Ethernet frames, for virtio-net. Frames carry no virtio header and no FCS. */
export interface PacketPort {
  /** The guest transmitted `frame`. The port must copy it if it keeps it. */
  send(frame: Uint8Array): void;
  /** The next received frame if one is waiting, else null. Called only when the device has a receive buffer. */
  receive(): Uint8Array | null;
}

/** What the guest asked of the syscon / sifive test device. */
export type PowerRequest =
  | { readonly action: 'poweroff' }
  | { readonly action: 'fail'; readonly code: number }
  | { readonly action: 'reset' };

/** Output to the board: the guest asked to power off, fail or reset. The board decides what that means. */
export interface PowerControl {
  request(req: PowerRequest): void;
}

/**
 * Guest physical memory as DMA sees it (the board passes the hart's `Ram`).
 * Both methods throw (RangeError) when the range is not backed by memory.
 */
export interface GuestMemory {
  /** A copy of `len` bytes at `paddr`. */
  read(paddr: number, len: number): Uint8Array;
  /** Copies `bytes` to `paddr` (and marks the pages dirty). */
  write(paddr: number, bytes: Uint8Array): void;
}

/**
 * Virtual time, supplied by the board: derived from the hart's instruction
 * count, never from the host clock. Must reflect the instruction count at the
 * moment of the call (including during an MMIO access).
 */
export interface VirtualClock {
  /** The current `mtime`: ticks of the 10 MHz timebase since power-on. */
  mtime(): bigint;
}

/** All host ports a board may hand out. */
export interface HostPorts {
  consoleInput: ConsoleInputPort;
  consoleOutput: ConsoleOutputSink;
  clock: ClockPort;
  entropy: EntropyPort;
  packets: PacketPort;
  power: PowerControl;
}
