/**
 * Answers the guest's DNS queries (sent to the virtual DNS address) through
 * the host's resolver: `node:dns` lookup, so /etc/hosts (e.g. `localhost`)
 * and the host's DNS configuration both apply, as for any host program.
 * A and AAAA questions are answered; other types get an empty answer. A
 * query with more than one question gets FORMERR (RFC 9619), so one query
 * costs at most two lookups. An answer longer than a plain DNS datagram
 * (512 bytes, RFC 1035 §4.2.1) keeps the records that fit and says it was
 * truncated (TC), so the guest's resolver knows it has only part of it.
 * DNS messages are parsed and built with `dns-packet`.
 */
import { lookup } from 'node:dns/promises';
import * as dnsPacket from 'dns-packet';

/** Addresses for a name (IPv4: family 4, IPv6: family 6); [] when the name does not exist. */
export type HostResolver = (name: string, family: 4 | 6) => Promise<string[]>;

export const hostResolver: HostResolver = async (name, family) => {
  try {
    return (await lookup(name, { family, all: true })).map((a) => a.address);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOTFOUND' || code === 'ENODATA' || code === 'EAI_NODATA' || code === 'EAI_NONAME') return [];
    throw e;
  }
};

const TTL = 60;
/** The longest DNS message over UDP without EDNS (RFC 1035 §4.2.1); this proxy does not offer EDNS. */
export const DNS_UDP_MAX = 512;

/** The answer to a DNS query message, or null when `query` is not a query this proxy can read. */
export async function answerDnsQuery(query: Uint8Array, resolve: HostResolver): Promise<Uint8Array | null> {
  let q: dnsPacket.DecodedPacket;
  try {
    q = dnsPacket.decode(Buffer.from(query.buffer, query.byteOffset, query.length));
  } catch {
    return null;
  }
  if (q.type !== 'query' || !q.questions || q.questions.length === 0) return null;
  if (q.questions.length > 1) return reply(q, 'FORMERR', []);
  const answers: dnsPacket.Answer[] = [];
  let failed = false;
  let known = false;
  for (const question of q.questions) {
    const family = question.type === 'A' ? 4 : question.type === 'AAAA' ? 6 : null;
    if (family === null) {
      known = true; // no data of this type, but do not claim the name is missing
      continue;
    }
    try {
      const addrs = await resolve(question.name, family);
      if (addrs.length > 0) known = true;
      else if (family === 6 && (await resolve(question.name, 4)).length > 0) known = true; // the name exists, only without IPv6
      for (const data of addrs) answers.push({ type: question.type as 'A' | 'AAAA', name: question.name, class: 'IN', ttl: TTL, data });
    } catch {
      failed = true;
    }
  }
  return reply(q, failed ? 'SERVFAIL' : known ? 'NOERROR' : 'NXDOMAIN', answers);
}

type Rcode = 'NOERROR' | 'FORMERR' | 'SERVFAIL' | 'NXDOMAIN';

function reply(q: dnsPacket.DecodedPacket, rcode: Rcode, answers: dnsPacket.Answer[]): Uint8Array {
  const encode = (kept: dnsPacket.Answer[], truncated: boolean) => dnsPacket.encode({
    type: 'response',
    id: q.id,
    flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | RCODE_BITS[rcode] | (truncated ? dnsPacket.TRUNCATED_RESPONSE : 0),
    questions: q.questions,
    answers: kept,
  });
  let b = encode(answers, false);
  // Too long for one datagram: whole records only, as many as fit, and TC set.
  for (let n = answers.length - 1; b.length > DNS_UDP_MAX && n >= 0; n--) b = encode(answers.slice(0, n), true);
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}

const RCODE_BITS: Record<Rcode, number> = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3 };
