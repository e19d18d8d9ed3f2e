/**
 * The `--net` option, in QEMU's `-netdev user` spelling:
 *   user[,hostfwd=tcp:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT]...
 * An empty HOSTADDR binds 127.0.0.1 (QEMU binds every interface; a recorder
 * should not open the guest to the network unless asked). An empty GUESTADDR
 * is the guest's DHCP address.
 */
import { parseIp } from './wire/ipv4.js';

export interface HostForward {
  protocol: 'tcp';
  hostAddress: string;
  /** 0: any free port (see UserNetwork.forwards for the one chosen). */
  hostPort: number;
  /** null: the guest's DHCP address. */
  guestAddress: number | null;
  guestPort: number;
}

export interface NetOption {
  mode: 'user';
  hostForwards: HostForward[];
}

export class NetOptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NetOptionError';
  }
}

export function parseNetOption(text: string): NetOption {
  const [mode, ...params] = text.split(',');
  if (mode !== 'user') throw new NetOptionError(`--net '${text}': the only network mode is 'user' (e.g. --net user,hostfwd=tcp::8080-:80)`);
  const hostForwards: HostForward[] = [];
  for (const p of params) {
    const eq = p.indexOf('=');
    const key = eq < 0 ? p : p.slice(0, eq);
    const value = eq < 0 ? '' : p.slice(eq + 1);
    if (key !== 'hostfwd') throw new NetOptionError(`--net: unknown parameter '${key}' (known: hostfwd)`);
    hostForwards.push(parseHostForward(value));
  }
  const seen = new Set<string>();
  for (const f of hostForwards) {
    const k = `${f.hostAddress}:${f.hostPort}`;
    if (f.hostPort !== 0 && seen.has(k)) throw new NetOptionError(`--net: host port ${k} is forwarded twice`);
    seen.add(k);
  }
  return { mode: 'user', hostForwards };
}

function parseHostForward(v: string): HostForward {
  const m = /^(tcp|udp)?:([^:]*):(\d+)-([^:]*):(\d+)$/.exec(v);
  if (!m) throw new NetOptionError(`--net: bad hostfwd '${v}' (expected tcp:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT, e.g. tcp::8080-:80)`);
  if (m[1] === 'udp') throw new NetOptionError(`--net: hostfwd '${v}': only tcp forwards are supported`);
  const hostPort = Number(m[3]);
  const guestPort = Number(m[5]);
  if (hostPort > 65535) throw new NetOptionError(`--net: hostfwd '${v}': host port ${hostPort} is out of range`);
  if (guestPort < 1 || guestPort > 65535) throw new NetOptionError(`--net: hostfwd '${v}': guest port ${guestPort} is out of range`);
  const hostAddress = m[2] || '127.0.0.1';
  if (parseIp(hostAddress) === null) throw new NetOptionError(`--net: hostfwd '${v}': host address '${hostAddress}' is not an IPv4 address`);
  let guestAddress: number | null = null;
  if (m[4]) {
    guestAddress = parseIp(m[4]);
    if (guestAddress === null) throw new NetOptionError(`--net: hostfwd '${v}': guest address '${m[4]}' is not an IPv4 address`);
  }
  return { protocol: 'tcp', hostAddress, hostPort, guestAddress, guestPort };
}
