/**
 * DNS rebinding and cross-site requests. A page on any web site can make the
 * user's browser send requests to 127.0.0.1 under a name the attacker
 * controls (DNS rebinding), or post to it directly (a cross-site request).
 * So a server on loopback answers only requests whose Host is a loopback
 * name, and no server takes a state-changing request (POST, PUT, PATCH,
 * DELETE) from a page of another origin.
 */
import type { FastifyRequest } from 'fastify';
import { isLoopback } from './auth.js';
import { HttpError } from './http-error.js';

const CHANGES_STATE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** What a browser says of where a request comes from (Fetch Metadata): only these may change anything. */
const OWN_SITE = new Set(['same-origin', 'none']);

/** The host part of a Host header ("name", "name:port", "[v6]:port"); null if it is not one. */
export function hostName(header: string): string | null {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]\s]+)(?::(\d{1,5}))?$/.exec(header.trim());
  return m ? m[1] : null;
}

/** "name:port" of an origin or a Host header, lower case, without the scheme's default port; null if it is neither. */
function authority(value: string, scheme = 'http:'): string | null {
  try {
    const u = new URL(value.includes('://') ? value : `${scheme}//${value}`);
    if (u.username || u.password || (u.pathname !== '/' && u.pathname !== '') || u.search || u.hash) return null;
    return u.host; // the URL parser lower-cases the name and drops a default port
  } catch {
    return null; // "null" (a sandboxed page, a file) or garbage
  }
}

/** An onRequest hook for a server listening on `listenHost`. */
export function hostGuard(listenHost: string) {
  const loopbackOnly = isLoopback(listenHost);
  return async (req: FastifyRequest): Promise<void> => {
    const host = typeof req.headers.host === 'string' ? req.headers.host : '';
    const name = hostName(host);
    if (loopbackOnly && req.headers.host === undefined) {
      throw new HttpError(403, 'the request has no Host header: this server answers only to 127.0.0.1, localhost and [::1] (a guard against DNS rebinding)');
    }
    if (loopbackOnly && (name === null || !isLoopback(name))) {
      throw new HttpError(403, `Host "${host.slice(0, 100)}" is not this server: it answers only to 127.0.0.1, localhost and [::1] (a guard against DNS rebinding)`);
    }
    if (!CHANGES_STATE.has(req.method)) return;
    const origin = req.headers.origin;
    if (origin !== undefined) {
      const from = authority(String(origin));
      if (from === null || from !== authority(host, String(origin).startsWith('https:') ? 'https:' : 'http:')) {
        throw new HttpError(403, `a ${req.method} from the web page at ${String(origin).slice(0, 100)} is refused: only this server's own pages may change anything`);
      }
    }
    const site = req.headers['sec-fetch-site'];
    if (typeof site === 'string' && !OWN_SITE.has(site)) {
      throw new HttpError(403, `a ${req.method} from a ${site.slice(0, 20)} page is refused: only this server's own pages may change anything`);
    }
  };
}
