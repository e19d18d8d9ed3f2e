/**
 * The server's application/json parser. Fastify's own drops the parser's
 * SyntaxError ("Body is not valid JSON"), so a client is not told where its
 * body goes wrong; this one says the position. And as Fastify's does (with
 * secure-json-parse, which this package cannot import), it refuses keys that
 * could change objects' prototypes, here with its own message.
 */
import type { FastifyRequest } from 'fastify';
import { badRequest } from './http-error.js';

/** Keys no job request has, and that a careless merge of the body would turn into a prototype change. */
const POISON_KEYS = new Set(['__proto__', 'constructor']);
/** A key's path is shortened past this, so that the one-line message keeps its end. */
const MAX_PATH_CHARS = 120;

/** For addContentTypeParser('application/json', { parseAs: 'string' }, ...). */
export function parseJsonBody(_req: FastifyRequest, body: string, done: (err: Error | null, value?: unknown) => void): void {
  try {
    done(null, parseJson(body));
  } catch (e) {
    done(e as Error);
  }
}

/** `body` parsed; a 400 that says where it is malformed, or which key is refused. */
export function parseJson(body: string): unknown {
  if (body.trim() === '') throw badRequest('the JSON body is empty');
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (e) {
    const message = (e as Error).message;
    // V8 names the position of most wrong characters (an unexpected token, by quoting the body), but
    // not of a body that stops too soon: that one is at its end.
    throw badRequest(`malformed JSON body: ${message === 'Unexpected end of JSON input' ? `${message} at position ${body.length} (the end of the body)` : message}`);
  }
  const key = poisonKey(value);
  if (key) throw badRequest(`the JSON body has a "${key.key}" key (at ${key.where}): refused, as it could change objects' prototypes`);
  return value;
}

/** The first key of POISON_KEYS anywhere in `value`, and where; walked without recursion, so deep nesting cannot overflow the stack. */
function poisonKey(value: unknown): { key: string; where: string } | null {
  type Node = { v: unknown; key?: string; up?: Node };
  const pending: Node[] = [{ v: value }];
  while (pending.length > 0) {
    const node = pending.pop()!;
    if (typeof node.v !== 'object' || node.v === null) continue;
    for (const k of Object.keys(node.v)) {
      if (POISON_KEYS.has(k)) return { key: k, where: pathOf(node) };
      pending.push({ v: (node.v as Record<string, unknown>)[k], key: k, up: node });
    }
  }
  return null;
}

/** "a.0.b" for a node reached by those keys; "top level" for the body itself. */
function pathOf(node: { key?: string; up?: typeof node }): string {
  const keys: string[] = [];
  for (let n: typeof node | undefined = node; n?.key !== undefined; n = n.up) keys.push(n.key);
  const path = keys.length ? keys.reverse().join('.') : 'top level';
  return path.length > MAX_PATH_CHARS ? `${path.slice(0, MAX_PATH_CHARS / 2)}…${path.slice(-MAX_PATH_CHARS / 2)}` : path;
}
