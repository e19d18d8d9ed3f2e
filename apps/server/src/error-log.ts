/**
 * Internal errors when the server has no request log (`prnr serve`): a 500
 * tells the client only "see the server log", so the log must say it. One
 * line each on stderr, its stack only when asked for.
 */
import type { FastifyRequest } from 'fastify';

export function logInternalError(err: Error, req: FastifyRequest, withStack: boolean, write = (line: string) => void process.stderr.write(line)): void {
  const message = String(err?.message ?? err).trim().replace(/\s*\r?\n\s*/g, ' ') || err?.name || 'unknown error';
  const where = `${req.method} ${req.url.split('?')[0].slice(0, 200)}`;
  write(`prnr serve: internal error in ${where}: ${message}\n`);
  if (withStack && err?.stack) write(`${err.stack}\n`);
}
