/**
 * The bearer token. Required on every /api and /recordings route whenever the
 * server listens on anything but loopback (and whenever one is configured).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from './http-error.js';

/** Tokens shorter than this are refused for a server reachable from other hosts. */
export const MIN_TOKEN_LENGTH = 16;

/** 127.0.0.0/8, ::1 and localhost: reachable from this host only. */
export function isLoopback(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h;
  const m = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(v4);
  return m !== null && m.slice(1).every((o) => Number(o) <= 255);
}

/** Says why the options are unsafe, or null when they are fine. */
export function tokenProblem(host: string, token: string | undefined): string | null {
  if (isLoopback(host)) return null;
  if (!token) return `listening on ${host} (not loopback) needs a bearer token: without one anyone who can reach the port could read every recording and run jobs`;
  if (token.length < MIN_TOKEN_LENGTH) return `the bearer token must be at least ${MIN_TOKEN_LENGTH} characters when listening on ${host}`;
  return null;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** An onRequest hook that answers 401 unless the request carries `Authorization: Bearer <token>`. */
export function requireToken(token: string) {
  const expected = digest(token);
  return async (req: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const header = req.headers.authorization;
    const m = typeof header === 'string' ? /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header) : null;
    if (m && timingSafeEqual(digest(m[1]), expected)) return;
    throw new HttpError(401, header ? 'the bearer token is wrong' : 'this server needs a bearer token: send "Authorization: Bearer TOKEN"', {
      'www-authenticate': 'Bearer realm="prnr"',
    });
  };
}
