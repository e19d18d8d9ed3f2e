/**
 * What Node's HTTP parser refuses, before any route sees it (garbage, bad
 * headers, a bad Content-Length or chunk, too much of it, a timeout): a 4xx
 * with the same one-line JSON error as the rest, then the connection ends.
 */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';

type ParserError = NodeJS.ErrnoException & { bytesParsed?: number; rawPacket?: unknown };

/** Fastify's clientErrorHandler. */
export function answerClientError(err: ParserError, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, message] =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'the request took too long to arrive']
    : err.code === 'HPE_HEADER_OVERFLOW' && urlOverflow(err) ? [414, 'the URL is too long']
    : err.code === 'HPE_HEADER_OVERFLOW' ? [431, 'the request headers are too large']
    : err.code === 'HPE_URI_TOO_LONG' ? [414, 'the request line is too long']
    : [400, `malformed HTTP request (${(err.code ?? 'unparsable').replace(/^HPE_/, '').toLowerCase().replace(/_/g, ' ')})`];
  const body = JSON.stringify({ error: message });
  if (!socket.writable) return void socket.destroy();
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\nX-Content-Type-Options: nosniff\r\n\r\n${body}`);
}

/**
 * Node counts the URL in its header limit and reports an over-long one as a
 * header overflow. The parser stops where the part that overflowed ends, in
 * the bytes it was given (`rawPacket`): it was the URL if those bytes begin a
 * request line that has not ended there, or if the rest of the request line
 * (" HTTP/1.1") follows. A URL whose end has not arrived yet, in a packet
 * that does not begin the request, cannot be told from a header: 431.
 */
function urlOverflow(err: ParserError): boolean {
  if (!Buffer.isBuffer(err.rawPacket)) return false;
  const raw = err.rawPacket;
  const at = Math.min(Math.max(0, err.bytesParsed ?? raw.length), raw.length);
  const before = raw.subarray(0, at).toString('latin1');
  return /^[A-Z]+ [^\n]*$/.test(before) || raw.subarray(at, at + 6).toString('latin1') === ' HTTP/';
}
