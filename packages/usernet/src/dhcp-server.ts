/**
 * A DHCP server for one guest (RFC 2131, options RFC 2132): every client gets
 * the one guest address, with the gateway as router and server, and the DNS
 * address. Pure: a request in, a reply (or nothing) out.
 */
import { ipBytes, readIp, writeIp } from './wire/ipv4.js';
import { MalformedPacket } from './wire/malformed.js';

export const DHCP_SERVER_PORT = 67;
export const DHCP_CLIENT_PORT = 68;
const MAGIC = 0x63825363;
const FIXED_SIZE = 236;
const OPT_SUBNET = 1;
const OPT_ROUTER = 3;
const OPT_DNS = 6;
const OPT_REQUESTED_IP = 50;
const OPT_LEASE = 51;
const OPT_MSG_TYPE = 53;
const OPT_SERVER_ID = 54;
const OPT_END = 255;
export const DHCPDISCOVER = 1;
export const DHCPOFFER = 2;
export const DHCPREQUEST = 3;
export const DHCPACK = 5;
export const DHCPNAK = 6;

export interface DhcpConfig {
  guest: number;
  gateway: number;
  dns: number;
  netmask: number;
  leaseSeconds: number;
}

export interface DhcpRequest {
  type: number;
  xid: number;
  flags: number;
  chaddr: Uint8Array;
  ciaddr: number;
  requestedIp: number | null;
  serverId: number | null;
}

export function parseDhcp(b: Uint8Array): DhcpRequest {
  if (b.length < FIXED_SIZE + 4) throw new MalformedPacket(`DHCP message of ${b.length} bytes is too short`);
  if (b[0] !== 1) throw new MalformedPacket('DHCP message is not a BOOTREQUEST');
  if (readIp(b, FIXED_SIZE) !== MAGIC) throw new MalformedPacket('DHCP magic cookie missing');
  const r: DhcpRequest = { type: 0, xid: readIp(b, 4), flags: (b[10]! << 8) | b[11]!, chaddr: b.slice(28, 34), ciaddr: readIp(b, 12), requestedIp: null, serverId: null };
  for (let i = FIXED_SIZE + 4; i < b.length; ) {
    const code = b[i]!;
    if (code === OPT_END) break;
    if (code === 0) { i++; continue; }
    if (i + 1 >= b.length) break;
    const len = b[i + 1]!;
    const v = b.subarray(i + 2, i + 2 + len);
    if (v.length !== len) throw new MalformedPacket('DHCP option runs past the end of the message');
    if (code === OPT_MSG_TYPE && len === 1) r.type = v[0]!;
    else if (code === OPT_REQUESTED_IP && len === 4) r.requestedIp = readIp(v, 0);
    else if (code === OPT_SERVER_ID && len === 4) r.serverId = readIp(v, 0);
    i += 2 + len;
  }
  if (r.type === 0) throw new MalformedPacket('DHCP message has no message type option');
  return r;
}

/** The reply to a request, or null when none is due (a REQUEST for another server, RELEASE, DECLINE...). */
export function dhcpReply(req: DhcpRequest, c: DhcpConfig): Uint8Array | null {
  let type: number;
  if (req.type === DHCPDISCOVER) type = DHCPOFFER;
  else if (req.type === DHCPREQUEST) {
    if (req.serverId !== null && req.serverId !== c.gateway) return null; // the client chose another server
    const wanted = req.requestedIp ?? req.ciaddr;
    type = wanted === 0 || wanted === c.guest ? DHCPACK : DHCPNAK;
  } else return null;
  const opts: number[] = [OPT_MSG_TYPE, 1, type, OPT_SERVER_ID, 4, ...ipBytes(c.gateway)];
  if (type !== DHCPNAK) {
    const lease = ipBytes(c.leaseSeconds >>> 0);
    opts.push(OPT_LEASE, 4, ...lease, OPT_SUBNET, 4, ...ipBytes(c.netmask), OPT_ROUTER, 4, ...ipBytes(c.gateway), OPT_DNS, 4, ...ipBytes(c.dns));
  }
  opts.push(OPT_END);
  const b = new Uint8Array(FIXED_SIZE + 4 + opts.length);
  b[0] = 2; // BOOTREPLY
  b[1] = 1;
  b[2] = 6;
  writeIp(b, 4, req.xid);
  b[10] = req.flags >> 8;
  b[11] = req.flags & 0xff;
  if (type !== DHCPNAK) writeIp(b, 16, c.guest);
  writeIp(b, 20, c.gateway);
  b.set(req.chaddr, 28);
  writeIp(b, FIXED_SIZE, MAGIC);
  b.set(opts, FIXED_SIZE + 4);
  return b;
}
