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

/** The host part of a Host header ("name", "name:port", "[v6]:port"); null if it is not one. */
export function hostName(header: string): string | null {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]\s]+)(?::(\d{1,5}))?$/.exec(header.trim());
  return m ? m[1] : null;
}

/** An onRequest hook for a server listening on `listenHost`. */
export function hostGuard(listenHost: string) {
  const loopbackOnly = isLoopback(listenHost);
  return async (req: FastifyRequest): Promise<void> => {
    const host = typeof req.headers.host === 'string' ? req.headers.host : '';
    const name = hostName(host);
    if (loopbackOnly && (name === null || !isLoopback(name))) {
      throw new HttpError(403, `Host "${host.slice(0, 100)}" is not this server: it answers only to 127.0.0.1, localhost and [::1] (a guard against DNS rebinding)`);
    }
    const origin = req.headers.origin;
    if (CHANGES_STATE.has(req.method) && origin !== undefined) {
      let from: string | null = null;
      try {
        from = new URL(origin).host;
      } catch {
        // "null" (a sandboxed page, a file) or garbage: not this server's origin
      }
      if (from !== host.trim().toLowerCase()) throw new HttpError(403, `a ${req.method} from the web page at ${String(origin).slice(0, 100)} is refused: only this server's own pages may change anything`);
    }
  };
}
