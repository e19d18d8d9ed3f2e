/** ICMP (RFC 792): echo, and the "unreachable" errors this stack sends. */
import { checksum } from './checksum.js';
import { MalformedPacket } from './malformed.js';

export const ICMP_ECHO_REPLY = 0;
export const ICMP_DEST_UNREACHABLE = 3;
export const ICMP_ECHO_REQUEST = 8;
/** Codes of ICMP_DEST_UNREACHABLE. */
export const ICMP_HOST_UNREACHABLE = 1;
export const ICMP_PORT_UNREACHABLE = 3;

export interface IcmpMessage {
  type: number;
  code: number;
  /** The 4 bytes after the checksum (identifier and sequence for echo). */
  rest: Uint8Array;
  payload: Uint8Array;
}

export function parseIcmp(b: Uint8Array): IcmpMessage {
  if (b.length < 8) throw new MalformedPacket(`ICMP message of ${b.length} bytes is shorter than its header`);
  if (checksum(b) !== 0) throw new MalformedPacket('ICMP checksum is wrong');
  return { type: b[0]!, code: b[1]!, rest: b.subarray(4, 8), payload: b.subarray(8) };
}

export function buildIcmp(m: IcmpMessage): Uint8Array {
  const b = new Uint8Array(8 + m.payload.length);
  b[0] = m.type;
  b[1] = m.code;
  b.set(m.rest, 4);
  b.set(m.payload, 8);
  const sum = checksum(b);
  b[2] = sum >> 8;
  b[3] = sum & 0xff;
  return b;
}
