/**
 * What each of prnr's channels carries (part of format version 1):
 *
 * | channel       | payload                                                        |
 * |---------------|----------------------------------------------------------------|
 * | consoleInput  | the byte the UART received                                     |
 * | clock         | RTC wall clock, ns since the Unix epoch, u64 LE                |
 * | entropy       | the bytes virtio-rng handed the guest                          |
 * | packets       | one received Ethernet frame                                    |
 * | idle          | mtime ticks virtual time jumped while the hart idled (uvarint) |
 * | checkpoint    | a digest of the hart (the recording package defines it)        |
 * | 16..255       | device plugins' ports (generic-ports.ts): kind = method index, |
 * |               | payload = the answer as JSON text (empty: undefined)           |
 *
 * Outputs (console output, transmitted frames, power requests) are not logged:
 * replay reproduces them.
 */
import { Channel } from '../schema.js';

const NAMES: Record<number, string> = Object.fromEntries(Object.entries(Channel).map(([k, v]) => [v, k]));

export function channelName(c: number): string {
  return NAMES[c] ?? `channel ${c}`;
}
